/**
 * The benchmarks' stack: harness/stack.ts (one Temporal dev server, one fresh migrated database, the
 * workflow code bundled once) plus the OpenAI-compatible test server, started once on first use and
 * shared by every benchmark. Worker and API processes are started as in production, each benchmark with
 * its own task-queue prefix; their logs go to files under the stack's log directory. Everything is torn
 * down by `teardown()`, which index.ts also runs on Ctrl-C, SIGTERM and failures.
 */
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { EmbeddedTemporal } from '../../app/embedded/temporal.js';
import { ProcessGroup, ROOT, until as pollUntil, type Child as HarnessChild } from '../../harness/process.js';
import { LocalStack } from '../../harness/stack.js';
import { startOpenAIServer, type OpenAIServer } from '../../test/support/openai-server.js';
import { offlineResponder } from '../../test/support/llm-responder.js';

export const CORPUS = process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus');
/** Extra node flags for worker processes, e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export const BENCH_ADMIN = { username: 'bench', password: 'Orchard-kestrel-lantern-7730' };
const JWT_SECRET = `bench-${crypto.randomBytes(24).toString('hex')}`;
export const LLM_KEY = 'bench-llm-key';

// ---------------------------------------------------------------------------------------------------
// Child processes

/** A process of the bench, its output in the file `log`. */
export type Child = HarnessChild & {
  log: string;
  /** A worker's health/metrics endpoint, or the API's base URL. */
  url?: string;
};

const processes = new ProcessGroup();
let local: LocalStack | undefined;
let tornDown = false;

const running = (): LocalStack => {
  if (tornDown || !local) throw new Error('the bench is stopping');
  return local;
};
const asBenchChild = <C extends HarnessChild>(c: C): C & Child => Object.assign(c, { log: c.logFile! });

/** Short-lived helper processes (native tesseract) that are not Child records: killed on teardown too. */
export function trackProcess<P extends ChildProcess>(p: P): P {
  return processes.track(p);
}

/** `cmd` with this process's environment plus `env`; its output goes to <log directory>/<name>.log. */
export function spawnChild(name: string, cmd: string, args: string[], env: Record<string, string | undefined>, _logDir?: string): Child {
  return asBenchChild(running().spawn(name, cmd, args, { env }));
}

export const stopChild = (c: Child, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 5_000): Promise<number> => c.stop(signal, killAfterMs);

export const tail = (c: Child, chars = 3000) => c.tail(chars);

/** Polls until `probe` returns a value; fails early if `watch` exits. */
export const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, watch: Child[] = [], everyMs = 200): Promise<T> =>
  pollUntil(what, probe, timeoutMs, { watch, everyMs });

// ---------------------------------------------------------------------------------------------------
// The shared stack

export interface Stack {
  tmp: string;
  logDir: string;
  temporal: EmbeddedTemporal;
  databaseUrl: string;
  dbName: string;
  bundlePath: string;
  /** The app database, for reading job rows. */
  pool: pg.Pool;
  /** The OpenAI-compatible test server answering with the offline rules (latency adjustable). */
  llm: OpenAIServer;
}

let starting: Promise<Stack> | undefined;

export function startStack(): Promise<Stack> {
  if (tornDown) return Promise.reject(new Error('the bench is stopping'));
  starting ??= startStackOnce();
  return starting;
}

async function startStackOnce(): Promise<Stack> {
  const s = (local = new LocalStack({ name: 'bench', migrate: true, processes }));
  const [, llm] = await Promise.all([s.start(), extraLlmServer()]);
  const pool = new pg.Pool({ connectionString: s.database.url, max: 4 });
  s.onStop(() => pool.end());
  return { tmp: s.tmp, logDir: s.logDir, temporal: s.temporal, databaseUrl: s.database.url, dbName: s.database.name, bundlePath: s.bundlePath, pool, llm };
}

/** Another OpenAI-compatible test server (e.g. with no latency), closed at teardown. */
export async function extraLlmServer(latencyMs = 0): Promise<OpenAIServer> {
  const s = await startOpenAIServer({ respond: offlineResponder, apiKey: LLM_KEY, latencyMs });
  running().onStop(() => s.close());
  return s;
}

/** Stops every worker / API / helper process still running (between benchmarks, e.g. after a failure). */
export async function stopChildren(): Promise<void> {
  await processes.stopAll(3_000);
}

/** Stops every child process, the servers, and drops the database. Safe to call more than once. */
export async function teardown(opts: { keepTmp?: boolean } = {}): Promise<void> {
  tornDown = true;
  processes.close('the bench is stopping');
  await local?.stop({ keepFiles: opts.keepTmp, killAfterMs: 3_000 });
  await processes.stopAll(3_000);
}

/** Last resort on process exit (synchronous): kill what is left, drop the database with psql if present. */
export function teardownSync(): void {
  processes.killAllSync();
  local?.stopSync();
}

/** Every live child's pid (for machine-wide accounting). */
export const childPids = () => processes.pids();

// ---------------------------------------------------------------------------------------------------
// Worker and API processes

export interface WorkerOptions {
  prefix: string;
  /** LLM requests per minute (LLM_RPM); default: 100000 (no cap). */
  llmRpm?: number;
  /** OCR_WORKERS; default: the project's default (cores). */
  ocrWorkers?: number;
  maxConcurrentActivities?: number;
  llmUrl?: string;
  env?: Record<string, string>;
}

function commonEnv(stack: Stack, prefix: string, llmUrl?: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: stack.temporal.address,
    DATABASE_URL: stack.databaseUrl,
    TASK_QUEUE_PREFIX: prefix,
    WORKFLOW_BUNDLE: stack.bundlePath,
    DATA_DIR: path.join(stack.tmp, 'data'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: LLM_KEY,
    OPENAI_BASE_URL: llmUrl ?? stack.llm.url,
    JWT_SECRET,
    ADMIN_USERNAME: BENCH_ADMIN.username,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
  };
}

let workerSeq = 0;
export async function startWorkers(stack: Stack, n: number, opts: WorkerOptions): Promise<Child[]> {
  const s = running();
  const started = await Promise.all(
    Array.from({ length: n }, () =>
      s.startWorker({
        name: `${opts.prefix}worker-${++workerSeq}`,
        nodeArgs: WORKER_NODE_ARGS,
        env: {
          ...commonEnv(stack, opts.prefix, opts.llmUrl),
          LLM_RPM: String(opts.llmRpm ?? 100_000),
          SHUTDOWN_GRACE_SECONDS: '5',
          ...(opts.ocrWorkers ? { OCR_WORKERS: String(opts.ocrWorkers) } : {}),
          ...(opts.maxConcurrentActivities ? { MAX_CONCURRENT_ACTIVITIES: String(opts.maxConcurrentActivities) } : {}),
          ...opts.env,
        },
      }),
    ),
  );
  return started.map(asBenchChild);
}

export interface Api {
  child: Child;
  url: string;
}

let apiSeq = 0;
export async function startApi(stack: Stack, prefix: string, env: Record<string, string> = {}): Promise<Api> {
  const child = asBenchChild(await running().startApi({ name: `${prefix}api-${++apiSeq}`, env: { ...commonEnv(stack, prefix), ...env } }));
  return { child, url: child.url };
}

export const uniquePrefix = (name: string) => `bench-${name}-${crypto.randomBytes(3).toString('hex')}-`;
