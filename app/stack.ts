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
import { portIsFree } from './embedded/ports.js';
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
  /** The embedded Temporal dev server's own pid, to clean up after a process that died without stopping it. */
  temporalPid?: number;
  temporalAddress: string;
  databaseUrl: string;
  temporalUiUrl?: string;
}

const stackFile = (dataDir: string) => path.join(dataDir, 'stack.json');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The embedded stack another live process runs on this DATA_DIR, if any. */
export function runningStack(dataDir: string): StackFile | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(stackFile(dataDir), 'utf8')) as StackFile;
    return isAlive(s.pid) && s.pid !== process.pid ? s : undefined;
  } catch {
    return undefined;
  }
}

export interface StackOptions {
  /** Join the embedded stack of a MedExtract already running on DATA_DIR instead of failing. */
  attach?: boolean;
  /** Serve the Temporal Web UI (on for `npm start`, off for the short-lived CLI). */
  ui?: boolean;
}

/** A previous run that was killed outright can leave its Temporal dev server holding the SQLite file. */
async function stopOrphanedTemporal(dataDir: string): Promise<void> {
  let s: StackFile;
  try {
    s = JSON.parse(fs.readFileSync(stackFile(dataDir), 'utf8')) as StackFile;
  } catch {
    return; // no stack file: nothing was left behind
  }
  const pid = s.temporalPid;
  if (isAlive(s.pid) || !pid || !isAlive(pid)) return;
  logger.warn({ pid }, 'stopping a Temporal dev server left behind by a previous run');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
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
      const t = await startTemporalDevServer({
        cli: cfg.temporalCli,
        dbFile: path.join(cfg.dataDir, 'temporal.sqlite'),
        uiPort: opts.ui ? cfg.temporalUiPort : 0, // 0 = headless
        // Temporal's usual port when free, so the `temporal` CLI finds it without flags.
        port: (await portIsFree(7233)) ? 7233 : undefined,
        namespace: cfg.temporalNamespace,
        logFile: path.join(cfg.dataDir, 'temporal.log'),
      });
      stops.push(() => t.stop());
      temporalAddress = t.address;
      temporalUiUrl = t.uiUrl;
      temporalPid = t.process.pid;
    }
    await migrate(databaseUrl);
    if (needsEmbedded) {
      const file: StackFile = { pid: process.pid, temporalPid, temporalAddress, databaseUrl, temporalUiUrl };
      fs.writeFileSync(stackFile(cfg.dataDir), JSON.stringify(file, null, 2), { mode: 0o600 });
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
