/** Small helpers every benchmark shares: statistics, formatting, the result table, the machine line. */
import os from 'node:os';

export { readText, sleep } from '../../harness/process.js';

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(xs: readonly number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Fixed decimals, '-' for NaN / undefined. */
export function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

/** Thousands separated integer. */
export function fmtInt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export const fmtRatio = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : `${n.toFixed(2)}×`);
export const fmtPct = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '-' : `${(n * 100).toFixed(digits)} %`);
export const fmtMB = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MB`);

/** One benchmark's printed result. */
export interface Report {
  name: string;
  title: string;
  /** Lines under the title: what ran, with which settings. */
  header: string[];
  columns: string[];
  rows: string[][];
  /** Further tables printed under the first one. */
  extra?: Array<{ columns: string[]; rows: string[][] }>;
  /** Lines under the table: targets and the gap to them, caveats. */
  notes: string[];
  /** Raw figures for --json. */
  data?: Record<string, unknown>;
}

export function renderTable(columns: string[], rows: string[][]): string {
  const all = [columns, ...rows];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  // Label columns (the first one, and any whose cells start with a letter) left-aligned; numbers right-aligned.
  const left = columns.map((_, i) => i === 0 || rows.some((r) => /^[A-Za-z][A-Za-z ]/.test(r[i] ?? '')));
  const line = (r: string[]) =>
    r
      .map((c, i) => (left[i] ? (c ?? '').padEnd(widths[i]!) : (c ?? '').padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderReport(r: Report): string {
  const parts = [`\n== ${r.title} ==`, ...r.header.map((h) => `   ${h}`), '', renderTable(r.columns, r.rows)];
  for (const t of r.extra ?? []) parts.push('', renderTable(t.columns, t.rows));
  if (r.notes.length) parts.push('', ...r.notes.map((n) => `   ${n}`));
  return `${parts.join('\n')}\n`;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memGB: number;
  node: string;
  loadAvg: [number, number, number];
}

export function machine(): Machine {
  const cpus = os.cpus();
  const la = os.loadavg();
  return {
    cores: os.availableParallelism(),
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memGB: os.totalmem() / 1024 ** 3,
    node: process.version,
    loadAvg: [la[0]!, la[1]!, la[2]!],
  };
}

export const loadLine = () => {
  const la = os.loadavg();
  return `load average ${la.map((x) => x.toFixed(2)).join(' ')}`;
};

export function machineLine(m = machine()): string {
  return `machine: ${m.cores} cores, ${m.cpuModel}, ${m.memGB.toFixed(1)} GB RAM, Node ${m.node}, load average at start ${m.loadAvg.map((x) => x.toFixed(2)).join(' ')} (1/5/15 min)`;
}

/** Target verdict for a "higher is better" figure. */
export function gapAtLeast(label: string, value: number, target: number, unit = ''): string {
  if (!Number.isFinite(value)) return `${label}: target ≥ ${target}${unit}; not measured`;
  const ok = value >= target;
  const short = unit.includes('%') ? '' : ` (${fmtPct((target - value) / target, 0)} short)`;
  return `${label}: ${fmtNum(value)}${unit} vs target ≥ ${fmtNum(target)}${unit} → ${ok ? 'met' : `missed by ${fmtNum(target - value)}${unit.includes('%') ? ' points' : unit}${short}`}`;
}

/** Target verdict for a "lower is better" figure. */
export function gapAtMost(label: string, value: number, target: number, unit = ''): string {
  if (!Number.isFinite(value)) return `${label}: target < ${target}${unit}; not measured`;
  const ok = value < target;
  return `${label}: ${fmtNum(value)}${unit} vs target < ${fmtNum(target)}${unit} → ${ok ? 'met' : `missed by ${fmtNum(value - target)}${unit.includes('%') ? ' points' : unit}`}`;
}

function fmtNum(n: number): string {
  const a = Math.abs(n);
  if (a >= 1000) return fmtInt(n);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}
