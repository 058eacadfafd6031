/**
 * Worker processes. Each runs two Temporal workers:
 *  - `pipeline`: the processDocument workflow and every I/O activity except the LLM call,
 *    at most MAX_CONCURRENT_ACTIVITIES at once;
 *  - `llm`: only the LLM request, rate-limited by the Temporal server for the whole task queue
 *    (LLM_RPM/60 per second, the same value on every worker), so the limit holds across all processes.
 * Run standalone with `npm run worker` (any number of processes, any hosts) or in-process by `npm start`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { closeOcrPool } from '../activities/ocr/pool.js';
import { taskQueues } from '../workflows/shared.js';
import type { Config } from './config.js';
import { logger } from './logger.js';

const WORKFLOWS_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../workflows/index.ts');

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // Temporal's own logs at WARN; ours go through pino. Signals are handled by our processes.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
}

/** Bundles the workflow code once (webpack); workers reuse it. */
export async function workflowBundle(prebuilt?: string): Promise<WorkflowBundleOption> {
  if (prebuilt) return { codePath: prebuilt };
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}

/**
 * The rate at which Temporal may hand out `llm` activities so that no 60-second window ever holds more
 * than LLM_RPM requests. The server's dispatch limiter is a token bucket with a burst of one, so a
 * window can see one more than rate × 60, and network jitter can squeeze one more in at its edge;
 * keeping 1.5 requests per minute in reserve absorbs both (450/min dispatches at 448.5/min).
 */
export function llmDispatchPerSecond(requestsPerMinute: number): number {
  return Math.max(requestsPerMinute - 1.5, requestsPerMinute / 2) / 60;
}

export interface RunningWorkers {
  /** Resolves when both workers have stopped. */
  done: Promise<void>;
  /** Stops polling, lets running activities finish within the grace time, then resolves. */
  shutdown(): Promise<void>;
}

export async function startWorkers(cfg: Config, temporalAddress: string): Promise<RunningWorkers> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const bundle = await workflowBundle(cfg.workflowBundle);
  const queues = taskQueues(cfg.taskQueuePrefix);
  const activities = createActivities({
    maxPages: cfg.maxPages,
    ocrLang: cfg.ocrLang,
    openai: { apiKey: cfg.extraction.apiKey, baseURL: cfg.extraction.baseURL, model: cfg.extraction.model, timeoutMs: cfg.extraction.timeoutMs },
  });
  const shutdownGraceTime = `${cfg.shutdownGraceSeconds}s`;
  const pipeline = await Worker.create({
    connection,
    namespace: cfg.temporalNamespace,
    taskQueue: queues.pipeline,
    workflowBundle: bundle,
    activities,
    maxConcurrentActivityTaskExecutions: cfg.maxConcurrentActivities,
    shutdownGraceTime,
  });
  const llm = await Worker.create({
    connection,
    namespace: cfg.temporalNamespace,
    taskQueue: queues.llm,
    activities: { extractPart: activities.extractPart },
    maxConcurrentActivityTaskExecutions: cfg.llmMaxConcurrent,
    maxTaskQueueActivitiesPerSecond: llmDispatchPerSecond(cfg.llmRequestsPerMinute),
    shutdownGraceTime,
  });
  logger.info(
    { taskQueues: queues, maxConcurrentActivities: cfg.maxConcurrentActivities, llmPerSecond: llmDispatchPerSecond(cfg.llmRequestsPerMinute) },
    'workers polling',
  );
  const done = Promise.all([pipeline.run(), llm.run()]).then(async () => {
    await closeOcrPool();
    await connection.close();
  });
  let stopping: Promise<void> | undefined;
  return {
    done,
    shutdown() {
      stopping ??= (async () => {
        logger.info({ graceSeconds: cfg.shutdownGraceSeconds }, 'workers shutting down: finishing running activities');
        for (const w of [pipeline, llm]) if (w.getState() === 'RUNNING') w.shutdown();
        await done;
      })();
      return stopping;
    },
  };
}
