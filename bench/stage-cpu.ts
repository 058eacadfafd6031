/**
 * Child process of digital-e2e: the CPU time of each stage's own work for one digital document, measured
 * with process.cpuUsage() around the very functions the activities call, one document at a time, in a
 * process that does nothing else (no Temporal, no database):
 *
 *   prepare  inspectPdf() minus its text-layer reading: open + validate the PDF, analyse each page's drawing
 *   text     readPageText() of every page (pdf.js text layer → our line layout)
 *   extract  chunkPages() + extractWithOpenAI() (prompt, HTTP request to the test LLM server, response
 *            parsing) + mergeExtractions() + verifyEvidence() (finishExtraction)
 *   export   buildWorkbook() (exceljs)
 *
 * Env: BENCH_LLM_URL, BENCH_LLM_KEY, BENCH_DOCS (measured), BENCH_WARMUP, BENCH_PAGES. Prints one JSON line:
 * { prepare: number[], text: number[], extract: number[], export: number[] } in CPU milliseconds per document.
 */
import { inspectPdf, openPdf, closePdf, getPageChecked } from '../library/pdf/document.js';
import { readPageText } from '../library/pdf/text-layer.js';
import { chunkPages, mergeExtractions } from '../library/extraction/chunk.js';
import { extractWithOpenAI } from '../library/extraction/openai-provider.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { SCHEMA_VERSION, type Extraction, type PageText } from '../core/contract/extraction.js';
import { digitalReportPdf, syntheticReport } from '../test/fixtures/generate.js';

const llmUrl = process.env.BENCH_LLM_URL!;
const llmKey = process.env.BENCH_LLM_KEY!;
const docs = Number(process.env.BENCH_DOCS ?? 20);
const warmup = Number(process.env.BENCH_WARMUP ?? 5);
const pagesPerDoc = Number(process.env.BENCH_PAGES ?? 3);
const CHUNK_CHARS = 24_000; // workflows/process-document.ts DEFAULT_CHUNK_CHARS

const cpuMs = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const c0 = process.cpuUsage();
  const v = await fn();
  const c = process.cpuUsage(c0);
  return [v, (c.user + c.system) / 1000];
};

const out = { prepare: [] as number[], text: [] as number[], extract: [] as number[], export: [] as number[] };
for (let i = 0; i < warmup + docs; i++) {
  const bytes = new Uint8Array(digitalReportPdf(syntheticReport({ pages: pagesPerDoc, seed: 50_000 + i, rowsPerPage: 12 })));

  const [info, inspectMs] = await cpuMs(() => inspectPdf(bytes, { maxPages: 500 }));
  const doc = await openPdf(bytes, { maxPages: 500 });
  let textMs = 0;
  try {
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await getPageChecked(doc, n);
      textMs += (await cpuMs(() => readPageText(page)))[1];
      page.cleanup();
    }
  } finally {
    await closePdf(doc);
  }

  const pages: PageText[] = info.pages.map((p) => ({ page: p.page, text: p.text }));
  const [merged, extractMs] = await cpuMs(async () => {
    const parts: Extraction[] = [];
    for (const chunk of chunkPages(pages, CHUNK_CHARS)) {
      const r = await extractWithOpenAI(chunk, { apiKey: llmKey, baseURL: llmUrl, model: 'gpt-4o-mini', timeoutMs: 60_000 });
      parts.push({ schema_version: SCHEMA_VERSION, ...r.extraction });
    }
    return verifyEvidence(mergeExtractions(parts), pages);
  });

  const [, exportMs] = await cpuMs(() =>
    buildWorkbook({
      jobId: '00000000-0000-4000-8000-000000000000',
      filename: `digital-${i}.pdf`,
      schemaVersion: SCHEMA_VERSION,
      pageCount: info.pageCount,
      pageSources: info.pages.map((p) => ({ page: p.page, source: 'text_layer' as const, ocrConfidence: null })),
      provider: 'openai',
      model: 'gpt-4o-mini',
      warnings: [],
      needsReview: false,
      extractedAt: new Date(),
      extraction: merged,
    }),
  );

  if (i >= warmup) {
    out.prepare.push(Math.max(0, inspectMs - textMs));
    out.text.push(textMs);
    out.extract.push(extractMs);
    out.export.push(exportMs);
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
