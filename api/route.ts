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
import type { ApiScope } from './contract/api-keys.js';
import { requireScope, type RequiredScope } from './auth/middleware.js';
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

export interface RouteSpec<
  P extends ObjectSchema | undefined,
  Q extends ObjectSchema | undefined,
  B extends z.ZodType | undefined,
  H extends ObjectSchema | undefined = undefined,
> {
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
  /** The body's media type when it is not plain JSON (e.g. `application/json-patch+json`); another is refused with 415. */
  bodyType?: 'application/json-patch+json';
  /** Request headers the handler reads (names in lower case), checked like the query. */
  headers?: H;
  /** A body the handler reads itself (a streamed upload): documented, not parsed here. */
  streamedBody?: ZodRequestBody;
  /**
   * What an API key needs to call this protected route: a scope, or 'session' (keys may never call it).
   * Sessions are not limited by scopes. When absent it is derived from the route (`scopeOf`).
   */
  scope?: ApiScope | 'session';
  /** Checks that come before any input is read (e.g. requireAdmin); they run after the scope check. */
  before?: Middleware[];
  answers: Record<number, Answer>;
  /** Error answers besides the ones every route of its kind has (400 for input, 401 behind sign-in, 415 for JSON). */
  errors?: Record<number, ErrorAnswer>;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
export interface RouteInput<P, Q, B, H = undefined> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  headers: Parsed<H>;
}

const declared: RouteConfig[] = [];

/**
 * The scope an API key needs for a protected route that names none, so that no route is left open to
 * every key by forgetting to name one:
 * - tag `jobs`: reading (GET, and POST /download/… which only packs existing results) → `jobs:read`,
 *   any other change (upload, cancel, delete) → `jobs:write`;
 * - `GET /metrics` → `metrics`;
 * - tag `auth`: `GET /me` and `POST /logout` concern only the caller → any valid key; everything else
 *   (password, second factor) → a session;
 * - tags `users`, `api-keys`, `audit`, and any route not listed above → a session. A key can never
 *   administer users, change a password, mint keys or read the audit trail.
 */
export function scopeOf(spec: { method: Method; path: string; tag: ApiTag; scope?: ApiScope | 'session' }): RequiredScope {
  if (spec.scope) return spec.scope;
  if (spec.tag === 'jobs') return spec.method === 'get' || spec.path.startsWith('/download/') ? 'jobs:read' : 'jobs:write';
  if (spec.tag === 'system' && spec.method === 'get' && spec.path === '/metrics') return 'metrics';
  if (spec.tag === 'auth' && ((spec.method === 'get' && spec.path === '/me') || (spec.method === 'post' && spec.path === '/logout'))) return 'any-key';
  return 'session';
}

const SCOPE_TEXT: Record<RequiredScope, string> = {
  'jobs:read': 'API keys need the scope `jobs:read`.',
  'jobs:write': 'API keys need the scope `jobs:write`.',
  review: 'API keys need the scope `review`.',
  metrics: 'API keys need the scope `metrics`.',
  'any-key': 'Any valid API key may call this.',
  session: 'Needs a signed-in session: API keys are refused (403 SessionRequired).',
};

/** Every route declared so far, as zod-to-openapi path registrations. */
export function declaredRoutes(): readonly RouteConfig[] {
  return declared;
}

export class RouteGroup {
  readonly router = new Router<AppState, AppContextExtras>();

  /** `public` routes need no credentials; the others are mounted behind `authenticate` (api/app.ts). */
  constructor(readonly access: 'public' | 'signed-in') {}

  route<
    P extends ObjectSchema | undefined = undefined,
    Q extends ObjectSchema | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    H extends ObjectSchema | undefined = undefined,
  >(spec: RouteSpec<P, Q, B, H>, handler: (ctx: AppContext, input: RouteInput<P, Q, B, H>) => unknown): this {
    const inPath = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1]).sort();
    const inSchema = Object.keys(spec.params?.shape ?? {}).sort();
    if (inPath.join() !== inSchema.join())
      throw new Error(`${spec.method} ${spec.path}: its params schema must name exactly its path parameters (${inPath.join(', ')})`);
    const middleware: Middleware[] = [];
    if (this.access !== 'public') middleware.push(requireScope(scopeOf(spec), `${spec.method.toUpperCase()} ${spec.path}`));
    middleware.push(...(spec.before ?? []));
    if (spec.body) middleware.push(jsonBody(spec.bodyType ?? 'application/json'));
    middleware.push(async (ctx) => {
      const input = {
        params: spec.params ? parsePath(spec.params, (ctx as { params?: Record<string, string> }).params ?? {}) : undefined,
        query: spec.query ? parseInput(spec.query, ctx.query) : undefined,
        body: spec.body ? parseInput(spec.body, ctx.request.body ?? {}) : undefined,
        headers: spec.headers ? parseInput(spec.headers, ctx.headers) : undefined,
      } as RouteInput<P, Q, B, H>;
      await handler(ctx, input);
    });
    (this.router[spec.method] as (path: string, ...mw: Middleware[]) => unknown).call(this.router, spec.path, ...middleware);
    declared.push(this.describe(spec));
    return this;
  }

  private describe(spec: RouteSpec<ObjectSchema | undefined, ObjectSchema | undefined, z.ZodType | undefined, ObjectSchema | undefined>): RouteConfig {
    const errors: Record<number, ErrorAnswer> = {};
    if (spec.query || spec.body) errors[400] = 'the request is not valid (the message says which part)';
    if (this.access !== 'public') {
      errors[401] = { description: 'no credentials, or a bad, expired or revoked token or key', headers: { 'WWW-Authenticate': 'Bearer' } };
    }
    if (spec.body) errors[415] = `the body is not ${spec.bodyType ?? 'application/json'}`;
    const scope = this.access === 'public' ? undefined : scopeOf(spec);
    if (scope === 'session') errors[403] = 'sent with an API key instead of a session token (code SessionRequired)';
    else if (scope && scope !== 'any-key') errors[403] = `the API key lacks the scope ${scope} (code ScopeRequired)`;
    // A route's own 403 (e.g. needs an administrator) names its cases; the key's is added to it.
    const own403 = spec.errors?.[403];
    Object.assign(errors, spec.errors);
    if (own403 !== undefined && scope && scope !== 'any-key') {
      const text = typeof own403 === 'string' ? own403 : own403.description;
      const keyCase = scope === 'session' ? 'SessionRequired' : 'ScopeRequired';
      if (!text.includes(keyCase)) {
        const description = `${text}; or ${scope === 'session' ? 'sent with an API key (code SessionRequired)' : `the API key lacks the scope ${scope} (code ScopeRequired)`}`;
        errors[403] = typeof own403 === 'string' ? description : { ...own403, description };
      }
    }

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

    const body: ZodRequestBody | undefined = spec.body
      ? { required: true, content: { [spec.bodyType ?? 'application/json']: { schema: spec.body } } }
      : spec.streamedBody;
    return {
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description || scope ? { description: [spec.description, scope && SCOPE_TEXT[scope]].filter(Boolean).join('\n\n') } : {}),
      ...(scope ? { 'x-required-scope': scope } : {}),
      tags: [spec.tag],
      ...(this.access === 'public' ? { security: [] } : {}),
      request: { params: spec.params, query: spec.query, ...(spec.headers ? { headers: spec.headers } : {}), ...(body ? { body } : {}) },
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
const jsonBody =
  (type: 'application/json' | 'application/json-patch+json'): Middleware =>
  async (ctx, next) => {
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    const fits = type === 'application/json' ? ctx.is('application/json', '+json') : ctx.is(type);
    if (hasBody && !fits) throw new ApiError(415, 'UnsupportedMediaType', `send the request body as ${type}`);
    await parseJson(ctx as unknown as Koa.Context, next);
  };
