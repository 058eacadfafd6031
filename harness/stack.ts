/**
 * The real stack on loopback, for the test runner, the benchmarks and prove:scale: one Temporal dev
 * server (the project's own app/embedded/temporal.ts: search attributes, one partition per task queue),
 * one fresh database on the machine's PostgreSQL (TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), the workflow code bundled once (worker processes load the
 * file instead of running webpack each), a temporary directory, and worker / API processes started as in
 * production (app/worker-main.ts, app/api-main.ts), each on a port of its own. stop() removes all of it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { migrate } from '../stores/migrate.js';
import { closePool, withClient } from '../stores/pool.js';
import { freePort } from '../app/embedded/ports.js';
import { startTemporalDevServer, type EmbeddedTemporal } from '../app/embedded/temporal.js';
import { API_ENTRY, httpOk, ProcessGroup, ROOT, until, WORKER_ENTRY, type Child, type NodeSpawnOptions } from './process.js';

export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withClient(ADMIN_DATABASE_URL, fn);

export interface Database {
  name: string;
  url: string;
  drop(): Promise<void>;
  /** For a process 'exit' handler, which cannot wait (needs psql on PATH; silent without it). */
  dropSync(): void;
}

/** A new, empty database on the machine's PostgreSQL, optionally migrated. */
export async function createDatabase(prefix: string, opts: { migrate?: boolean } = {}): Promise<Database> {
  const name = `${prefix}_${Date.now().toString(36)}_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const database: Database = {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
    dropSync: () => void spawnSync('psql', [ADMIN_DATABASE_URL, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'ignore', timeout: 10_000 }),
  };
  if (opts.migrate) {
    await migrate(database.url);
    await closePool(); // migrate() may open the process-wide pool; callers use pools of their own
  }
  return database;
}

export async function bundleWorkflows(file: string): Promise<void> {
  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
  fs.writeFileSync(file, bundle.code);
}

export interface LocalStackOptions {
  /** Names the temporary directory (medextract-<name>-…) and the database (medextract_<name>_…). */
  name: string;
  /** Apply the migrations to the new database. */
  migrate?: boolean;
  /** The run's process group, when it has processes before or besides the stack. */
  processes?: ProcessGroup;
}

export interface AppProcessOptions extends Pick<NodeSpawnOptions, 'nodeArgs' | 'isolatedEnv'> {
  name: string;
  env: Record<string, string | undefined>;
  readyTimeoutMs?: number;
  readyPollMs?: number;
}

export type AppProcess = Child & { url: string };

export class LocalStack {
  readonly tmp: string;
  readonly logDir: string;
  readonly bundlePath: string;
  readonly processes: ProcessGroup;
  private temporalServer?: EmbeddedTemporal;
  private temporalPort?: number;
  private db?: Database;
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private keepFiles = false;
  private stopped = false;
  private readonly closers: Array<() => Promise<unknown>> = [];

  constructor(private readonly opts: LocalStackOptions) {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `medextract-${opts.name}-`));
    this.logDir = path.join(this.tmp, 'logs');
    fs.mkdirSync(this.logDir);
    this.bundlePath = path.join(this.tmp, 'workflow-bundle.js');
    this.processes = opts.processes ?? new ProcessGroup();
  }

  /** Temporal, the database and the workflow bundle, side by side. */
  start(): Promise<this> {
    if (this.stopping) return Promise.reject(new Error(`the ${this.opts.name} stack is stopping`));
    this.starting ??= (async () => {
      this.temporalPort = await freePort();
      await Promise.all([
        this.startTemporal(),
        createDatabase(`medextract_${this.opts.name}`, { migrate: this.opts.migrate }).then((d) => void (this.db = d)),
        bundleWorkflows(this.bundlePath),
      ]);
    })();
    return this.starting.then(() => this);
  }

  get temporal(): EmbeddedTemporal {
    if (!this.temporalServer) throw new Error('the stack has not started');
    return this.temporalServer;
  }

  get database(): Database {
    if (!this.db) throw new Error('the stack has not started');
    return this.db;
  }

  /** Stops the dev server and starts it again on the same port and SQLite file (its state survives). */
  async restartTemporal(): Promise<EmbeddedTemporal> {
    await this.temporalServer?.stop();
    this.temporalServer = undefined;
    return this.startTemporal();
  }

  private async startTemporal(): Promise<EmbeddedTemporal> {
    this.temporalServer = await startTemporalDevServer({
      dbFile: path.join(this.tmp, 'temporal.sqlite'),
      port: this.temporalPort,
      logFile: path.join(this.logDir, 'temporal.log'),
    });
    return this.temporalServer;
  }

  /** Closed by stop() after the processes and before Temporal and the database (pools, clients, servers). */
  onStop(close: () => Promise<unknown>): void {
    this.closers.push(close);
  }

  /** Any command, its output in logs/<name>.log. */
  spawn(name: string, cmd: string, args: string[], opts: Omit<NodeSpawnOptions, 'name' | 'logFile'> = {}): Child {
    return this.processes.spawn(cmd, args, { ...opts, name, logFile: path.join(this.logDir, `${name}.log`) });
  }

  /** `node --import tsx <args>`, its output in logs/<name>.log. */
  node(name: string, args: string[], opts: Omit<NodeSpawnOptions, 'name' | 'logFile'> = {}): Child {
    return this.processes.node(args, { ...opts, name, logFile: path.join(this.logDir, `${name}.log`) });
  }

  /** A worker process whose health endpoint listens on a port of its own; resolves once /readyz answers 200. */
  async startWorker(opts: AppProcessOptions): Promise<AppProcess> {
    const port = await freePort();
    return this.startApp(WORKER_ENTRY, `http://127.0.0.1:${port}`, opts, { WORKER_HTTP_HOST: '127.0.0.1', WORKER_HTTP_PORT: String(port) });
  }

  /** An API process on a port of its own; resolves once /readyz answers 200. */
  async startApi(opts: AppProcessOptions): Promise<AppProcess> {
    const port = await freePort();
    return this.startApp(API_ENTRY, `http://127.0.0.1:${port}`, opts, { PORT: String(port) });
  }

  private async startApp(entry: string, url: string, opts: AppProcessOptions, listen: Record<string, string>): Promise<AppProcess> {
    const child = this.node(opts.name, [entry], { nodeArgs: opts.nodeArgs, isolatedEnv: opts.isolatedEnv, env: { ...opts.env, ...listen } });
    await until(`${opts.name} to be ready`, httpOk(`${url}/readyz`), opts.readyTimeoutMs ?? 90_000, { watch: [child], everyMs: opts.readyPollMs });
    return Object.assign(child, { url });
  }

  /** Stops every process, closes what onStop() registered, stops Temporal, drops the database. Safe to call more than once. */
  stop(opts: { keepFiles?: boolean; killAfterMs?: number; signalFor?: (c: Child) => NodeJS.Signals } = {}): Promise<void> {
    this.keepFiles ||= !!opts.keepFiles;
    this.stopping ??= (async () => {
      this.processes.close(`the ${this.opts.name} stack is stopping`);
      // A stack still starting is torn down once it has started (or failed to).
      await this.starting?.catch(() => undefined);
      await this.processes.stopAll(opts.killAfterMs ?? 5_000, opts.signalFor);
      for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
      await this.temporalServer?.stop().catch(() => undefined);
      this.temporalServer = undefined;
      const db = this.db;
      this.db = undefined;
      await db?.drop().catch((err: Error) => process.stderr.write(`could not drop database ${db.name}: ${err.message}\n`));
      if (this.keepFiles) process.stderr.write(`${this.opts.name} logs and files kept in ${this.tmp}\n`);
      else fs.rmSync(this.tmp, { recursive: true, force: true });
      this.stopped = true;
    })();
    return this.stopping;
  }

  /** Last resort in a process 'exit' handler: kill what is left, drop the database, remove the files. */
  stopSync(): void {
    if (this.stopped) return;
    this.processes.killAllSync();
    const t = this.temporalServer?.process;
    if (t && t.exitCode === null && t.signalCode === null) t.kill('SIGKILL');
    this.db?.dropSync();
    this.db = undefined;
    if (!this.keepFiles) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
