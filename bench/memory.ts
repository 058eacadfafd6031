/**
 * 6. Memory and size (full mode only):
 *  a) peak RSS of one worker process running 10 OCR activities at once (a 20-page scanned document: ten
 *     2-page OCR batches, MAX_CONCURRENT_ACTIVITIES=10), with the number of running OCR activities read
 *     from the worker's own /metrics every second;
 *  b) a 300-page scanned document through one worker process: RSS sampled every second (start, peak, end,
 *     and the medians of the first and last third of the run: flat memory means they are close);
 *  c) the same document (new bytes) through three worker processes: wall time, and the ratio to b).
 * BENCH_MEMORY_PAGES overrides the 300 pages (for trying the benchmark out).
 */
import fs from 'node:fs';
import path from 'node:path';
import { scannedReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import type { BenchContext } from './lib/context.js';
import { login, upload, uniqueBytes, waitFinished } from './lib/jobs.js';
import { cpuSeconds, peakRssBytes, RssSampler } from './lib/proc.js';
import { spawnChild, startApi, startWorkers, stopChild, tail, uniquePrefix, type Api, type Child, type Stack } from './lib/stack.js';
import { fmt, fmtMB, median, type Report } from './lib/util.js';

const SCAN_DPI = 200;
const TEN = 10;
/** A worker's `ocr` queue has OCR_WORKERS + 1 slots (workers/worker.ts), so OCR_WORKERS=9 runs ten OCR activities. */
const ENGINES_FOR_TEN = TEN - 1;

async function ocrRunning(w: Child): Promise<number> {
  try {
    const text = await (await fetch(`${w.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    let n = 0;
    for (const m of text.matchAll(/^medextract_activities_running\{[^}]*activity="ocrPages"[^}]*\} (\d+)/gm)) n += Number(m[1]);
    return n;
  } catch {
    return NaN;
  }
}

interface DocRun {
  workers: number;
  wallS: number;
  pages: number;
  status: string;
  start: number;
  peak: number;
  hwm: number;
  end: number;
  firstThird: number;
  lastThird: number;
  maxOcr: number;
  cpuS: number;
}

async function runDoc(stack: Stack, api: Api, token: string, workers: Child[], pdf: Uint8Array, pages: number, name: string): Promise<DocRun> {
  await new Promise((r) => setTimeout(r, 2000)); // settle after start-up
  const pids = () => workers.map((w) => w.pid);
  const sampler = new RssSampler(pids, 1000).start();
  let maxOcr = 0;
  const ocrTimer = setInterval(() => {
    void Promise.all(workers.map(ocrRunning)).then(
      (ns) =>
        (maxOcr = Math.max(
          maxOcr,
          ns.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0),
        )),
    );
  }, 1000);
  const cpu0 = workers.map((w) => cpuSeconds(w.pid));
  const up = await upload(api.url, token, name, pdf, pages);
  const [row] = await waitFinished(stack.pool, [up.jobId], 4 * 3600_000, [...workers, api.child]);
  clearInterval(ocrTimer);
  const cpuS = workers.reduce((s, w, i) => s + cpuSeconds(w.pid) - cpu0[i]!, 0);
  const samples = sampler.stop();
  const hwm = workers.reduce((s, w) => s + peakRssBytes(w.pid), 0);
  const third = Math.max(1, Math.floor(samples.length / 3));
  return {
    workers: workers.length,
    wallS: ((row!.finished_at?.getTime() ?? Date.now()) - up.sentAt) / 1000,
    pages,
    status: row!.status,
    start: samples[0]?.rss ?? NaN,
    peak: Math.max(...samples.map((s) => s.rss)),
    hwm,
    end: samples.at(-1)?.rss ?? NaN,
    firstThird: median(samples.slice(0, third).map((s) => s.rss)),
    lastThird: median(samples.slice(-third).map((s) => s.rss)),
    maxOcr,
    cpuS,
  };
}

export async function memory(ctx: BenchContext): Promise<Report> {
  const bigPages = Number(process.env.BENCH_MEMORY_PAGES ?? 300);
  const stack = await ctx.stack();
  stack.llm.setLatency(0);
  const prefix = uniquePrefix('memory');
  const api = await startApi(stack, prefix, { MAX_UPLOAD_MB: '256' });
  const token = await login(api.url);

  // a) 10 OCR activities at once on one worker: its `ocr` queue has one slot more than it has OCR
  // engines, so OCR_WORKERS=9; a 20-page document is 20 one-page OCR activities.
  ctx.progress(`memory: 20-page scanned document on 1 worker with OCR_WORKERS=${ENGINES_FOR_TEN} (${TEN} OCR activities at once)`);
  let workers = await startWorkers(stack, 1, { prefix, ocrWorkers: ENGINES_FOR_TEN });
  const ten = uniqueBytes(new Uint8Array(scannedReportPdf(syntheticReport({ pages: 20, seed: 40_000, rowsPerPage: 24 }))), `${prefix}ten`);
  const idleRss = peakRssBytes(workers[0]!.pid);
  const a = await runDoc(stack, api, token, workers, ten, 20, 'ten-activities.pdf');
  await Promise.all(workers.map((w) => stopChild(w)));
  ctx.progress(`memory: → ${a.maxOcr} OCR activities at once, peak RSS ${fmtMB(a.hwm)} (after start-up ${fmtMB(idleRss)}), ${fmt(a.wallS, 0)} s, ${a.status}`);

  // b) and c): the 300-page document with 1, then 3 worker processes.
  ctx.progress(`memory: generating a ${bigPages}-page scanned document (${SCAN_DPI}-dpi JPEG pages)`);
  const bigFile = path.join(ctx.tmp, 'big-scan.pdf');
  const gen = spawnChild(
    'make-scan',
    process.execPath,
    ['--import', 'tsx', 'bench/make-scan.ts', bigFile, String(bigPages), '41000', String(SCAN_DPI)],
    {},
    stack.logDir,
  );
  if ((await gen.exited) !== 0) throw new Error(`generating the ${bigPages}-page document failed:\n${tail(gen)}`);
  const big = new Uint8Array(fs.readFileSync(bigFile));
  fs.rmSync(bigFile);
  const runs: DocRun[] = [];
  for (const n of [1, 3]) {
    ctx.progress(`memory: ${bigPages}-page document (${fmtMB(big.length)}) on ${n} worker process(es)`);
    workers = await startWorkers(stack, n, { prefix });
    const r = await runDoc(stack, api, token, workers, uniqueBytes(big, `${prefix}big${n}`), bigPages, `big-${n}.pdf`);
    runs.push(r);
    await Promise.all(workers.map((w) => stopChild(w)));
    ctx.progress(
      `memory: → ${n} worker(s): ${fmt(r.wallS, 0)} s, RSS start ${fmtMB(r.start)}, peak ${fmtMB(r.peak)}, end ${fmtMB(r.end)}, first/last third ${fmtMB(r.firstThird)}/${fmtMB(r.lastThird)}, ${r.status}`,
    );
  }
  await stopChild(api.child);

  const rows = [
    [
      `20 pages, 1 worker, OCR_WORKERS=${ENGINES_FOR_TEN}: ${a.maxOcr} OCR activities at once`,
      String(a.workers),
      fmt(a.wallS, 0),
      fmt((a.pages / a.wallS) * 60, 1),
      fmtMB(a.start),
      fmtMB(a.peak),
      fmtMB(a.hwm),
      fmtMB(a.end),
      `${fmtMB(a.firstThird)} → ${fmtMB(a.lastThird)}`,
      fmt(a.cpuS / a.pages, 2),
      a.status,
    ],
    ...runs.map((r) => [
      `${r.pages} pages, ${r.workers} worker process${r.workers > 1 ? 'es' : ''} (max ${r.maxOcr} OCR activities)`,
      String(r.workers),
      fmt(r.wallS, 0),
      fmt((r.pages / r.wallS) * 60, 1),
      fmtMB(r.start),
      fmtMB(r.peak),
      fmtMB(r.hwm),
      fmtMB(r.end),
      `${fmtMB(r.firstThird)} → ${fmtMB(r.lastThird)}`,
      fmt(r.cpuS / r.pages, 2),
      r.status,
    ]),
  ];
  const [one, three] = runs;
  const notes = [
    `peak RSS of a worker running ${a.maxOcr} OCR activities (OCR_WORKERS=${ENGINES_FOR_TEN}: ${ENGINES_FOR_TEN} engines reading, one more page being decoded): ${fmtMB(a.hwm)} (VmHWM; ${fmtMB(idleRss)} after start-up, before any work)`,
    `flat memory on ${bigPages} pages (1 worker): RSS first third ${fmtMB(one!.firstThird)}, last third ${fmtMB(one!.lastThird)} (${fmt((one!.lastThird / one!.firstThird - 1) * 100, 0)} %), peak ${fmtMB(one!.peak)}`,
    `wall time ${bigPages} pages: 1 worker ${fmt(one!.wallS, 0)} s, 3 workers ${fmt(three!.wallS, 0)} s → 3 workers take ${fmt(three!.wallS / one!.wallS, 2)}× the time of 1 ` +
      `(on ${ctx.cores} cores every process has OCR_WORKERS=${ctx.cores}, so 3 processes share the same cores; the ratio shows the cost or gain of spreading one document over processes)`,
    `RSS columns are summed over the worker processes; start = first sample after start-up, peak = highest 1-s sample, HWM = kernel's peak (VmHWM, between samples too), end = last sample before the job finished. ` +
      `The ${bigPages}-page document is ${fmtMB(big.length)} (${SCAN_DPI}-dpi JPEG pages, rendered for OCR at 300 dpi); API MAX_UPLOAD_MB=256 for it.`,
  ];
  return {
    name: 'memory',
    title: '6. Memory and size',
    header: [
      `workers with defaults (OCR_WORKERS=${ctx.cores}: ${ctx.cores + 1} OCR pages at once per process), except the first row; RSS sampled every second from /proc`,
    ],
    columns: ['run', 'workers', 'wall s', 'pages/min', 'RSS start', 'RSS peak', 'HWM', 'RSS end', 'first → last third', 'CPU s/page', 'status'],
    rows,
    notes,
    data: { tenActivities: a, idleRss, big: runs, bigBytes: big.length },
  };
}
