/**
 * Session tokens: JWTs signed with jose (HS256), valid 8 hours, each with a unique `jti` recorded in
 * Postgres. A request is accepted only if the signature and expiry hold AND the jti is neither revoked
 * nor expired in the database — so a logout on one API process is honoured by all of them at once.
 * A session also ends when unused for `cfg.sessionIdleMinutes` (SESSION_IDLE_MINUTES): each use moves
 * its `last_seen_at` forward, written at most once per TOUCH_EVERY_MS so that busy pages (status
 * polling) do not cost a database write per request. A session therefore ends between N minutes less
 * TOUCH_EVERY_MS and N minutes after its last use.
 */
import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import * as sessions from '../../stores/sessions.js';
import type { AppDeps, AuthUser } from '../context.js';
import { ApiError } from '../errors.js';

export const SESSION_HOURS = 8;
/** How stale `last_seen_at` may get before a use writes it again. */
export const TOUCH_EVERY_MS = 60_000;
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
  await sessions.insertSession({ jti, userId: user.id, createdAt: now, expiresAt, ip: meta.ip ?? null, userAgent: meta.userAgent?.slice(0, 300) ?? null });
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
  const row = await sessions.findSession(payload.jti!, payload.sub!);
  if (!row || row.revoked_at || row.disabled) return { problem: 'revoked' };
  const now = deps.now().getTime();
  if (row.expires_at.getTime() <= now) return { problem: 'expired' };
  const idleMinutes = deps.cfg.sessionIdleMinutes;
  if (now - row.last_seen_at.getTime() > idleMinutes * 60_000) {
    // Thrown rather than returned as a problem: the person should learn why they were signed out.
    throw new ApiError(401, 'Unauthorized', `your session ended after ${idleMinutes} minutes without activity; log in again`, { 'WWW-Authenticate': 'Bearer' });
  }
  if (now - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) await sessions.touchSession(payload.jti!, new Date(now));
  return { user: { id: row.id, username: row.username, role: row.role }, jti: payload.jti! };
}

export const revokeSession = sessions.revokeSession;

/** Ends every session of a user (disabled account, password change), optionally keeping one. */
export const revokeUserSessions = sessions.revokeUserSessions;
