/**
 * 2. Scanned documents end to end: generated 10-page scanned lab reports (image-only pages, known text)
 * uploaded through POST /upload, each through the whole workflow (prepare → OCR batches → LLM
 * extraction → workbook) on one worker process with the default settings (OCR_WORKERS = cores,
 * MAX_CONCURRENT_ACTIVITIES = 10). Compared with the ceiling: a bare tesseract.js pool with the same
 * worker count (library/ocr/pool.ts, in this process) recognising the same pages, rendered the same
 * way, and doing nothing else.
 */
import { renderPagesForOcr } from '../library/pdf/render.js';
import { closeOcrPool, getOcrPool } from '../library/ocr/pool.js';
import { scannedReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import type { BenchContext } from './lib/context.js';
import { runBatch, type BatchDoc, type BatchResult } from './lib/e2e.js';
import { login, uniqueBytes, upload, waitFinished } from './lib/jobs.js';
import { startApi, startWorkers, stopChild, uniquePrefix } from './lib/stack.js';
import { fmt, fmtPct, fmtRatio, gapAtLeast, median, type Report } from './lib/util.js';

const PAGES_PER_DOC = 10;
const ROWS_PER_PAGE = 24;

function makeDocs(count: number, seedBase: number, tag: string): BatchDoc[] {
  return Array.from({ length: count }, (_, i) => {
    const r = syntheticReport({ pages: PAGES_PER_DOC, seed: seedBase + i, rowsPerPage: ROWS_PER_PAGE });
    return { name: `scan-${seedBase + i}.pdf`, pdf: uniqueBytes(new Uint8Array(scannedReportPdf(r)), `${tag}-${seedBase + i}`), pages: PAGES_PER_DOC };
  });
}

/** The ceiling: the same pages through a bare pool of `size` workers, all queued at once. */
async function ceiling(docs: BatchDoc[], size: number): Promise<{ wallS: number; cpuS: number; pages: number }> {
  const images: Uint8Array[] = [];
  for (const d of docs) {
    for await (const p of renderPagesForOcr(
      d.pdf,
      Array.from({ length: d.pages }, (_, i) => i + 1),
      { dpi: 300 },
    ))
      images.push(p.image);
  }
  const pool = await getOcrPool('eng', { size });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(images.map((im) => pool.recognize(im)));
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wallS, cpuS: (c.user + c.system) / 1e6, pages: images.length };
}

export async function scannedE2e(ctx: BenchContext): Promise<Report> {
  const docsPerRun = ctx.quick ? 1 : 4;
  const repeats = ctx.quick ? 1 : 3;
  const ocrWorkers = ctx.cores;
  const stack = await ctx.stack();
  stack.llm.setLatency(0); // OCR is what is measured here; the LLM answers at once
  const prefix = uniquePrefix('scanned');
  ctx.progress(`scanned-e2e: starting the API and 1 worker process`);
  const [api, workers] = await Promise.all([startApi(stack, prefix), startWorkers(stack, 1, { prefix, ocrWorkers })]);
  const token = await login(api.url);

  // Warm-up (full mode, not measured): one 1-page scanned document, so the worker's OCR pool, database
  // connections and JIT are warm, as on a worker that has been running; the ceiling's pool is warmed too.
  // --quick skips both warm-ups: both sides then pay their OCR pool's start-up once.
  if (!ctx.quick) {
    ctx.progress('scanned-e2e: warm-up document');
    const warm = syntheticReport({ pages: 1, seed: 9_999, rowsPerPage: ROWS_PER_PAGE });
    const w = await upload(api.url, token, 'warm-up.pdf', uniqueBytes(new Uint8Array(scannedReportPdf(warm)), `warm-${prefix}`), 1);
    await waitFinished(stack.pool, [w.jobId], 180_000, [...workers, api.child]);
    const pool = await getOcrPool('eng', { size: ocrWorkers });
    const warmDoc = makeDocs(1, 9_998, 'ceiling-warm')[0]!;
    const imgs: Uint8Array[] = [];
    for await (const p of renderPagesForOcr(
      warmDoc.pdf,
      Array.from({ length: ocrWorkers }, (_, i) => i + 1),
      { dpi: 300 },
    ))
      imgs.push(p.image);
    await Promise.all(imgs.map((im) => pool.recognize(im)));
  }

  const runs: Array<{ e2e: BatchResult; ceil: { wallS: number; cpuS: number; pages: number } }> = [];
  for (let r = 0; r < repeats; r++) {
    const docs = makeDocs(docsPerRun, 1_000 + r * 100, prefix);
    ctx.progress(`scanned-e2e: run ${r + 1}/${repeats}: ${docsPerRun} documents × ${PAGES_PER_DOC} pages end to end`);
    const e2e = await runBatch({ stack, api, token, workers, docs, uploadConcurrency: docsPerRun, timeoutMs: 30 * 60_000 });
    ctx.progress(`scanned-e2e: run ${r + 1}/${repeats}: ceiling (bare pool) on the same ${e2e.pages} pages`);
    const ceil = await ceiling(docs, ocrWorkers);
    runs.push({ e2e, ceil });
  }
  await closeOcrPool();
  await Promise.all([...workers.map((c) => stopChild(c)), stopChild(api.child)]);

  const m = (f: (x: (typeof runs)[number]) => number) => median(runs.map(f));
  const e2ePpm = m((x) => x.e2e.pagesPerMin);
  const ceilPpm = m((x) => (x.ceil.pages / x.ceil.wallS) * 60);
  const ratio = m((x) => x.e2e.pagesPerMin / ((x.ceil.pages / x.ceil.wallS) * 60));
  const pages = runs[0]!.e2e.pages;
  const allRows = runs.flatMap((x) => x.e2e.rows);
  const stage = (s: string) => median(allRows.map((row) => row.stage_ms[s] ?? NaN)) / 1000;
  const failures = runs.flatMap((x) => x.e2e.failures);
  const perPage = (f: (x: (typeof runs)[number]) => number) => m((x) => f(x) / x.e2e.pages);

  const rows = [
    [
      `end to end: upload → workbook (1 worker process, OCR pool of ${ocrWorkers})`,
      String(runs[0]!.e2e.docs),
      String(pages),
      fmt(
        m((x) => x.e2e.docsPerHour),
        0,
      ),
      fmt(e2ePpm, 1),
      fmt(
        m((x) => x.e2e.p50S),
        1,
      ),
      fmt(
        m((x) => x.e2e.p95S),
        1,
      ),
      fmt(
        perPage((x) => x.e2e.cpu.workers),
        2,
      ),
      fmtRatio(ratio),
    ],
    [
      `ceiling: bare tesseract.js pool of ${ocrWorkers}, OCR only`,
      '-',
      String(runs[0]!.ceil.pages),
      '-',
      fmt(ceilPpm, 1),
      '-',
      '-',
      fmt(
        m((x) => x.ceil.cpuS / x.ceil.pages),
        2,
      ),
      '1.00×',
    ],
  ];
  const notes = [
    gapAtLeast('target: end-to-end pages/min ≥ 90 % of the ceiling', ratio * 100, 90, ' %'),
    `other CPU per page during the end-to-end runs: API ${fmt(
      perPage((x) => x.e2e.cpu.api),
      3,
    )} s, Temporal ${fmt(
      perPage((x) => x.e2e.cpu.temporal),
      3,
    )} s, ` +
      `postgres ${fmt(
        perPage((x) => x.e2e.cpu.postgres),
        3,
      )} s (all databases), bench process (uploads, LLM server) ${fmt(
        perPage((x) => x.e2e.cpu.bench),
        3,
      )} s; ` +
      `machine CPU busy ${fmtPct(
        m((x) => x.e2e.cpu.machineBusy),
        0,
      )}`,
    `activity wall time per document (jobs.stage_ms, OCR summed over its parallel batches): prepare ${fmt(stage('prepare'), 2)} s, ocr ${fmt(stage('ocr'), 1)} s, extract ${fmt(stage('extract'), 2)} s, export ${fmt(stage('export'), 2)} s`,
    `${repeats} run(s) of ${docsPerRun} unique generated 10-page scans (${ROWS_PER_PAGE} result rows per page, 300-dpi JPEG) uploaded at once${ctx.quick ? ' (no warm-up in --quick)' : ' after a warm-up document'}; medians over runs; latency = upload request sent → job finished; LLM test server answering at once (no latency, no rate cap).`,
  ];
  if (failures.length) notes.push(`FAILED jobs: ${failures.join('; ')}`);
  return {
    name: 'scanned-e2e',
    title: '2. Scanned documents end to end',
    header: [
      `worker: 1 process, OCR_WORKERS=${ocrWorkers}, MAX_CONCURRENT_ACTIVITIES=10 (defaults); API: 1 process; Temporal dev server; PostgreSQL on 127.0.0.1`,
    ],
    columns: ['run', 'docs', 'pages', 'docs/hour', 'pages/min', 'p50 s', 'p95 s', 'CPU s/page', 'vs ceiling'],
    rows,
    notes,
    data: { runs: runs.map((x) => ({ ...x.e2e, rows: undefined, uploaded: undefined, ceiling: x.ceil })) },
  };
}
