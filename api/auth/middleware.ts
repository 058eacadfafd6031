/**
 * Authentication for every protected route: `Authorization: Bearer <session token>` or
 * `X-API-Key: <key>` (an API key is also accepted as a bearer token, for tools like Prometheus).
 * No credential, a bad signature, an expired or revoked session → 401 with the same error shape.
 */
import type Koa from 'koa';
import { ApiError } from '../errors.js';
import type { AppContextExtras, AppState } from '../context.js';
import { API_KEY_PREFIX, userForApiKey } from './api-keys.js';
import { verifyToken } from './sessions.js';

const unauthorized = (message: string) => new ApiError(401, 'Unauthorized', message, { 'WWW-Authenticate': 'Bearer' });

export const authenticate: Koa.Middleware<AppState, AppContextExtras> = async (ctx, next) => {
  const header = ctx.get('authorization');
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const apiKey = ctx.get('x-api-key') || (bearer?.startsWith(API_KEY_PREFIX) ? bearer : '');
  if (apiKey) {
    const user = await userForApiKey(apiKey);
    if (!user) throw unauthorized('the API key is not valid');
    ctx.state.user = user;
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
