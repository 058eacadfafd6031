/**
 * Submitting documents and following their jobs, for every client (CLI and HTTP API): store the
 * document and a job row in Postgres, keep the PDF's password sealed beside it when one was given
 * (stores/job-secrets.ts; never part of the workflow's input, history or search attributes), then start
 * the job's workflow. A job that failed for its password is restarted with a new one as a new run of
 * the same workflow id.
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../core/config.js';
import { logger } from '../core/logger.js';
import { createJob, createJobOnce, finishJob, getJob, type JobRow } from '../stores/jobs.js';
import { PASSWORD_FAILURES, keepDocumentPassword, requeueWithPassword } from '../stores/job-secrets.js';
import {
  FileNameKey,
  JobIdKey,
  JobStatusKey,
  OwnerKey,
  REVIEW_APPROVED_SIGNAL,
  taskQueues,
  workflowIdForJob,
  type ProcessDocumentInput,
} from '../core/contract/jobs.js';

export async function connectClient(cfg: Config, address: string): Promise<Client> {
  const connection = await Connection.connect({ address, ...cfg.temporalConnection });
  return new Client({ connection, namespace: cfg.temporalNamespace });
}

export interface Submission {
  owner: string;
  filename: string;
  content: Uint8Array;
  /** The PDF's password, when the sender gave one (kept sealed only while the job needs it). */
  password?: string;
}

/** Stores the document, creates its job and starts its workflow; returns the queued job. */
export async function submitDocument(client: Client, cfg: Config, s: Submission): Promise<JobRow> {
  const job = await createJob({
    owner: s.owner,
    filename: safeFilename(s.filename),
    content: s.content,
    provider: cfg.extraction.provider,
    model: cfg.extraction.provider === 'openai' ? cfg.extraction.model : null,
  });
  const password = givenPassword(s);
  if (password !== undefined) await keepDocumentPassword(job.id, password);
  await startJobWorkflow(client, cfg, job);
  return job;
}

/**
 * Like submitDocument, but the same bytes from the same owner give the owner's existing job
 * (`duplicate: true`) instead of a new one — across every process sharing the database (see
 * createJobOnce). A duplicate whose workflow never started (Temporal was down) is started now, with the
 * password if this submission brings one. A duplicate that failed for its password (PasswordRequired,
 * PasswordIncorrect) is restarted when this submission brings a password: sending the file again with
 * its password is how a person answers "enter its password".
 */
export async function submitDocumentOnce(client: Client, cfg: Config, s: Submission): Promise<{ job: JobRow; duplicate: boolean }> {
  const { job, duplicate } = await createJobOnce({
    owner: s.owner,
    filename: safeFilename(s.filename),
    content: s.content,
    provider: cfg.extraction.provider,
    model: cfg.extraction.provider === 'openai' ? cfg.extraction.model : null,
  });
  const password = givenPassword(s);
  if (!duplicate || job.status === 'queued') {
    if (password !== undefined) await keepDocumentPassword(job.id, password);
    await startJobWorkflow(client, cfg, job);
    return { job, duplicate };
  }
  if (password !== undefined && failedForPassword(job)) {
    const restarted = await restartJobWithPassword(client, cfg, job.id, password);
    if (restarted) return { job: restarted, duplicate };
  }
  return { job, duplicate };
}

/** An empty password field means none was given (a PDF with an empty user password opens without one). */
function givenPassword(s: Submission): string | undefined {
  return s.password === undefined || s.password === '' ? undefined : s.password;
}

/** Did the job fail because its PDF's password was missing or wrong (so a password can restart it)? */
export function failedForPassword(job: Pick<JobRow, 'status' | 'error_code'>): boolean {
  return job.status === 'failed' && (PASSWORD_FAILURES as readonly string[]).includes(job.error_code ?? '');
}

/** The earlier run of a restarted job had recorded its failure but did not close in time. */
export class EarlierRunStillOpen extends Error {
  constructor(readonly jobId: string) {
    super(`the earlier run of job ${jobId} has not closed yet`);
    this.name = 'EarlierRunStillOpen';
  }
}

/** How long a restart waits for the earlier run to close (it has only to return its failure). */
const EARLIER_RUN_CLOSE_MS = 15_000;

/**
 * Restarts a job that failed PasswordRequired or PasswordIncorrect with a new password (POST
 * /jobs/:id/password, and the same file sent again with one): the sealed password is kept, the job is
 * queued afresh (stores/job-secrets.ts requeueWithPassword) and a new run of the same workflow id starts
 * (the id reuse policy ALLOW_DUPLICATE admits a new run once the earlier one has closed). Undefined when
 * the job is not such a failed job (any more). If no run can be started (Temporal unreachable), the job
 * is put back to its earlier failure — which makes the database delete the password — and the error is
 * thrown.
 */
export async function restartJobWithPassword(client: Client, cfg: Config, jobId: string, password: string): Promise<JobRow | undefined> {
  const earlier = await requeueWithPassword(jobId, password);
  if (!earlier) return undefined;
  const job = (await getJob(jobId))!;
  try {
    await startNewRun(client, cfg, job);
  } catch (err) {
    await finishJob(jobId, 'failed', earlier);
    throw err;
  }
  logger.info({ jobId }, 'job restarted with a new document password');
  return job;
}

async function startNewRun(client: Client, cfg: Config, job: JobRow): Promise<void> {
  try {
    await client.workflow.start('processDocument', workflowStart(cfg, job));
    return;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // The job is marked failed just before its run returns the failure: that run may still be open.
  await waitForRunToClose(client, workflowIdForJob(job.id), EARLIER_RUN_CLOSE_MS, job.id);
  await client.workflow.start('processDocument', workflowStart(cfg, job));
}

async function waitForRunToClose(client: Client, workflowId: string, ms: number, jobId: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = client.workflow
    .getHandle(workflowId)
    .result()
    .then(
      () => true,
      () => true,
    );
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    if (!(await Promise.race([closed, late]))) throw new EarlierRunStillOpen(jobId);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What makes a job findable in the Temporal UI. The file name only when TEMPORAL_FILENAME_ATTRIBUTE is
 * on: it may name a patient, and the UI has no authentication of its own.
 */
export function jobSearchAttributes(cfg: Pick<Config, 'temporalFileNameAttribute'>, job: Pick<JobRow, 'id' | 'owner' | 'filename'>): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: JobIdKey, value: job.id },
    { key: OwnerKey, value: job.owner },
    { key: JobStatusKey, value: 'queued' },
  ];
  if (cfg.temporalFileNameAttribute) pairs.push({ key: FileNameKey, value: job.filename });
  return pairs;
}

/**
 * How a job's workflow is started: ids in (never the document, its name or its password), the job's
 * search attributes, and a new run allowed under the same id once the earlier one has closed (a
 * restart with a password).
 */
function workflowStart(cfg: Config, job: JobRow) {
  const input: ProcessDocumentInput = {
    jobId: job.id,
    provider: job.provider,
    taskQueues: taskQueues(cfg.taskQueuePrefix),
    extractionChunkChars: cfg.extraction.chunkChars,
    reviewPolicy: cfg.reviewPolicy,
  };
  return {
    workflowId: workflowIdForJob(job.id),
    taskQueue: input.taskQueues.pipeline,
    args: [input] as [ProcessDocumentInput],
    typedSearchAttributes: jobSearchAttributes(cfg, job),
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
  } as const;
}

/** Starting twice while the job's run is open is harmless: the workflow id is derived from the job id. */
export async function startJobWorkflow(client: Client, cfg: Config, job: JobRow): Promise<void> {
  try {
    await client.workflow.start('processDocument', workflowStart(cfg, job));
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Tells the job's workflow, if it waits for review, that its result was approved; it reads the approval
 * from the database and runs the final export. A workflow that does not wait (none required, closed, or a
 * lost signal) is no error: a waiting workflow also re-reads the approval every hour.
 */
export async function signalReviewApproved(client: Client, jobId: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowIdForJob(jobId)).signal(REVIEW_APPROVED_SIGNAL);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    logger.warn({ jobId, err: (err as Error).message }, 'the approval could not be signalled to the job workflow; it finds the approval within the hour');
  }
}

/** A name safe to show, store and use in a Content-Disposition header: the base name, no controls. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    .replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_')
    .trim()
    .slice(0, 200);
  return cleaned || 'document.pdf';
}

export { getJob };

const HISTORY_DELETE_RETRY_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

/**
 * Deletes a finished job's workflow history (its search attributes may name a patient). Temporal
 * refuses the delete while the run's close tasks are still pending, which happens right after a
 * job finishes on a busy server, so a refused delete is retried in the background for about a
 * minute; the namespace retention period is the backstop if every try fails.
 */
export async function deleteJobHistory(client: Client, cfg: Pick<Config, 'temporalNamespace'>, jobId: string): Promise<void> {
  const attempt = async (): Promise<boolean> => {
    try {
      await client.workflowService.deleteWorkflowExecution({ namespace: cfg.temporalNamespace, workflowExecution: { workflowId: workflowIdForJob(jobId) } });
      return true;
    } catch (err) {
      // NOT_FOUND: nothing (left) to delete.
      if ((err as { code?: number }).code === 5) return true;
      logger.warn({ jobId, err: (err as Error).message }, 'the job workflow history could not be deleted yet; retrying');
      return false;
    }
  };
  if (await attempt()) return;
  void (async () => {
    for (const ms of HISTORY_DELETE_RETRY_MS) {
      await new Promise((r) => setTimeout(r, ms).unref());
      if (await attempt()) return;
    }
    logger.error({ jobId }, 'gave up deleting the job workflow history; the namespace retention period will remove it');
  })();
}
