/**
 * Submitting documents and following their jobs, for every client (CLI now, HTTP API next):
 * store the PDF and a job row in Postgres, then start the job's workflow.
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../core/config.js';
import { logger } from '../core/logger.js';
import { createJob, createJobOnce, getJob, type JobRow } from '../stores/jobs.js';
import { FileNameKey, JobIdKey, JobStatusKey, OwnerKey, taskQueues, workflowIdForJob, type ProcessDocumentInput } from '../core/contract/jobs.js';

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
  await startJobWorkflow(client, cfg, job);
  return job;
}

/**
 * Like submitDocument, but the same bytes from the same owner give the owner's existing job
 * (`duplicate: true`) instead of a new one — across every process sharing the database (see
 * createJobOnce). A duplicate whose workflow never started (Temporal was down) is started now.
 */
export async function submitDocumentOnce(client: Client, cfg: Config, s: Submission): Promise<{ job: JobRow; duplicate: boolean }> {
  const { job, duplicate } = await createJobOnce({
    owner: s.owner,
    filename: safeFilename(s.filename),
    content: s.content,
    provider: cfg.extraction.provider,
    model: cfg.extraction.provider === 'openai' ? cfg.extraction.model : null,
  });
  if (!duplicate || job.status === 'queued') await startJobWorkflow(client, cfg, job);
  return { job, duplicate };
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

/** Starting twice is harmless: the workflow id is derived from the job id. */
export async function startJobWorkflow(client: Client, cfg: Config, job: JobRow): Promise<void> {
  const input: ProcessDocumentInput = { jobId: job.id, provider: job.provider, taskQueues: taskQueues(cfg.taskQueuePrefix) };
  try {
    await client.workflow.start('processDocument', {
      workflowId: workflowIdForJob(job.id),
      taskQueue: input.taskQueues.pipeline,
      args: [input],
      typedSearchAttributes: jobSearchAttributes(cfg, job),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
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
