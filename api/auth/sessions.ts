/**
 * Session tokens: JWTs signed with jose (HS256), valid 8 hours, each with a unique `jti` recorded in
 * Postgres. A request is accepted only if the signature and expiry hold AND the jti is neither revoked
 * nor expired in the database — so a logout on one API process is honoured by all of them at once.
 */
import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { db } from '../../stores/pool.js';
import type { AppDeps, AuthUser, Role } from '../context.js';

export const SESSION_HOURS = 8;
const ISSUER = 'medextract';
const AUDIENCE = 'medextract-api';

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

export async function issueToken(deps: AppDeps, user: AuthUser, meta: { ip?: string; userAgent?: string } = {}): Promise<IssuedToken> {
  const now = deps.now();
  const jti = crypto.randomUUID();
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000);
  await db().query('INSERT INTO sessions (jti, user_id, created_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)', [
    jti,
    user.id,
    now,
    expiresAt,
    meta.ip ?? null,
    meta.userAgent?.slice(0, 300) ?? null,
  ]);
  const token = await new SignJWT({ role: user.role, username: user.username })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setJti(jti)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(deps.jwtKey);
  return { token, jti, expiresAt };
}

export type TokenProblem = 'invalid' | 'expired' | 'revoked';

/** The token's user, or why it is refused. */
export async function verifyToken(deps: AppDeps, token: string): Promise<{ user: AuthUser; jti: string } | { problem: TokenProblem }> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, deps.jwtKey, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: deps.now(),
      requiredClaims: ['jti', 'sub', 'exp'],
    }));
  } catch (err) {
    return { problem: err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
  const r = await db().query<{ id: string; username: string; role: Role; disabled: boolean; revoked_at: Date | null; expires_at: Date }>(
    `SELECT u.id, u.username, u.role, u.disabled, s.revoked_at, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.jti = $1 AND u.id = $2`,
    [payload.jti, payload.sub],
  );
  const row = r.rows[0];
  if (!row || row.revoked_at || row.disabled) return { problem: 'revoked' };
  if (row.expires_at.getTime() <= deps.now().getTime()) return { problem: 'expired' };
  return { user: { id: row.id, username: row.username, role: row.role }, jti: payload.jti! };
}

export async function revokeSession(jti: string): Promise<void> {
  await db().query('UPDATE sessions SET revoked_at = now() WHERE jti = $1 AND revoked_at IS NULL', [jti]);
}

/** Ends every session of a user (disabled account, password change), optionally keeping one. */
export async function revokeUserSessions(userId: string, exceptJti?: string): Promise<number> {
  const r = await db().query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND jti IS DISTINCT FROM $2', [
    userId,
    exceptJti ?? null,
  ]);
  return r.rowCount ?? 0;
}
