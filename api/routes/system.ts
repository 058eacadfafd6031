/**
 * Operational routes. Public: `GET /healthz` (the process is up and serving), `GET /readyz` (it can
 * do its work: Postgres and Temporal answer), `GET /openapi.json`. Behind authentication: `GET /metrics`
 * (Prometheus text; an API key may be sent as a bearer token, which suits Prometheus' scrape config).
 */
import Router from '@koa/router';
import { ping } from '../../stores/pool.js';
import { logger } from '../../core/logger.js';
import type { AppContextExtras, AppState } from '../context.js';
import { registry } from '../metrics.js';
import { openApiDocument } from '../openapi.js';

/** How long a readiness probe waits for each dependency. */
const CHECK_TIMEOUT_MS = 3_000;

type Check = { ok: true; ms: number } | { ok: false; ms: number; error: string };

async function check(what: string, probe: () => Promise<void>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    // The reason goes to the log; the probe's answer names only what failed (no internals to the public).
    logger.warn({ check: what, err: (err as Error).message }, 'readiness check failed');
    return { ok: false, ms: Math.round(performance.now() - started), error: 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

export const publicSystemRoutes = new Router<AppState, AppContextExtras>();

publicSystemRoutes.get('/healthz', (ctx) => {
  ctx.body = { status: 'ok' };
});

publicSystemRoutes.get('/readyz', async (ctx) => {
  const connection = ctx.deps.temporal.connection;
  const [postgres, temporal] = await Promise.all([
    check('postgres', ping),
    check('temporal', async () => {
      // The frontend answering a cheap call of the workflow service is what the API needs (works on Temporal Cloud too).
      await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    }),
  ]);
  const ready = postgres.ok && temporal.ok;
  ctx.status = ready ? 200 : 503;
  ctx.body = { status: ready ? 'ok' : 'unavailable', checks: { postgres, temporal } };
});

let cachedDocument: string | undefined;
publicSystemRoutes.get('/openapi.json', (ctx) => {
  cachedDocument ??= JSON.stringify(openApiDocument());
  ctx.type = 'application/json';
  ctx.body = cachedDocument;
});

export const protectedSystemRoutes = new Router<AppState, AppContextExtras>();

protectedSystemRoutes.get('/metrics', async (ctx) => {
  ctx.type = registry.contentType;
  // In the embedded mode (`npm start`) the workers run in this process: their metrics are served here too.
  const workers = ctx.deps.workerMetrics;
  ctx.body = (await registry.metrics()) + (workers ? await workers.metrics() : '');
});
