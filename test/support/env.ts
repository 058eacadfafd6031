/**
 * What every integration test shares: the run's Temporal and database (from scripts/run-tests.ts),
 * worker processes started as real child processes, the CLI, and the corpus.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';

export const ROOT = path.resolve(import.meta.dirname, '../..');
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

export interface ChildHandle {
  proc: ChildProcess;
  output(): string;
  /** Resolves when a line matching `re` appears in the output. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export function startProcess(args: string[], env: Record<string, string | undefined>): ChildHandle {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }) as Record<string, number>)[signal] ?? 0 : 0))),
  );
  return {
    proc,
    output: () => out,
    exited,
    waitFor(re, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(out)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${re} in output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then((code) => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited (${code}) before ${re} appeared:\n${out.slice(-3000)}`));
          }
        });
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** A real worker process (app/worker-main.ts) on the run's Temporal and database. */
export async function startWorker(env: Record<string, string | undefined>): Promise<ChildHandle> {
  // Any free port for the health endpoint: several test workers run at once (the URL is in the log).
  const w = startProcess(['app/worker-main.ts'], { LOG_LEVEL: 'info', WORKER_HTTP_PORT: '0', ...env });
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

/** Polls (every 200 ms) until `probe` returns a value. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
