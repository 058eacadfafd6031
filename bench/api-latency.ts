/**
 * Latency of the two hottest API calls, measured with autocannon on loopback against a running API
 * (e.g. `npm start`): `POST /login` (one bcrypt comparison at cost 12 per request, by design) and
 * `GET /status/:id` (token check + one job read; for a finished job also its audit row).
 *
 *   API_URL=http://127.0.0.1:8000 BENCH_USERNAME=admin BENCH_PASSWORD=... npx tsx bench/api-latency.ts
 *
 * Options (environment): DURATION_S (per endpoint, default 10), STATUS_CONNECTIONS (default 10),
 * LOGIN_CONNECTIONS (default 4: logins of one account run under the login throttle, which counts an
 * attempt while its password is being checked, so more than 10 at once would be refused with 429).
 * BENCH_USERNAME / BENCH_PASSWORD default to ADMIN_USERNAME / ADMIN_PASSWORD.
 *
 * Prints one table; this is a measurement, not a test: nothing here passes or fails on timing.
 */
import os from 'node:os';
import { digitalReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import { load, type LoadResult } from './lib/load.js';
import { fmt, renderTable } from './lib/util.js';

const base = (process.env.API_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const username = process.env.BENCH_USERNAME ?? process.env.ADMIN_USERNAME;
const password = process.env.BENCH_PASSWORD ?? process.env.ADMIN_PASSWORD;
const duration = Number(process.env.DURATION_S ?? 10);
const statusConnections = Number(process.env.STATUS_CONNECTIONS ?? 10);
const loginConnections = Number(process.env.LOGIN_CONNECTIONS ?? 4);

if (!username || !password) {
  process.stderr.write('Set BENCH_USERNAME and BENCH_PASSWORD (or ADMIN_USERNAME / ADMIN_PASSWORD) for an account on the API.\n');
  process.exit(2);
}

async function json(method: string, path: string, opts: { token?: string; body?: unknown; form?: FormData } = {}): Promise<any> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined = opts.form;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

type Row = LoadResult & { name: string; connections: number };

async function run(name: string, opts: Omit<Parameters<typeof load>[0], 'duration'>): Promise<Row> {
  const r = await load({ ...opts, duration });
  return { name, connections: opts.connections ?? 10, ...r };
}

// A job to ask about: a small generated digital report (the same bytes each run: dedup returns the same job).
const token = (await json('POST', '/login', { body: { username, password } })).token as string;
const form = new FormData();
form.append(
  'files',
  new Blob([new Uint8Array(digitalReportPdf(syntheticReport({ pages: 1, seed: 42, rowsPerPage: 8 })))], { type: 'application/pdf' }),
  'bench-report.pdf',
);
const jobId = (await json('POST', '/upload', { token, form })).jobs[0].id as string;
let jobStatus = 'queued';
for (let i = 0; i < 600 && !['completed', 'failed', 'cancelled'].includes(jobStatus); i++) {
  jobStatus = (await json('GET', `/status/${jobId}`, { token })).status;
  if (!['completed', 'failed', 'cancelled'].includes(jobStatus)) await new Promise((r) => setTimeout(r, 200));
}

const rows: Row[] = [];
rows.push(
  await run(`GET /status/:id (${jobStatus} job)`, {
    url: `${base}/status/${jobId}`,
    headers: { authorization: `Bearer ${token}` },
    connections: statusConnections,
  }),
);
rows.push(
  await run('POST /login', {
    url: `${base}/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    connections: loginConnections,
  }),
);

const table = renderTable(
  ['endpoint', 'conns', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'statuses'],
  rows.map((r) => [r.name, String(r.connections), String(r.requests), fmt(r.rps), fmt(r.p50), fmt(r.p95), fmt(r.p99), fmt(r.max), r.statuses]),
);
process.stdout.write(
  `\nAPI latency on ${base} — ${duration} s per endpoint, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}\n\n${table}\n\n`,
);
