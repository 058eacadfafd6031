/**
 * Signing in and out, the signed-in user's own password and second factor: request and response shapes.
 *
 * Signing in with a second factor is two steps. POST /login with the right password answers 200 with
 * one of three shapes, told apart by their fields:
 * - `LoginSession` (`token`): signed in;
 * - `MfaChallenge` (`mfaRequired: true`, `challengeToken`): the account has a second factor; send the
 *   challenge with a 6-digit code (or a recovery code) to POST /login/mfa, which answers a `LoginSession`;
 * - `MfaEnrolmentChallenge` (`mfaEnrolmentRequired: true`, `challengeToken`): an administrator must set
 *   up a second factor first (MFA_REQUIRED_FOR_ADMINS=true): POST /login/mfa/enrol, then
 *   POST /login/mfa/confirm with a code, which answers a `LoginSession` with the recovery codes.
 * A challenge is not a credential: it opens nothing but these routes, is single-use and short-lived.
 */
import { z } from 'zod';
import { IsoDateTime } from './common.js';
import { UserSchema } from './users.js';

// Generous upper bounds only guard against abuse (a password over 72 bytes simply never matches).
export const LoginRequestSchema = z
  .object({
    username: z.string().trim().min(1).max(256),
    password: z.string().min(1).max(4096),
  })
  .meta({ id: 'LoginRequest' });
export type LoginRequest = z.input<typeof LoginRequestSchema>;

export const LoginSessionSchema = z
  .object({
    token: z.string().describe('JWT (HS256), valid 8 hours (ends sooner when unused for SESSION_IDLE_MINUTES); send as `Authorization: Bearer <token>`'),
    expiresAt: IsoDateTime,
    user: UserSchema,
  })
  .meta({ id: 'LoginSession' });
export type LoginSession = z.infer<typeof LoginSessionSchema>;

const ChallengeToken = z.string().min(20).max(200).describe('the single-use token of this sign-in step (from POST /login)');

export const MfaChallengeSchema = z
  .object({
    mfaRequired: z.literal(true),
    challengeToken: ChallengeToken,
    expiresAt: IsoDateTime.describe('when the challenge ends: log in again after that'),
  })
  .meta({ id: 'MfaChallenge' });
export type MfaChallenge = z.infer<typeof MfaChallengeSchema>;

export const MfaEnrolmentChallengeSchema = z
  .object({
    mfaEnrolmentRequired: z.literal(true),
    challengeToken: ChallengeToken,
    expiresAt: IsoDateTime,
  })
  .meta({ id: 'MfaEnrolmentChallenge' });
export type MfaEnrolmentChallenge = z.infer<typeof MfaEnrolmentChallengeSchema>;

export const LoginResponseSchema = z.union([LoginSessionSchema, MfaChallengeSchema, MfaEnrolmentChallengeSchema]).meta({ id: 'LoginResponse' });
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

const TotpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'a code is the 6 digits your authenticator app shows');
const RecoveryCode = z.string().trim().min(1).max(64).describe('one of the recovery codes given at enrolment (each works once)');

export const MfaLoginRequestSchema = z
  .strictObject({ challengeToken: ChallengeToken, code: TotpCode.optional(), recoveryCode: RecoveryCode.optional() })
  .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'give either code or recoveryCode' })
  .meta({ id: 'MfaLoginRequest' });
export type MfaLoginRequest = z.input<typeof MfaLoginRequestSchema>;

export const MfaChallengeRequestSchema = z.strictObject({ challengeToken: ChallengeToken }).meta({ id: 'MfaChallengeRequest' });
export type MfaChallengeRequest = z.input<typeof MfaChallengeRequestSchema>;

export const MfaChallengeConfirmSchema = z.strictObject({ challengeToken: ChallengeToken, code: TotpCode }).meta({ id: 'MfaChallengeConfirm' });
export type MfaChallengeConfirm = z.input<typeof MfaChallengeConfirmSchema>;

/** What an authenticator app needs; shown once, at enrolment. */
export const MfaEnrolmentSchema = z
  .object({
    secret: z.string().describe('the TOTP secret (base32), for typing into an authenticator app'),
    otpauthUri: z.string().describe('otpauth://totp/… (RFC 6238: SHA-1, 6 digits, 30 s)'),
    qrDataUrl: z.string().describe('the otpauth URI as a QR code, a data:image/png URL'),
  })
  .meta({ id: 'MfaEnrolment' });
export type MfaEnrolment = z.infer<typeof MfaEnrolmentSchema>;

const RecoveryCodes = z.array(z.string()).describe('10 single-use recovery codes, shown only this once: keep them somewhere safe');

export const MfaRecoveryCodesSchema = z.object({ recoveryCodes: RecoveryCodes }).meta({ id: 'MfaRecoveryCodes' });
export type MfaRecoveryCodes = z.infer<typeof MfaRecoveryCodesSchema>;

export const MfaEnrolledSessionSchema = LoginSessionSchema.extend({ recoveryCodes: RecoveryCodes }).meta({ id: 'MfaEnrolledSession' });
export type MfaEnrolledSession = z.infer<typeof MfaEnrolledSessionSchema>;

export const MfaStatusSchema = z
  .object({
    enabled: z.boolean(),
    enabledAt: IsoDateTime.nullable(),
    recoveryCodesLeft: z.number().int().describe('unused recovery codes'),
    required: z.boolean().describe('an administrator must keep a second factor (MFA_REQUIRED_FOR_ADMINS)'),
  })
  .meta({ id: 'MfaStatus' });
export type MfaStatus = z.infer<typeof MfaStatusSchema>;

export const MfaEnrolRequestSchema = z
  .strictObject({ currentPassword: z.string().min(1).max(4096).describe('your current password (step-up)') })
  .meta({ id: 'MfaEnrolRequest' });
export type MfaEnrolRequest = z.input<typeof MfaEnrolRequestSchema>;

export const MfaConfirmRequestSchema = z.strictObject({ code: TotpCode }).meta({ id: 'MfaConfirmRequest' });
export type MfaConfirmRequest = z.input<typeof MfaConfirmRequestSchema>;

export const MfaDisableRequestSchema = z
  .strictObject({ currentPassword: z.string().min(1).max(4096), code: TotpCode.optional(), recoveryCode: RecoveryCode.optional() })
  .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'give either code or recoveryCode' })
  .meta({ id: 'MfaDisableRequest' });
export type MfaDisableRequest = z.input<typeof MfaDisableRequestSchema>;

export const PasswordChangeSchema = z
  .strictObject({
    currentPassword: z.string().min(1).max(4096),
    newPassword: z
      .string()
      .max(4096)
      .describe(
        'at least 12 characters (Unicode, after NFKC) and at most 72 bytes, not common or guessable, not containing the username, different from the current one',
      ),
  })
  .meta({ id: 'PasswordChange' });
export type PasswordChange = z.input<typeof PasswordChangeSchema>;
