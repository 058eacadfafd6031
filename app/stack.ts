/**
 * The services a process needs, brought up the way the configuration says: an external Temporal and
 * Postgres when TEMPORAL_ADDRESS / DATABASE_URL are set, embedded ones (dev server child process,
 * PGlite) under DATA_DIR when not. A second process on the same DATA_DIR (e.g. the CLI while
 * `npm start` runs) attaches to the running embedded services instead of starting its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { migrate } from '../stores/migrate.js';
import { prepareDataDir } from './embedded/data-dir.js';
import { startEmbeddedPostgres } from './embedded/postgres.js';
import { freePort, portIsFree } from './embedded/ports.js';
import { startTemporalDevServer } from './embedded/temporal.js';
import { logger } from '../core/logger.js';

export interface Stack {
  temporalAddress: string;
  databaseUrl: string;
  temporalUiUrl?: string;
  /** True when this process owns embedded services (and must run workers for them to be useful). */
  embedded: boolean;
  stop(): Promise<void>;
}

interface StackFile {
  pid: number;
  /** When `pid` started (/proc/<pid>/stat), so a reused pid is not taken for the process that wrote this file. */
  pidStart?: string;
  /** The embedded Temporal dev server's own pid, to clean up after a process that died without stopping it. */
  temporalPid?: number;
  temporalPidStart?: string;
  temporalAddress: string;
  databaseUrl: string;
  temporalUiUrl?: string;
}

const stackFile = (dataDir: string) => path.join(dataDir, 'stack.json');

/**
 * A process's start time (clock ticks since boot, field 22 of /proc/<pid>/stat), undefined when it does not
 * exist or has exited (a zombie still answers kill(pid, 0): a killed process whose parent has not reaped
 * it yet, for ever under a container init that never reaps). Undefined on systems without /proc.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: the fields after it are counted.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined;
  return fields[19];
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

/** `pid` is alive and, where it was recorded, is still the process that started at `start`. */
function isSameProcess(pid: number, start: string | undefined): boolean {
  if (HAS_PROC) {
    const now = processStartTime(pid);
    return now !== undefined && (start === undefined || now === start);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readStackFile(dataDir: string): StackFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(stackFile(dataDir), 'utf8')) as StackFile;
  } catch {
    return undefined; // none, or half written by a process killed while writing it: nothing runs
  }
}

/** The embedded stack another live process runs on this DATA_DIR, if any. */
export function runningStack(dataDir: string): StackFile | undefined {
  const s = readStackFile(dataDir);
  return s && s.pid !== process.pid && isSameProcess(s.pid, s.pidStart) ? s : undefined;
}

/**
 * The configuration the API serves with: TEMPORAL_UI_URL when set, else the Web UI of the embedded
 * Temporal dev server this stack started (or joined), so admins get the same workflow links either way.
 */
export function withStackUi(cfg: Config, stack: Pick<Stack, 'temporalUiUrl'>): Config {
  return cfg.temporalUiUrl || !stack.temporalUiUrl ? cfg : { ...cfg, temporalUiUrl: stack.temporalUiUrl };
}

export interface StackOptions {
  /** Join the embedded stack of a MedExtract already running on DATA_DIR instead of failing. */
  attach?: boolean;
  /** Serve the Temporal Web UI (on for `npm start`, off for the short-lived CLI). */
  ui?: boolean;
}

/**
 * A previous run that was killed outright can leave its Temporal dev server holding the SQLite file (before
 * the watchdog in embedded/temporal.ts, or for the few seconds the watchdog's SIGTERM takes). Only a pid
 * with the recorded start time is signalled: a reused pid belongs to someone else.
 */
async function stopOrphanedTemporal(dataDir: string): Promise<void> {
  const s = readStackFile(dataDir);
  const pid = s?.temporalPid;
  if (!s || !pid || !isSameProcess(pid, s.temporalPidStart)) return;
  // Without a recorded start time (a file from an older version) only a pid that still looks like the CLI.
  if (!s.temporalPidStart && HAS_PROC && !commandLine(pid).includes('temporal')) return;
  logger.warn({ pid }, 'stopping a Temporal dev server left behind by a previous run');
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 100 && isSameProcess(pid, s.temporalPidStart); i++) await new Promise((r) => setTimeout(r, 100));
  if (isSameProcess(pid, s.temporalPidStart)) signal('SIGKILL');
  for (let i = 0; i < 50 && isSameProcess(pid, s.temporalPidStart); i++) await new Promise((r) => setTimeout(r, 100));
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** The configured Web UI port, or any free one when it is taken (e.g. by another MedExtract's dev server). */
async function uiPort(configured: number): Promise<number> {
  if (configured === 0 || (await portIsFree(configured))) return configured;
  const port = await freePort();
  logger.warn({ configured, port }, 'the Temporal Web UI port is in use; serving the UI on a free port instead');
  return port;
}

export async function startStack(cfg: Config, opts: StackOptions = {}): Promise<Stack> {
  const needsEmbedded = !cfg.temporalAddress || !cfg.databaseUrl;
  if (needsEmbedded && opts.attach) {
    const other = runningStack(cfg.dataDir);
    if (other) {
      logger.info({ pid: other.pid }, 'attached to the embedded stack of a running MedExtract');
      return {
        temporalAddress: cfg.temporalAddress ?? other.temporalAddress,
        databaseUrl: cfg.databaseUrl ?? other.databaseUrl,
        temporalUiUrl: other.temporalUiUrl,
        embedded: false,
        stop: async () => {},
      };
    }
  }
  if (needsEmbedded) {
    const other = runningStack(cfg.dataDir);
    if (other) throw new Error(`DataDirInUse: another MedExtract (pid ${other.pid}) runs an embedded stack on ${cfg.dataDir}; stop it or set DATA_DIR`);
    await stopOrphanedTemporal(cfg.dataDir);
    prepareDataDir(cfg.dataDir);
  }

  const stops: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = cfg.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(cfg.dataDir);
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
    }
    let temporalAddress = cfg.temporalAddress;
    let temporalUiUrl: string | undefined;
    let temporalPid: number | undefined;
    if (!temporalAddress) {
      const start = (port: number | undefined, ui: number) =>
        startTemporalDevServer({
          cli: cfg.temporalCli,
          dbFile: path.join(cfg.dataDir, 'temporal.sqlite'),
          uiPort: ui, // 0 = headless
          port,
          namespace: cfg.temporalNamespace,
          logFile: path.join(cfg.dataDir, 'temporal.log'),
        });
      // Temporal's usual port when free, so the `temporal` CLI finds it without flags.
      const preferred = (await portIsFree(7233)) ? 7233 : undefined;
      const ui = opts.ui ? await uiPort(cfg.temporalUiPort) : 0;
      const t = await start(preferred, ui).catch(async (err: Error) => {
        // Another process may take a port between the check and the server's bind (two starts at once):
        // once more on ports nobody holds, rather than failing the start.
        if (!err.message.startsWith('TemporalStartFailed') || (preferred === undefined && ui === 0)) throw err;
        logger.warn({ err: err.message }, 'the Temporal dev server did not start on its usual ports; trying free ones');
        return start(undefined, ui === 0 ? 0 : await freePort());
      });
      stops.push(() => t.stop());
      temporalAddress = t.address;
      temporalUiUrl = t.uiUrl;
      temporalPid = t.process.pid;
    }
    await migrate(databaseUrl);
    if (needsEmbedded) {
      const file: StackFile = {
        pid: process.pid,
        pidStart: processStartTime(process.pid),
        temporalPid,
        temporalPidStart: temporalPid ? processStartTime(temporalPid) : undefined,
        temporalAddress,
        databaseUrl,
        temporalUiUrl,
      };
      // Written whole or not at all (a kill mid-write must not leave half a file behind).
      const tmp = `${stackFile(cfg.dataDir)}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
      fs.renameSync(tmp, stackFile(cfg.dataDir));
      stops.push(async () => fs.rmSync(stackFile(cfg.dataDir), { force: true }));
    }
    return {
      temporalAddress,
      databaseUrl,
      temporalUiUrl,
      embedded: needsEmbedded,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch((err) => logger.warn({ err: String(err) }, 'stopping a service failed'));
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw err;
  }
}
