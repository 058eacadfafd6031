/**
 * Worker processes. Each runs three Temporal workers:
 *  - `pipeline`: the processDocument workflow and the I/O activities other than OCR and the LLM call,
 *    at most MAX_CONCURRENT_ACTIVITIES at once;
 *  - `ocr`: OCR page batches, at most OCR_WORKERS at once (one per OCR engine of this process), so a
 *    backlog of scanned pages spreads over every worker;
 *  - `llm`: only the LLM request, rate-limited by the Temporal server for the whole task queue
 *    (LLM_RPM/60 per second, the same value on every worker), so the limit holds across all processes.
 * Run standalone with `npm run worker` (any number of processes, any hosts) or in-process by `npm start`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { closeOcrPool, getOcrPool } from '../library/ocr/pool.js';
import { loadNameDictionary } from '../library/deid/index.js';
import { extractOffline } from '../library/extraction/offline/index.js';
import { extractWithOpenAI } from '../library/extraction/openai-provider.js';
import * as jobStore from '../stores/jobs.js';
import * as extractionStore from '../stores/extractions.js';
import * as jobSecretStore from '../stores/job-secrets.js';
import * as reviewStore from '../stores/reviews.js';
import * as deidStore from '../stores/deid-vaults.js';
import { appendAudit } from '../stores/audit.js';
import { instrumentActivities, setWorkerInfo, trackActivitySlots, workerIdentity } from '../activities/metrics.js';
import { taskQueues } from '../core/contract/jobs.js';
import type { Config } from '../core/config.js';
import { logger } from '../core/logger.js';

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
 * The rate at which Temporal hands out `llm` activities: LLM_RPM/60 per second, the limit itself.
 * Temporal paces the queue for every worker together; the hard guarantee that the provider never sees
 * more than LLM_RPM requests in a minute is the send window each request takes a place in just before
 * it is sent (activities/llm-send-window.ts), which absorbs the dispatcher's small bursts and
 * requests that leave a busy worker late.
 */
export function llmDispatchPerSecond(requestsPerMinute: number): number {
  return requestsPerMinute / 60;
}

/** The real dependencies of the activities: Postgres stores, this process's OCR pool, both providers. */
export function activityDependencies(cfg: Config): ActivityDependencies {
  return {
    cfg: {
      maxPages: cfg.maxPages,
      openai: {
        apiKey: cfg.extraction.apiKey,
        baseURL: cfg.extraction.baseURL,
        model: cfg.extraction.model,
        timeoutMs: cfg.extraction.timeoutMs,
        responseFormat: cfg.extraction.responseFormat,
      },
      llmRate: { requestsPerMinute: cfg.llmRequestsPerMinute, scope: `llm:${cfg.taskQueuePrefix}` },
      deid: { enabled: cfg.extraction.deid.enabled, dates: cfg.extraction.deid.dates },
    },
    store: { ...jobStore, ...extractionStore, ...jobSecretStore, ...reviewStore, ...deidStore, appendAudit },
    ocrPool: () => getOcrPool(cfg.ocrLang, { size: cfg.ocrWorkers, nice: cfg.ocrNice }),
    extractors: { offline: extractOffline, openai: extractWithOpenAI },
    log: logger,
  };
}

/** After the grace time, how long a stopping worker waits for cancelled activities before it gives up. */
export const SHUTDOWN_FORCE_AFTER_GRACE_SECONDS = 15;

export interface RunningWorkers {
  /** Resolves when all three workers have stopped. */
  done: Promise<void>;
  /** True while all three workers poll their task queues (not while starting, draining or after a failure). */
  running(): boolean;
  /** Stops polling, lets running activities finish within the grace time, then resolves. */
  shutdown(): Promise<void>;
}

export async function startWorkers(cfg: Config, temporalAddress: string): Promise<RunningWorkers> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: temporalAddress, ...cfg.temporalConnection });
  const bundle = await workflowBundle(cfg.workflowBundle);
  const queues = taskQueues(cfg.taskQueuePrefix);
  const activities = createActivities(activityDependencies(cfg));
  // The name dictionaries (a few MB) load at start, not inside the first document's LLM activity.
  if (cfg.extraction.provider === 'openai' && cfg.extraction.deid.enabled) loadNameDictionary();
  const shutdownGraceTime = `${cfg.shutdownGraceSeconds}s`;
  // An activity that does not end on its cancellation must not keep the process alive for ever: after
  // this the worker gives up, exits, and Temporal retries that attempt elsewhere once its heartbeat
  // times out. Deployments allow grace + 30 s before SIGKILL.
  const shutdownForceTime = `${cfg.shutdownGraceSeconds + SHUTDOWN_FORCE_AFTER_GRACE_SECONDS}s`;
  // The same connection, identity and shutdown behaviour for the three task queues' workers.
  const common = { connection, namespace: cfg.temporalNamespace, identity: workerIdentity, shutdownGraceTime, shutdownForceTime };
  const pipeline = await Worker.create({
    ...common,
    taskQueue: queues.pipeline,
    workflowBundle: bundle,
    activities: instrumentActivities(activities.pipeline),
    maxConcurrentActivityTaskExecutions: cfg.maxConcurrentActivities,
  });
  // One OCR activity more than this process has OCR engines: while the engines read, the extra
  // activity's page is decoded or rendered (on this thread), so an engine never waits for its next
  // page. The rest wait on the queue for any worker.
  const ocrSlots = cfg.ocrWorkers + 1;
  const ocr = await Worker.create({
    ...common,
    taskQueue: queues.ocr,
    activities: instrumentActivities(activities.ocr),
    maxConcurrentActivityTaskExecutions: ocrSlots,
  });
  const llm = await Worker.create({
    ...common,
    taskQueue: queues.llm,
    activities: instrumentActivities(activities.llm),
    maxConcurrentActivityTaskExecutions: cfg.llmMaxConcurrent,
    maxTaskQueueActivitiesPerSecond: llmDispatchPerSecond(cfg.llmRequestsPerMinute),
  });
  setWorkerInfo(cfg.taskQueuePrefix);
  trackActivitySlots(queues.pipeline, cfg.maxConcurrentActivities, () => pipeline.getStatus().numInFlightNonLocalActivities);
  trackActivitySlots(queues.ocr, ocrSlots, () => ocr.getStatus().numInFlightNonLocalActivities);
  trackActivitySlots(queues.llm, cfg.llmMaxConcurrent, () => llm.getStatus().numInFlightNonLocalActivities);
  logger.info(
    {
      identity: workerIdentity,
      taskQueues: queues,
      maxConcurrentActivities: cfg.maxConcurrentActivities,
      llmPerSecond: llmDispatchPerSecond(cfg.llmRequestsPerMinute),
      // Whether page text leaves de-identified (DEID, resolved against the endpoint) and how dates are hidden.
      deid: cfg.extraction.deid.enabled ? cfg.extraction.deid.dates : 'off',
    },
    'workers polling',
  );
  const done = Promise.all([pipeline.run(), ocr.run(), llm.run()]).then(async () => {
    await closeOcrPool();
    await connection.close();
  });
  let stopping: Promise<void> | undefined;
  return {
    done,
    running: () => [pipeline, ocr, llm].every((w) => w.getState() === 'RUNNING'),
    shutdown() {
      stopping ??= (async () => {
        logger.info({ graceSeconds: cfg.shutdownGraceSeconds }, 'workers shutting down: finishing running activities');
        for (const w of [pipeline, ocr, llm]) if (w.getState() === 'RUNNING') w.shutdown();
        await done;
      })();
      return stopping;
    },
  };
}
