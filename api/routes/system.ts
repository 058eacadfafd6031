/**
 * Operational routes. Public: `GET /healthz` (the process is up and serving), `GET /readyz` (it can
 * do its work: Postgres and Temporal answer), `GET /openapi.json`. For administrators: `GET /metrics`
 * (Prometheus text; installation-wide counts, so an admin session or an admin's API key with the scope
 * `metrics`, which may be sent as a bearer token, as Prometheus' scrape config does).
 */
import { ping } from '../../stores/pool.js';
import { logger } from '../../core/logger.js';
import { withTimeout } from '../../core/with-timeout.js';
import { HealthSchema, ReadinessSchema, type Check, type Readiness } from '../contract/system.js';
import { requireAdmin } from '../auth/middleware.js';
import { registry } from '../metrics.js';
import { openApiDocument } from '../openapi.js';
import { RouteGroup } from '../route.js';

/** How long a readiness probe waits for each dependency. */
const CHECK_TIMEOUT_MS = 3_000;

async function check(what: string, probe: () => Promise<void>): Promise<Check> {
  const started = performance.now();
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, `checking ${what}`);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    // The reason goes to the log; the probe's answer names only what failed (no internals to the public).
    logger.warn({ check: what, err: (err as Error).message }, 'readiness check failed');
    return { ok: false, ms: Math.round(performance.now() - started), error: 'unreachable' };
  }
}

export const publicSystemRoutes = new RouteGroup('public');

publicSystemRoutes.route(
  {
    method: 'get',
    path: '/healthz',
    tag: 'system',
    operationId: 'health',
    summary: 'The process is up',
    answers: { 200: { description: 'up', json: HealthSchema } },
  },
  (ctx) => {
    ctx.body = { status: 'ok' };
  },
);

publicSystemRoutes.route(
  {
    method: 'get',
    path: '/readyz',
    tag: 'system',
    operationId: 'readiness',
    summary: 'Postgres and Temporal are reachable',
    answers: {
      200: { description: 'ready', json: ReadinessSchema },
      503: { description: 'not ready: the failing dependency is named', json: ReadinessSchema },
    },
  },
  async (ctx) => {
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
    ctx.body = { status: ready ? 'ok' : 'unavailable', checks: { postgres, temporal } } satisfies Readiness;
  },
);

let cachedDocument: string | undefined;
publicSystemRoutes.route(
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'system',
    operationId: 'openapi',
    summary: 'This document',
    answers: { 200: { description: 'OpenAPI 3.1', media: 'application/json', schema: { type: 'object' } } },
  },
  (ctx) => {
    cachedDocument ??= JSON.stringify(openApiDocument());
    ctx.type = 'application/json';
    ctx.body = cachedDocument;
  },
);

export const protectedSystemRoutes = new RouteGroup('signed-in');

protectedSystemRoutes.route(
  {
    method: 'get',
    path: '/metrics',
    tag: 'system',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'Process metrics, HTTP requests by route and status, jobs by status, pages by source, and the reviewer figures (jobs waiting for ' +
      'review and the oldest wait, values by field type and decision, documents reviewed, time per document): installation-wide, so for ' +
      'administrators only. For Prometheus, an administrator creates an API key with the scope `metrics` and sends it as a bearer token.',
    scope: 'metrics',
    // The key's scope is checked first (api/route.ts); the owner must still be an administrator today.
    before: [requireAdmin],
    errors: { 403: 'not an administrator (code Forbidden)' },
    answers: { 200: { description: 'Prometheus text format', media: 'text/plain', schema: { type: 'string' } } },
  },
  async (ctx) => {
    ctx.type = registry.contentType;
    // In the embedded mode (`npm start`) the workers run in this process: their metrics are served here too.
    const workers = ctx.deps.workerMetrics;
    ctx.body = (await registry.metrics()) + (workers ? await workers.metrics() : '');
  },
);
