/**
 * What every integration test shares: the run's Temporal and database (from scripts/run-tests.ts),
 * worker processes started as real child processes, the CLI, and the corpus.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { ROOT, spawnNode, until, WORKER_ENTRY, type Child } from '../../harness/process.js';
import { LOG_LEVELS, setLogLevel, type LogLevel } from '../../core/logger.js';

// Code a test runs in its own process logs at the run's level (the entry points take it from config).
const runLogLevel = process.env.LOG_LEVEL;
if (runLogLevel && (LOG_LEVELS as readonly string[]).includes(runLogLevel)) setLogLevel(runLogLevel as LogLevel);

export { ROOT };
export const CORPUS = process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus');
export const corpus = (rel: string): string => path.join(CORPUS, rel);
export const readCorpus = (rel: string): Uint8Array => new Uint8Array(fs.readFileSync(corpus(rel)));

export function requireRunEnv(): { temporalAddress: string; databaseUrl: string; tmp: string } {
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  const databaseUrl = process.env.DATABASE_URL;
  const tmp = process.env.TEST_TMP;
  if (!temporalAddress || !databaseUrl || !tmp) throw new Error('run the tests with `npm test` (it starts Temporal and a test database)');
  return { temporalAddress, databaseUrl, tmp };
}

/** A task-queue prefix of its own keeps each test's workers from taking another test's work. */
export const uniquePrefix = (name: string): string => `${name}-${crypto.randomBytes(3).toString('hex')}-`;

/** A child process of a test: output kept in memory, waitFor(log line), stop(signal), exit code. */
export type ChildHandle = Child;

/** `node --import tsx <args>` in the repository root, with the test's environment plus `env`. */
export const startProcess = (args: string[], env: Record<string, string | undefined>): ChildHandle => spawnNode(args, { env });

/** A real worker process (app/worker-main.ts) on the run's Temporal and database. */
export async function startWorker(env: Record<string, string | undefined>): Promise<ChildHandle> {
  // Any free port for the health endpoint: several test workers run at once (the URL is in the log).
  const w = startProcess([WORKER_ENTRY], { LOG_LEVEL: 'info', WORKER_HTTP_PORT: '0', ...env });
  await w.waitFor(/workers polling/);
  return w;
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  const p = startProcess(['app/cli.ts', ...args], env);
  const code = await p.exited;
  return { code, output: p.output() };
}

export function pool(): pg.Pool {
  return new pg.Pool({ connectionString: requireRunEnv().databaseUrl, max: 4 });
}

export function readTruth(rel: string): any {
  return JSON.parse(fs.readFileSync(corpus(`${rel}.truth.json`), 'utf8'));
}

/** Polls (every 200 ms) until `probe` returns a value; a probe that throws fails the wait at once. */
export const waitUntil = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> =>
  until(what, probe, timeoutMs, { rethrow: true });
