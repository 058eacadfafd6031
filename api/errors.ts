/**
 * One error shape for the whole API: `{ "error": { "code", "message" } }`. Routes throw ApiError (or
 * a typed PipelineError); this middleware turns every failure into that shape. A client mistake is a
 * 4xx with a message a person understands; anything unexpected is a 500 that says nothing internal,
 * and is logged with the request id (never with document content).
 */
import type Koa from 'koa';
import { ZodError, type core } from 'zod';
import { PipelineError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import type { ErrorBody, ErrorCode } from './contract/common.js';

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
  }
};
