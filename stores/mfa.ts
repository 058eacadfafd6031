/**
 * The second factor's rows: a user's (encrypted) TOTP secret and last accepted time step, their
 * single-use recovery codes (SHA-256 only), and the short-lived challenges between a right password and
 * a session (SHA-256 of the token only). Encryption and code checking live in api/auth/totp.ts.
 */
import { db, inTransaction } from './pool.js';

export interface MfaState {
  /** Encrypted secret of the active factor, when MFA is on. */
  secret: string | null;
  /** Encrypted secret being enrolled, until a first code confirms it. */
  pendingSecret: string | null;
  enabledAt: Date | null;
  lastStep: number | null;
}

export async function mfaStateOf(userId: string): Promise<MfaState | undefined> {
  const r = await db().query<{ mfa_secret: string | null; mfa_pending_secret: string | null; mfa_enabled_at: Date | null; mfa_last_step: string | null }>(
    'SELECT mfa_secret, mfa_pending_secret, mfa_enabled_at, mfa_last_step FROM users WHERE id = $1',
    [userId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    secret: row.mfa_secret,
    pendingSecret: row.mfa_pending_secret,
    enabledAt: row.mfa_enabled_at,
    lastStep: row.mfa_last_step === null ? null : Number(row.mfa_last_step),
  };
}

export async function setPendingSecret(userId: string, encrypted: string): Promise<void> {
  await db().query('UPDATE users SET mfa_pending_secret = $2 WHERE id = $1', [userId, encrypted]);
}

/**
 * Turns the pending secret into the active one, remembering the step of the code that confirmed it, and
 * replaces the recovery codes; false when there was no pending secret (or MFA was already on).
 */
export async function enableMfa(userId: string, at: Date, step: number, recoveryCodeHashes: readonly string[]): Promise<boolean> {
  return inTransaction(async (c) => {
    const r = await c.query(
      `UPDATE users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL, mfa_enabled_at = $2, mfa_last_step = $3
        WHERE id = $1 AND mfa_pending_secret IS NOT NULL AND mfa_secret IS NULL`,
      [userId, at, step],
    );
    if (r.rowCount !== 1) return false;
    await c.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    await c.query('INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) SELECT $1, h, $2 FROM unnest($3::text[]) AS h', [
      userId,
      at,
      recoveryCodeHashes,
    ]);
    return true;
  });
}

/**
 * Records `step` as used; false when it (or a later one) already was: the same code twice, or two
 * requests racing with it, get one success between them.
 */
export async function acceptStep(userId: string, step: number): Promise<boolean> {
  const r = await db().query('UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2)', [userId, step]);
  return r.rowCount === 1;
}

/** Removes the second factor and its recovery codes; true when there was one (active or pending). */
export async function disableMfa(userId: string): Promise<boolean> {
  return inTransaction(async (c) => {
    const r = await c.query(
      `UPDATE users SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_enabled_at = NULL, mfa_last_step = NULL
        WHERE id = $1 AND (mfa_secret IS NOT NULL OR mfa_pending_secret IS NOT NULL)`,
      [userId],
    );
    await c.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    return r.rowCount === 1;
  });
}

/** Marks an unused recovery code used; false when it is not one of the user's or was used already. */
export async function useRecoveryCode(userId: string, codeHash: string, at: Date): Promise<boolean> {
  const r = await db().query('UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL', [userId, codeHash, at]);
  return (r.rowCount ?? 0) > 0;
}

export async function unusedRecoveryCodes(userId: string): Promise<number> {
  const r = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]);
  return r.rows[0]?.n ?? 0;
}

export type ChallengePurpose = 'login' | 'enrol';

export async function insertChallenge(c: {
  tokenHash: string;
  userId: string;
  purpose: ChallengePurpose;
  createdAt: Date;
  expiresAt: Date;
  ip: string;
}): Promise<void> {
  await db().query('INSERT INTO mfa_challenges (token_hash, user_id, purpose, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)', [
    c.tokenHash,
    c.userId,
    c.purpose,
    c.createdAt,
    c.expiresAt,
    c.ip,
  ]);
  // Old challenges are of no use to anyone; keep the table small.
  await db().query("DELETE FROM mfa_challenges WHERE expires_at < $1::timestamptz - interval '1 day'", [c.createdAt]);
}

/** The user of a live (unused, unexpired) challenge of that purpose. */
export async function findChallenge(tokenHash: string, purpose: ChallengePurpose, now: Date): Promise<string | undefined> {
  const r = await db().query<{ user_id: string }>(
    'SELECT user_id FROM mfa_challenges WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3',
    [tokenHash, purpose, now],
  );
  return r.rows[0]?.user_id;
}

/** Uses a live challenge up; false when it was used (e.g. by a parallel request) or expired meanwhile. */
export async function consumeChallenge(tokenHash: string, now: Date): Promise<boolean> {
  const r = await db().query('UPDATE mfa_challenges SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2', [tokenHash, now]);
  return r.rowCount === 1;
}
