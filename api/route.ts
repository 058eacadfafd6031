/**
 * Every HTTP route is declared once, here-shaped: method, path, the zod schemas of its input and its
 * answers, and the handler. `RouteGroup.route` mounts it on a @koa/router router with its input
 * checked before the handler runs — a malformed path parameter answers 404 (it names nothing), a bad
 * query or body 400 `InvalidRequest` — hands the handler the parsed, typed input, and records the
 * declaration, from which api/openapi.ts generates the OpenAPI document.
 */
import type Koa from 'koa';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { z } from 'zod';
import type { RouteConfig, ZodMediaTypeObject, ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import type { AppContext, AppContextExtras, AppState } from './context.js';
import { ErrorSchema } from './contract/common.js';
import { ApiError, invalidRequest } from './errors.js';

export type ApiTag = 'auth' | 'users' | 'api-keys' | 'jobs' | 'system' | 'audit';
type Method = 'get' | 'post' | 'patch' | 'delete';
type Middleware = Koa.Middleware<AppState, AppContextExtras>;
type ObjectSchema = z.ZodObject;

/** One answer of a route: JSON of a schema, another media type (binary unless `schema` says otherwise), or nothing (204). */
export interface Answer {
  description: string;
  headers?: Record<string, string>;
  json?: z.ZodType;
  media?: string;
  schema?: z.ZodType | ZodMediaTypeObject['schema'];
}

/** An error answer: its description (name the codes), optionally the headers it carries. */
export type ErrorAnswer = string | { description: string; headers: Record<string, string> };

export interface RouteSpec<P extends ObjectSchema | undefined, Q extends ObjectSchema | undefined, B extends z.ZodType | undefined> {
  method: Method;
  /** @koa/router pattern, e.g. `/jobs/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: ApiTag;
  params?: P;
  query?: Q;
  /** A JSON body (parsed here; any other content type is refused with 415). */
  body?: B;
  /** A body the handler reads itself (a streamed upload): documented, not parsed here. */
  streamedBody?: ZodRequestBody;
  /** Checks that come before any input is read (e.g. requireAdmin). */
  before?: Middleware[];
  answers: Record<number, Answer>;
  /** Error answers besides the ones every route of its kind has (400 for input, 401 behind sign-in, 415 for JSON). */
  errors?: Record<number, ErrorAnswer>;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

const declared: RouteConfig[] = [];

/** Every route declared so far, as zod-to-openapi path registrations. */
export function declaredRoutes(): readonly RouteConfig[] {
  return declared;
}

export class RouteGroup {
  readonly router = new Router<AppState, AppContextExtras>();

  /** `public` routes need no credentials; the others are mounted behind `authenticate` (api/app.ts). */
  constructor(readonly access: 'public' | 'signed-in') {}

  route<P extends ObjectSchema | undefined = undefined, Q extends ObjectSchema | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
    handler: (ctx: AppContext, input: RouteInput<P, Q, B>) => unknown,
  ): this {
    const inPath = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1]).sort();
    const inSchema = Object.keys(spec.params?.shape ?? {}).sort();
    if (inPath.join() !== inSchema.join())
      throw new Error(`${spec.method} ${spec.path}: its params schema must name exactly its path parameters (${inPath.join(', ')})`);
    const middleware: Middleware[] = [...(spec.before ?? [])];
    if (spec.body) middleware.push(jsonBody);
    middleware.push(async (ctx) => {
      const input = {
        params: spec.params ? parsePath(spec.params, (ctx as { params?: Record<string, string> }).params ?? {}) : undefined,
        query: spec.query ? parseInput(spec.query, ctx.query) : undefined,
        body: spec.body ? parseInput(spec.body, ctx.request.body ?? {}) : undefined,
      } as RouteInput<P, Q, B>;
      await handler(ctx, input);
    });
    (this.router[spec.method] as (path: string, ...mw: Middleware[]) => unknown).call(this.router, spec.path, ...middleware);
    declared.push(this.describe(spec));
    return this;
  }

  private describe(spec: RouteSpec<ObjectSchema | undefined, ObjectSchema | undefined, z.ZodType | undefined>): RouteConfig {
    const errors: Record<number, ErrorAnswer> = {};
    if (spec.query || spec.body) errors[400] = 'the request is not valid (the message says which part)';
    if (this.access !== 'public') {
      errors[401] = { description: 'no credentials, or a bad, expired or revoked token or key', headers: { 'WWW-Authenticate': 'Bearer' } };
    }
    if (spec.body) errors[415] = 'the body is not application/json';
    Object.assign(errors, spec.errors);

    const responses: RouteConfig['responses'] = {};
    for (const [status, a] of Object.entries(spec.answers)) {
      const content = a.json
        ? { 'application/json': { schema: a.json } }
        : a.media
          ? { [a.media]: { schema: a.schema ?? { type: 'string' as const, contentMediaType: a.media } } }
          : undefined;
      responses[status] = { description: a.description, ...headers(a.headers), ...(content ? { content } : {}) };
    }
    for (const [status, e] of Object.entries(errors)) {
      const { description, headers: h } = typeof e === 'string' ? { description: e, headers: undefined } : e;
      responses[status] = { description, ...headers(h), content: { 'application/json': { schema: ErrorSchema } } };
    }

    const body: ZodRequestBody | undefined = spec.body ? { required: true, content: { 'application/json': { schema: spec.body } } } : spec.streamedBody;
    return {
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      ...(this.access === 'public' ? { security: [] } : {}),
      request: { params: spec.params, query: spec.query, ...(body ? { body } : {}) },
      responses,
    };
  }
}

function headers(h: Record<string, string> | undefined) {
  if (!h) return {};
  return { headers: Object.fromEntries(Object.entries(h).map(([name, description]) => [name, { description, schema: { type: 'string' as const } }])) };
}

/** A path parameter that does not fit names no resource: 404 with the schema's own message. */
function parsePath(schema: ObjectSchema, params: unknown): unknown {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  throw new ApiError(404, 'NotFound', r.error.issues[0]?.message ?? 'the resource was not found');
}

/**
 * C0 control characters (but tab, line feed, carriage return) and DEL mean nothing in any field of
 * this API, and a NUL cannot even be stored in Postgres text: refused before validation, with the path.
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/; // eslint-disable-line no-control-regex -- what it finds

function controlCharacterAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return CONTROL_CHARACTER.test(value) ? path : undefined;
  if (Array.isArray(value)) return value.map((v, i) => controlCharacterAt(v, `${path}.${i}`)).find((p) => p !== undefined);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = controlCharacterAt(k, path) ?? controlCharacterAt(v, path ? `${path}.${k}` : k);
      if (at !== undefined) return at;
    }
  }
  return undefined;
}

function parseInput(schema: z.ZodType, value: unknown): unknown {
  const at = controlCharacterAt(value, '');
  if (at !== undefined) throw new ApiError(400, 'InvalidRequest', `${at || 'body'}: control characters (such as NUL) are not allowed`);
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw invalidRequest(r.error.issues);
}

/**
 * JSON request bodies: parsed by koa-body (JSON only, small limit); a body of another type is refused
 * with 415 instead of being silently ignored.
 */
const parseJson = koaBody({ json: true, urlencoded: false, text: false, multipart: false, jsonLimit: '64kb', jsonStrict: true });
const jsonBody: Middleware = async (ctx, next) => {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  if (hasBody && !ctx.is('application/json', '+json')) throw new ApiError(415, 'UnsupportedMediaType', 'send the request body as application/json');
  await parseJson(ctx as unknown as Koa.Context, next);
};
