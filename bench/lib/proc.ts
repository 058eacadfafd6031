/**
 * CPU time and memory of processes, read from Linux's /proc (no sampling library needed):
 *  - /proc/<pid>/stat fields 14-17 (utime, stime, cutime, cstime) in clock ticks: the CPU time of every
 *    thread of the process (tesseract.js runs its WASM in worker threads, which are included) and of its
 *    reaped children;
 *  - /proc/<pid>/status VmRSS (resident now) and VmHWM (peak resident since start);
 *  - /proc/stat for the whole machine's busy time.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every mainstream Linux
}

/** CPU seconds of a live process: its own threads, and its reaped children; NaN if it is gone. */
export function cpuParts(pid: number | undefined): { own: number; children: number } {
  if (!pid) return { own: NaN, children: NaN };
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // f[0] is field 3 (state): utime = field 14 → f[11], stime f[12], cutime f[13], cstime f[14].
    return { own: (f[11]! + f[12]!) / clkTck, children: (f[13]! + f[14]!) / clkTck };
  } catch {
    return { own: NaN, children: NaN };
  }
}

/** CPU seconds (user + system, own threads + reaped children) of a live process; NaN if it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  const p = cpuParts(pid);
  return p.own + p.children;
}

function statusField(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resident set size in bytes (NaN if the process is gone). */
export const rssBytes = (pid: number) => statusField(pid, 'VmRSS');
/** Peak resident set size since the process started, in bytes. */
export const peakRssBytes = (pid: number) => statusField(pid, 'VmHWM');

/**
 * CPU seconds of every process whose command name is `comm` (e.g. "postgres"): own + reaped children,
 * so a backend that exits between two readings still counts (its time moves to the postmaster).
 */
export function cpuSecondsByName(comm: string): number {
  let total = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    const s = cpuSeconds(Number(d));
    if (Number.isFinite(s)) total += s;
  }
  return total;
}

/** Machine-wide CPU: busy and total jiffies (all cores) from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
  return { busy: total - idle, total };
}

/** Share of the machine's CPU that was busy between two machineCpu() readings (0..1). */
export function busyShare(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  const dt = b.total - a.total;
  return dt > 0 ? (b.busy - a.busy) / dt : NaN;
}

/** A group of processes whose CPU time is measured from `start()` to `stop()`. */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: () => number[]) {}

  start(): this {
    for (const pid of this.pids()) {
      const s = cpuSeconds(pid);
      if (Number.isFinite(s)) {
        this.first.set(pid, s);
        this.last.set(pid, s);
      }
    }
    // Keep the latest reading of each process, so one that exits before stop() still counts.
    this.timer = setInterval(() => this.read(), 500);
    this.timer.unref();
    return this;
  }

  private read(): void {
    for (const pid of this.pids()) {
      const s = cpuSeconds(pid);
      if (!Number.isFinite(s)) continue;
      if (!this.first.has(pid)) this.first.set(pid, s);
      this.last.set(pid, s);
    }
  }

  /** CPU seconds used by the group since start(). */
  stop(): number {
    this.read();
    clearInterval(this.timer);
    let total = 0;
    for (const [pid, s0] of this.first) total += (this.last.get(pid) ?? s0) - s0;
    return total;
  }
}

/** Samples the RSS of some processes every `intervalMs`. */
export class RssSampler {
  readonly samples: Array<{ t: number; rss: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pids: () => number[],
    private readonly intervalMs = 1000,
  ) {}

  start(): this {
    const take = () => {
      const values = this.pids().map(rssBytes).filter(Number.isFinite);
      if (values.length) this.samples.push({ t: Date.now(), rss: values.reduce((a, b) => a + b, 0) });
    };
    take();
    this.timer = setInterval(take, this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): Array<{ t: number; rss: number }> {
    clearInterval(this.timer);
    return this.samples;
  }
}
