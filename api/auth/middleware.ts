/**
 * Authentication for every protected route: `Authorization: Bearer <session token>` or
 * `X-API-Key: <key>` (an API key is also accepted as a bearer token, for tools like Prometheus).
 * No credential, a bad signature, an expired or revoked session or key → 401 with the same error shape.
 * What a key may do once it is known (its scopes) is checked per route by `requireScope`, which
 * api/route.ts puts in front of every protected route.
 */
import type Koa from 'koa';
import { ApiError } from '../errors.js';
import type { AppContextExtras, AppState } from '../context.js';
import type { ApiScope } from '../contract/api-keys.js';
import { API_KEY_PREFIX, userForApiKey } from './api-keys.js';
import { verifyToken } from './sessions.js';

const unauthorized = (message: string) => new ApiError(401, 'Unauthorized', message, { 'WWW-Authenticate': 'Bearer' });
const day = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export const authenticate: Koa.Middleware<AppState, AppContextExtras> = async (ctx, next) => {
  const header = ctx.get('authorization');
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const apiKey = ctx.get('x-api-key') || (bearer?.startsWith(API_KEY_PREFIX) ? bearer : '');
  if (apiKey) {
    const found = await userForApiKey(apiKey, ctx.deps.now());
    if (!found.ok) {
      throw unauthorized(found.expiredAt ? `the API key expired on ${day(found.expiredAt)}; create a new one` : 'the API key is not valid');
    }
    ctx.state.user = found.user;
    ctx.state.scopes = found.scopes;
    ctx.state.authMethod = 'api_key';
  } else if (bearer) {
    const result = await verifyToken(ctx.deps, bearer);
    if ('problem' in result) {
      throw unauthorized(result.problem === 'invalid' ? 'the session token is not valid' : 'your session ended; log in again');
    }
    ctx.state.user = result.user;
    ctx.state.jti = result.jti;
    ctx.state.authMethod = 'token';
  } else {
    throw unauthorized('authentication required: log in, or send an API key');
  }
  await next();
};

export const requireAdmin: Koa.Middleware<AppState, AppContextExtras> = async (ctx, next) => {
  if (ctx.state.user?.role !== 'admin') throw new ApiError(403, 'Forbidden', 'this needs an administrator');
  await next();
};

/**
 * Only a signed-in session (a bearer token from POST /login), not an API key: a leaked script key must
 * never mint keys, administer users or change a password.
 */
export function requireSession(what: string): Koa.Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    if (ctx.state.authMethod !== 'token') throw new ApiError(403, 'SessionRequired', `${what} needs a signed-in session, not an API key`);
    await next();
  };
}

/** What a protected route asks of an API key: a scope, a session (no key at all), or nothing beyond a valid key. */
export type RequiredScope = ApiScope | 'session' | 'any-key';

/** Sessions pass (scopes limit keys only); a key must carry the scope, and never passes a 'session' route. */
export function requireScope(scope: RequiredScope, what: string): Koa.Middleware<AppState, AppContextExtras> {
  if (scope === 'session') return requireSession(what);
  return async (ctx, next) => {
    if (ctx.state.authMethod === 'api_key' && scope !== 'any-key' && !ctx.state.scopes?.includes(scope)) {
      throw new ApiError(403, 'ScopeRequired', `this API key lacks the scope ${scope}; create a key with it`);
    }
    await next();
  };
}
