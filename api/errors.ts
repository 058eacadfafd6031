/**
 * One error shape for the whole API: `{ "error": { "code", "message" } }`. Routes throw ApiError (or
 * a typed PipelineError); this middleware turns every failure into that shape. A client mistake is a
 * 4xx with a message a person understands; anything unexpected is a 500 that says nothing internal,
 * and is logged with the request id (never with document content).
 *
 * Denied accesses are audited here, in one place, as `access.denied` (method, route pattern, status and
 * code — never the body, the query or a file name):
 * - 403 and 404 answers to a signed-in caller (another user's job, an administrator's route, a key
 *   without the scope);
 * - 401 answers to a request that carried a credential that failed (a bad, expired or revoked token or
 *   key), without an actor. A request with no credential at all is not recorded (the UI before sign-in),
 *   nor are refused sign-ins, which POST /login records itself.
 * Repeats are aggregated (api/audit.ts).
 */
import type Koa from 'koa';
import { ZodError, type core } from 'zod';
import { PipelineError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import type { ErrorBody, ErrorCode } from './contract/common.js';
import { audit } from './audit.js';
import type { AppContext } from './context.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const notFound = (what = 'the resource') => new ApiError(404, 'NotFound', `${what} was not found`);

/** 400 InvalidRequest naming each broken part, e.g. `limit: Too big: expected number to be <=100`. */
export function invalidRequest(issues: readonly core.$ZodIssue[]): ApiError {
  return new ApiError(400, 'InvalidRequest', issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
}

const PIPELINE_STATUS: Partial<Record<string, number>> = { TooLarge: 413, NotFound: 404 };

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

export const errorMiddleware: Koa.Middleware = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = errorBody('NotFound', `no route for ${ctx.method} ${ctx.path}`);
    } else if (ctx.status === 405 && ctx.body === undefined) {
      // The router's answer to a method the path does not have: Allow is set, the body is ours.
      ctx.status = 405;
      ctx.body = errorBody('MethodNotAllowed', `${ctx.method} is not allowed on ${ctx.path} (allowed: ${ctx.response.get('Allow') || 'none'})`);
    }
  } catch (err) {
    const e = err as Error & { status?: number; httpCode?: number; expose?: boolean; code?: string | number };
    let status = 500;
    let code: ErrorCode = 'InternalError';
    let message = 'an unexpected error occurred; it has been logged';
    if (err instanceof ApiError) {
      ({ status, code, message } = err);
      for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
    } else if (err instanceof PipelineError) {
      status = PIPELINE_STATUS[err.type] ?? 422;
      code = err.type;
      message = err.message;
    } else if (err instanceof ZodError) {
      ({ status, code, message } = invalidRequest(err.issues));
    } else if (e.httpCode === 413 || e.status === 413 || /maxFileSize|maxTotalFileSize/.test(e.message)) {
      status = 413;
      code = 'TooLarge';
      message = 'the upload is larger than the allowed size';
    } else if ((e.status ?? e.httpCode ?? 500) < 500) {
      // Errors from body parsing and koa itself (malformed JSON, bad multipart, ...).
      status = e.status ?? e.httpCode ?? 400;
      code = status === 415 ? 'UnsupportedMediaType' : 'InvalidRequest';
      message = e.expose === false ? 'the request could not be read' : e.message;
    }
    if (status >= 500) logger.error({ requestId: ctx.state.requestId, err: { name: e.name, message: e.message, stack: e.stack } }, 'request failed');
    ctx.status = status;
    ctx.body = errorBody(code, message);
    await auditDenied(ctx as unknown as AppContext, status, code);
  }
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a route's `:id` names, from its pattern. */
function targetTypeOf(route: string): 'job' | 'user' | 'api_key' {
  if (route.startsWith('/users/')) return 'user';
  if (route.includes('api-keys/')) return 'api_key';
  return 'job';
}

async function auditDenied(ctx: AppContext, status: number, code: ErrorCode): Promise<void> {
  const signedIn = ctx.state.user !== undefined;
  const deniedUser = signedIn && (status === 403 || status === 404);
  const failedCredential = !signedIn && status === 401 && code === 'Unauthorized' && (ctx.get('authorization') !== '' || ctx.get('x-api-key') !== '');
  if (!deniedUser && !failedCredential) return;
  // The route's pattern; a credential refused before any route matched (in `authenticate`) has only the path.
  const matched = (ctx as { _matchedRoute?: string })._matchedRoute;
  const route = matched?.startsWith('/') && !matched.includes('(') ? matched : ctx.path.slice(0, 200);
  const id = (ctx as { params?: Record<string, string> }).params?.id;
  const target = route && id && UUID_RE.test(id) ? { targetType: targetTypeOf(route), targetId: id.toLowerCase() } : {};
  // How the caller presented themselves: the credential that worked, or the header of the one that failed.
  const credential = signedIn ? (ctx.state.authMethod ?? null) : ctx.get('x-api-key') ? 'x-api-key' : 'authorization';
  try {
    await audit(ctx, { action: 'access.denied', ...target, detail: { method: ctx.method, route, status, code, credential } });
  } catch (err) {
    // The answer stands; a trail that cannot be written is an operator's problem, logged as such.
    logger.error({ requestId: ctx.state.requestId, err: (err as Error).message }, 'could not audit a denied access');
  }
}
