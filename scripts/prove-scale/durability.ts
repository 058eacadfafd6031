/**
 * Batch 3 (steps 4-6): three workers and the 30 documents (new bytes); SIGKILL a worker running OCR
 * mid-batch, then restart Temporal while the killed worker's OCR waits out its heartbeat timeout (so the
 * batch is unfinished), then SIGTERM a worker running OCR; finally every document must complete once.
 */
import { reportSigkill, sigkillWorkerRunningOcr } from './sigkill.js';
import { reportSigterm, sigtermWorkerRunningOcr } from './sigterm.js';
import { BATCH, corpusUploads, upload, waitForJobs } from './system.js';
import { reportTemporalRestart, restartTemporalMidBatch } from './temporal-restart.js';
import type { Topology } from './topology.js';

export async function batchThreeDurability(t: Topology, token: string): Promise<void> {
  const llmRequestsBefore = t.llm.requests.length;
  // The scans and half of the digital documents first; the rest after the kill, so it lands mid-batch.
  const firstPart = BATCH.slice(0, 17);
  const first = await upload(t, token, corpusUploads('b3', firstPart));
  const killed = await sigkillWorkerRunningOcr(t, first);
  const rest = await upload(t, token, corpusUploads('b3', BATCH.slice(17), 17));
  const ids = [...first.ids, ...rest.ids];

  const restarted = await restartTemporalMidBatch(t, ids);
  const drained = await sigtermWorkerRunningOcr(t);

  const rows = await waitForJobs(t, ids, 6 * 60_000);
  await reportSigkill(t, killed, { first, firstPartSize: firstPart.length, ids, rows, llmRequestsBefore });
  reportSigterm(drained);
  reportTemporalRestart(restarted, ids, rows, drained.drainer);
}
