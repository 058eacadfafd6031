/**
 * Step 6 (batch 3): stop the Temporal dev server mid-batch and start it again on the same SQLite file
 * and port: every worker that lived through it keeps running and every document completes.
 */
import type { AppProcess } from '../../harness/stack.js';
import { record, seconds, unfinished, type JobState } from './system.js';
import type { Topology } from './topology.js';

export interface Restarted {
  pendingAtRestart: number;
  downForMs: number;
  workersAtRestart: AppProcess[];
}

export async function restartTemporalMidBatch(t: Topology, ids: string[]): Promise<Restarted> {
  const pendingAtRestart = await unfinished(t, ids);
  const stoppedAt = Date.now();
  await t.stack.restartTemporal();
  return { pendingAtRestart, downForMs: Date.now() - stoppedAt, workersAtRestart: [...t.workers] };
}

/** `stoppedOnPurpose`: a worker a later step stopped, which does not count as lost. */
export function reportTemporalRestart(r: Restarted, ids: string[], rows: JobState[], stoppedOnPurpose: AppProcess): void {
  const allCompleted = rows.every((row) => row.status === 'completed');
  const lost = r.workersAtRestart.filter((w) => w !== stoppedOnPurpose && !w.running).length;
  record(
    '6. restart the Temporal dev server mid-batch',
    allCompleted && lost === 0 && r.pendingAtRestart > 0,
    `stopped with ${r.pendingAtRestart}/${ids.length} documents unfinished, back after ${seconds(r.downForMs)} (same SQLite file and port); ` +
      `workers lost ${lost} of ${r.workersAtRestart.length}; ${allCompleted ? 'every document completed' : 'NOT every document completed'}`,
  );
}
