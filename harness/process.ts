/**
 * Child processes for the tests, the benchmarks and prove:scale: spawn one (node with tsx, or any
 * command), capture its output (in memory, or appended to a log file for long runs with large logs),
 * wait for a log line or for a condition, stop it with a signal, read its exit code (128 + signal number
 * when a signal ended it, as a shell reports it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** The production entry points of a worker and of an API replica. */
export const WORKER_ENTRY = 'app/worker-main.ts';
export const API_ENTRY = 'app/api-main.ts';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SpawnOptions {
  /** Names the process in error messages (default: the command's base name). */
  name?: string;
  env?: Record<string, string | undefined>;
  /** Start from PATH and HOME only instead of this process's whole environment. */
  isolatedEnv?: boolean;
  /** Append the output to this file instead of keeping it in memory. */
  logFile?: string;
}

export interface NodeSpawnOptions extends SpawnOptions {
  /** Node flags before `--import tsx`, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** A file's text, or '' if it is not there (yet). */
export const readText = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

export class Child {
  /** Resolves with the exit code, or 128 + the number of the signal that ended the process. */
  readonly exited: Promise<number>;
  private captured = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    readonly logFile?: string,
  ) {
    const onData = (d: Buffer) => {
      this.captured += d.toString();
      for (const l of this.listeners) l();
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0))));
  }

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Everything the process has written to stdout and stderr so far. */
  output(): string {
    return this.logFile ? readText(this.logFile) : this.captured;
  }

  tail(chars = 3000): string {
    return this.output().slice(-chars);
  }

  /** Resolves when the output matches `re`; rejects on timeout or if the process exits first. */
  waitFor(re: RegExp, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.listeners.delete(check);
        clearTimeout(timer);
        clearInterval(poll);
      };
      const check = () => {
        if (!re.test(this.output())) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${re} in the output of ${this.name}:\n${this.tail()}`));
      }, timeoutMs);
      // Output that goes straight to a file raises no event here: read the file now and then.
      const poll = this.logFile ? setInterval(check, 100) : undefined;
      this.listeners.add(check);
      void this.exited.then((code) => {
        if (!this.listeners.has(check)) return;
        check();
        if (!this.listeners.has(check)) return;
        done();
        reject(new Error(`${this.name} exited (${code}) before ${re} appeared:\n${this.tail()}`));
      });
      check();
    });
  }

  /** Sends `signal` if the process still runs, SIGKILL if it has not exited `killAfterMs` later; the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = Infinity): Promise<number> {
    if (this.running) this.proc.kill(signal);
    const timer = Number.isFinite(killAfterMs) ? setTimeout(() => this.running && this.proc.kill('SIGKILL'), killAfterMs) : undefined;
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export function spawnProcess(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
  const base = opts.isolatedEnv ? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() } : process.env;
  const env = { ...base, ...opts.env };
  const name = opts.name ?? path.basename(cmd);
  if (!opts.logFile) return new Child(name, spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    return new Child(name, spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] }), opts.logFile);
  } finally {
    fs.closeSync(fd);
  }
}

/** `node [nodeArgs] --import tsx <args>` in the repository root: how every TypeScript entry point runs. */
export function spawnNode(args: string[], opts: NodeSpawnOptions = {}): Child {
  return spawnProcess(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', ...args], { name: args[0], ...opts });
}

/** The processes of one run, so that whatever is left can be stopped at the end, or killed on exit. */
export class ProcessGroup {
  private readonly children = new Set<Child>();
  /** Short-lived helpers spawned elsewhere (e.g. native tesseract): killed with the group. */
  private readonly helpers = new Set<ChildProcess>();
  private closedBecause?: string;

  add(child: Child): Child {
    if (this.closedBecause) {
      child.proc.kill('SIGKILL');
      throw new Error(this.closedBecause);
    }
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
    if (this.closedBecause) throw new Error(this.closedBecause);
    return this.add(spawnProcess(cmd, args, opts));
  }

  node(args: string[], opts: NodeSpawnOptions = {}): Child {
    if (this.closedBecause) throw new Error(this.closedBecause);
    return this.add(spawnNode(args, opts));
  }

  track<P extends ChildProcess>(p: P): P {
    this.helpers.add(p);
    p.once('exit', () => this.helpers.delete(p));
    return p;
  }

  /** No new processes from now on (a run that is stopping). */
  close(reason: string): void {
    this.closedBecause ??= reason;
  }

  live(): Child[] {
    return [...this.children].filter((c) => c.running);
  }

  pids(): number[] {
    return this.live().map((c) => c.pid);
  }

  async stopAll(killAfterMs: number, signalFor: (c: Child) => NodeJS.Signals = () => 'SIGTERM'): Promise<void> {
    for (const p of this.helpers) p.kill('SIGKILL');
    await Promise.all([...this.children].map((c) => c.stop(signalFor(c), killAfterMs)));
  }

  /** For a process 'exit' handler, which cannot wait. */
  killAllSync(): void {
    for (const p of this.helpers) p.kill('SIGKILL');
    for (const c of this.children) if (c.running) c.proc.kill('SIGKILL');
  }
}

export interface UntilOptions {
  /** Fail at once, with the process's last output, when one of these exits. */
  watch?: Child[];
  everyMs?: number;
  /** A probe that throws ends the wait with its error; by default a throw counts as "not yet". */
  rethrow?: boolean;
}

/** Polls until `probe` returns a value other than undefined. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, opts: UntilOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const w of opts.watch ?? []) if (!w.running) throw new Error(`${w.name} exited while waiting for ${what}:\n${w.tail()}`);
    const v = opts.rethrow ? await probe() : await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(opts.everyMs ?? 200);
  }
}

/** A probe for until(): true once `url` answers 200. */
export const httpOk = (url: string) => async (): Promise<true | undefined> =>
  (await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200 ? true : undefined;
