/**
 * processDocument: one durable workflow per uploaded PDF. Orchestration only — ids in, ids out; the
 * document bytes, page text and extracted values stay in Postgres and never enter workflow history.
 *
 *   prepare ─▶ OCR (a page per activity, in parallel, any worker) ─▶ extract (chunks; llm queue) ─▶ merge ─▶ export
 *     ─▶ (REVIEW_POLICY says so) wait for a person's approval ─▶ final export of the approved version
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BookkeepingActivities, LlmActivities, OcrActivities } from '../activities/index.js';
import {
  JobStatusKey,
  PROGRESS_QUERY,
  REVIEW_APPROVED_SIGNAL,
  ReviewStateKey,
  type JobError,
  type JobProgress,
  type JobStatus,
  type ProcessDocumentInput,
  type ProcessDocumentResult,
} from '../core/contract/jobs.js';
import { ocrBatches } from './ocr-batches.js';

export const progressQuery = defineQuery<JobProgress>(PROGRESS_QUERY);
export const reviewApprovedSignal = defineSignal(REVIEW_APPROVED_SIGNAL);

/** How often a job waiting for review re-reads its approval, in case a signal was lost. */
const REVIEW_RECHECK = '1 hour';

/** Pages per OCR activity of workflows started before ocrBatches (they keep them on replay, see below). */
const LEGACY_OCR_BATCH_PAGES = 2;
const DEFAULT_CHUNK_CHARS = 24_000;
/**
 * Heartbeat timeout of the long activities, which heartbeat every 5 s: six missed beats (room for an
 * event loop busy rendering a page on a loaded machine) before the attempt counts as lost and is retried.
 * Heartbeat timeouts are not part of the replayed commands' identity: histories recorded with other
 * values replay (test/workflow-replay.test.ts).
 */
const RECOVERY_HEARTBEAT = '30 seconds';

export async function processDocument(input: ProcessDocumentInput): Promise<ProcessDocumentResult> {
  const { jobId } = input;
  const pipelineQueue = input.taskQueues.pipeline;

  // Bookkeeping and parsing: quick, and a typed InvalidPdf & co. is never retried. They run as local
  // activities, in the worker running this workflow: no task-queue round trip through the Temporal
  // server for steps of a few milliseconds (a digital document's Temporal cost was most of its CPU).
  // Workflows started before keep their ordinary activities on replay.
  const bookkeepingOptions = {
    startToCloseTimeout: '2 minutes', // parsing a large PDF, storing its text layer
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  } as const;
  const bookkeeping = patched('local-bookkeeping')
    ? proxyLocalActivities<BookkeepingActivities>(bookkeepingOptions)
    : proxyActivities<BookkeepingActivities>({ taskQueue: pipelineQueue, ...bookkeepingOptions });
  // OCR: minutes per batch on a busy machine; heartbeats every 5 s (activities/stage-timing.ts) so a
  // crashed worker is noticed within RECOVERY_HEARTBEAT and the batch resumes elsewhere from its last
  // stored page (after a kill -9 of the whole stack, every in-flight job moves again within a minute).
  const ocr = proxyActivities<OcrActivities>({
    taskQueue: input.taskQueues.ocr ?? pipelineQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: RECOVERY_HEARTBEAT,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
  });
  // One HTTP request per attempt, or a few when an answer is cut off and its halves are asked again;
  // 429s come back with the provider's Retry-After as the next delay.
  // Heartbeats while the answer is awaited: a lost worker's part is retried after RECOVERY_HEARTBEAT,
  // not after the whole start-to-close (what made jobs wait minutes after a crash).
  const llm = proxyActivities<LlmActivities>({
    taskQueue: input.provider === 'openai' ? input.taskQueues.llm : pipelineQueue,
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: RECOVERY_HEARTBEAT,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
  });

  const progress: JobProgress = { status: 'processing', stage: 'prepare', pagesDone: 0, pagesTotal: null };
  setHandler(progressQuery, () => progress);
  const setStatus = (status: JobStatus) => {
    progress.status = status;
    upsertSearchAttributes([{ key: JobStatusKey, value: status }]);
  };
  setStatus('processing');

  let approvalSignalled = false;
  setHandler(reviewApprovedSignal, () => {
    approvalSignalled = true;
  });

  let exported: { reviewRequired?: boolean };
  try {
    const prepared = await bookkeeping.prepareDocument(jobId);
    progress.pagesTotal = prepared.pageCount;
    progress.pagesDone = prepared.pageCount - prepared.ocrPages.length;

    if (prepared.ocrPages.length > 0) {
      progress.stage = 'ocr';
      const batches = patched('ocr-batches-by-document-size')
        ? ocrBatches(prepared.ocrPages, input.ocrBatchPages)
        : ocrBatches(prepared.ocrPages, input.ocrBatchPages ?? LEGACY_OCR_BATCH_PAGES);
      await Promise.all(
        batches.map(async (pages) => {
          await ocr.ocrPages(jobId, pages);
          progress.pagesDone += pages.length;
        }),
      );
    }

    progress.stage = 'extract';
    const plan = await bookkeeping.planExtraction(jobId, input.extractionChunkChars ?? DEFAULT_CHUNK_CHARS);
    await Promise.all(plan.parts.map((part) => llm.extractPart({ jobId, partNo: part, provider: input.provider, chunkChars: plan.chunkChars })));
    await bookkeeping.finishExtraction(jobId);

    progress.stage = 'export';
    exported = await bookkeeping.exportWorkbook(jobId, input.reviewPolicy ?? 'none');
    setStatus('completed');
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => bookkeeping.markCancelled(jobId));
      setStatus('cancelled');
      throw err;
    }
    const error = describeFailure(err);
    await bookkeeping.markFailed(jobId, error);
    progress.error = error;
    setStatus('failed');
    // Fail the workflow too, so the Temporal UI shows the job red with the same type and message.
    throw ApplicationFailure.create({ type: error.code, message: error.message, nonRetryable: true, cause: err as Error });
  }

  // The job is completed (its downloads work, marked unreviewed); now it waits on people, outside the
  // try above: nothing here can fail the job. The approval itself is in the database; the signal only
  // says "look now".
  if (exported.reviewRequired) {
    const review = proxyLocalActivities<BookkeepingActivities>({
      startToCloseTimeout: '2 minutes',
      // No attempt limit: a database outage while waiting delays the final export, never loses it.
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
    });
    upsertSearchAttributes([{ key: ReviewStateKey, value: 'waiting' }]);
    for (;;) {
      await condition(() => approvalSignalled, REVIEW_RECHECK);
      approvalSignalled = false;
      const outcome = await review.exportApproved(jobId);
      if (outcome.outcome === 'gone') break;
      if (outcome.outcome === 'exported') {
        upsertSearchAttributes([{ key: ReviewStateKey, value: 'approved' }]);
        break;
      }
    }
  }
  return { jobId, status: 'completed' };
}

// Plain JavaScript errors say nothing useful to a user (and may carry internals): reported generically.
const GENERIC_ERROR_TYPES = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'AbortError']);

/** The typed reason a person sees: the activity's own type (InvalidPdf, ...) or what Temporal saw. */
function describeFailure(err: unknown): JobError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && !GENERIC_ERROR_TYPES.has(cause.type)) {
    return { code: cause.type, message: cause.message };
  }
  if (cause instanceof TimeoutFailure) return { code: 'Timeout', message: 'a processing step took too long and was given up' };
  return { code: 'ProcessingFailed', message: 'processing failed unexpectedly; the error was logged for the operator' };
}
