/**
 * Prometheus metrics of a worker process (prom-client), served by workers/worker-http.ts at GET /metrics.
 * Counts, durations and states only: no label ever holds a job id, a file name or document content.
 *
 * Useful queries:
 *   pages per second by source      rate(medextract_pages_processed_total[5m])
 *   LLM 429s per minute             60 * rate(medextract_llm_requests_total{outcome="429"}[5m])
 *   rate-limit wait (p95)           histogram_quantile(0.95, rate(medextract_activity_schedule_to_start_seconds_bucket{task_queue=~".*llm"}[5m]))
 *   activity slots in use           medextract_activity_slots_used / medextract_activity_slots_max
 *
 * Process metrics (CPU, memory, event loop) are added by the worker's HTTP endpoint only, so this
 * registry can be concatenated with the API's (which has its own) without duplicate names.
 */
import os from 'node:os';
import { Context } from '@temporalio/activity';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobStage } from '../core/contract/jobs.js';

export const workerRegistry = new Registry();

/** Temporal's own default worker identity; set explicitly on our workers so the two always match. */
export const workerIdentity = `${process.pid}@${os.hostname()}`;

const workerInfo = new Gauge({
  name: 'medextract_worker_info',
  help: 'Always 1; labels identify this worker process (instance_id is also its Temporal worker identity)',
  labelNames: ['instance_id', 'task_queue_prefix'] as const,
  registers: [workerRegistry],
});

/** Seconds, from a 10-ms bookkeeping step to a 15-minute OCR batch. */
const WORK_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

const activities = new Counter({
  name: 'medextract_activities_total',
  help: 'Activity attempts finished by this worker, by activity type, task queue and outcome (completed, failed, cancelled)',
  labelNames: ['activity', 'task_queue', 'outcome'] as const,
  registers: [workerRegistry],
});

const activitiesRunning = new Gauge({
  name: 'medextract_activities_running',
  help: 'Activity attempts running on this worker right now, by activity type and task queue',
  labelNames: ['activity', 'task_queue'] as const,
  registers: [workerRegistry],
});

const activityDuration = new Histogram({
  name: 'medextract_activity_duration_seconds',
  help: 'Run time of one activity attempt, start to finish',
  labelNames: ['activity', 'task_queue'] as const,
  buckets: WORK_DURATION_BUCKETS,
  registers: [workerRegistry],
});

const scheduleToStart = new Histogram({
  name: 'medextract_activity_schedule_to_start_seconds',
  help: "Time an activity attempt waited between being scheduled and starting on a worker: on the llm queue, mostly the global rate limit's wait",
  labelNames: ['activity', 'task_queue'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
  registers: [workerRegistry],
});

const llmRateWait = new Histogram({
  name: 'medextract_llm_rate_wait_seconds',
  help: 'Time an LLM request waited for a place in the LLM_RPM sliding window shared by every worker',
  buckets: [0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
  registers: [workerRegistry],
});

const stageDuration = new Histogram({
  name: 'medextract_stage_duration_seconds',
  help: 'Time one activity spent in a pipeline stage (prepare, ocr, extract, export)',
  labelNames: ['stage'] as const,
  buckets: WORK_DURATION_BUCKETS,
  registers: [workerRegistry],
});

const pagesProcessed = new Counter({
  name: 'medextract_pages_processed_total',
  help: 'Pages whose text this worker produced, by source (text_layer, ocr); rate() gives pages per second',
  labelNames: ['source'] as const,
  registers: [workerRegistry],
});

export type LlmOutcome = 'ok' | '429' | 'error';

const llmRequests = new Counter({
  name: 'medextract_llm_requests_total',
  help: 'HTTP requests to the LLM provider by outcome: ok, 429 (rate limited by the provider), error (anything else)',
  labelNames: ['outcome'] as const,
  registers: [workerRegistry],
});

const llmTokens = new Counter({
  name: 'medextract_llm_tokens_total',
  help: 'LLM tokens as the provider reports them, by direction (in: prompt, out: completion)',
  labelNames: ['direction'] as const,
  registers: [workerRegistry],
});

const deidIdentifiers = new Counter({
  name: 'medextract_deid_identifiers_total',
  help: 'Identifiers replaced by stand-ins before page text went to the LLM, by category (distinct per document; counts only)',
  labelNames: ['category'] as const,
  registers: [workerRegistry],
});

const deidBlocked = new Counter({
  name: 'medextract_deid_blocked_total',
  help: 'LLM requests not sent because an identifier was still in the text after de-identification (fail closed), by category',
  labelNames: ['category'] as const,
  registers: [workerRegistry],
});

const slotSources = new Map<string, { used: () => number; max: number }>();

new Gauge({
  name: 'medextract_activity_slots_used',
  help: 'Activities running on this worker right now, by task queue',
  labelNames: ['task_queue'] as const,
  registers: [workerRegistry],
  collect() {
    for (const [queue, source] of slotSources) this.set({ task_queue: queue }, source.used());
  },
});

new Gauge({
  name: 'medextract_activity_slots_max',
  help: 'Activities this worker runs at most at once, by task queue',
  labelNames: ['task_queue'] as const,
  registers: [workerRegistry],
  collect() {
    for (const [queue, source] of slotSources) this.set({ task_queue: queue }, source.max);
  },
});
/** Called by each Temporal worker at start: its task queue's slots are read at scrape time. */
export function trackActivitySlots(taskQueue: string, max: number, used: () => number): void {
  slotSources.set(taskQueue, { used, max });
}

let workersInThisProcess = false;
/** True once Temporal workers run in this process (the embedded `npm start` runs them beside the API). */
export const runsWorkers = (): boolean => workersInThisProcess;

export function setWorkerInfo(taskQueuePrefix: string): void {
  workersInThisProcess = true;
  workerInfo.reset();
  workerInfo.set({ instance_id: workerIdentity, task_queue_prefix: taskQueuePrefix }, 1);
}

export function observeStage(stage: JobStage, ms: number): void {
  stageDuration.observe({ stage }, ms / 1000);
}

export function observeLlmRateWait(ms: number): void {
  llmRateWait.observe(ms / 1000);
}

export function countPages(source: 'text_layer' | 'ocr', n = 1): void {
  if (n > 0) pagesProcessed.inc({ source }, n);
}

export function countLlmRequest(outcome: LlmOutcome, tokens?: { in: number; out: number }): void {
  llmRequests.inc({ outcome });
  if (tokens) {
    llmTokens.inc({ direction: 'in' }, tokens.in);
    llmTokens.inc({ direction: 'out' }, tokens.out);
  }
}

export function countDeidentified(counts: Partial<Record<string, number>>): void {
  for (const [category, n] of Object.entries(counts)) if (n) deidIdentifiers.inc({ category }, n);
}

export function countDeidBlocked(categories: readonly string[]): void {
  for (const category of categories) deidBlocked.inc({ category });
}

function outcomeOf(err: unknown): 'failed' | 'cancelled' {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'CancelledFailure' || name === 'AbortError' ? 'cancelled' : 'failed';
}

/**
 * Wraps every activity so each attempt is counted by type and outcome, timed, and its
 * schedule-to-start wait recorded. The functions keep their names and signatures.
 */
export function instrumentActivities<T extends object>(impl: T): T {
  type ActivityFn = (...args: unknown[]) => Promise<unknown>;
  const wrapped: Record<string, ActivityFn> = {};
  for (const [name, fn] of Object.entries(impl) as Array<[string, ActivityFn]>) {
    wrapped[name] = async (...args: unknown[]) => {
      const info = Context.current().info;
      const labels = { activity: name, task_queue: info.taskQueue };
      scheduleToStart.observe(labels, Math.max(0, Date.now() - info.currentAttemptScheduledTimestampMs) / 1000);
      const end = activityDuration.startTimer(labels);
      activitiesRunning.inc(labels);
      try {
        const result = await fn(...args);
        activities.inc({ ...labels, outcome: 'completed' });
        return result;
      } catch (err) {
        activities.inc({ ...labels, outcome: outcomeOf(err) });
        throw err;
      } finally {
        activitiesRunning.dec(labels);
        end();
      }
    };
  }
  return wrapped as T;
}
