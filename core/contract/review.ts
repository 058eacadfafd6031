/**
 * The review contract: a correction is a JSON Patch (RFC 6902) against the current version of a job's
 * result; the history is the list of events (corrections and review-state changes), oldest first. The
 * API's schemas (api/contract/review.ts), the review service (library/review) and the store all read
 * these shapes.
 */
import { z } from 'zod';
import { JOB_REVIEW_STATES, type JobReviewState } from './jobs.js';
import { VALUE_REVIEW_STATES } from './extraction.js';

const pointer = z
  .string()
  .max(200)
  .regex(/^(\/([^~/]|~[01])*)*$/, 'not a JSON Pointer (RFC 6901), e.g. /medications/0/strength')
  .describe('a JSON Pointer into the result, e.g. `/patient/name/value`, `/lab_results/3/unit`, `/lab_results/-` (append)');

/**
 * The operations a correction may use. `move` and `copy` are left out on purpose: a value has one place in
 * the result, and a reviewer fixes it where it is (`replace`), adds a missed one (`add`) or rejects one.
 */
export const PatchOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), path: pointer, value: z.unknown() }),
  z.strictObject({ op: z.literal('replace'), path: pointer, value: z.unknown() }),
  z.strictObject({ op: z.literal('remove'), path: pointer }),
  z.strictObject({ op: z.literal('test'), path: pointer, value: z.unknown() }),
]);
export type PatchOperation = z.infer<typeof PatchOperationSchema>;

/** At most this many operations in one correction. */
export const MAX_PATCH_OPERATIONS = 200;

export const JsonPatchSchema = z
  .array(PatchOperationSchema)
  .min(1, 'the patch is empty: give at least one operation')
  .max(MAX_PATCH_OPERATIONS)
  .describe(
    'RFC 6902 operations against the current version. Correct a value with `replace` (its review state becomes `corrected`, ' +
      'the original is kept in `review.original`); set `…/review/state` to `accepted`, `rejected` or `unreviewed`; ' +
      'add a missed list item with `add` at `/<section>/-` (its `evidence.page` is required; state `added`); ' +
      '`remove` only an item a person added. `test` guards a value.',
  );

/** The states a person may set on a value directly; `corrected` and `added` follow from what the patch changes. */
export const SETTABLE_VALUE_STATES = ['unreviewed', 'accepted', 'rejected'] as const satisfies ReadonlyArray<(typeof VALUE_REVIEW_STATES)[number]>;

const evidenceOf = z.strictObject({ page: z.int(), quote: z.string(), found: z.boolean().optional() }).nullable();

/** What one event did to one value (a field or a list item), with its evidence before and after. */
export const ValueChangeSchema = z.strictObject({
  path: z.string().describe('the field (`/patient/name`) or item (`/medications/2`) in the version the event made'),
  state: z.enum(VALUE_REVIEW_STATES).describe('its review state after the event'),
  evidenceBefore: evidenceOf.describe('null for an added item'),
  evidenceAfter: evidenceOf,
});
export type ValueChange = z.infer<typeof ValueChangeSchema>;

export const RESULT_EVENT_KINDS = ['correction', 'review'] as const;

export const ResultEventSchema = z.strictObject({
  kind: z.enum(RESULT_EVENT_KINDS).describe('a correction (a patch: a new version) or a change of the review state'),
  version: z.int().min(0).describe('for a correction the version it made; for a review event the version it was about'),
  by: z.string().describe('username'),
  at: z.iso.datetime(),
  reason: z.string().nullable(),
  patch: z.array(PatchOperationSchema).nullable().describe('the operations as sent (corrections only)'),
  changes: z.array(ValueChangeSchema).describe('the values the correction touched (empty for a review event)'),
  reviewState: z.enum(JOB_REVIEW_STATES).nullable().describe('the job review state a review event set'),
});
export type ResultEvent = z.infer<typeof ResultEventSchema>;

export type { JobReviewState };
