/**
 * Looking at results: a cited page (its image, and where each quoted value sits on it) and several
 * finished jobs as one combined workbook. Same access rules as the job routes: the caller's own jobs
 * (an admin: anyone's), any other id answers 404.
 *
 * Page images are rendered on demand from the stored PDF at screen resolution, one at a time per API
 * process (a render takes tens to a few hundred milliseconds of CPU; requests queue rather than pile
 * up), and only for completed jobs, whose PDF a worker has already opened and checked.
 */
import Router from '@koa/router';
import { getDocumentBytes, pageWords, type JobRow } from '../../stores/jobs.js';
import { LIST_SECTIONS, type Evidence, type Extraction } from '../../core/contract/extraction.js';
import { loadJobResult } from '../../stores/extractions.js';
import { buildCombinedWorkbook } from '../../library/export/workbook.js';
import { quoteBoxes } from '../../library/extraction/highlight.js';
import { ocrWordsToPageWords, renderPagePreview, textLayerWords, type PageWord } from '../../library/pdf/preview.js';
import { audit } from '../audit.js';
import { jsonBody } from '../auth/middleware.js';
import type { AppContext, AppContextExtras, AppState } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { XLSX_TYPE, contentDisposition, requireCompleted, visibleJob } from './jobs.js';
import { CombinedDownloadRequestSchema, type PageView } from './results-shapes.js';

export const resultRoutes = new Router<AppState, AppContextExtras>();

resultRoutes.get('/jobs/:id/pages/:page', async (ctx) => {
  const { job, page } = await visiblePage(ctx, ctx.params);
  const row = await pageWords(job.id, page);
  if (!row) throw notFound('the page');
  const source = await loadJobResult(job.id);
  let words: PageWord[] = [];
  if (row.source === 'ocr') {
    words = ocrWordsToPageWords(row.words, row.width ?? 0, row.height ?? 0);
  } else {
    words = await withRenderSlot(async () => textLayerWords(await getDocumentBytes(job.id), page));
  }
  await audit(ctx, { action: 'job.page_view', targetType: 'job', targetId: job.id, detail: { page, part: 'words' } });
  const body: PageView = {
    page,
    pageCount: job.pages_total ?? page,
    source: row.source,
    aspectRatio: row.width && row.height ? row.width / row.height : 8.5 / 11,
    wordBoxes: words.length > 0,
    highlights: quotesOnPage(source.extraction, page).map((quote) => ({ quote, boxes: quoteBoxes(words, quote) })),
  };
  ctx.body = body;
});

resultRoutes.get('/jobs/:id/pages/:page/image', async (ctx) => {
  const { job, page } = await visiblePage(ctx, ctx.params);
  const preview = await withRenderSlot(async () => renderPagePreview(await getDocumentBytes(job.id), page));
  await audit(ctx, { action: 'job.page_view', targetType: 'job', targetId: job.id, detail: { page, part: 'image' } });
  ctx.type = 'image/png';
  ctx.body = preview.png;
});

resultRoutes.post('/download/combined', jsonBody, async (ctx) => {
  const { jobIds } = CombinedDownloadRequestSchema.parse(ctx.request.body ?? {});
  const ids = [...new Set(jobIds.map((id) => id.toLowerCase()))];
  const jobs: JobRow[] = [];
  for (const id of ids) {
    const job = await visibleJob(ctx, id).catch(() => {
      throw new ApiError(404, 'NotFound', `job ${id} was not found`);
    });
    try {
      requireCompleted(job, 'workbook');
    } catch (err) {
      throw new ApiError(409, 'NotReady', `"${job.filename}": ${(err as Error).message}`);
    }
    jobs.push(job);
  }
  const xlsx = await buildCombinedWorkbook(await Promise.all(jobs.map((j) => loadJobResult(j.id))));
  for (const job of jobs) {
    await audit(ctx, { action: 'job.download', targetType: 'job', targetId: job.id, detail: { format: 'xlsx', combined: true, documents: jobs.length } });
  }
  ctx.type = XLSX_TYPE;
  ctx.set('Content-Disposition', contentDisposition(`medextract-${jobs.length}-documents-${new Date().toISOString().slice(0, 10)}.xlsx`));
  ctx.body = xlsx;
});

/** The job (completed, visible to the caller) and a page number it has. */
async function visiblePage(ctx: AppContext, params: { id?: string; page?: string }): Promise<{ job: JobRow; page: number }> {
  const job = await visibleJob(ctx, params.id);
  requireCompleted(job, 'page view');
  const raw = params.page ?? '';
  const page = /^[1-9]\d{0,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(page >= 1 && page <= (job.pages_total ?? 0))) throw notFound('the page');
  return { job, page };
}

/** Distinct quotes the extraction cites on `page`, in document order. */
export function quotesOnPage(x: Extraction, page: number): string[] {
  const quotes = new Set<string>();
  const add = (ev: Evidence | null | undefined) => {
    if (ev && ev.page === page && typeof ev.quote === 'string' && ev.quote.trim() !== '') quotes.add(ev.quote);
  };
  for (const group of [x.document, x.patient]) for (const field of Object.values(group)) add(field.evidence);
  for (const section of LIST_SECTIONS) for (const item of x[section]) add(item.evidence);
  return [...quotes];
}

// One render at a time in this process.
let renderTail: Promise<unknown> = Promise.resolve();
function withRenderSlot<T>(work: () => Promise<T>): Promise<T> {
  const run = renderTail.catch(() => {}).then(work);
  renderTail = run;
  return run;
}
