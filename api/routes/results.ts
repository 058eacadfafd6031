/**
 * Looking at results: a cited page (its image, and where each quoted value sits on it) and several
 * finished jobs as one combined workbook. Same access rules as the job routes: the caller's own jobs
 * (an admin: anyone's), any other id answers 404.
 *
 * Page images are rendered on demand from the stored document at screen resolution (or, to zoom in, at
 * one of a few sharper ones), and only for completed jobs, whose document a worker has already opened and
 * checked. A render takes tens to a few hundred
 * milliseconds of CPU, so renders go through a fair queue (api/page-render-queue.ts): a few at once
 * (PAGE_RENDER_CONCURRENCY), users served in turn, a bounded backlog per user (429 beyond), and a
 * byte-bounded cache of finished images. The access check always runs before the queue and its cache.
 */
import { getDocumentBytes, pageWords, type JobRow } from '../../stores/jobs.js';
import { LIST_SECTIONS, type Evidence, type Extraction } from '../../core/contract/extraction.js';
import { loadResultVersion } from '../result-versions.js';
import { buildCombinedWorkbook } from '../../library/export/workbook.js';
import { inReadingOrder, quoteBoxes } from '../../library/extraction/highlight.js';
import { PREVIEW_DPI, ocrWordsToPageWords, textLayerWords, type PageBox, type PageWord } from '../../library/pdf/preview.js';
import { renderDocumentPagePreview } from '../../library/document/index.js';
import { PageRenderQueue, QueueFullError, RenderCancelledError } from '../page-render-queue.js';
import { audit } from '../audit.js';
import { currentUser, type AppContext } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { XLSX_TYPE } from '../contract/jobs.js';
import { CombinedDownloadRequestSchema, JobPageParams, PageImageQuery, PageViewSchema, type PageView } from '../contract/results.js';
import { RouteGroup } from '../route.js';
import { XLSX_ANSWER, completedJobs, contentDisposition, requireCompleted, visibleJob } from './jobs.js';

export const resultRoutes = new RouteGroup('signed-in');

const NO_SUCH_PAGE = 'no such job (or not yours), or no such page in it';
const NOT_READY = 'the job has not completed (code NotReady)';
/** What one user may have waiting or running at once: a page view needs one or two, a flood gets 429. */
const MAX_RENDERS_PER_USER = 16;
/** Rendered page images kept in memory (a 100 dpi grayscale page is roughly 50-300 kB). */
const CACHE_BYTES = 32 * 1024 * 1024;
const QUEUE_FULL = {
  description: `the caller already has ${MAX_RENDERS_PER_USER} page renders waiting or running (code TooManyAttempts); retry after a second`,
  headers: { 'Retry-After': 'seconds to wait before retrying' },
};

resultRoutes.route(
  {
    method: 'get',
    path: '/jobs/:id/pages/:page',
    tag: 'jobs',
    operationId: 'getJobPage',
    summary: 'A page of a completed job: where each quoted value and each word sits on it',
    description:
      'For every quote the extraction cites on this page, the boxes of the words that spell it (fractions of the page, origin top left), ' +
      'and every word of the page with its box, from the OCR word boxes or the text layer. Pair it with `GET /jobs/{id}/pages/{page}/image`.',
    params: JobPageParams,
    answers: { 200: { description: 'the page', json: PageViewSchema } },
    errors: { 404: NO_SUCH_PAGE, 409: NOT_READY, 429: QUEUE_FULL },
  },
  async (ctx, { params }) => {
    const { job, page } = await visiblePage(ctx, params);
    const row = await pageWords(job.id, page);
    if (!row) throw notFound('the page');
    const source = await loadResultVersion(job);
    let words: PageWord[] = [];
    if (row.source === 'ocr') {
      words = ocrWordsToPageWords(row.words, row.width ?? 0, row.height ?? 0);
    } else {
      words = await withRenderSlot(ctx, async () => textLayerWords(await getDocumentBytes(job.id), page));
    }
    await audit(ctx, { action: 'job.page_view', targetType: 'job', targetId: job.id, detail: { page, part: 'words' } });
    ctx.body = {
      page,
      pageCount: job.pages_total ?? page,
      source: row.source,
      // Stored as the OCR engine reports it (0–100); the contract speaks in fractions.
      ocrConfidence: row.source === 'ocr' && row.ocr_confidence !== null ? Math.min(1, Math.max(0, row.ocr_confidence / 100)) : null,
      aspectRatio: row.width && row.height ? row.width / row.height : 8.5 / 11,
      wordBoxes: words.length > 0,
      highlights: quotesOnPage(source.extraction, page).map((quote) => ({ quote, boxes: quoteBoxes(words, quote) })),
      words: inReadingOrder(words).map((w) => ({ text: w.text, box: rounded(w.box) })),
    } satisfies PageView;
  },
);

resultRoutes.route(
  {
    method: 'get',
    path: '/jobs/:id/pages/:page/image',
    tag: 'jobs',
    operationId: 'getJobPageImage',
    summary: 'A page of a completed job as a grayscale PNG: 100 dpi for the screen, 200 or 300 dpi to zoom in',
    params: JobPageParams,
    query: PageImageQuery,
    answers: { 200: { description: 'the page image', media: 'image/png' } },
    errors: { 404: NO_SUCH_PAGE, 409: NOT_READY, 429: QUEUE_FULL },
  },
  async (ctx, { params, query: { dpi } }) => {
    // visiblePage is the access check: it runs before the cache, which is keyed by job, not by user
    const { job, page } = await visiblePage(ctx, params);
    const png = await withRenderSlot(
      ctx,
      async () => (await renderDocumentPagePreview(await getDocumentBytes(job.id), page, { dpi })).png,
      `${job.id}:${page}:${dpi}`,
    );
    await audit(ctx, {
      action: 'job.page_view',
      targetType: 'job',
      targetId: job.id,
      detail: { page, part: 'image', ...(dpi !== PREVIEW_DPI ? { dpi } : {}) },
    });
    ctx.type = 'image/png';
    ctx.body = png;
  },
);

resultRoutes.route(
  {
    method: 'post',
    path: '/download/combined',
    tag: 'jobs',
    operationId: 'downloadCombinedWorkbook',
    summary: 'Several completed jobs as one workbook, each at its current version',
    description: "One Summary row per document (with its version and review state); the section sheets stack every document's rows behind a Document column.",
    body: CombinedDownloadRequestSchema,
    answers: { 200: XLSX_ANSWER },
    errors: { 404: 'a job does not exist or is not yours', 409: 'a job has not completed (code NotReady)' },
  },
  async (ctx, { body: { jobIds } }) => {
    const jobs = await completedJobs(ctx, jobIds, 'workbook');
    const xlsx = await buildCombinedWorkbook(await Promise.all(jobs.map((j) => loadResultVersion(j))));
    for (const job of jobs) {
      await audit(ctx, { action: 'job.download', targetType: 'job', targetId: job.id, detail: { format: 'xlsx', combined: true, documents: jobs.length } });
    }
    ctx.type = XLSX_TYPE;
    ctx.set('Content-Disposition', contentDisposition(`medextract-${jobs.length}-documents-${new Date().toISOString().slice(0, 10)}.xlsx`));
    ctx.body = xlsx;
  },
);

/** The job (completed, visible to the caller) and a page number it has. */
async function visiblePage(ctx: AppContext, params: { id: string; page: string }): Promise<{ job: JobRow; page: number }> {
  const job = await visibleJob(ctx, params.id);
  requireCompleted(job, 'page view');
  const page = Number(params.page);
  if (!(page >= 1 && page <= (job.pages_total ?? 0))) throw notFound('the page');
  return { job, page };
}

/** A box to 5 decimals (a hundredth of a pixel on a 1000-pixel page): a page's words are sent whole, so their size matters. */
function rounded(b: PageBox): PageBox {
  const r = (n: number) => Math.round(n * 1e5) / 1e5;
  return { x0: r(b.x0), y0: r(b.y0), x1: r(b.x1), y1: r(b.y1) };
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

let queue: PageRenderQueue | undefined;
/** Run a render in the process's fair queue, as the calling user; a client that goes away leaves the queue. */
async function withRenderSlot<T>(ctx: AppContext, work: () => Promise<T>, key?: string): Promise<T> {
  queue ??= new PageRenderQueue({ concurrency: ctx.deps.cfg.pageRenderConcurrency, maxPerUser: MAX_RENDERS_PER_USER, cacheBytes: CACHE_BYTES });
  const gone = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableFinished) gone.abort();
  };
  ctx.res.once('close', onClose);
  try {
    return await queue.render({ user: currentUser(ctx).id, key, run: work, signal: gone.signal });
  } catch (err) {
    if (err instanceof QueueFullError) throw new ApiError(429, 'TooManyAttempts', err.message, { 'Retry-After': '1' });
    if (err instanceof RenderCancelledError) throw new ApiError(408, 'RequestTimeout', err.message); // nobody is listening any more
    throw err;
  } finally {
    ctx.res.off('close', onClose);
  }
}
