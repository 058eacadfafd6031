/**
 * The `sessions` table: one row per issued session token (its `jti`). Revocation lives here, so every
 * API process sees a logout at once; so does `last_seen_at`, from which the idle timeout is judged.
 */
import { db } from './pool.js';
import type { UserRole } from './users.js';

export interface NewSession {
  jti: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export async function insertSession(s: NewSession): Promise<void> {
  await db().query('INSERT INTO sessions (jti, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $3, $4, $5, $6)', [
    s.jti,
    s.userId,
    s.createdAt,
    s.expiresAt,
    s.ip,
    s.userAgent,
  ]);
}

export interface SessionWithUser {
  id: string;
  username: string;
  role: UserRole;
  disabled: boolean;
  revoked_at: Date | null;
  expires_at: Date;
  last_seen_at: Date;
}

/** The session `jti` of user `userId`, with the user's current account state. */
export async function findSession(jti: string, userId: string): Promise<SessionWithUser | undefined> {
  const r = await db().query<SessionWithUser>(
    `SELECT u.id, u.username, u.role, u.disabled, s.revoked_at, s.expires_at, s.last_seen_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.jti = $1 AND u.id = $2`,
    [jti, userId],
  );
  return r.rows[0];
}

/** Records a use of the session; only moves forward, so racing requests cannot set it back. */
export async function touchSession(jti: string, at: Date): Promise<void> {
  await db().query('UPDATE sessions SET last_seen_at = $2 WHERE jti = $1 AND last_seen_at < $2', [jti, at]);
}

export async function revokeSession(jti: string): Promise<void> {
  await db().query('UPDATE sessions SET revoked_at = now() WHERE jti = $1 AND revoked_at IS NULL', [jti]);
}

/** Ends every live session of a user, optionally keeping one; returns how many ended. */
export async function revokeUserSessions(userId: string, exceptJti?: string): Promise<number> {
  const r = await db().query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND jti IS DISTINCT FROM $2', [
    userId,
    exceptJti ?? null,
  ]);
  return r.rowCount ?? 0;
}
