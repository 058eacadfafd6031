/**
 * Entry point of a standalone worker process (`npm run worker`). Needs TEMPORAL_ADDRESS and DATABASE_URL.
 * Serves /healthz, /readyz and /metrics on WORKER_HTTP_PORT from the start, so an orchestrator sees the
 * process alive but not ready while it connects; on SIGTERM/SIGINT readiness turns 503 at once, running
 * activities get SHUTDOWN_GRACE_SECONDS to finish, and the process exits 0.
 */
import { collectDefaultMetrics } from 'prom-client';
import { workerRegistry } from '../activities/metrics.js';
import { config } from '../core/config.js';
import { connectStandalone } from '../stores/migrate.js';
import { closePool, db } from '../stores/pool.js';
import { resolveDocumentKeys, setDocumentKeys } from '../stores/document-cipher.js';
import { logger } from '../core/logger.js';
import { withTimeout } from '../core/with-timeout.js';
import { CHECK_TIMEOUT_MS, startWorkerHttp, type Readiness } from '../workers/worker-http.js';
import { startWorkers, type RunningWorkers } from '../workers/worker.js';

const cfg = config('worker');
// Before anything stores or reads a document: a missing or malformed key stops the start, not a job.
setDocumentKeys(resolveDocumentKeys(cfg));
collectDefaultMetrics({ register: workerRegistry });

// Unset while starting: readiness and the signal handlers look at it before the workers exist.
let workers: RunningWorkers | undefined = undefined;
let stopping = false;

async function readiness(): Promise<Readiness> {
  const temporalWorkers = stopping ? 'stopping' : !workers ? 'starting' : workers.running() ? 'ok' : 'not running';
  let postgres = 'ok';
  try {
    await withTimeout(db().query('SELECT 1'), CHECK_TIMEOUT_MS, 'asking Postgres');
  } catch (err) {
    postgres = 'unreachable';
    logger.warn({ check: 'postgres', err: (err as Error).message }, 'readiness check failed');
  }
  return { ready: temporalWorkers === 'ok' && postgres === 'ok', checks: { workers: temporalWorkers, postgres } };
}

const httpEndpoint = await startWorkerHttp({ ...cfg.workerHttp, readiness });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    stopping = true; // readiness answers 503 from now on
    if (workers) void workers.shutdown();
    else process.exit(0); // still starting: nothing runs yet that could be lost
  });
}

const { temporalAddress } = await connectStandalone(cfg, 'worker');
workers = await startWorkers(cfg, temporalAddress);
if (stopping) void workers.shutdown();

let exitCode = 0;
try {
  await workers.done;
} catch (err) {
  if ((err as Error).name === 'GracefulShutdownPeriodExpiredError') {
    logger.warn(
      { graceSeconds: cfg.shutdownGraceSeconds },
      'shutdown grace expired: activities still running were abandoned; Temporal retries them on another worker',
    );
  } else {
    logger.error({ err: (err as Error).message }, 'worker failed');
  }
  exitCode = 1;
}
await httpEndpoint.close();
await closePool();
logger.info('worker stopped');
process.exit(exitCode);
