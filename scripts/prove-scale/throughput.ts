/**
 * Step 1 (batch 1): the 30-document batch through nginx, two APIs and three workers: everything
 * completes, every worker and both APIs did work. Batch 2: the same documents (new bytes) on one
 * worker, for the throughput ratio.
 */
import { BATCH, corpusUploads, makespan, metricsOf, notCompleted, record, samples, seconds, sum, upload, waitForJobs } from './system.js';
import type { Topology } from './topology.js';

/** Batch 1 and step 1. Returns the makespan (ms). */
export async function stepOneScale(t: Topology, token: string): Promise<number> {
  const up = await upload(t, token, corpusUploads('b1'));
  const rows = await waitForJobs(t, up.ids, 6 * 60_000);
  const completed = rows.filter((r) => r.status === 'completed').length;
  const took = makespan(rows, up);
  // Who did what, from each process's own /metrics.
  const workerMetrics = await Promise.all(t.workers.map((w) => metricsOf(w.url)));
  const perWorker = workerMetrics.map((m) => sum(samples(m, 'medextract_activities_total', { outcome: 'completed' })));
  const ocrPerWorker = workerMetrics.map((m) => sum(samples(m, 'medextract_activities_total', { activity: 'ocrPages', outcome: 'completed' })));
  const perApi = await Promise.all(
    t.apis.map(async (a) => sum(samples(await metricsOf(a.url, token), 'medextract_http_requests_total', { route: '/upload' }))),
  );
  record(
    '1. 30 documents through nginx, 2 APIs, 3 workers',
    completed === BATCH.length && perWorker.every((n) => n > 0) && perApi.every((n) => n > 0),
    `${completed}/${BATCH.length} completed in ${seconds(took)}${notCompleted(rows)}; activities completed per worker ${perWorker.join(' / ')} (OCR ${ocrPerWorker.join(' / ')}); uploads per API ${perApi.join(' / ')}`,
  );
  return took;
}

/** The batch's makespan on the workers running now; every document must complete. */
export async function throughput(t: Topology, token: string, batch: string): Promise<number> {
  const up = await upload(t, token, corpusUploads(batch));
  const rows = await waitForJobs(t, up.ids, 6 * 60_000);
  const failed = rows.filter((r) => r.status !== 'completed');
  if (failed.length) throw new Error(`${failed.length} jobs of batch ${batch} did not complete (${failed.map((f) => f.error_code).join(', ')})`);
  return makespan(rows, up);
}
