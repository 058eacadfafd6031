/**
 * The one place that reads the environment. Every value is validated once at start-up; a bad value
 * stops the process with one clear line per problem instead of failing later in a confusing way.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { REVIEW_POLICIES, type ReviewPolicy } from './contract/jobs.js';
import { LOG_LEVELS, setLogLevel, type LogLevel } from './logger.js';

const int = (name: string, def: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max} (got "${v}")` });
        return z.NEVER;
      }
      return n;
    });

const optionalUrl = (name: string, protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (!v) return undefined;
      try {
        const u = new URL(v);
        if (!protocols.includes(u.protocol)) throw new Error('protocol');
        return v;
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be a ${protocols.join(' or ')} URL (got "${redact(v)}")` });
        return z.NEVER;
      }
    });

/** Never echo credentials embedded in a URL back into logs. */
function redact(v: string): string {
  return v.replace(/\/\/[^@/]*@/, '//***@');
}

/** The values of LLM_RESPONSE_FORMAT (the same as the provider's RESPONSE_FORMATS). */
export const LLM_RESPONSE_FORMATS = ['json_schema', 'json_object', 'none'] as const;
export type LlmResponseFormat = (typeof LLM_RESPONSE_FORMATS)[number];

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:']),
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .optional()
    .refine((v) => !v || /^[\w.-]+:\d+$/.test(v), { message: 'TEMPORAL_ADDRESS must look like host:port (e.g. localhost:7233)' }),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  // A file name may name a patient, and Temporal's UI shows search attributes to whoever reaches it.
  TEMPORAL_FILENAME_ATTRIBUTE: z.enum(['true', 'false', '']).default(''),
  // Temporal Cloud / a TLS-protected cluster: an API key (implies TLS), or mutual TLS with a client certificate.
  TEMPORAL_API_KEY: z.string().trim().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().trim().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().trim().optional(),
  TEMPORAL_CLI: z.string().trim().optional(),
  TEMPORAL_UI_PORT: int('TEMPORAL_UI_PORT', 8233, 0, 65535), // 0: no Web UI
  DATA_DIR: z.string().trim().default('.data'),
  OPENAI_API_KEY: z.string().trim().optional(),
  OPENAI_BASE_URL: optionalUrl('OPENAI_BASE_URL', ['http:', 'https:']),
  OPENAI_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: int('OPENAI_TIMEOUT_MS', 120_000, 1_000, 600_000),
  // How the answer's JSON shape is asked for: strict JSON Schema (OpenAI), JSON mode, or the prompt alone
  // (OpenAI-compatible local servers that ignore or reject strict schemas: vLLM, llama.cpp server, Ollama).
  LLM_RESPONSE_FORMAT: z
    .string()
    .trim()
    .default('json_schema')
    .refine((v) => LLM_RESPONSE_FORMATS.includes(v as LlmResponseFormat), {
      error: (i) => `LLM_RESPONSE_FORMAT must be one of ${LLM_RESPONSE_FORMATS.join(', ')} (got "${String(i.input)}")`,
    })
    .transform((v) => v as LlmResponseFormat),
  EXTRACTION_PROVIDER: z
    .string()
    .trim()
    .optional()
    .refine((v) => !v || v === 'openai' || v === 'offline', { message: 'EXTRACTION_PROVIDER must be "openai" or "offline"' }),
  // De-identification of page text before it goes to the LLM: auto = whenever the endpoint is not on this
  // machine or a private network (library/deid).
  DEID: z.enum(['auto', 'on', 'off'], { message: 'DEID must be one of auto, on, off' }).default('auto'),
  DEID_DATES: z.enum(['shift', 'token'], { message: 'DEID_DATES must be shift or token' }).default('shift'),
  LLM_RPM: int('LLM_RPM', 450, 1, 100_000),
  LLM_CHUNK_CHARS: int('LLM_CHUNK_CHARS', 24_000, 2_000, 1_000_000),
  // Which jobs wait for a person's approval before their final export. Unset: flagged (the CLI: none,
  // it has nobody to approve).
  REVIEW_POLICY: z.enum(REVIEW_POLICIES, { message: `REVIEW_POLICY must be one of ${REVIEW_POLICIES.join(', ')}` }).optional(),
  MAX_CONCURRENT_ACTIVITIES: int('MAX_CONCURRENT_ACTIVITIES', 10, 1, 1000),
  OCR_WORKERS: int('OCR_WORKERS', Math.max(1, os.availableParallelism()), 1, 64),
  OCR_NICE: int('OCR_NICE', 10, 0, 19), // the OCR threads' priority (library/ocr/pool.ts, same default)
  MAX_UPLOAD_MB: int('MAX_UPLOAD_MB', 50, 1, 2048),
  MAX_PAGES: int('MAX_PAGES', 500, 1, 100_000),
  OCR_LANG: z
    .string()
    .trim()
    .default('eng')
    .refine((v) => /^[a-z_]{3,}(\+[a-z_]{3,})*$/.test(v), { message: 'OCR_LANG must be tesseract language codes like "eng" or "eng+deu"' }),
  PORT: int('PORT', 8000, 0, 65535), // 0: any free port (tests)
  WORKER_HTTP_PORT: int('WORKER_HTTP_PORT', 9091, 0, 65535), // 0: any free port, logged
  WORKER_HTTP_HOST: z
    .string()
    .trim()
    .default('0.0.0.0')
    .refine((v) => /^[\w.:-]+$/.test(v), { message: 'WORKER_HTTP_HOST must be an address to listen on, like 0.0.0.0 or 127.0.0.1' }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: (i) => `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${String(i.input)}")` }).default('info'),
  SHUTDOWN_GRACE_SECONDS: int('SHUTDOWN_GRACE_SECONDS', 120, 0, 3600),
  LLM_MAX_CONCURRENT: int('LLM_MAX_CONCURRENT', 32, 1, 1000),
  TASK_QUEUE_PREFIX: z
    .string()
    .trim()
    .default('')
    .refine((v) => /^[\w.-]*$/.test(v), { message: 'TASK_QUEUE_PREFIX may only hold letters, digits, ".", "-" and "_"' }),
  WORKFLOW_BUNDLE: z.string().trim().optional(),
  JWT_SECRET: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 32, { message: 'JWT_SECRET must be at least 32 characters (e.g. `openssl rand -base64 48`)' }),
  ADMIN_USERNAME: z
    .string()
    .trim()
    .optional()
    .refine((v) => !v || /^[\w.@-]{3,64}$/.test(v), { message: 'ADMIN_USERNAME must be 3-64 letters, digits or . _ @ -' }),
  ADMIN_PASSWORD: z
    .string()
    .optional()
    .refine((v) => !v || (v.length >= 12 && Buffer.byteLength(v) <= 72), { message: 'ADMIN_PASSWORD must be 12 to 72 bytes long' }),
  CORS_ORIGINS: z
    .string()
    .trim()
    .default('')
    .refine((v) => v.split(',').every((o) => !o.trim() || /^https?:\/\/[^/]+$/.test(o.trim())), {
      message: 'CORS_ORIGINS must be a comma-separated list of origins like https://app.example.org',
    }),
  TRUST_PROXY: z.enum(['true', 'false', '']).default(''),
  TEMPORAL_UI_URL: optionalUrl('TEMPORAL_UI_URL', ['http:', 'https:']),
  // Where the API listens: unset, 127.0.0.1 for the embedded `npm start`, 0.0.0.0 for a standalone API (a container).
  HOST: z
    .string()
    .trim()
    .optional()
    .refine((v) => !v || /^[\w.:-]+$/.test(v), { message: 'HOST must be an address to listen on, like 127.0.0.1 or 0.0.0.0' }),
  TLS_CERT_PATH: z.string().trim().optional(),
  TLS_KEY_PATH: z.string().trim().optional(),
  SESSION_IDLE_MINUTES: int('SESSION_IDLE_MINUTES', 30, 1, 480),
  MFA_REQUIRED_FOR_ADMINS: z.enum(['true', 'false', '']).default(''),
  API_KEY_DEFAULT_DAYS: int('API_KEY_DEFAULT_DAYS', 90, 1, 3650),
  // Document encryption keys, `id:base64-32-bytes` comma-separated; the first encrypts, all decrypt (rotation).
  DOCUMENT_KEYS: z
    .string()
    .trim()
    .optional()
    .refine((v) => !v || v.split(',').every((k) => /^[\w-]{1,32}:[A-Za-z0-9+/=_-]{43,44}$/.test(k.trim())), {
      message: 'DOCUMENT_KEYS must be a comma-separated list of id:key, each key 32 bytes in base64 (e.g. `k1:$(openssl rand -base64 32)`)',
    }),
  REQUEST_BODY_IDLE_SECONDS: int('REQUEST_BODY_IDLE_SECONDS', 30, 1, 3600),
  PAGE_RENDER_CONCURRENCY: int('PAGE_RENDER_CONCURRENCY', 2, 1, 64),
});

/**
 * What the process runs: `api` (HTTP), `worker` (Temporal workers), `all` (the embedded `npm start`),
 * `cli`. Only processes that serve HTTP need the session secret and the first admin.
 */
export type ProcessRole = 'all' | 'api' | 'worker' | 'cli';

/** Rules that tie two variables together (checked even when single values are wrong, so all problems show at once). */
function crossChecks(env: NodeJS.ProcessEnv, role: ProcessRole): string[] {
  const problems: string[] = [];
  if (env.EXTRACTION_PROVIDER?.trim() === 'openai' && !env.OPENAI_API_KEY?.trim()) problems.push('EXTRACTION_PROVIDER=openai needs OPENAI_API_KEY');
  if (!!env.TEMPORAL_TLS_CERT_PATH !== !!env.TEMPORAL_TLS_KEY_PATH)
    problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both or neither');
  for (const name of ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH'] as const) {
    const file = env[name];
    if (file && !fs.existsSync(file)) problems.push(`${name}: no file at ${file}`);
  }
  if (env.NODE_ENV === 'production' && (role === 'api' || role === 'all')) {
    if (!env.JWT_SECRET) problems.push('NODE_ENV=production needs JWT_SECRET (no generated secret is used in production)');
    if (!env.ADMIN_PASSWORD && !env.ADMIN_USERNAME) problems.push('NODE_ENV=production needs ADMIN_USERNAME and ADMIN_PASSWORD for the first admin');
  }
  if (env.NODE_ENV === 'production' && !env.DOCUMENT_KEYS)
    problems.push('NODE_ENV=production needs DOCUMENT_KEYS (the keys that encrypt documents at rest; keep them apart from the database backups)');
  if (!!env.TLS_CERT_PATH !== !!env.TLS_KEY_PATH) problems.push('TLS_CERT_PATH and TLS_KEY_PATH go together: set both or neither');
  for (const name of ['TLS_CERT_PATH', 'TLS_KEY_PATH'] as const) {
    const file = env[name];
    if (file && !fs.existsSync(file)) problems.push(`${name}: no file at ${file}`);
  }
  if (!!env.ADMIN_USERNAME !== !!env.ADMIN_PASSWORD) problems.push('ADMIN_USERNAME and ADMIN_PASSWORD go together: set both or neither');
  return problems;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  /** Unset: embedded Postgres (PGlite) under DATA_DIR. */
  databaseUrl?: string;
  /** Unset: a Temporal dev server is started as a child process. */
  temporalAddress?: string;
  temporalNamespace: string;
  /** Put the uploaded file's name into the workflow's FileName search attribute (off: it may name a patient). */
  temporalFileNameAttribute: boolean;
  /** How to reach a TLS-protected Temporal (Temporal Cloud: API key, or mTLS with a client certificate). */
  temporalConnection: { apiKey?: string; tls: boolean | { clientCertPair: { crt: Buffer; key: Buffer } } };
  temporalCli?: string;
  temporalUiPort: number;
  dataDir: string;
  extraction: {
    provider: 'openai' | 'offline';
    apiKey?: string;
    baseURL?: string;
    model: string;
    timeoutMs: number;
    /** LLM_RESPONSE_FORMAT: how the answer's shape is asked for. */
    responseFormat: LlmResponseFormat;
    /** LLM_CHUNK_CHARS: page text per model request (a small local model's context wants less). */
    chunkChars: number;
    /** DEID (auto resolved against the endpoint) and DEID_DATES: whether and how page text is de-identified before it is sent. */
    deid: { enabled: boolean; setting: 'auto' | 'on' | 'off'; dates: 'shift' | 'token' };
  };
  llmRequestsPerMinute: number;
  llmMaxConcurrent: number;
  /** REVIEW_POLICY: which completed jobs wait in their workflow for a person's approval. */
  reviewPolicy: ReviewPolicy;
  /** Prepended to the task queue names (isolates test runs and tenants sharing one namespace). */
  taskQueuePrefix: string;
  /** A pre-built workflow bundle (faster worker start); unset: bundled at start-up. */
  workflowBundle?: string;
  /** Unset outside production: generated once and kept in DATA_DIR. */
  jwtSecret?: string;
  admin?: { username: string; password: string };
  corsOrigins: string[];
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  trustProxy: boolean;
  temporalUiUrl?: string;
  maxConcurrentActivities: number;
  ocrWorkers: number;
  /** Nice value (0–19) of the OCR threads, so OCR yields the CPU to the API and bookkeeping. */
  ocrNice: number;
  maxUploadBytes: number;
  maxPages: number;
  ocrLang: string;
  port: number;
  /** A standalone worker's health and metrics endpoint (/healthz, /readyz, /metrics). */
  workerHttp: { host: string; port: number };
  logLevel: LogLevel;
  shutdownGraceSeconds: number;
  /** The API's listening address. */
  host: string;
  /** HTTPS (and HSTS) when both are set. */
  tls?: { certPath: string; keyPath: string };
  /** A session unused this long ends, besides its 8-hour absolute limit. */
  sessionIdleMinutes: number;
  /** Admins must enrol a TOTP second factor before they can work. */
  mfaRequiredForAdmins: boolean;
  /** A new API key's lifetime when its creator names none. */
  apiKeyDefaultDays: number;
  /** Document encryption keys; the first encrypts. Unset outside production: generated once and kept in DATA_DIR. */
  documentKeys?: Array<{ id: string; key: Buffer }>;
  /** A request body that sends nothing for this long is cut off (408). */
  requestBodyIdleSeconds: number;
  /** Page images rendered at once, shared fairly between users. */
  pageRenderConcurrency: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parse and validate an environment (defaults to process.env). Throws ConfigError listing every problem. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env, role: ProcessRole = 'all'): Config {
  // A variable set to an empty string counts as unset (compose and shells pass `NAME=` for "not given").
  const env: NodeJS.ProcessEnv = {};
  for (const name of Object.keys(EnvSchema.shape)) {
    const v = rawEnv[name];
    if (v !== undefined && v.trim() !== '') env[name] = v;
  }
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => (i.message.includes(String(i.path[0] ?? '')) ? i.message : `${String(i.path[0])}: ${i.message}`))),
    ...crossChecks(env, role),
  ];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const provider = (e.EXTRACTION_PROVIDER as 'openai' | 'offline' | undefined) ?? (e.OPENAI_API_KEY ? 'openai' : 'offline');
  return {
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    temporalAddress: e.TEMPORAL_ADDRESS || undefined,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    temporalFileNameAttribute: e.TEMPORAL_FILENAME_ATTRIBUTE === 'true',
    temporalConnection: {
      apiKey: e.TEMPORAL_API_KEY,
      tls:
        e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH
          ? { clientCertPair: { crt: fs.readFileSync(e.TEMPORAL_TLS_CERT_PATH), key: fs.readFileSync(e.TEMPORAL_TLS_KEY_PATH) } }
          : e.TEMPORAL_TLS === 'true' || (e.TEMPORAL_TLS !== 'false' && !!e.TEMPORAL_API_KEY),
    },
    temporalCli: e.TEMPORAL_CLI || undefined,
    temporalUiPort: e.TEMPORAL_UI_PORT,
    dataDir: path.resolve(e.DATA_DIR),
    extraction: {
      provider,
      apiKey: e.OPENAI_API_KEY || undefined,
      baseURL: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
      responseFormat: e.LLM_RESPONSE_FORMAT,
      chunkChars: e.LLM_CHUNK_CHARS,
      deid: { enabled: deidEnabled(e.DEID, e.OPENAI_BASE_URL), setting: e.DEID, dates: e.DEID_DATES },
    },
    reviewPolicy: e.REVIEW_POLICY ?? (role === 'cli' ? 'none' : 'flagged'),
    llmRequestsPerMinute: e.LLM_RPM,
    llmMaxConcurrent: e.LLM_MAX_CONCURRENT,
    taskQueuePrefix: e.TASK_QUEUE_PREFIX,
    workflowBundle: e.WORKFLOW_BUNDLE || undefined,
    jwtSecret: e.JWT_SECRET || undefined,
    admin: e.ADMIN_USERNAME && e.ADMIN_PASSWORD ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD } : undefined,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: e.TRUST_PROXY === 'true',
    temporalUiUrl: e.TEMPORAL_UI_URL,
    maxConcurrentActivities: e.MAX_CONCURRENT_ACTIVITIES,
    ocrWorkers: e.OCR_WORKERS,
    ocrNice: e.OCR_NICE,
    maxUploadBytes: e.MAX_UPLOAD_MB * 1024 * 1024,
    maxPages: e.MAX_PAGES,
    ocrLang: e.OCR_LANG,
    port: e.PORT,
    workerHttp: { host: e.WORKER_HTTP_HOST, port: e.WORKER_HTTP_PORT },
    logLevel: e.LOG_LEVEL,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    host: e.HOST || (role === 'all' ? '127.0.0.1' : '0.0.0.0'),
    tls: e.TLS_CERT_PATH && e.TLS_KEY_PATH ? { certPath: e.TLS_CERT_PATH, keyPath: e.TLS_KEY_PATH } : undefined,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    mfaRequiredForAdmins: e.MFA_REQUIRED_FOR_ADMINS === 'true',
    apiKeyDefaultDays: e.API_KEY_DEFAULT_DAYS,
    documentKeys: e.DOCUMENT_KEYS?.split(',').map((k) => {
      const [id, key] = k.trim().split(':') as [string, string];
      return { id, key: Buffer.from(key, 'base64') };
    }),
    requestBodyIdleSeconds: e.REQUEST_BODY_IDLE_SECONDS,
    pageRenderConcurrency: e.PAGE_RENDER_CONCURRENCY,
  };
}

let cached: Config | undefined;
/** The process-wide configuration (and the logger's level); exits with a clear message when the environment is wrong. */
export function config(role: ProcessRole = 'all'): Config {
  if (!cached) {
    try {
      cached = loadConfig(process.env, role);
      setLogLevel(cached.logLevel);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(78); // EX_CONFIG
      }
      throw err;
    }
  }
  return cached;
}

/** The public OpenAI API when no base URL is set. */
const DEFAULT_LLM_HOST = 'api.openai.com';

/**
 * Is the LLM endpoint outside this machine and its private network? `localhost`, loopback, RFC 1918,
 * link-local, CGNAT and IPv6 unique-local addresses are private; any other host name is taken as public
 * (a name is not resolved here: what it resolves to can change).
 */
export function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '::') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h.replace(/^::ffff:/, ''));
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 127 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a === 0
    );
  }
  return /^f[cd][0-9a-f]{2}:/.test(h) || /^fe[89ab][0-9a-f]:/.test(h);
}

function deidEnabled(setting: 'auto' | 'on' | 'off', baseURL: string | undefined): boolean {
  if (setting !== 'auto') return setting === 'on';
  return !isPrivateHost(baseURL ? new URL(baseURL).hostname : DEFAULT_LLM_HOST);
}
