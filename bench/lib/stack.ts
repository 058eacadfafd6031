/**
 * The real stack for the benchmarks, on loopback: one Temporal dev server (the project's own
 * startTemporalDevServer: search attributes, one partition per task queue), one fresh database on the
 * machine's PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), the
 * workflow code bundled once, and the OpenAI-compatible test server. Worker and API processes are real
 * child processes (`node --import tsx app/worker-main.ts` / `app/api-main.ts`), each benchmark with its
 * own task-queue prefix. Everything is torn down by `teardown()`, which index.ts also runs on Ctrl-C,
 * SIGTERM and failures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { migrate } from '../../stores/migrate.js';
import { closePool, withClient } from '../../stores/pool.js';
import { freePort } from '../../app/embedded/ports.js';
import { startTemporalDevServer, type EmbeddedTemporal } from '../../app/embedded/temporal.js';
import { startOpenAIServer, type OpenAIServer } from '../../test/support/openai-server.js';
import { offlineResponder } from '../../test/support/llm-responder.js';
import { sleep, readText } from './util.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CORPUS = process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus');
/** Extra node flags for worker processes, e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const ADMIN_DB_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const BENCH_ADMIN = { username: 'bench', password: 'bench-admin-password-0123' };
const JWT_SECRET = `bench-${crypto.randomBytes(24).toString('hex')}`;
export const LLM_KEY = 'bench-llm-key';

// ---------------------------------------------------------------------------------------------------
// Child processes

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  log: string;
  /** Exit code, or 128 + signal number. */
  exited: Promise<number>;
  /** A worker's health/metrics endpoint, or the API's base URL. */
  url?: string;
}

const children = new Set<Child>();
const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Short-lived helper processes (native tesseract) that are not Child records: killed on teardown too. */
const helpers = new Set<ChildProcess>();
export function trackProcess<P extends ChildProcess>(p: P): P {
  helpers.add(p);
  p.once('exit', () => helpers.delete(p));
  return p;
}

export const isRunning = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

export function spawnChild(name: string, cmd: string, args: string[], env: Record<string, string | undefined>, logDir: string): Child {
  if (tornDown) throw new Error('the bench is stopping');
  const log = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise<number>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? SIGNALS[signal] ?? 0 : 0))));
  const child: Child = { name, proc, pid: proc.pid ?? 0, log, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

export async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 5_000): Promise<number> {
  if (isRunning(c)) c.proc.kill(signal);
  const timer = setTimeout(() => isRunning(c) && c.proc.kill('SIGKILL'), killAfterMs);
  const code = await c.exited;
  clearTimeout(timer);
  return code;
}

export const tail = (c: Child, chars = 3000) => readText(c.log).slice(-chars);

/** Polls until `probe` returns a value; fails early if `watch` exits. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, watch: Child[] = [], everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const w of watch) if (!isRunning(w)) throw new Error(`${w.name} exited while waiting for ${what}:\n${tail(w)}`);
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

const httpOk = (url: string) => async () => ((await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200 ? true : undefined);

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

let current: Stack | undefined;
let dbCreated: string | undefined;
let temporalStarted: EmbeddedTemporal | undefined;
let llmStarted: OpenAIServer[] = [];
let tmpDir: string | undefined;

const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withClient(ADMIN_DB_URL, fn);

let tornDown = false;
let starting: Promise<Stack> | undefined;

export function startStack(): Promise<Stack> {
  if (tornDown) return Promise.reject(new Error('the bench is stopping'));
  starting ??= startStackOnce();
  return starting;
}

async function startStackOnce(): Promise<Stack> {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-bench-'));
  const tmp = tmpDir;
  const logDir = path.join(tmp, 'logs');
  fs.mkdirSync(logDir);
  const dbName = `medextract_bench_${Date.now().toString(36)}_${process.pid}`;
  const bundlePath = path.join(tmp, 'workflow-bundle.js');

  const temporalP = startTemporalDevServer({ dbFile: path.join(tmp, 'temporal.sqlite'), logFile: path.join(logDir, 'temporal.log'), uiPort: 0 }).then((t) => {
    temporalStarted = t;
    return t;
  });
  const dbP = (async () => {
    await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
    dbCreated = dbName;
    const u = new URL(ADMIN_DB_URL);
    u.pathname = `/${dbName}`;
    await migrate(u.toString());
    await closePool(); // migrate() may have opened the process-wide pool; the bench uses its own
    return u.toString();
  })();
  const bundleP = bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows/index.ts'), logger: new DefaultLogger('WARN') }).then((b) =>
    fs.writeFileSync(bundlePath, b.code),
  );
  const llmP = startOpenAIServer({ respond: offlineResponder, apiKey: LLM_KEY }).then((s) => {
    llmStarted.push(s);
    return s;
  });
  const [temporal, databaseUrl, , llm] = await Promise.all([temporalP, dbP, bundleP, llmP]);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  current = { tmp, logDir, temporal, databaseUrl, dbName, bundlePath, pool, llm };
  return current;
}

/** Another OpenAI-compatible test server (e.g. with no latency), closed at teardown. */
export async function extraLlmServer(latencyMs = 0): Promise<OpenAIServer> {
  const s = await startOpenAIServer({ respond: offlineResponder, apiKey: LLM_KEY, latencyMs });
  llmStarted.push(s);
  return s;
}

/** Stops every worker / API / helper process still running (between benchmarks, e.g. after a failure). */
export async function stopChildren(): Promise<void> {
  for (const p of helpers) p.kill('SIGKILL');
  await Promise.all([...children].map((c) => stopChild(c, 'SIGTERM', 3_000)));
}

/** Stops every child process, the servers, and drops the database. Safe to call more than once. */
export async function teardown(opts: { keepTmp?: boolean } = {}): Promise<void> {
  tornDown = true;
  for (const p of helpers) p.kill('SIGKILL');
  // A stack still starting is torn down once it has started (or failed to).
  await starting?.catch(() => undefined);
  await Promise.all([...children].map((c) => stopChild(c, 'SIGTERM', 3_000)));
  const stack = current;
  current = undefined;
  await stack?.pool.end().catch(() => undefined);
  for (const s of llmStarted.splice(0)) await s.close().catch(() => undefined);
  const t = temporalStarted;
  temporalStarted = undefined;
  await t?.stop().catch(() => undefined);
  const db = dbCreated;
  dbCreated = undefined;
  if (db) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch((err) => process.stderr.write(`could not drop database ${db}: ${(err as Error).message}\n`));
  if (tmpDir && !opts.keepTmp) fs.rmSync(tmpDir, { recursive: true, force: true });
  else if (tmpDir) process.stderr.write(`bench logs kept in ${tmpDir}\n`);
  tmpDir = undefined;
}

/** Last resort on process exit (synchronous): kill what is left, drop the database with psql if present. */
export function teardownSync(): void {
  for (const p of helpers) p.kill('SIGKILL');
  for (const c of children) if (isRunning(c)) c.proc.kill('SIGKILL');
  if (temporalStarted && temporalStarted.process.exitCode === null) temporalStarted.process.kill('SIGKILL');
  if (dbCreated) spawnSync('psql', [ADMIN_DB_URL, '-qc', `DROP DATABASE IF EXISTS ${dbCreated} WITH (FORCE)`], { stdio: 'ignore', timeout: 10_000 });
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
}

/** Every live child's pid (for machine-wide accounting). */
export const childPids = () => [...children].filter(isRunning).map((c) => c.pid);

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
  const started = await Promise.all(
    Array.from({ length: n }, async () => {
      const port = await freePort();
      const env: Record<string, string> = {
        ...commonEnv(stack, opts.prefix, opts.llmUrl),
        LLM_RPM: String(opts.llmRpm ?? 100_000),
        SHUTDOWN_GRACE_SECONDS: '5',
        WORKER_HTTP_HOST: '127.0.0.1',
        WORKER_HTTP_PORT: String(port),
        ...(opts.ocrWorkers ? { OCR_WORKERS: String(opts.ocrWorkers) } : {}),
        ...(opts.maxConcurrentActivities ? { MAX_CONCURRENT_ACTIVITIES: String(opts.maxConcurrentActivities) } : {}),
        ...opts.env,
      };
      const child = spawnChild(`${opts.prefix}worker-${++workerSeq}`, process.execPath, [...WORKER_NODE_ARGS, '--import', 'tsx', 'app/worker-main.ts'], env, stack.logDir);
      return { child, url: `http://127.0.0.1:${port}` };
    }),
  );
  await Promise.all(started.map((w) => until(`${w.child.name} ready`, httpOk(`${w.url}/readyz`), 90_000, [w.child])));
  return started.map((w) => Object.assign(w.child, { url: w.url }));
}

export interface Api {
  child: Child;
  url: string;
}

let apiSeq = 0;
export async function startApi(stack: Stack, prefix: string, env: Record<string, string> = {}): Promise<Api> {
  const port = await freePort();
  const child = spawnChild(`${prefix}api-${++apiSeq}`, process.execPath, ['--import', 'tsx', 'app/api-main.ts'], { ...commonEnv(stack, prefix), PORT: String(port), ...env }, stack.logDir);
  const url = `http://127.0.0.1:${port}`;
  await until(`${child.name} ready`, httpOk(`${url}/readyz`), 90_000, [child]);
  return { child, url };
}

export const uniquePrefix = (name: string) => `bench-${name}-${crypto.randomBytes(3).toString('hex')}-`;
