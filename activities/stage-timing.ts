/** What every long activity does around its work: stage timing (metrics and the job row) and heartbeats. */
import { Context } from '@temporalio/activity';
import type { JobStage } from '../core/contract/jobs.js';
import type { ActivityStore } from './dependencies.js';
import { observeStage } from './metrics.js';

/** Runs `work`, adding its duration to the stage's metric and to the job's stage times. */
export async function timeStage<T>(store: Pick<ActivityStore, 'addStageTime'>, jobId: string, stage: JobStage, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const ms = performance.now() - started;
    observeStage(stage, ms);
    await store.addStageTime(jobId, stage, ms);
  }
}

/** How often a long step heartbeats: well inside the workflow's heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Keeps the activity visibly alive while a long step runs; the heartbeats also deliver cancellation. */
export function heartbeatWhile<T>(work: () => Promise<T>, details?: () => unknown): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details?.());
  const timer = setInterval(() => ctx.heartbeat(details?.()), HEARTBEAT_EVERY_MS);
  return work().finally(() => clearInterval(timer));
}
