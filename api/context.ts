/** What every request handler can rely on: the signed-in user and the process-wide dependencies. */
import type Koa from 'koa';
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import type { Role } from './contract/users.js';
import type { ApiScope } from './contract/api-keys.js';

export type { Role };

export interface AuthUser {
  id: string;
  username: string;
  role: Role;
}

export interface AppState {
  requestId: string;
  user?: AuthUser;
  /** How the caller proved who they are. */
  authMethod?: 'token' | 'api_key';
  /** The session's token id (bearer tokens only): what logout revokes. */
  jti?: string;
  /** What the API key may do (API keys only; a session is not limited by scopes). */
  scopes?: readonly ApiScope[];
}

export interface AppDeps {
  cfg: Config;
  temporal: Client;
  /** HMAC key for signing session tokens (HS256). */
  jwtKey: Uint8Array;
  /** Clock, replaceable so tests can move time. */
  now: () => Date;
  /** Metrics of workers running in this same process (the embedded `npm start`), served beside the API's own. */
  workerMetrics?: Registry;
}

export interface AppContextExtras {
  deps: AppDeps;
}

export type AppContext = Koa.ParameterizedContext<AppState, AppContextExtras>;

/** The signed-in user; routes behind `authenticate` can count on it. */
export function currentUser(ctx: AppContext): AuthUser {
  if (!ctx.state.user) throw new Error('currentUser() used on a route without authentication');
  return ctx.state.user;
}

/** The client's address (X-Forwarded-For is only trusted with TRUST_PROXY=true). */
export const clientIp = (ctx: AppContext): string => ctx.ip || ctx.request.socket.remoteAddress || 'unknown';
