/**
 * Session tokens: JWTs signed with jose (HS256), valid 8 hours, each with a unique `jti` recorded in
 * Postgres. A request is accepted only if the signature and expiry hold AND the jti is neither revoked
 * nor expired in the database — so a logout on one API process is honoured by all of them at once.
 */
import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import * as sessions from '../../stores/sessions.js';
import type { AppDeps, AuthUser } from '../context.js';

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
  if (row.expires_at.getTime() <= deps.now().getTime()) return { problem: 'expired' };
  return { user: { id: row.id, username: row.username, role: row.role }, jti: payload.jti! };
}

export const revokeSession = sessions.revokeSession;

/** Ends every session of a user (disabled account, password change), optionally keeping one. */
export const revokeUserSessions = sessions.revokeUserSessions;
