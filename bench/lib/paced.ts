/**
 * An open-loop load generator with evenly spaced arrivals: request i is sent at start + i / rate,
 * whatever happened to the earlier ones (keep-alive connections, as many as needed). autocannon's
 * `overallRate` instead lets each connection send its quota for the second back to back as soon as the
 * second starts, so 200 req/s arrive as one burst per second; both are reported (see bench/README.md).
 * Latency is measured from the moment the request was due, so a server (or a generator) that falls
 * behind shows it in the figures instead of hiding it (no coordinated omission).
 */
import http from 'node:http';
import { percentile } from './util.js';
import type { LoadResult } from './load.js';

export interface PacedResult extends LoadResult {
  /** Percentiles measured from when the request was actually written (the generator's own lag left out). */
  fromSent: { p50: number; p95: number; p99: number };
  /** How late the generator sent requests (ms behind schedule), p95. */
  sendLagP95: number;
}

export function pacedLoad(opts: { url: string; headers?: Record<string, string>; rate: number; duration: number }): Promise<PacedResult> {
  const url = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  const fromSent: number[] = [];
  const lags: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  const total = Math.round(opts.rate * opts.duration);
  const intervalMs = 1000 / opts.rate;
  const start = performance.now();
  let sent = 0;
  let done = 0;
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      const elapsed = (performance.now() - start) / 1000;
      const non2xx = [...statuses.entries()].filter(([s]) => s < 200 || s >= 300).reduce((a, [, n]) => a + n, 0);
      resolve({
        requests: done,
        rps: latencies.length / Math.max(elapsed, opts.duration),
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        statuses: [...statuses.entries()].map(([s, n]) => `${s}×${n}`).join(' ') + (errors ? ` errors×${errors}` : ''),
        non2xx,
        errors,
        fromSent: { p50: percentile(fromSent, 50), p95: percentile(fromSent, 95), p99: percentile(fromSent, 99) },
        sendLagP95: percentile(lags, 95),
      });
    };
    const fire = (due: number) => {
      const sentAt = performance.now();
      lags.push(sentAt - due);
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: opts.headers, agent, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            const now = performance.now();
            latencies.push(now - due);
            fromSent.push(now - sentAt);
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            if (++done === total) finish();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        if (++done === total) finish();
      });
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) fire(start + sent++ * intervalMs);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
}
