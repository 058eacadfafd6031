/**
 * 5. API under load: GET /status/:id at a fixed 200 requests/s and POST /login (4 connections, as fast as
 * bcrypt allows), with autocannon on loopback, first on an idle machine, then while a worker process
 * OCRs a backlog of scanned documents (its tesseract.js pool takes every core). The same job is asked
 * about in both phases: one of the backlog's documents (queued, then processing), so every status
 * request is a token check and one job read.
 */
import { scannedReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import type { BenchContext } from './lib/context.js';
import { login, uploadAll, uniqueBytes } from './lib/jobs.js';
import { load, type LoadResult } from './lib/load.js';
import { pacedLoad } from './lib/paced.js';
import { busyShare, machineCpu } from './lib/proc.js';
import { BENCH_ADMIN, startApi, startWorkers, stopChild, uniquePrefix, until } from './lib/stack.js';
import { fmt, fmtPct, gapAtMost, type Report } from './lib/util.js';

const STATUS_RATE = 200;
const STATUS_CONNECTIONS = 20;
const LOGIN_CONNECTIONS = 1; // one API process checks one bcrypt hash at a time: more connections only queue

export async function apiLoad(ctx: BenchContext): Promise<Report> {
  const statusS = ctx.quick ? 4 : 30;
  const loginS = ctx.quick ? 3 : 15;
  const backlogDocs = ctx.quick ? 2 : 8;
  const stack = await ctx.stack();
  stack.llm.setLatency(0);
  const prefix = uniquePrefix('apiload');

  ctx.progress(`api-load: API up, uploading an OCR backlog of ${backlogDocs} × 10 scanned pages (no worker yet)`);
  const api = await startApi(stack, prefix);
  const token = await login(api.url);
  const uploaded = await uploadAll(
    api.url,
    token,
    backlogDocs,
    (i) => ({
      name: `backlog-${i}.pdf`,
      pdf: uniqueBytes(new Uint8Array(scannedReportPdf(syntheticReport({ pages: 10, seed: 30_000 + i, rowsPerPage: 24 }))), `${prefix}${i}`),
      pages: 10,
    }),
    2,
  );
  const ids = uploaded.map((u) => u.jobId);
  const jobId = ids[0]!;

  const statusOpts = {
    url: `${api.url}/status/${jobId}`,
    headers: { authorization: `Bearer ${token}` },
    connections: STATUS_CONNECTIONS,
    overallRate: STATUS_RATE,
  };
  const loginOpts = {
    url: `${api.url}/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_ADMIN),
    connections: LOGIN_CONNECTIONS,
  };
  const measured = async <R extends LoadResult>(what: string, run: () => Promise<R>) => {
    ctx.progress(`api-load: ${what}`);
    const m0 = machineCpu();
    const r = await run();
    return { ...r, busy: busyShare(m0, machineCpu()) };
  };

  const paced = () => pacedLoad({ url: statusOpts.url, headers: statusOpts.headers, rate: STATUS_RATE, duration: statusS });
  const idleStatus = await measured(`GET /status idle (autocannon), ${statusS} s`, () => load({ ...statusOpts, duration: statusS }));
  const idlePaced = await measured(`GET /status idle (evenly paced), ${statusS} s`, paced);
  const idleLogin = await measured(`POST /login idle, ${loginS} s`, () => load({ ...loginOpts, duration: loginS }));

  ctx.progress('api-load: starting a worker; waiting until OCR runs');
  const workers = await startWorkers(stack, 1, { prefix });
  await until(
    'OCR to start',
    async () => ((await stack.pool.query(`SELECT 1 FROM jobs WHERE id = ANY($1::uuid[]) AND stage = 'ocr'`, [ids])).rowCount ? true : undefined),
    120_000,
    workers,
    250,
  );
  await new Promise((r) => setTimeout(r, 3000)); // the OCR pool's workers start and take the cores
  const busyStatus = await measured(`GET /status under OCR (autocannon), ${statusS} s`, () => load({ ...statusOpts, duration: statusS }));
  const busyPaced = await measured(`GET /status under OCR (evenly paced), ${statusS} s`, paced);
  const busyLogin = await measured(`POST /login under OCR, ${loginS} s`, () => load({ ...loginOpts, duration: loginS }));
  const stillOcr = (await stack.pool.query(`SELECT 1 FROM jobs WHERE id = ANY($1::uuid[]) AND status <> 'completed'`, [ids])).rowCount ?? 0;
  await Promise.all([...workers.map((w) => stopChild(w, 'SIGKILL')), stopChild(api.child)]);

  const row = (endpoint: string, cond: string, rate: string, r: LoadResult & { busy: number }) => [
    endpoint,
    cond,
    rate,
    String(r.requests),
    fmt(r.rps, 1),
    fmt(r.p50, 1),
    fmt(r.p95, 1),
    fmt(r.p99, 1),
    fmt(r.max, 0),
    r.statuses,
    fmtPct(r.busy, 0),
  ];
  const rows = [
    row('GET /status/:id', 'idle', `${STATUS_RATE}/s autocannon`, idleStatus),
    row('GET /status/:id', 'OCR running', `${STATUS_RATE}/s autocannon`, busyStatus),
    row('GET /status/:id', 'idle', `${STATUS_RATE}/s paced`, idlePaced),
    row('GET /status/:id', 'OCR running', `${STATUS_RATE}/s paced`, busyPaced),
    row('POST /login', 'idle', `${LOGIN_CONNECTIONS} conns`, idleLogin),
    row('POST /login', 'OCR running', `${LOGIN_CONNECTIONS} conns`, busyLogin),
  ];
  const notes = [
    gapAtMost(`target: status p95 < 50 ms at ${STATUS_RATE} req/s while OCR saturates the CPU (autocannon overallRate)`, busyStatus.p95, 50, ' ms'),
    gapAtMost(`target: status p95 < 50 ms at ${STATUS_RATE} req/s while OCR saturates the CPU (evenly paced)`, busyPaced.p95, 50, ' ms'),
    `paced, counted from the moment each request was written instead of when it was due: idle p50/p95/p99 ${fmt(idlePaced.fromSent.p50, 1)}/${fmt(idlePaced.fromSent.p95, 1)}/${fmt(idlePaced.fromSent.p99, 1)} ms, ` +
      `under OCR ${fmt(busyPaced.fromSent.p50, 1)}/${fmt(busyPaced.fromSent.p95, 1)}/${fmt(busyPaced.fromSent.p99, 1)} ms; the generator (this process, on the same cores) ran late by p95 ${fmt(idlePaced.sendLagP95, 1)} ms idle, ${fmt(busyPaced.sendLagP95, 1)} ms under OCR`,
    `under OCR / idle: status p95 ${fmt(busyStatus.p95 / idleStatus.p95, 2)}× (autocannon), ${fmt(busyPaced.p95 / idlePaced.p95, 2)}× (paced); login p50 ${fmt(busyLogin.p50 / idleLogin.p50, 2)}×, req/s ${fmt(busyLogin.rps / idleLogin.rps, 2)}×`,
    `status achieved ${fmt(busyStatus.rps, 0)} of ${STATUS_RATE} req/s under OCR (fewer means the API fell behind the fixed rate); OCR was ${stillOcr > 0 ? 'still running when the last measurement ended' : 'FINISHED before the last measurement ended (make the backlog longer)'}.`,
    `autocannon (${STATUS_CONNECTIONS} connections): its overallRate lets each connection send its quota for the second back to back when the second starts, so the 200 requests of each second arrive as one burst; ` +
      `paced: one request every ${1000 / STATUS_RATE} ms (bench/lib/paced.ts), latency counted from when it was due; login runs bcrypt (cost 12) per request by design, one connection (so its latency is the service time, not a queue); CPU busy = whole machine, the load generator's own CPU included.`,
  ];
  return {
    name: 'api-load',
    title: '5. API under load (load generators on loopback)',
    header: [
      `1 API process; the load phase runs 1 worker process OCRing ${backlogDocs * 10} scanned pages (OCR_WORKERS=${ctx.cores}); ${statusS} s per status run, ${loginS} s per login run`,
    ],
    columns: ['endpoint', 'machine', 'rate', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'statuses', 'CPU busy'],
    rows,
    notes,
    data: { idleStatus, busyStatus, idlePaced, busyPaced, idleLogin, busyLogin },
  };
}
