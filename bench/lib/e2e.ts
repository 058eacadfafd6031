/**
 * One end-to-end batch: upload documents through the HTTP API, wait until every job has finished, and
 * measure throughput, latency (upload request sent → job finished_at in Postgres, same machine clock)
 * and the CPU time of every process involved over the batch (from /proc).
 */
import { jobRows, uploadAll, waitFinished, type JobRow, type Uploaded } from './jobs.js';
import { busyShare, cpuSeconds, cpuSecondsByName, CpuMeter, machineCpu } from './proc.js';
import type { Api, Child, Stack } from './stack.js';
import { percentile } from './util.js';

export interface BatchDoc {
  name: string;
  pdf: Uint8Array;
  pages: number;
}

export interface CpuBreakdown {
  /** CPU seconds of the worker processes. */
  workers: number;
  api: number;
  temporal: number;
  /** Every postgres process on the machine (other databases included). */
  postgres: number;
  /** This process: uploads and the OpenAI-compatible test server. */
  bench: number;
  /** Share of the whole machine's CPU that was busy (0..1), anything included. */
  machineBusy: number;
}

export interface BatchResult {
  docs: number;
  pages: number;
  completed: number;
  failures: string[];
  makespanS: number;
  docsPerHour: number;
  pagesPerMin: number;
  latenciesS: number[];
  p50S: number;
  p95S: number;
  cpu: CpuBreakdown;
  rows: JobRow[];
  uploaded: Uploaded[];
}

export function startCpuMeters(stack: Stack, api: Api | undefined, workers: () => number[]) {
  const w = new CpuMeter(workers).start();
  const a = api ? cpuSeconds(api.child.pid) : NaN;
  const t = cpuSeconds(stack.temporal.process.pid);
  const pg0 = cpuSecondsByName('postgres');
  const b0 = process.cpuUsage();
  const m0 = machineCpu();
  return (): CpuBreakdown => {
    const b = process.cpuUsage(b0);
    return {
      workers: w.stop(),
      api: api ? cpuSeconds(api.child.pid) - a : NaN,
      temporal: cpuSeconds(stack.temporal.process.pid) - t,
      postgres: cpuSecondsByName('postgres') - pg0,
      bench: (b.user + b.system) / 1e6,
      machineBusy: busyShare(m0, machineCpu()),
    };
  };
}

export async function runBatch(opts: {
  stack: Stack;
  api: Api;
  token: string;
  workers: Child[];
  docs: BatchDoc[];
  uploadConcurrency?: number;
  timeoutMs: number;
}): Promise<BatchResult> {
  const { stack, api, token, workers, docs } = opts;
  const stopCpu = startCpuMeters(stack, api, () => workers.map((w) => w.pid));
  const uploaded = await uploadAll(api.url, token, docs.length, (i) => docs[i]!, opts.uploadConcurrency ?? 4);
  const ids = uploaded.map((u) => u.jobId);
  await waitFinished(stack.pool, ids, opts.timeoutMs, [...workers, api.child]);
  const cpu = stopCpu();
  const rows = await jobRows(stack.pool, ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const start = Math.min(...uploaded.map((u) => u.sentAt));
  const end = Math.max(...rows.map((r) => r.finished_at?.getTime() ?? Date.now()));
  const makespanS = (end - start) / 1000;
  const latenciesS = uploaded.map((u) => ((byId.get(u.jobId)?.finished_at?.getTime() ?? NaN) - u.sentAt) / 1000);
  const pages = docs.reduce((s, d) => s + d.pages, 0);
  const failed = rows.filter((r) => r.status !== 'completed');
  return {
    docs: docs.length,
    pages,
    completed: rows.length - failed.length,
    failures: failed.map((r) => `${r.id}: ${r.status} ${r.error_code ?? ''}`),
    makespanS,
    docsPerHour: (docs.length / makespanS) * 3600,
    pagesPerMin: (pages / makespanS) * 60,
    latenciesS,
    p50S: percentile(latenciesS, 50),
    p95S: percentile(latenciesS, 95),
    cpu,
    rows,
    uploaded,
  };
}
