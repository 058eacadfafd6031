/**
 * The OpenAPI 3.1 document of the whole HTTP API, served at `GET /openapi.json`.
 *
 * Schemas are written with zod 4 and turned into JSON Schema 2020-12 (the dialect of OpenAPI 3.1) with
 * `z.toJSONSchema`; the job shapes are the very zod schemas the job routes use. The extraction result
 * reuses the pipeline's own JSON Schema (core/contract/extraction.ts). Every error answer has the one
 * error shape `{error: {code, message}}`.
 *
 * Keep this in step with the routes: test/api-jobs.test.ts compares it with the routes the app registers.
 */
import { z } from 'zod';
import { DOCUMENT_TYPES, EXTRACTION_JSON_SCHEMA } from '../core/contract/extraction.js';
import {
  CancelResultSchema,
  JOB_STATUSES,
  JobListQuerySchema,
  JobListSchema,
  JobViewSchema,
  MAX_FILES_PER_UPLOAD,
  MAX_REQUEST_FACTOR,
  UploadResultSchema,
  XLSX_TYPE,
} from './routes/jobs.js';
import { CombinedDownloadRequestSchema, PageViewSchema } from './routes/results-shapes.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// Schemas

const ErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('stable, machine-readable code, e.g. NotFound, TooLarge, NotAPdf, Unauthorized'),
    message: z.string().describe('what went wrong, in words a person can act on'),
  }),
});

const RoleSchema = z.enum(['admin', 'user']);
const UserSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  role: RoleSchema,
  disabled: z.boolean().optional(),
  createdAt: z.iso.datetime().optional(),
});
const LoginRequestSchema = z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) });
const LoginResponseSchema = z.object({
  token: z.string().describe('JWT (HS256), valid 8 hours; send as `Authorization: Bearer <token>`'),
  expiresAt: z.iso.datetime(),
  user: UserSchema,
});
const PasswordChangeSchema = z.strictObject({
  currentPassword: z.string().min(1),
  newPassword: z.string().min(12).describe('12 characters to 72 bytes, different from the current one'),
});
const UserCreateSchema = z.strictObject({
  username: z.string().regex(/^[\w.@-]{3,64}$/),
  password: z.string().min(12).describe('12 characters to 72 bytes'),
  role: RoleSchema.default('user'),
});
const UserUpdateSchema = z.strictObject({
  role: RoleSchema.optional(),
  disabled: z.boolean().optional().describe("disabling revokes the user's sessions"),
  password: z.string().min(12).optional().describe('a new password (reset by an administrator)'),
});
const UserListSchema = z.object({ users: z.array(UserSchema) });
const ApiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('the first characters of the key, to recognise it'),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});
const ApiKeyCreateSchema = z.strictObject({ name: z.string().min(1).max(100) });
const ApiKeyCreatedSchema = ApiKeySchema.omit({ lastUsedAt: true }).extend({
  key: z.string().describe('the key itself, shown only in this answer; send it as `X-API-Key`'),
});
const ApiKeyListSchema = z.object({ apiKeys: z.array(ApiKeySchema) });
const HealthSchema = z.object({ status: z.literal('ok') });
const CheckSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const ReadinessSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ postgres: CheckSchema, temporal: CheckSchema }),
});

const registry = z.registry<{ id: string }>();
const named: Array<[z.ZodType, string]> = [
  [ErrorSchema, 'Error'],
  [UserSchema, 'User'],
  [LoginRequestSchema, 'LoginRequest'],
  [LoginResponseSchema, 'LoginResponse'],
  [PasswordChangeSchema, 'PasswordChange'],
  [UserCreateSchema, 'UserCreate'],
  [UserUpdateSchema, 'UserUpdate'],
  [UserListSchema, 'UserList'],
  [ApiKeySchema, 'ApiKey'],
  [ApiKeyCreateSchema, 'ApiKeyCreate'],
  [ApiKeyCreatedSchema, 'ApiKeyCreated'],
  [ApiKeyListSchema, 'ApiKeyList'],
  [JobViewSchema, 'Job'],
  [JobListSchema, 'JobList'],
  [UploadResultSchema, 'UploadResult'],
  [CancelResultSchema, 'CancelResult'],
  [PageViewSchema, 'PageView'],
  [CombinedDownloadRequestSchema, 'CombinedDownloadRequest'],
  [HealthSchema, 'Health'],
  [ReadinessSchema, 'Readiness'],
];
for (const [schema, id] of named) registry.add(schema, { id });

/** zod → JSON Schema 2020-12 components; formats kept, zod's long validation regexes for them dropped. */
function zodComponents(): Record<string, Json> {
  const out = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    override: (ctx) => {
      const s = ctx.jsonSchema as Json;
      if (typeof s.format === 'string' && typeof s.pattern === 'string') delete s.pattern;
    },
  }) as { schemas: Record<string, Json> };
  for (const s of Object.values(out.schemas)) {
    delete s.$schema;
    delete s.$id;
  }
  return out.schemas;
}

/** The pipeline's extraction schema, plus the metadata of the JSON download and the `evidence.found` flag. */
function extractionResultSchema(): Json {
  const addFound = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(addFound);
    if (!node || typeof node !== 'object') return node;
    const o: Json = {};
    for (const [k, v] of Object.entries(node)) o[k] = addFound(v);
    const props = o.properties as Json | undefined;
    if (props && 'page' in props && 'quote' in props) {
      o.properties = { ...props, found: { type: 'boolean', description: 'the quote was found on the cited page (set by verification)' } };
    }
    return o;
  };
  const base = addFound(structuredClone(EXTRACTION_JSON_SCHEMA)) as Json;
  const sections = base.properties as Json;
  return {
    type: 'object',
    description: `Extraction schema v1 with evidence for every value. Document types: ${DOCUMENT_TYPES.join(', ')}.`,
    required: ['schema_version', 'job_id', 'filename', 'page_count', 'page_sources', 'provider', 'model', 'extracted_at', ...(base.required as string[])],
    properties: {
      schema_version: { type: 'string', const: 'v1' },
      job_id: { type: 'string', format: 'uuid' },
      filename: { type: 'string' },
      page_count: { type: 'integer', minimum: 0 },
      page_sources: {
        type: ['array', 'null'],
        items: {
          type: 'object',
          required: ['page', 'source', 'ocr_confidence'],
          properties: {
            page: { type: 'integer', minimum: 1 },
            source: { type: 'string', enum: ['text_layer', 'ocr'] },
            ocr_confidence: { type: ['number', 'null'] },
          },
        },
      },
      provider: { type: 'string', enum: ['openai', 'offline'] },
      model: { type: ['string', 'null'] },
      extracted_at: { type: ['string', 'null'], format: 'date-time' },
      ...sections,
    },
  };
}

/** Query parameters of `GET /jobs`, from the route's own zod schema. */
function jobListParameters(): Json[] {
  const s = z.toJSONSchema(JobListQuerySchema, { target: 'draft-2020-12', io: 'input' }) as Json;
  const props = s.properties as Record<string, Json>;
  return Object.entries(props).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

// ---------------------------------------------------------------------------------------------------
// Building blocks

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const jsonBody = (id: string, description?: string) => ({ ...(description ? { description } : {}), required: true, content: { 'application/json': { schema: ref(id) } } });
const ok = (description: string, schema: Json) => ({ description, content: { 'application/json': { schema } } });
const err = (name: string) => ({ $ref: `#/components/responses/${name}` });
const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, description: `the ${what}'s id`, schema: { type: 'string', format: 'uuid' } });
const PUBLIC: Json[] = [];
const pageParam = { name: 'page', in: 'path', required: true, description: 'page number, from 1', schema: { type: 'integer', minimum: 1 } };
const XLSX_RESPONSE = {
  description: 'the workbook',
  headers: {
    'Content-Disposition': {
      description: "`attachment; filename=\"<name>.xlsx\"; filename*=UTF-8''<name>.xlsx`",
      schema: { type: 'string' },
    },
  },
  content: { [XLSX_TYPE]: { schema: { type: 'string', contentMediaType: XLSX_TYPE } } },
};

const errorResponse = (description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: ref('Error') } },
});

// ---------------------------------------------------------------------------------------------------
// The document

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'MedExtract API',
      version: '0.1.0',
      summary: 'Medical PDFs in, structured data and Excel workbooks out — one durable workflow per document.',
      description:
        'Log in (`POST /login`) for an 8-hour bearer token, or create an API key (`POST /me/api-keys`) for scripts. ' +
        'Upload PDFs (`POST /upload`), follow their jobs (`GET /status/{id}`, `GET /jobs`), and fetch the results ' +
        '(`GET /download/{id}` for the workbook, `GET /jobs/{id}/result` for the JSON with evidence). ' +
        "Users see only their own jobs; any other job id answers 404. Every error has the shape `{\"error\": {\"code\", \"message\"}}`.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'this server' }],
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    tags: [
      { name: 'auth', description: 'sessions and the signed-in user' },
      { name: 'users', description: 'user administration (admin)' },
      { name: 'api-keys', description: 'personal API keys for scripts' },
      { name: 'jobs', description: 'upload, follow, download, cancel and delete' },
      { name: 'system', description: 'health, readiness, metrics and this document' },
    ],
    paths: {
      '/login': {
        post: {
          tags: ['auth'],
          operationId: 'login',
          summary: 'Log in with a username and password',
          description:
            'Returns a session token valid 8 hours. A wrong username or password gets the same 401. After 10 failures for an account within 15 minutes, further attempts are refused for a while with 429 and `Retry-After`.',
          security: PUBLIC,
          requestBody: jsonBody('LoginRequest'),
          responses: {
            '200': ok('signed in', ref('LoginResponse')),
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '429': err('TooManyRequests'),
          },
        },
      },
      '/logout': {
        post: {
          tags: ['auth'],
          operationId: 'logout',
          summary: 'End the current session',
          description: 'The token is revoked at once, for every API process.',
          responses: { '204': { description: 'signed out' }, '400': err('BadRequest'), '401': err('Unauthorized') },
        },
      },
      '/me': {
        get: {
          tags: ['auth'],
          operationId: 'getMe',
          summary: 'The signed-in user',
          responses: { '200': ok('the user', ref('User')), '401': err('Unauthorized') },
        },
      },
      '/me/password': {
        post: {
          tags: ['auth'],
          operationId: 'changePassword',
          summary: 'Change your password',
          description: "Revokes the user's other sessions.",
          requestBody: jsonBody('PasswordChange'),
          responses: {
            '204': { description: 'password changed' },
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '403': errorResponse('the current password is not correct (code WrongPassword)'),
            '429': err('TooManyRequests'),
          },
        },
      },
      '/users': {
        get: {
          tags: ['users'],
          operationId: 'listUsers',
          summary: 'List users (admin)',
          responses: { '200': ok('all users', ref('UserList')), '401': err('Unauthorized'), '403': err('Forbidden') },
        },
        post: {
          tags: ['users'],
          operationId: 'createUser',
          summary: 'Create a user (admin)',
          requestBody: jsonBody('UserCreate'),
          responses: {
            '201': ok('the new user', ref('User')),
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '403': err('Forbidden'),
            '409': err('Conflict'),
          },
        },
      },
      '/users/{id}': {
        patch: {
          tags: ['users'],
          operationId: 'updateUser',
          summary: 'Change a user (admin): role, disable, reset password',
          description: "Disabling a user or resetting their password revokes the user's sessions.",
          parameters: [idParam('user')],
          requestBody: jsonBody('UserUpdate'),
          responses: {
            '200': ok('the updated user', ref('User')),
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '403': err('Forbidden'),
            '404': err('NotFound'),
          },
        },
      },
      '/me/api-keys': {
        post: {
          tags: ['api-keys'],
          operationId: 'createApiKey',
          summary: 'Create an API key',
          description: 'The key is shown once, in this answer; only a hash is kept. It acts as its owner.',
          requestBody: jsonBody('ApiKeyCreate'),
          responses: { '201': ok('the new key', ref('ApiKeyCreated')), '400': err('BadRequest'), '401': err('Unauthorized') },
        },
        get: {
          tags: ['api-keys'],
          operationId: 'listApiKeys',
          summary: 'Your API keys (without the keys themselves)',
          responses: { '200': ok('your keys', ref('ApiKeyList')), '401': err('Unauthorized') },
        },
      },
      '/me/api-keys/{id}': {
        delete: {
          tags: ['api-keys'],
          operationId: 'revokeApiKey',
          summary: 'Revoke an API key',
          parameters: [idParam('API key')],
          responses: { '204': { description: 'revoked' }, '401': err('Unauthorized'), '404': err('NotFound') },
        },
      },
      '/upload': {
        post: {
          tags: ['jobs'],
          operationId: 'upload',
          summary: 'Upload one or more PDFs',
          description:
            `Multipart form with the PDFs in the field \`files\` (at most ${MAX_FILES_PER_UPLOAD} per request). Each file may be up to MAX_UPLOAD_MB ` +
            `(default 50 MB), a request up to ${MAX_REQUEST_FACTOR} × MAX_UPLOAD_MB; limits are enforced while the body streams in. ` +
            'Every file must start with the `%PDF-` signature. If any file breaks a rule, nothing of the request is stored. ' +
            'Each PDF becomes a job (one workflow). The same file uploaded again by the same owner returns the existing job with ' +
            '`duplicate: true`, unless that job was deleted or cancelled. A file that looks like a PDF but cannot be read is accepted; ' +
            'its job ends `failed` with a typed error (InvalidPdf, PasswordRequired, EmptyPdf, TooManyPages, ImageTooLarge, ...).',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['files'],
                  properties: {
                    files: { type: 'array', minItems: 1, maxItems: MAX_FILES_PER_UPLOAD, items: { type: 'string', contentMediaType: 'application/pdf' } },
                  },
                },
                encoding: { files: { contentType: 'application/pdf' } },
              },
            },
          },
          responses: {
            '202': ok('one job per file, queued (or the existing job for a duplicate)', ref('UploadResult')),
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '413': err('TooLarge'),
            '415': err('UnsupportedMediaType'),
            '503': err('ServiceUnavailable'),
          },
        },
      },
      '/status/{id}': {
        get: {
          tags: ['jobs'],
          operationId: 'getJobStatus',
          summary: "A job's status, stage and progress",
          parameters: [idParam('job')],
          responses: { '200': ok('the job', ref('Job')), '401': err('Unauthorized'), '404': err('NotFound') },
        },
      },
      '/jobs': {
        get: {
          tags: ['jobs'],
          operationId: 'listJobs',
          summary: 'Your jobs, newest first (admin: everyone’s)',
          description: `Keyset pagination: pass \`nextCursor\` as \`cursor\` for the next page. Statuses: ${JOB_STATUSES.join(', ')}.`,
          parameters: jobListParameters(),
          responses: {
            '200': ok('a page of jobs', ref('JobList')),
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '403': err('Forbidden'),
          },
        },
      },
      '/jobs/{id}': {
        delete: {
          tags: ['jobs'],
          operationId: 'deleteJob',
          summary: 'Cancel a running job, or delete a finished one with all its data',
          description:
            'A queued or processing job: its workflow is cancelled and the answer is 202 with `status: "cancelling"` ' +
            '(`"cancelled"` when no workflow was running); the job becomes `cancelled` shortly — poll `GET /status/{id}`. ' +
            'A completed, failed or cancelled job: the document, its pages, extraction and workbook are deleted (204).',
          parameters: [idParam('job')],
          responses: {
            '202': ok('cancellation requested', ref('CancelResult')),
            '204': { description: 'deleted' },
            '401': err('Unauthorized'),
            '404': err('NotFound'),
            '409': errorResponse('the job finished by itself before it could be cancelled (code AlreadyFinished); delete it again to remove it'),
          },
        },
      },
      '/jobs/{id}/result': {
        get: {
          tags: ['jobs'],
          operationId: 'getJobResult',
          summary: 'The extraction as JSON, every value with its page and quote',
          parameters: [idParam('job')],
          responses: {
            '200': ok('the extraction', { $ref: '#/components/schemas/ExtractionResult' }),
            '401': err('Unauthorized'),
            '404': err('NotFound'),
            '409': err('NotReady'),
          },
        },
      },
      '/download/{id}': {
        get: {
          tags: ['jobs'],
          operationId: 'downloadWorkbook',
          summary: "The job's Excel workbook",
          parameters: [idParam('job')],
          responses: {
            '200': XLSX_RESPONSE,
            '401': err('Unauthorized'),
            '404': err('NotFound'),
            '409': err('NotReady'),
          },
        },
      },
      '/jobs/{id}/pages/{page}': {
        get: {
          tags: ['jobs'],
          operationId: 'getJobPage',
          summary: 'A page of a completed job: where each quoted value sits on it',
          description:
            'For every quote the extraction cites on this page, the boxes of the words that spell it (fractions of the page, origin top left), ' +
            'from the OCR word boxes or the text layer. Pair it with `GET /jobs/{id}/pages/{page}/image`.',
          parameters: [idParam('job'), pageParam],
          responses: { '200': ok('the page', ref('PageView')), '401': err('Unauthorized'), '404': err('NotFound'), '409': err('NotReady') },
        },
      },
      '/jobs/{id}/pages/{page}/image': {
        get: {
          tags: ['jobs'],
          operationId: 'getJobPageImage',
          summary: 'A page of a completed job as a PNG at screen resolution (100 dpi)',
          parameters: [idParam('job'), pageParam],
          responses: {
            '200': { description: 'the page image', content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } },
            '401': err('Unauthorized'),
            '404': err('NotFound'),
            '409': err('NotReady'),
          },
        },
      },
      '/download/combined': {
        post: {
          tags: ['jobs'],
          operationId: 'downloadCombinedWorkbook',
          summary: 'Several completed jobs as one workbook',
          description: 'One Summary row per document; the section sheets stack every document\'s rows behind a Document column.',
          requestBody: jsonBody('CombinedDownloadRequest'),
          responses: {
            '200': XLSX_RESPONSE,
            '400': err('BadRequest'),
            '401': err('Unauthorized'),
            '404': err('NotFound'),
            '409': err('NotReady'),
            '415': err('UnsupportedMediaType'),
          },
        },
      },
      '/healthz': {
        get: {
          tags: ['system'],
          operationId: 'health',
          summary: 'The process is up',
          security: PUBLIC,
          responses: { '200': ok('up', ref('Health')) },
        },
      },
      '/readyz': {
        get: {
          tags: ['system'],
          operationId: 'readiness',
          summary: 'Postgres and Temporal are reachable',
          security: PUBLIC,
          responses: {
            '200': ok('ready', ref('Readiness')),
            '503': ok('not ready: the failing dependency is named', ref('Readiness')),
          },
        },
      },
      '/openapi.json': {
        get: {
          tags: ['system'],
          operationId: 'openapi',
          summary: 'This document',
          security: PUBLIC,
          responses: { '200': ok('OpenAPI 3.1', { type: 'object' }) },
        },
      },
      '/metrics': {
        get: {
          tags: ['system'],
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          description: 'Process metrics, HTTP requests by route and status, jobs by status, pages by source. An API key may also be sent as a bearer token.',
          responses: {
            '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
            '401': err('Unauthorized'),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a session token from POST /login (or an API key)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'a personal API key from POST /me/api-keys' },
      },
      schemas: { ...zodComponents(), ExtractionResult: extractionResultSchema() },
      responses: {
        BadRequest: errorResponse('the request is not valid (the message says which part)'),
        Unauthorized: errorResponse('no credentials, or a bad, expired or revoked token or key', {
          'WWW-Authenticate': { schema: { type: 'string' } },
        }),
        Forbidden: errorResponse('needs an administrator'),
        NotFound: errorResponse('no such resource, or not yours'),
        Conflict: errorResponse('conflicts with the current state (e.g. the username is taken)'),
        NotReady: errorResponse('the job has not completed (code NotReady)'),
        TooLarge: errorResponse('a file or the request is over the size limit, or too many files (codes TooLarge, TooManyFiles); nothing was stored'),
        UnsupportedMediaType: errorResponse('not multipart/form-data, or a file is not a PDF (code NotAPdf); nothing was stored'),
        TooManyRequests: errorResponse('too many failed logins: wait for Retry-After seconds', {
          'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait' },
        }),
        ServiceUnavailable: errorResponse('a backing service is unreachable; try again'),
      },
    },
  };
}
