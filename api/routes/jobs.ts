/**
 * The job side of the API: follow jobs, download the results, cancel or delete.
 * Every route sits behind `authenticate`. A user sees only their own jobs; an admin sees all. Any job
 * the caller may not see — another user's, a deleted one, a malformed id — answers the same 404, so
 * nothing leaks about what exists.
 *
 * Uploading is api/routes/upload.ts.
 *
 * The work queue: `GET /jobs` searches (file name or patient name), filters and sorts; `GET
 * /jobs/next-review` is the job that has waited longest for a person's approval.
 *
 * Cancel (`DELETE /jobs/:id` on a queued or processing job): the workflow is asked to cancel and the
 * answer is `202 {id, status: 'cancelling'}` at once; the workflow's cancellation handler marks the job
 * `cancelled` moments later (poll `GET /status/:id`). Deleting a finished job (completed, failed or
 * cancelled) removes the document and everything derived from it and answers 204.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  deleteFinishedJob,
  finishJob,
  getJob,
  listJobs,
  nextJobAwaitingReview,
  type JobListPosition,
  type JobListSort,
  type JobRow,
  type ListedJob,
} from '../../stores/jobs.js';
import { deleteJobHistory, safeFilename } from '../../services/pipeline-client.js';
import { resultBaseName, workflowIdForJob, type JobStatus } from '../../core/contract/jobs.js';
import { getWorkbook } from '../../stores/extractions.js';
import { buildWorkbook } from '../../library/export/workbook.js';
import { loadResultVersion, resultJson } from '../result-versions.js';
import { audit } from '../audit.js';
import { currentUser, type AppContext } from '../context.js';
import {
  CancelResultSchema,
  JobIdParams,
  JobListQuerySchema,
  JobListSchema,
  JobViewSchema,
  NextReviewSchema,
  XLSX_TYPE,
  type CancelResult,
  type JobList,
  type JobView,
  type NextReview,
} from '../contract/jobs.js';
import { ExtractionResultSchema } from '../contract/results.js';
import { ResultVersionQuery } from '../contract/review.js';
import { ApiError, notFound } from '../errors.js';
import { RouteGroup } from '../route.js';

const FINISHED: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function jobView(j: JobRow): JobView {
  return {
    id: j.id,
    owner: j.owner,
    ownerName: j.owner_name,
    filename: j.filename,
    status: j.status,
    needsReview: j.status === 'completed' && j.needs_review,
    warnings: j.warnings,
    stage: j.stage,
    progress: { pagesDone: j.pages_done, pagesTotal: j.pages_total },
    error: j.error_code ? { code: j.error_code, message: j.error_message ?? j.error_code } : null,
    createdAt: j.created_at.toISOString(),
    startedAt: iso(j.started_at),
    finishedAt: iso(j.finished_at),
    tokens: { in: j.tokens_in, out: j.tokens_out },
    version: j.result_version,
    reviewState: j.review_state,
    awaitingReview: j.status === 'completed' && j.review_required && j.review_state !== 'approved',
    deidentification: j.deid,
  };
}

/** Who sees every user's jobs: administrators and reviewers. */
export const seesAllJobs = (role: string): boolean => role === 'admin' || role === 'reviewer';

const NO_SUCH_JOB = 'no such job, or not yours';
const NOT_READY = 'the job has not completed (code NotReady)';
/** The workbook answers of GET /download/:id and POST /download/combined. */
export const XLSX_ANSWER = {
  description: 'the workbook (.xlsx), as an attachment',
  media: XLSX_TYPE,
  headers: { 'Content-Disposition': '`attachment; filename="<name>.xlsx"; filename*=UTF-8\'\'<name>.xlsx`' },
};

// ---------------------------------------------------------------------------------------------------
// Routes

export const jobRoutes = new RouteGroup('signed-in');

jobRoutes.route(
  {
    method: 'get',
    path: '/status/:id',
    tag: 'jobs',
    operationId: 'getJobStatus',
    summary: "A job's status, stage and progress",
    params: JobIdParams,
    answers: { 200: { description: 'the job', json: JobViewSchema } },
    errors: { 404: NO_SUCH_JOB },
  },
  async (ctx, { params }) => {
    const job = await visibleJob(ctx, params.id);
    // Only finished jobs are audited (a running job's progress says nothing new), and repeated views of
    // one job by one caller are aggregated into a count (api/audit.ts), so polling does not flood the log.
    if (FINISHED.has(job.status)) await audit(ctx, { action: 'job.status_view', targetType: 'job', targetId: job.id, detail: { status: job.status } });
    ctx.body = jobView(job);
  },
);

jobRoutes.route(
  {
    method: 'get',
    path: '/jobs',
    tag: 'jobs',
    operationId: 'listJobs',
    summary: 'Your jobs, newest or oldest first (administrators and reviewers: everyone’s), searched and filtered',
    description:
      'Keyset pagination: pass `nextCursor` as `cursor` for the next page, with the same `sort`; filters may change between pages ' +
      '(the cursor is a position, not a result set). `q` matches part of the file name or of the patient name of the current result, any case.',
    query: JobListQuerySchema,
    answers: { 200: { description: 'a page of jobs', json: JobListSchema } },
    errors: {
      400: 'a bad filter, date or cursor, or a cursor of the other sort (code InvalidRequest)',
      403: "another user's jobs, asked for by a user who is neither an administrator nor a reviewer (code Forbidden)",
    },
  },
  async (ctx, { query: q }) => {
    const user = currentUser(ctx);
    if (q.owner !== undefined && !seesAllJobs(user.role) && q.owner !== user.id) {
      throw new ApiError(403, 'Forbidden', "only an administrator or a reviewer can list other users' jobs");
    }
    const owner = seesAllJobs(user.role) ? q.owner : user.id;
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, q.sort);
    const flag = (v: 'true' | 'false' | undefined) => (v === undefined ? undefined : v === 'true');
    const needsReview = flag(q.needsReview);
    const awaitingReview = flag(q.awaitingReview);
    const rows = await listJobs({
      owner,
      statuses: q.status,
      needsReview,
      reviewState: q.reviewState,
      awaitingReview,
      search: q.q,
      createdFrom: q.from,
      createdTo: q.to,
      sort: q.sort,
      after,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    // Which filters were used and how many jobs were shown, never their names nor the search text (a
    // patient's name is patient data); the UI's polling is aggregated (api/audit.ts).
    await audit(ctx, {
      action: 'job.list',
      detail: {
        owner: owner ?? 'all',
        status: q.status?.join(',') ?? null,
        ...(needsReview === undefined ? {} : { needsReview }),
        ...(q.reviewState === undefined ? {} : { reviewState: q.reviewState }),
        ...(awaitingReview === undefined ? {} : { awaitingReview }),
        ...(q.q === undefined ? {} : { search: true }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        // only when not the default, so a plain listing's row stays as it was
        ...(q.sort === 'newest' ? {} : { sort: q.sort }),
        page: q.cursor === undefined ? 'first' : 'next',
        returned: page.length,
      },
    });
    ctx.body = { jobs: page.map(jobView), nextCursor: rows.length > q.limit && last ? encodeCursor(last, q.sort) : null } satisfies JobList;
  },
);

// Registered before every `/jobs/:id…` route, so `next-review` is never read as a job id.
jobRoutes.route(
  {
    method: 'get',
    path: '/jobs/next-review',
    tag: 'jobs',
    operationId: 'nextJobToReview',
    summary: 'The job that has waited longest for review',
    description:
      "The oldest (by when it completed) completed job that the review policy holds for a person's approval and nobody has approved yet, " +
      'among the jobs the caller may see: their own; administrators and reviewers: everyone’s.',
    answers: { 200: { description: 'the job to review next', json: NextReviewSchema } },
    errors: { 404: 'no document is waiting for review (code NotFound)' },
  },
  async (ctx) => {
    const user = currentUser(ctx);
    const job = await nextJobAwaitingReview(seesAllJobs(user.role) ? undefined : user.id);
    await audit(ctx, { action: 'job.next_review', ...(job ? { targetType: 'job', targetId: job.id } : {}), detail: { found: job !== undefined } });
    if (!job) throw new ApiError(404, 'NotFound', 'no document is waiting for review');
    ctx.body = { job: jobView(job) } satisfies NextReview;
  },
);

jobRoutes.route(
  {
    method: 'get',
    path: '/download/:id',
    tag: 'jobs',
    operationId: 'downloadWorkbook',
    summary: "The job's Excel workbook, of the result's current version",
    description:
      'Once a person has corrected or approved the result, the workbook is built from the current version; its Summary names the version and review state.',
    params: JobIdParams,
    answers: { 200: XLSX_ANSWER },
    errors: { 404: NO_SUCH_JOB, 409: NOT_READY },
  },
  async (ctx, { params }) => {
    const job = await visibleJob(ctx, params.id);
    requireCompleted(job, 'workbook');
    // The workflow's exports are stamped with what they were built of (version 0 unreviewed, then the
    // approved version); a result people are still working on is built afresh.
    const stored = await getWorkbook(job.id, { version: job.result_version, reviewState: job.review_state, approvedAt: job.approved_at });
    const xlsx = stored ?? (job.result_version > 0 || job.review_state !== 'unreviewed' ? await buildWorkbook(await loadResultVersion(job)) : undefined);
    if (!xlsx) throw notReady(job, 'workbook');
    await audit(ctx, {
      action: 'job.download',
      targetType: 'job',
      targetId: job.id,
      detail: { format: 'xlsx', size: xlsx.byteLength, version: job.result_version },
    });
    ctx.type = XLSX_TYPE;
    ctx.set('Content-Disposition', contentDisposition(`${resultBaseName(job.filename)}.xlsx`));
    ctx.body = xlsx;
  },
);

jobRoutes.route(
  {
    method: 'get',
    path: '/jobs/:id/result',
    tag: 'jobs',
    operationId: 'getJobResult',
    summary: 'The extraction as JSON, every value with its page, quote and review state',
    description:
      'The current version (or `?version=N`, rebuilt from the history). Every value carries `review.state`; a corrected one keeps the ' +
      "machine's value in `review.original`. The `ETag` is the version, for `If-Match` on `PATCH /jobs/{id}/result`.",
    params: JobIdParams,
    query: ResultVersionQuery,
    answers: { 200: { description: 'the extraction', json: ExtractionResultSchema, headers: { ETag: '`"<version>"`' } } },
    errors: { 404: `${NO_SUCH_JOB}, or no such version`, 409: NOT_READY },
  },
  async (ctx, { params, query }) => {
    const job = await visibleJob(ctx, params.id);
    requireCompleted(job, 'result');
    const version = query.version ?? job.result_version;
    if (version > job.result_version) throw new ApiError(404, 'NotFound', `version ${version} does not exist (the result is at version ${job.result_version})`);
    const body = resultJson(await loadResultVersion(job, version));
    await audit(ctx, {
      action: 'job.result_view',
      targetType: 'job',
      targetId: job.id,
      ...(query.version === undefined ? {} : { detail: { version } }),
    });
    ctx.set('ETag', `"${version}"`);
    ctx.body = body;
  },
);

jobRoutes.route(
  {
    method: 'delete',
    path: '/jobs/:id',
    tag: 'jobs',
    operationId: 'deleteJob',
    summary: 'Cancel a running job, or delete a finished one with all its data',
    description:
      'A queued or processing job: its workflow is cancelled and the answer is 202 with `status: "cancelling"` ' +
      '(`"cancelled"` when no workflow was running); the job becomes `cancelled` shortly — poll `GET /status/{id}`. ' +
      'A completed, failed or cancelled job: the document, its pages, extraction and workbook are deleted (204).',
    params: JobIdParams,
    answers: { 202: { description: 'cancellation requested', json: CancelResultSchema }, 204: { description: 'deleted' } },
    errors: { 404: NO_SUCH_JOB, 409: 'the job finished by itself before it could be cancelled (code AlreadyFinished); delete it again to remove it' },
  },
  async (ctx, { params }) => {
    const job = await visibleJob(ctx, params.id);
    if (!FINISHED.has(job.status)) {
      let status: CancelResult['status'] = 'cancelling';
      try {
        await ctx.deps.temporal.workflow.getHandle(workflowIdForJob(job.id)).cancel();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // No running workflow will ever finish this job (it closed, or never started): finish it here —
        // unless it finished by itself in the meantime, which the caller should hear about.
        await finishJob(job.id, 'cancelled');
        const now = await getJob(job.id);
        if (!now) throw notFound('the job');
        if (now.status !== 'cancelled') {
          throw new ApiError(409, 'AlreadyFinished', `the job finished (${now.status}) before it could be cancelled; delete it to remove it`);
        }
        status = 'cancelled';
      }
      await audit(ctx, { action: 'job.cancel', targetType: 'job', targetId: job.id, detail: { from: job.status } });
      ctx.status = 202;
      ctx.body = { id: job.id, status } satisfies CancelResult;
      return;
    }
    if (!(await deleteFinishedJob(job.id))) throw notFound('the job');
    // Its workflow history and search attributes (the file name may name a patient) go too.
    await deleteJobHistory(ctx.deps.temporal, ctx.deps.cfg, job.id);
    await audit(ctx, { action: 'job.delete', targetType: 'job', targetId: job.id, detail: { status: job.status } });
    ctx.status = 204;
  },
);

// ---------------------------------------------------------------------------------------------------
// Access

/** The job, if the caller may see it; otherwise the same 404 whatever the reason. */
export async function visibleJob(ctx: AppContext, id: string | undefined): Promise<JobRow> {
  const user = currentUser(ctx);
  if (!id || !UUID_RE.test(id)) throw notFound('the job');
  const job = await getJob(id.toLowerCase());
  if (!job || (!seesAllJobs(user.role) && job.owner !== user.id)) throw notFound('the job');
  return job;
}

type ResultPart = 'workbook' | 'result' | 'page view' | 'FHIR Bundle';

function notReady(job: JobRow, what: ResultPart): ApiError {
  const why =
    job.status === 'failed'
      ? `the job failed (${job.error_code ?? 'unknown error'}), so there is no ${what}`
      : job.status === 'cancelled'
        ? `the job was cancelled, so there is no ${what}`
        : `the job is ${job.status}; the ${what} is ready once it is completed`;
  return new ApiError(409, 'NotReady', why);
}

export function requireCompleted(job: JobRow, what: ResultPart): void {
  if (job.status !== 'completed') throw notReady(job, what);
}

/** The jobs of a combined download, once each, in the order asked: each visible to the caller (else 404) and completed (else 409). */
export async function completedJobs(ctx: AppContext, jobIds: readonly string[], what: ResultPart): Promise<JobRow[]> {
  const jobs: JobRow[] = [];
  for (const id of new Set(jobIds.map((i) => i.toLowerCase()))) {
    const job = await visibleJob(ctx, id).catch(() => {
      throw new ApiError(404, 'NotFound', `job ${id} was not found`);
    });
    try {
      requireCompleted(job, what);
    } catch (err) {
      throw new ApiError(409, 'NotReady', `"${job.filename}": ${(err as Error).message}`);
    }
    jobs.push(job);
  }
  return jobs;
}

// ---------------------------------------------------------------------------------------------------
// Download names

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 / 8187):
 * no quotes, backslashes, controls or path separators can reach the header.
 */
export function contentDisposition(name: string): string {
  const clean = safeFilename(name);
  const ascii = clean
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

// ---------------------------------------------------------------------------------------------------
// Listing (keyset pagination on (created_at, id), in the order of `sort`)

/** `[sort, created_exact, id]`; a cursor of the other direction would skip or repeat jobs, so it names its sort. */
function encodeCursor(row: ListedJob, sort: JobListSort): string {
  return Buffer.from(JSON.stringify([sort, row.created_exact, row.id])).toString('base64url');
}

const CREATED_EXACT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function decodeCursor(s: string, sort: JobListSort): JobListPosition {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  // A cursor of two elements is from before sorting existed: it was newest first.
  const parts = Array.isArray(v) && v.length === 2 ? ['newest', ...(v as unknown[])] : v;
  if (Array.isArray(parts) && parts.length === 3 && parts.every((p) => typeof p === 'string')) {
    const [cursorSort, createdAt, id] = parts as [string, string, string];
    if (CREATED_EXACT_RE.test(createdAt) && UUID_RE.test(id) && (cursorSort === 'newest' || cursorSort === 'oldest')) {
      if (cursorSort !== sort) {
        throw new ApiError(400, 'InvalidRequest', `cursor: it continues a list sorted ${cursorSort} first, not ${sort} first (start again without a cursor)`);
      }
      return { createdAt, id };
    }
  }
  throw new ApiError(400, 'InvalidRequest', 'cursor: not a cursor returned by this API (use nextCursor as it was given)');
}
