/**
 * The TOTP second factor (RFC 6238 with `otpauth`: SHA-1, 6 digits, 30-second steps, one step of clock
 * drift either way), its recovery codes and the sign-in challenges.
 *
 * - The secret is kept encrypted with AES-256-GCM under a key derived (HKDF) from JWT_SECRET, so a copy
 *   of the database alone does not reveal it; no API answer shows it after enrolment, and it never goes
 *   into a log or the audit trail. Changing JWT_SECRET therefore makes enrolled factors unreadable:
 *   those users then need an administrator's MFA reset (DELETE /users/{id}/mfa).
 * - A code is accepted once: the last accepted time step is remembered and only a later one passes.
 * - Recovery codes (10, shown once) and challenge tokens are random, so only a SHA-256 of each is kept.
 */
import crypto from 'node:crypto';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import * as mfa from '../../stores/mfa.js';
import type { AppDeps } from '../context.js';
import type { MfaEnrolment } from '../contract/auth.js';

const ISSUER = 'MedExtract';
const PERIOD = 30;
const DIGITS = 6;
const WINDOW = 1;
const RECOVERY_CODES = 10;
/** A challenge after the right password: long enough to open an authenticator app. */
export const LOGIN_CHALLENGE_MINUTES = 5;
/** An enrolment challenge: long enough to install an app and scan a QR code. */
export const ENROL_CHALLENGE_MINUTES = 15;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

function secretKey(deps: AppDeps): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', deps.jwtKey, 'medextract', 'totp-secret-v1', 32));
}

export function encryptSecret(deps: AppDeps, base32: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', secretKey(deps), iv);
  const sealed = Buffer.concat([cipher.update(base32, 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
}

/** The base32 secret, or undefined when it cannot be opened (JWT_SECRET changed since enrolment). */
export function decryptSecret(deps: AppDeps, stored: string): string | undefined {
  const [version, b64] = stored.split(':');
  if (version !== 'v1' || !b64) return undefined;
  const raw = Buffer.from(b64, 'base64');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', secretKey(deps), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

const totpOf = (base32: string, username: string) =>
  new OTPAuth.TOTP({ issuer: ISSUER, label: username, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: OTPAuth.Secret.fromBase32(base32) });

/** A new secret (160 bits, as RFC 4226 recommends), kept pending until a first code confirms it. */
export async function startEnrolment(deps: AppDeps, user: { id: string; username: string }): Promise<MfaEnrolment> {
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  await mfa.setPendingSecret(user.id, encryptSecret(deps, secret));
  const otpauthUri = totpOf(secret, user.username).toString();
  const qrDataUrl = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
  return { secret, otpauthUri, qrDataUrl };
}

/** The time step `code` belongs to (within the drift window), or undefined when it matches none. */
function stepOf(base32: string, code: string, now: Date): number | undefined {
  const delta = OTPAuth.TOTP.validate({
    token: code,
    secret: OTPAuth.Secret.fromBase32(base32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD,
    timestamp: now.getTime(),
    window: WINDOW,
  });
  if (delta === null) return undefined;
  return OTPAuth.TOTP.counter({ period: PERIOD, timestamp: now.getTime() }) + delta;
}

export type CodeCheck = 'ok' | 'wrong' | 'replayed' | 'not-enabled';

/**
 * Checks a code against the user's active factor. With `consume` (the default) a right code's time
 * step is recorded, so the same code (or an older one) is refused afterwards as 'replayed'.
 */
export async function checkCode(deps: AppDeps, userId: string, code: string, now: Date, consume = true): Promise<CodeCheck> {
  const state = await mfa.mfaStateOf(userId);
  if (!state?.secret) return 'not-enabled';
  const secret = decryptSecret(deps, state.secret);
  if (!secret) return 'wrong';
  const step = stepOf(secret, code, now);
  if (step === undefined) return 'wrong';
  if (state.lastStep !== null && step <= state.lastStep) return 'replayed';
  if (consume && !(await mfa.acceptStep(userId, step))) return 'replayed';
  return 'ok';
}

/** Records a checked code as used (after `checkCode(..., false)` and the other checks passed). */
export async function consumeCode(deps: AppDeps, userId: string, code: string, now: Date): Promise<boolean> {
  return (await checkCode(deps, userId, code, now, true)) === 'ok';
}

function newRecoveryCode(): string {
  // 10 base32 characters = 50 bits, grouped for reading aloud or typing.
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const chars = Array.from(crypto.randomBytes(10), (b) => alphabet[b % alphabet.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Spaces, dashes and case do not matter when a recovery code is typed. */
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

/**
 * Confirms a pending enrolment with a first code: the factor becomes active and 10 new recovery codes
 * are made (returned here, once). 'wrong' when the code does not match, 'no-pending' when nothing is
 * being enrolled.
 */
export async function confirmEnrolment(
  deps: AppDeps,
  userId: string,
  code: string,
  now: Date,
): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; why: 'wrong' | 'no-pending' }> {
  const state = await mfa.mfaStateOf(userId);
  if (!state?.pendingSecret || state.secret) return { ok: false, why: 'no-pending' };
  const secret = decryptSecret(deps, state.pendingSecret);
  const step = secret === undefined ? undefined : stepOf(secret, code, now);
  if (step === undefined) return { ok: false, why: 'wrong' };
  const recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  if (
    !(await mfa.enableMfa(
      userId,
      now,
      step,
      recoveryCodes.map((c) => sha256(normaliseRecoveryCode(c))),
    ))
  )
    return { ok: false, why: 'no-pending' };
  return { ok: true, recoveryCodes };
}

/** Uses up one recovery code; false when it is not an unused code of this user. */
export function useRecoveryCode(userId: string, code: string, now: Date): Promise<boolean> {
  return mfa.useRecoveryCode(userId, sha256(normaliseRecoveryCode(code)), now);
}

export const unusedRecoveryCodes = mfa.unusedRecoveryCodes;
export const disableMfa = mfa.disableMfa;

export async function mfaStatus(userId: string): Promise<{ enabled: boolean; enabledAt: Date | null; recoveryCodesLeft: number }> {
  const state = await mfa.mfaStateOf(userId);
  const enabled = Boolean(state?.secret);
  return { enabled, enabledAt: state?.enabledAt ?? null, recoveryCodesLeft: enabled ? await mfa.unusedRecoveryCodes(userId) : 0 };
}

/** A new challenge for the step after a right password; the token is returned, only its hash kept. */
export async function issueChallenge(deps: AppDeps, userId: string, purpose: mfa.ChallengePurpose, ip: string): Promise<{ token: string; expiresAt: Date }> {
  const token = crypto.randomBytes(32).toString('base64url');
  const createdAt = deps.now();
  const expiresAt = new Date(createdAt.getTime() + (purpose === 'login' ? LOGIN_CHALLENGE_MINUTES : ENROL_CHALLENGE_MINUTES) * 60_000);
  await mfa.insertChallenge({ tokenHash: sha256(token), userId, purpose, createdAt, expiresAt, ip });
  return { token, expiresAt };
}

/** The user a live challenge of that purpose was issued to. */
export function challengeUser(deps: AppDeps, token: string, purpose: mfa.ChallengePurpose): Promise<string | undefined> {
  return mfa.findChallenge(sha256(token), purpose, deps.now());
}

/** Uses the challenge up (once: a parallel request with the same token gets false). */
export function consumeChallenge(deps: AppDeps, token: string): Promise<boolean> {
  return mfa.consumeChallenge(sha256(token), deps.now());
}
