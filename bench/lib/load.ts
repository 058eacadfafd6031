/** HTTP load with autocannon (in this process, on loopback), keeping every response time. */
import { createRequire } from 'node:module';
import { percentile } from './util.js';

interface AutocannonOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  duration?: number;
  overallRate?: number;
  timeout?: number;
}
interface AutocannonResult {
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
  stop(): void;
}
type Autocannon = (opts: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** e.g. "200×1500 429×3 errors×0" */
  statuses: string;
  non2xx: number;
  errors: number;
}

/**
 * Runs one load test. Latencies are the response times of the requests actually sent (autocannon's
 * `response` event); with `overallRate` a server slower than the rate shows as a lower req/s.
 */
export function load(opts: AutocannonOptions & { duration: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const instance = autocannon({ connections: 10, timeout: 10, ...opts }, (err, result) => {
      if (err) return reject(err);
      const non2xx = [...statuses.entries()].filter(([s]) => s < 200 || s >= 300).reduce((a, [, n]) => a + n, 0);
      resolve({
        requests: result.requests.total,
        rps: latencies.length / result.duration,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        statuses:
          [...statuses.entries()].map(([s, n]) => `${s}×${n}`).join(' ') +
          (result.errors || result.timeouts ? ` errors×${result.errors} timeouts×${result.timeouts}` : ''),
        non2xx,
        errors: result.errors + result.timeouts,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
  });
}
