/**
 * The processDocument workflow's own logic, with Temporal's test kit on the run's dev server: the
 * bundled workflow runs on a real worker whose activities are fakes, so each case shows what the
 * workflow decides (how a job ends, how OCR is cut into activities, what progress it reports) without
 * PDFs, OCR or Postgres.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { processDocument } from '../workflows/process-document.js';
import type { PipelineQueueActivities } from '../activities/index.js';
import {
  PROGRESS_QUERY,
  REVIEW_APPROVED_SIGNAL,
  ReviewStateKey,
  reviewRequired,
  type JobError,
  type JobProgress,
  type ProcessDocumentInput,
  type ProcessDocumentResult,
} from '../core/contract/jobs.js';
import { uniquePrefix } from './support/env.js';

const address = process.env.TEMPORAL_ADDRESS;
const bundlePath = process.env.WORKFLOW_BUNDLE;
if (!address || !bundlePath) throw new Error('run with scripts/run-tests.ts: it starts the Temporal dev server and bundles the workflows');

// The workflows here fail and get cancelled on purpose, which the worker reports as warnings: the
// assertions say what matters, so only errors belong in the test output.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
const progressOf = (handle: WorkflowHandle): Promise<JobProgress> => handle.query<JobProgress>(PROGRESS_QUERY);

let env: TestWorkflowEnvironment;
before(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({ address });
});
after(async () => {
  await env?.teardown();
});

interface Calls {
  ocrPages: number[][];
  markFailed: JobError[];
  markCancelled: string[];
  prepareAttempts: number;
}

/** Fake activities for a document of `pageCount` pages of which `ocrPages` have no usable text. */
function fakeActivities(pageCount: number, ocrPages: number[], override: Partial<PipelineQueueActivities> = {}) {
  const calls: Calls = { ocrPages: [], markFailed: [], markCancelled: [], prepareAttempts: 0 };
  const activities: PipelineQueueActivities = {
    prepareDocument: async () => {
      calls.prepareAttempts++;
      return { pageCount, ocrPages };
    },
    ocrPages: async (_jobId, pages) => {
      calls.ocrPages.push(pages);
      return { recognised: pages.length };
    },
    planExtraction: async (_jobId, chunkChars) => ({ parts: [0], chunkChars }),
    extractPart: async () => ({ tokensIn: 0, tokensOut: 0 }),
    finishExtraction: async () => ({ flagged: 0, warnings: 0 }),
    exportWorkbook: async () => ({ bytes: 1 }),
    exportApproved: async () => {
      throw new Error('exportApproved runs only for a job that waits for review');
    },
    markFailed: async (_jobId, error) => {
      calls.markFailed.push(error);
    },
    markCancelled: async (jobId) => {
      calls.markCancelled.push(jobId);
    },
  };
  return { activities: { ...activities, ...override }, calls };
}

/**
 * Runs one document's workflow on a worker of its own (a task queue no other test uses) with these
 * activities; `drive` gets the workflow's handle while the worker runs.
 */
async function withWorkflow<T>(
  name: string,
  activities: PipelineQueueActivities,
  drive: (handle: WorkflowHandle<typeof processDocument>, jobId: string) => Promise<T>,
  input: Partial<ProcessDocumentInput> = {},
): Promise<T> {
  const prefix = uniquePrefix(name);
  const taskQueue = `${prefix}pipeline`;
  const jobId = `${prefix}job`;
  return pipelineWorker(taskQueue, activities).then((worker) =>
    worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof processDocument>('processDocument', {
        taskQueue,
        workflowId: `job-${jobId}`,
        // Every queue is this worker's: OCR and extraction (offline provider) come to the fakes too.
        args: [{ jobId, provider: 'offline', taskQueues: { pipeline: taskQueue, ocr: taskQueue, llm: taskQueue }, ...input }],
      });
      return drive(handle, jobId);
    }),
  );
}

function pipelineWorker(taskQueue: string, activities: PipelineQueueActivities): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, workflowBundle: { codePath: bundlePath! }, activities });
}

/** The failure a workflow ended with (it must have failed). */
async function workflowFailure(handle: WorkflowHandle): Promise<WorkflowFailedError> {
  const err = await handle.result().then(
    () => assert.fail('the workflow should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  return err;
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a plain TypeError from an activity ends the job as ProcessingFailed, after its retries, without its internals', async () => {
  const { activities, calls } = fakeActivities(3, [], {
    prepareDocument: async () => {
      calls.prepareAttempts++;
      throw new TypeError("Cannot read properties of undefined (reading 'getPage')");
    },
  });
  await withWorkflow('wf-typeerror', activities, async (handle) => {
    const err = await workflowFailure(handle);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'ProcessingFailed');
    assert.equal(calls.prepareAttempts, 5, 'a generic error is retried before the job is given up');
    assert.equal(calls.markFailed.length, 1);
    assert.equal(calls.markFailed[0]!.code, 'ProcessingFailed');
    assert.doesNotMatch(calls.markFailed[0]!.message, /getPage/, 'the internal message is not shown to the user');
    const progress = await progressOf(handle);
    assert.equal(progress.status, 'failed');
    assert.equal(progress.error?.code, 'ProcessingFailed');
    assert.deepEqual(calls.markCancelled, []);
  });
});

test('an OCR activity that stops heartbeating (a hung worker) is timed out by the server; the job ends as Timeout', { timeout: 180_000 }, async () => {
  // The workflow allows an OCR batch six attempts and a minute between heartbeats. The first five
  // attempts fail at once (their nextRetryDelay keeps the test short); the last one hangs without a
  // heartbeat, so the server times it out and the workflow sees a TimeoutFailure.
  const attempts: number[] = [];
  const { activities, calls } = fakeActivities(4, [4], {
    ocrPages: async () => {
      const { attempt } = Context.current().info;
      attempts.push(attempt);
      if (attempt < 6) throw ApplicationFailure.create({ type: 'WorkerBusy', message: 'try again', nextRetryDelay: '10ms' });
      return Context.current().cancelled; // ends only when the test's worker shuts down
    },
  });
  await withWorkflow('wf-timeout', activities, async (handle) => {
    const err = await workflowFailure(handle);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'Timeout');
    assert.ok(err.cause.cause instanceof ActivityFailure && err.cause.cause.cause instanceof TimeoutFailure, 'the cause is kept');
    assert.equal(err.cause.cause.cause.timeoutType, TimeoutType.HEARTBEAT);
    assert.ok(attempts.includes(6));
    assert.deepEqual(
      calls.markFailed.map((e) => e.code),
      ['Timeout'],
    );
    assert.equal((await progressOf(handle)).error?.code, 'Timeout');
  });
});

test('cancelling the workflow during OCR records the job as cancelled (markCancelled runs despite the cancellation)', async () => {
  let ocrStarted!: () => void;
  const started = new Promise<void>((resolve) => (ocrStarted = resolve));
  const { activities, calls } = fakeActivities(2, [1, 2], {
    // An OCR batch that runs until it is cancelled (cancellation reaches an activity through its heartbeat).
    ocrPages: async () => {
      ocrStarted();
      for (;;) {
        Context.current().heartbeat();
        await Context.current().sleep(100);
      }
    },
  });
  await withWorkflow('wf-cancel', activities, async (handle, jobId) => {
    await started;
    await handle.cancel();
    const err = await workflowFailure(handle);
    assert.ok(err.cause instanceof CancelledFailure, String(err.cause));
    assert.deepEqual(calls.markCancelled, [jobId]);
    assert.deepEqual(calls.markFailed, [], 'a cancellation is not a failure');
    assert.equal((await progressOf(handle)).status, 'cancelled');
  });
});

test('120 OCR pages make at most 50 OCR activities that cover every page exactly once', async () => {
  const pages = Array.from({ length: 120 }, (_, i) => i + 1);
  const { activities, calls } = fakeActivities(120, pages);
  await withWorkflow('wf-120', activities, async (handle, jobId) => {
    assert.deepEqual(await handle.result(), { jobId, status: 'completed' } satisfies ProcessDocumentResult);
    assert.ok(calls.ocrPages.length <= 50, `${calls.ocrPages.length} OCR activities`);
    assert.ok(calls.ocrPages.length > 1, 'the pages are spread over several activities');
    assert.deepEqual(
      calls.ocrPages.flat().sort((a, b) => a - b),
      pages,
    );
    const progress = await progressOf(handle);
    assert.deepEqual(
      { stage: progress.stage, pagesDone: progress.pagesDone, pagesTotal: progress.pagesTotal },
      { stage: 'export', pagesDone: 120, pagesTotal: 120 },
    );
  });
});

test('during OCR the progress query reports the ocr stage and the pages done so far', async () => {
  // 10 pages: 1 and 2 have a text layer, 3..10 wait in OCR until the test lets each one finish.
  const release = new Map<number, () => void>();
  const { activities } = fakeActivities(10, [3, 4, 5, 6, 7, 8, 9, 10], {
    ocrPages: async (_jobId, pages) => {
      await Promise.all(pages.map((p) => new Promise<void>((resolve) => release.set(p, resolve))));
      return { recognised: pages.length };
    },
  });
  await withWorkflow('wf-progress', activities, async (handle, jobId) => {
    await waitFor('every OCR activity to start', () => release.size === 8);
    const during = await progressOf(handle);
    assert.deepEqual(during, { status: 'processing', stage: 'ocr', pagesDone: 2, pagesTotal: 10 });

    for (const p of [3, 4, 5, 6]) release.get(p)!();
    await waitFor('four OCR pages to count', async () => (await progressOf(handle)).pagesDone === 6);
    const halfway = await progressOf(handle);
    assert.equal(halfway.stage, 'ocr');
    assert.ok(halfway.pagesDone > 0 && halfway.pagesDone < (halfway.pagesTotal ?? 0));

    for (const p of [7, 8, 9, 10]) release.get(p)!();
    assert.deepEqual(await handle.result(), { jobId, status: 'completed' });
    assert.deepEqual(await progressOf(handle), { status: 'completed', stage: 'export', pagesDone: 10, pagesTotal: 10 });
  });
});

/** Activities of a document the review policy may hold: `needsReview` is what its extraction found. */
function reviewedDocument(needsReview: boolean) {
  const review = { approved: false, exports: [] as number[], policies: [] as string[] };
  const { activities } = fakeActivities(1, [], {
    exportWorkbook: async (_jobId, policy = 'none') => {
      review.policies.push(policy);
      return { bytes: 1, reviewRequired: reviewRequired(policy, needsReview) };
    },
    exportApproved: async () => {
      if (!review.approved) return { outcome: 'waiting' };
      review.exports.push(3);
      return { outcome: 'exported', version: 3, bytes: 1 };
    },
  });
  return { activities, review };
}

async function reviewStateAttribute(handle: WorkflowHandle): Promise<unknown> {
  return (await handle.describe()).typedSearchAttributes.get(ReviewStateKey);
}

test('REVIEW_POLICY=flagged: a flagged document is completed but waits in its workflow until approved, then runs the final export', async () => {
  const { activities, review } = reviewedDocument(true);
  await withWorkflow(
    'wf-review-wait',
    activities,
    async (handle, jobId) => {
      await waitFor('the first export', async () => (await progressOf(handle)).status === 'completed');
      assert.deepEqual(review.policies, ['flagged']);
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'the workflow waits for a person');
      await waitFor('the ReviewState search attribute', async () => (await reviewStateAttribute(handle)) === 'waiting');

      // A signal before the approval is stored (or a stale one) does not end the wait.
      await handle.signal(REVIEW_APPROVED_SIGNAL);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await handle.describe()).status.name, 'RUNNING');
      assert.deepEqual(review.exports, []);

      review.approved = true;
      await handle.signal(REVIEW_APPROVED_SIGNAL);
      assert.deepEqual(await handle.result(), { jobId, status: 'completed' });
      assert.deepEqual(review.exports, [3], 'the approved version was exported once');
      assert.equal(await reviewStateAttribute(handle), 'approved');
    },
    { reviewPolicy: 'flagged' },
  );
});

test('REVIEW_POLICY=flagged: a clean document completes without waiting; no policy (an older workflow) never waits', async () => {
  for (const reviewPolicy of ['flagged', undefined] as const) {
    const { activities, review } = reviewedDocument(reviewPolicy === undefined);
    await withWorkflow(
      `wf-review-clean-${reviewPolicy ?? 'absent'}`,
      activities,
      async (handle, jobId) => {
        assert.deepEqual(await handle.result(), { jobId, status: 'completed' });
        assert.deepEqual(review.policies, [reviewPolicy ?? 'none']);
        assert.deepEqual(review.exports, []);
        assert.equal(await reviewStateAttribute(handle), undefined);
      },
      reviewPolicy ? { reviewPolicy } : {},
    );
  }
});

test('a worker restart while a job waits for review loses nothing: the next worker takes the approval', async () => {
  const { activities, review } = reviewedDocument(false);
  const prefix = uniquePrefix('wf-review-restart');
  const taskQueue = `${prefix}pipeline`;
  const jobId = `${prefix}job`;
  const first = await pipelineWorker(taskQueue, activities);
  const handle = await first.runUntil(async () => {
    const h = await env.client.workflow.start<typeof processDocument>('processDocument', {
      taskQueue,
      workflowId: `job-${jobId}`,
      args: [{ jobId, provider: 'offline', taskQueues: { pipeline: taskQueue, ocr: taskQueue, llm: taskQueue }, reviewPolicy: 'all' }],
    });
    await waitFor('the wait for review', async () => (await reviewStateAttribute(h)) === 'waiting');
    return h;
  });
  // No worker now: the approval arrives while nobody runs the workflow.
  review.approved = true;
  await handle.signal(REVIEW_APPROVED_SIGNAL);
  const second = await pipelineWorker(taskQueue, activities);
  await second.runUntil(async () => {
    assert.deepEqual(await handle.result(), { jobId, status: 'completed' });
  });
  assert.deepEqual(review.exports, [3]);
});
