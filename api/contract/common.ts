/**
 * What every resource's contract shares: the one error shape with its closed list of codes, and
 * path parameters that name a resource by id. Plain zod, no server code: the web UI imports the
 * types of these modules (type-only), the API validates and documents with the schemas.
 */
import { z } from 'zod';
import type { FailureType } from '../../core/errors.js';

/** Codes of the API's own refusals. */
const API_ERROR_CODES = [
  'InvalidRequest',
  'MethodNotAllowed',
  'NotFound',
  'Unauthorized',
  'Forbidden',
  'InvalidCredentials',
  'TooManyAttempts',
  'NoSession',
  'SessionRequired',
  'WrongPassword',
  'CurrentPasswordRequired',
  'SamePassword',
  'WeakPassword',
  'PasswordTooLong',
  'UsernameTaken',
  'CannotChangeSelf',
  'ScopeRequired',
  'ScopeNotAllowed',
  'MfaRequired',
  'MfaEnrolmentRequired',
  'InvalidMfaCode',
  'MfaAlreadyEnabled',
  'MfaNotEnabled',
  'RequestTimeout',
  'NotReady',
  'AlreadyFinished',
  'NoFiles',
  'TooLarge',
  'TooManyFiles',
  'UnsupportedMediaType',
  'PreconditionRequired',
  'PreconditionFailed',
  'VersionConflict',
  'ReviewApproved',
  'PatchTargetMissing',
  'PatchTestFailed',
  'NotCorrectable',
  'ContractViolation',
  'EvidenceRequired',
  'Unavailable',
  'InternalError',
] as const;

/** A document's typed pipeline failures, which reach the API as the same codes (core/errors.ts). */
const PIPELINE_ERROR_CODES = [
  'InvalidPdf',
  'PasswordRequired',
  'PasswordIncorrect',
  'InvalidImage',
  'UnsupportedFormat',
  'TooManyPages',
  'EmptyPdf',
  'ImageTooLarge',
  'Timeout',
  'ExtractionFailed',
  'RateLimited',
  'ProviderUnavailable',
  'DeidentificationFailed',
  'DocumentKeyMissing',
  'DocumentUnreadable',
] as const satisfies readonly FailureType[];

export const ErrorCodeSchema = z.enum([...API_ERROR_CODES, ...PIPELINE_ERROR_CODES]).describe('stable, machine-readable code');
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

// A FailureType added to core/errors.ts without its code here fails to compile.
const everyFailureTypeIsACode: Exclude<FailureType, ErrorCode> extends never ? true : never = true;
void everyFailureTypeIsACode;

export const ErrorSchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string().describe('what went wrong, in words a person can act on'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorSchema>;

/**
 * A path parameter holding a resource's id. A malformed id names nothing, so it fails with
 * `<what> was not found` (answered 404, like an id that exists but is not the caller's).
 */
export const resourceId = (what: string) => z.guid({ error: `${what} was not found` }).describe(`${what}'s id`);

export const IsoDateTime = z.iso.datetime();
