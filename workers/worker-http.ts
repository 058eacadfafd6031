/**
 * The small HTTP endpoint of a standalone worker process (node:http; workers serve no API):
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 when both Temporal workers poll and Postgres answers; 503 while starting, draining
 *                 after SIGTERM, or when Postgres does not answer (readiness)
 *   GET /metrics  Prometheus text (activities, stages, pages, LLM requests and tokens, slots, waits)
 * Unauthenticated on purpose: it tells counts and states, never a job id, a file name or document content.
 * Bind it where only the orchestrator and Prometheus reach it (WORKER_HTTP_HOST) if that matters.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../core/logger.js';
import { workerRegistry } from '../activities/metrics.js';

/** How long a readiness probe waits for Postgres. */
export const CHECK_TIMEOUT_MS = 3_000;

export interface Readiness {
  ready: boolean;
  /** Per check: 'ok' or a short reason (no internals). */
  checks: Record<string, string>;
}

export interface WorkerHttp {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

const json = (value: unknown) => JSON.stringify(value);

export async function startWorkerHttp(opts: { host: string; port: number; readiness: () => Promise<Readiness> }): Promise<WorkerHttp> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'application/json', json({ error: { code: 'MethodNotAllowed', message: 'only GET and HEAD' } }), false);
    }
    const answer = async () => {
      switch (path) {
        case '/healthz':
          return send(res, 200, 'application/json', json({ status: 'ok' }), head);
        case '/readyz': {
          const r = await opts.readiness();
          return send(res, r.ready ? 200 : 503, 'application/json', json({ status: r.ready ? 'ok' : 'unavailable', checks: r.checks }), head);
        }
        case '/metrics':
          return send(res, 200, workerRegistry.contentType, await workerRegistry.metrics(), head);
        default:
          return send(res, 404, 'application/json', json({ error: { code: 'NotFound', message: 'try /healthz, /readyz or /metrics' } }), head);
      }
    };
    answer().catch((err: Error) => {
      logger.warn({ path, err: err.message }, 'worker http endpoint failed to answer');
      if (!res.headersSent) send(res, 500, 'application/json', json({ error: { code: 'Internal', message: 'internal error' } }), head);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000; // longer than a typical scraper's idle time, fewer reconnects
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shown}:${port}`;
  logger.info({ url, port }, 'worker health endpoint listening');
  return {
    url,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
