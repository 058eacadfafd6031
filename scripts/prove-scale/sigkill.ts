/**
 * Step 4 (batch 3): SIGKILL a worker while it runs OCR, mid-batch. Every document still completes and
 * nothing happens twice: one job per upload, one workflow run per job, one workbook and extraction per
 * job, every page once, every extraction part once.
 */
import type { AppProcess } from '../../harness/stack.js';
import { workflowIdForJob } from '../../core/contract/jobs.js';
import { until } from '../../harness/process.js';
import {
  activityEvents,
  notCompleted,
  record,
  runningActivities,
  seconds,
  unfinished,
  workerRunning,
  workerRunningOcr,
  type JobState,
  type Uploaded,
} from './system.js';
import type { Topology } from './topology.js';

export interface Killed {
  victim: AppProcess;
  ocrActivities: number;
  documentsDone: number;
  exitCode: number;
}

/** Kills a worker running OCR once some of `up`'s documents are done, and takes it out of the topology. */
export async function sigkillWorkerRunningOcr(t: Topology, up: Uploaded): Promise<Killed> {
  // A worker busy with OCR only (anything else it held would wait out its whole start-to-close
  // timeout, minutes), once some documents are done; failing that, any worker running OCR.
  const onlyOcr = (r: Record<string, number>) => !!r.ocrPages && Object.keys(r).length === 1;
  const midBatchOcrOnly = async () => ((await unfinished(t, up.ids)) <= up.ids.length - 5 ? workerRunning(t.workers, onlyOcr) : undefined);
  const victim =
    (await until('a worker running only OCR with documents done', midBatchOcrOnly, 60_000, { everyMs: 250 }).catch(() => undefined)) ??
    (await workerRunningOcr(t, 60_000));
  const ocrActivities = (await runningActivities(victim)).ocrPages ?? 0;
  const documentsDone = up.ids.length - (await unfinished(t, up.ids));
  victim.proc.kill('SIGKILL');
  const exitCode = await victim.exited;
  t.workers = t.workers.filter((w) => w !== victim);
  return { victim, ocrActivities, documentsDone, exitCode };
}

export async function reportSigkill(
  t: Topology,
  killed: Killed,
  batch: { first: Uploaded; firstPartSize: number; ids: string[]; rows: JobState[]; llmRequestsBefore: number },
): Promise<void> {
  const { ids, rows } = batch;
  const allCompleted = rows.every((r) => r.status === 'completed');
  const finishedAt = Math.max(...rows.map((r) => r.finished_at!.getTime()));
  const jobCount = (await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE created_at >= $1', [new Date(batch.first.startedAt)])).rows[0]!
    .n;
  const perJob = await t.pool.query<{ pages_total: number; pages: number; workbooks: number; extractions: number; parts: number }>(
    `SELECT j.pages_total,
            (SELECT count(*)::int FROM pages p WHERE p.job_id = j.id) AS pages,
            (SELECT count(*)::int FROM workbooks w WHERE w.job_id = j.id) AS workbooks,
            (SELECT count(*)::int FROM extractions e WHERE e.job_id = j.id) AS extractions,
            (SELECT count(*)::int FROM extraction_parts x WHERE x.job_id = j.id) AS parts
       FROM jobs j WHERE j.id = ANY($1::uuid[])`,
    [ids],
  );
  const exactlyOnce = perJob.rows.every((r) => r.pages === r.pages_total && r.workbooks === 1 && r.extractions === 1 && r.parts >= 1);
  let runs = 0;
  for (const id of ids) for await (const _ of t.client.workflow.list({ query: `WorkflowId = '${workflowIdForJob(id)}'` })) runs++;
  const parts = perJob.rows.reduce((s, r) => s + r.parts, 0);
  const llmRequests = t.llm.requests.length - batch.llmRequestsBefore;
  const ocr = await activityEvents(t, ids, 'ocrPages');

  record(
    '4. SIGKILL a worker mid-batch (running OCR)',
    killed.exitCode === 137 && allCompleted && jobCount === ids.length && runs === ids.length && exactlyOnce,
    `killed ${killed.victim.name} (OCR activities ${killed.ocrActivities}) with ${killed.documentsDone}/${batch.firstPartSize} uploaded documents done; ` +
      `${rows.filter((r) => r.status === 'completed').length}/${ids.length} completed ${seconds(finishedAt - batch.first.startedAt)} after the first upload${notCompleted(rows)}; ` +
      `${jobCount} jobs, ${runs} workflow runs, ${exactlyOnce ? 'one workbook + extraction per job, every page and part once' : 'DUPLICATE or missing rows'}; ` +
      `${llmRequests} LLM requests for ${parts} parts; OCR attempts retried ${ocr.retriedAttempts}`,
  );
}
