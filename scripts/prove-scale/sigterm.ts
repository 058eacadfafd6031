/**
 * Step 5 (batch 3): SIGTERM a worker while it runs OCR: its readiness turns 503 at once and the process
 * exits 0 within its shutdown grace.
 */
import { sleep } from '../../harness/process.js';
import type { AppProcess } from '../../harness/stack.js';
import { record, runningActivities, seconds, workerRunningOcr } from './system.js';
import { GRACE_SECONDS, type Topology } from './topology.js';

export interface Drained {
  drainer: AppProcess;
  ocrActivities: number;
  unreadyAfterMs?: number;
  exitAfterMs: number;
  exitCode: number;
}

/** Signals a worker running OCR, watches its /readyz, waits for its exit and takes it out of the topology. */
export async function sigtermWorkerRunningOcr(t: Topology): Promise<Drained> {
  const drainer = await workerRunningOcr(t, 150_000);
  const ocrActivities = (await runningActivities(drainer)).ocrPages ?? 0;
  const signalledAt = Date.now();
  drainer.proc.kill('SIGTERM');
  let unreadyAfterMs: number | undefined;
  while (unreadyAfterMs === undefined && Date.now() - signalledAt < 5_000) {
    const status = await fetch(`${drainer.url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 503) unreadyAfterMs = Date.now() - signalledAt;
    else await sleep(20);
  }
  const exitCode = await drainer.exited;
  const exitAfterMs = Date.now() - signalledAt;
  t.workers = t.workers.filter((w) => w !== drainer);
  return { drainer, ocrActivities, unreadyAfterMs, exitAfterMs, exitCode };
}

export function reportSigterm(d: Drained): void {
  record(
    `5. SIGTERM a worker running OCR (grace ${GRACE_SECONDS} s)`,
    d.exitCode === 0 && d.exitAfterMs <= GRACE_SECONDS * 1000 && d.unreadyAfterMs !== undefined,
    `${d.drainer.name} held ${d.ocrActivities} OCR activities; /readyz 503 after ${d.unreadyAfterMs ?? '>5000'} ms; exited ${d.exitCode} after ${seconds(d.exitAfterMs)}`,
  );
}
