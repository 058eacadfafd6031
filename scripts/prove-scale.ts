/**
 * `npm run prove:scale`: the production topology on loopback, with real processes, and proof that it
 * behaves. It starts one Temporal dev server (SQLite file, so it can be restarted with its state), a
 * fresh database on the machine's PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * the OpenAI-compatible test server, two API processes behind nginx (least_conn), and worker processes
 * (each its own WORKER_HTTP_PORT, OCR_WORKERS=1: one OCR core per worker, like a one-CPU pod), then:
 *
 *   batch 1  3 fresh workers, the 30-document batch      step 1 (everything completes, every worker and
 *                                                        both APIs did work) and the 3-worker throughput
 *   -        logout through API 1, token tried on API 2  step 3
 *   batch 2  1 fresh worker, the same 30 documents       single-worker throughput: the ratio
 *   batch 3  3 workers, the same 30 documents            steps 4-6: SIGKILL a worker running OCR, restart
 *                                                        Temporal, SIGTERM a worker running OCR
 *   batch 4  3 fresh workers with LLM_RPM=40,            step 2: the LLM server never sees more than 40
 *            50 documents (46 generated + 4 scans)       requests in a minute, and ≥ 90 % of 40 while
 *                                                        extraction requests wait (a backlog of ~80 s)
 *
 * The 30-document batch is 26 digital and 4 scanned one-page corpus files. Dedup makes identical bytes
 * one job, so every upload is made unique by a PDF comment line (`%medextract-prove-scale <batch> <n>`)
 * appended after the file's %%EOF (readers ignore it); batch 4's digital documents are generated fixtures
 * (test/fixtures/generate.ts). Step 2 has a batch of its own because a low limit would make it the
 * bottleneck of every other measurement (the limit is enforced by activities/llm-send-window.ts).
 *
 * Prints a table and exits 0 only if every step passes. Every child process, the database and (on success)
 * the temporary directory are removed on exit, Ctrl-C included; on failure the logs are kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { withClient } from '../stores/pool.js';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { MAX_REQUEST_FACTOR } from '../api/routes/jobs.js';
import { migrate } from '../stores/migrate.js';
import { freePort } from '../app/embedded/ports.js';
import { startTemporalDevServer, type EmbeddedTemporal } from '../app/embedded/temporal.js';
import { workflowIdForJob } from '../core/contract/jobs.js';
import { maxInAnyWindow, startOpenAIServer, type OpenAIServer } from '../test/support/openai-server.js';
import { offlineResponder } from '../test/support/llm-responder.js';
import { digitalReportPdf, syntheticReport } from '../test/fixtures/generate.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CORPUS = process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus');
const ADMIN_DB_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** Step 2: 50 one-request documents at 40/min (dispatched at 36.6/min) wait ~80 s for the limiter. */
const LLM_RPM = 40;
const RATE_BATCH_GENERATED = 46;
/** Batches 1-3: high enough that the LLM never limits throughput. */
const FAST_RPM = 3000;
const GRACE_SECONDS = 60;
const MAX_UPLOAD_MB = 50;
const UPLOAD_CONCURRENCY = 4;
const ADMIN = { username: 'admin', password: 'prove-scale-admin-password' };
const JWT_SECRET = 'prove-scale-jwt-secret-0123456789abcdefghijklmnop';

const DIGITAL = [
  'medical/rcn_lab_report.pdf', 'medical/rcn_discharge_summary.pdf', 'medical/rcn_prescription.pdf', 'medical/rcn_hospital_bill.pdf',
  'medical/rcn_insurance_eob.pdf', 'medical/rcn_xray_report.pdf', 'medical/rcn_admission_form.pdf', 'medical/agentforge_lab_report.pdf',
  'medical/agentforge_intake_form.pdf', 'medical/healthfirst_lab_report_3p.pdf', 'medical/azure_vaccine_consent_form_filled.pdf',
  'medical/cms1500_blank_form.pdf',
];
/** One page each, 4-12 s of OCR each on this machine. */
const SCANNED = ['medical/cms1500_nucc_sample_filled_scan.pdf', 'scanned/ocrmypdf_ccitt_g4.pdf', 'scanned/ocrmypdf_jbig2.pdf', 'scanned/ocrmypdf_epson_scan.pdf'];
const BATCH = [...SCANNED, ...Array.from({ length: 26 }, (_, i) => DIGITAL[i % DIGITAL.length]!)];

// ---------------------------------------------------------------------------------------------------
// Child processes

interface Child {
  name: string;
  proc: ChildProcess;
  log: string;
  /** Exit code, or 128 + signal number. */
  exited: Promise<number>;
}

const children = new Set<Child>();
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGQUIT: 3 };

function spawnChild(name: string, cmd: string, args: string[], env: Record<string, string>, logDir: string): Child {
  const log = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  const proc = spawn(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise<number>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? SIGNAL_NUMBERS[signal] ?? 0 : 0))));
  const child = { name, proc, log, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

const isRunning = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000): Promise<number> {
  if (isRunning(c)) c.proc.kill(signal);
  const timer = setTimeout(() => isRunning(c) && c.proc.kill('SIGKILL'), killAfterMs);
  const code = await c.exited;
  clearTimeout(timer);
  return code;
}

const tail = (c: Child, chars = 2000) => {
  try {
    return fs.readFileSync(c.log, 'utf8').slice(-chars);
  } catch {
    return '';
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns a value; fails early if `watch` exits. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, watch?: Child): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (watch && !isRunning(watch)) throw new Error(`${watch.name} exited while waiting for ${what}:\n${tail(watch)}`);
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(250);
  }
}

const httpOk = (url: string) => async () => ((await fetch(url)).status === 200 ? true : undefined);

// ---------------------------------------------------------------------------------------------------
// The topology

interface Topology {
  tmp: string;
  logDir: string;
  databaseUrl: string;
  dbName: string;
  temporalPort: number;
  temporalDbFile: string;
  temporal: EmbeddedTemporal;
  bundlePath: string;
  llm: OpenAIServer;
  apis: Array<{ child: Child; url: string }>;
  nginx: { child: Child; url: string };
  workers: Worker[];
  client: Client;
  pool: pg.Pool;
}

interface Worker {
  child: Child;
  name: string;
  url: string;
}

let topo: Partial<Topology> = {};
let workerSerial = 0;

function baseEnv(t: Partial<Topology>, llmRpm: number): Record<string, string> {
  return {
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: `127.0.0.1:${t.temporalPort}`,
    DATABASE_URL: t.databaseUrl!,
    WORKFLOW_BUNDLE: t.bundlePath!,
    DATA_DIR: path.join(t.tmp!, 'data'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-prove-scale',
    OPENAI_BASE_URL: t.llm!.url,
    LLM_RPM: String(llmRpm),
    MAX_UPLOAD_MB: String(MAX_UPLOAD_MB),
  };
}

async function startWorkerProcess(llmRpm: number): Promise<Worker> {
  const t = topo as Topology;
  const name = `worker-${++workerSerial}`;
  const port = await freePort();
  const child = spawnChild(name, process.execPath, ['--import', 'tsx', 'app/worker-main.ts'], {
    ...baseEnv(t, llmRpm),
    WORKER_HTTP_HOST: '127.0.0.1',
    WORKER_HTTP_PORT: String(port),
    OCR_WORKERS: '1', // 3 workers on 2 cores: one OCR thread each
    SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
  }, t.logDir);
  const url = `http://127.0.0.1:${port}`;
  await until(`${name} to be ready`, httpOk(`${url}/readyz`), 120_000, child);
  return { child, name, url };
}

async function startApiProcess(name: string): Promise<{ child: Child; url: string }> {
  const t = topo as Topology;
  const port = await freePort();
  const child = spawnChild(name, process.execPath, ['--import', 'tsx', 'app/api-main.ts'], {
    ...baseEnv(t, LLM_RPM),
    PORT: String(port),
    TRUST_PROXY: 'true',
    JWT_SECRET,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  }, t.logDir);
  const url = `http://127.0.0.1:${port}`;
  await until(`${name} to be ready`, httpOk(`${url}/readyz`), 120_000, child);
  return { child, url };
}

/** nginx from Debian as the current user: everything it writes lives in its own directory. */
async function startNginx(upstreams: string[]): Promise<{ child: Child; url: string }> {
  const t = topo as Topology;
  const dir = path.join(t.tmp, 'nginx');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const conf = `
daemon off;
master_process on;
worker_processes 1;
${asRoot ? 'user root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream medextract_api {
    least_conn;
${upstreams.map((u) => `    server ${u.replace('http://', '')} max_fails=3 fail_timeout=10s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    # One upload request may carry several files: MAX_REQUEST_FACTOR x MAX_UPLOAD_MB in total.
    client_max_body_size ${MAX_UPLOAD_MB * MAX_REQUEST_FACTOR}m;
    location / {
      proxy_pass http://medextract_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Uploads stream through (the API enforces its caps while reading); large ones take time.
      proxy_request_buffering off;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = spawnChild('nginx', NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {}, t.logDir);
  const url = `http://127.0.0.1:${port}`;
  await until('nginx to answer', httpOk(`${url}/healthz`), 30_000, child);
  return { child, url };
}

const adminDb = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withClient(ADMIN_DB_URL, fn);

async function startTopology(): Promise<Topology> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-scale-'));
  const logDir = path.join(tmp, 'logs');
  fs.mkdirSync(logDir);
  topo.tmp = tmp;
  topo.logDir = logDir;
  console.log(`prove:scale: working directory ${tmp}`);

  topo.temporalPort = await freePort();
  topo.temporalDbFile = path.join(tmp, 'temporal.sqlite');
  topo.temporal = await startTemporal();

  topo.dbName = `medextract_scale_${Date.now().toString(36)}_${process.pid}`;
  await adminDb((c) => c.query(`CREATE DATABASE ${topo.dbName}`));
  const url = new URL(ADMIN_DB_URL);
  url.pathname = `/${topo.dbName}`;
  topo.databaseUrl = url.toString();
  await migrate(topo.databaseUrl);
  topo.pool = new pg.Pool({ connectionString: topo.databaseUrl, max: 4 });

  // Bundled once: the worker processes load it instead of running webpack each.
  topo.bundlePath = path.join(tmp, 'workflow-bundle.js');
  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
  fs.writeFileSync(topo.bundlePath, bundle.code);

  topo.llm = await startOpenAIServer({ respond: offlineResponder });
  topo.apis = await Promise.all([startApiProcess('api-1'), startApiProcess('api-2')]);
  topo.nginx = await startNginx(topo.apis.map((a) => a.url));
  topo.client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${topo.temporalPort}` }) });
  topo.workers = [];
  return topo as Topology;
}

function startTemporal(): Promise<EmbeddedTemporal> {
  return startTemporalDevServer({
    dbFile: topo.temporalDbFile!,
    port: topo.temporalPort!,
    logFile: path.join(topo.logDir!, 'temporal.log'),
  });
}

let cleaning: Promise<void> | undefined;
function cleanup(keepFiles: boolean): Promise<void> {
  cleaning ??= (async () => {
    const t = topo;
    await Promise.all([...children].map((c) => stopChild(c, c.name === 'nginx' ? 'SIGQUIT' : 'SIGTERM', 10_000)));
    await t.client?.connection.close().catch(() => {});
    await t.temporal?.stop().catch(() => {});
    await t.llm?.close().catch(() => {});
    await t.pool?.end().catch(() => {});
    if (t.dbName) {
      await adminDb((c) => c.query(`DROP DATABASE IF EXISTS ${t.dbName} WITH (FORCE)`)).catch((err: Error) => console.error(`could not drop database ${t.dbName}: ${err.message}`));
    }
    if (t.tmp) {
      if (keepFiles) console.error(`logs kept in ${t.tmp}/logs`);
      else fs.rmSync(t.tmp, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

// ---------------------------------------------------------------------------------------------------
// Talking to the system

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (res.status !== 200) throw new Error(`login at ${base} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

interface Upload {
  filename: string;
  content(): Uint8Array;
}

/** Corpus files made unique by a comment line after %%EOF. */
function corpusUploads(batch: string, files: string[] = BATCH, offset = 0): Upload[] {
  return files.map((rel, i) => ({
    filename: path.basename(rel),
    content: () => new Uint8Array(Buffer.concat([fs.readFileSync(path.join(CORPUS, rel)), Buffer.from(`\n%medextract-prove-scale ${batch} ${offset + i}\n`, 'latin1')])),
  }));
}

const generatedUploads = (n: number, firstSeed: number): Upload[] =>
  Array.from({ length: n }, (_, i) => ({
    filename: `generated-report-${i + 1}.pdf`,
    content: () => new Uint8Array(digitalReportPdf(syntheticReport({ pages: 1, seed: firstSeed + i, rowsPerPage: 4 }))),
  }));

interface Uploaded {
  ids: string[];
  startedAt: number;
}

/** Uploads through nginx, a few requests at a time, one file per request; every one must be a new job. */
async function upload(token: string, docs: Upload[]): Promise<Uploaded> {
  const base = (topo as Topology).nginx.url;
  const ids: string[] = new Array(docs.length);
  const startedAt = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < docs.length) {
      const i = next++;
      const doc = docs[i]!;
      const form = new FormData();
      form.append('files', new Blob([doc.content()], { type: 'application/pdf' }), doc.filename);
      const res = await fetch(`${base}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      const body = (await res.json()) as { jobs?: Array<{ id: string; duplicate: boolean }> };
      if (res.status !== 202 || !body.jobs?.[0]) throw new Error(`upload of ${doc.filename} answered ${res.status}: ${JSON.stringify(body)}`);
      if (body.jobs[0].duplicate) throw new Error(`upload of ${doc.filename} was taken as a duplicate`);
      ids[i] = body.jobs[0].id;
    }
  };
  await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, lane));
  return { ids, startedAt };
}

interface JobState {
  id: string;
  status: string;
  error_code: string | null;
  finished_at: Date | null;
  created_at: Date;
}

async function jobStates(ids: string[]): Promise<JobState[]> {
  const r = await (topo as Topology).pool.query<JobState>('SELECT id, status, error_code, finished_at, created_at FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
  return r.rows;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

async function waitForJobs(ids: string[], timeoutMs: number): Promise<JobState[]> {
  return until(
    `${ids.length} jobs to finish`,
    async () => {
      const rows = await jobStates(ids);
      return rows.length === ids.length && rows.every((r) => FINISHED.has(r.status)) ? rows : undefined;
    },
    timeoutMs,
  );
}

const unfinished = async (ids: string[]) => (await jobStates(ids)).filter((r) => !FINISHED.has(r.status)).length;

/** "; not completed: Timeout ×2, …" for the jobs that did not complete, or "". */
function notCompleted(rows: JobState[]): string {
  const codes = new Map<string, number>();
  for (const r of rows) if (r.status !== 'completed') codes.set(r.error_code ?? r.status, (codes.get(r.error_code ?? r.status) ?? 0) + 1);
  return codes.size ? `; not completed: ${[...codes].map(([c, n]) => `${c} ×${n}`).join(', ')}` : '';
}

/** All samples of a metric whose labels include `labels`. */
function samples(text: string, name: string, labels: Record<string, string> = {}): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) out.push({ labels: have, value: Number(m[3]) });
  }
  return out;
}
const sum = (xs: Array<{ value: number }>) => xs.reduce((s, x) => s + x.value, 0);

async function metricsOf(url: string, token?: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`${url}/metrics answered ${res.status}`);
  return res.text();
}

/** Activities running on a worker right now, by type (from its /metrics). */
async function runningActivities(w: Worker): Promise<Record<string, number>> {
  const text = await metricsOf(w.url);
  const out: Record<string, number> = {};
  for (const s of samples(text, 'medextract_activities_running')) if (s.value > 0) out[s.labels.activity!] = (out[s.labels.activity!] ?? 0) + s.value;
  return out;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------------
// The proof

interface StepResult {
  step: string;
  pass: boolean;
  figures: string;
}
const results: StepResult[] = [];
const record = (step: string, pass: boolean, figures: string) => {
  results.push({ step, pass, figures });
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${step}: ${figures}`);
};

/** Batch 1 and step 1: the 30-document batch through the whole topology. Returns the makespan (ms). */
async function stepOneScale(token: string): Promise<number> {
  const t = topo as Topology;
  const up = await upload(token, corpusUploads('b1'));
  const rows = await waitForJobs(up.ids, 6 * 60_000);
  const completed = rows.filter((r) => r.status === 'completed').length;
  const makespan = Math.max(...rows.map((r) => r.finished_at!.getTime())) - up.startedAt;
  // Who did what, from each process's own /metrics.
  const workerMetrics = await Promise.all(t.workers.map((w) => metricsOf(w.url)));
  const perWorker = workerMetrics.map((m) => sum(samples(m, 'medextract_activities_total', { outcome: 'completed' })));
  const ocrPerWorker = workerMetrics.map((m) => sum(samples(m, 'medextract_activities_total', { activity: 'ocrPages', outcome: 'completed' })));
  const perApi = await Promise.all(
    t.apis.map(async (a) => sum(samples(await metricsOf(a.url, token), 'medextract_http_requests_total', { route: '/upload' }))),
  );
  record(
    '1. 30 documents through nginx, 2 APIs, 3 workers',
    completed === BATCH.length && perWorker.every((n) => n > 0) && perApi.every((n) => n > 0),
    `${completed}/${BATCH.length} completed in ${seconds(makespan)}${notCompleted(rows)}; activities completed per worker ${perWorker.join(' / ')} (OCR ${ocrPerWorker.join(' / ')}); uploads per API ${perApi.join(' / ')}`,
  );
  return makespan;
}

async function stepThreeLogout(): Promise<void> {
  const [a, b] = (topo as Topology).apis;
  const token = await login(a!.url);
  const me = async () => (await fetch(`${b!.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const before = await me();
  const logout = (await fetch(`${a!.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status;
  const after = await me();
  record('3. logout on API 1, token refused by API 2', before === 200 && logout === 204 && after === 401, `API 2 before: ${before}; logout on API 1: ${logout}; API 2 after: ${after}`);
}

/** The batch's makespan: first upload sent to last job finished. */
async function throughput(token: string, batch: string): Promise<number> {
  const up = await upload(token, corpusUploads(batch));
  const rows = await waitForJobs(up.ids, 6 * 60_000);
  const failed = rows.filter((r) => r.status !== 'completed');
  if (failed.length) throw new Error(`${failed.length} jobs of batch ${batch} did not complete (${failed.map((f) => f.error_code).join(', ')})`);
  return Math.max(...rows.map((r) => r.finished_at!.getTime())) - up.startedAt;
}

/** Events of one activity type in the batch's workflow histories. */
async function activityEvents(ids: string[], activity: string): Promise<{ scheduled: number[]; retriedAttempts: number }> {
  const t = topo as Topology;
  const scheduled: number[] = [];
  let retriedAttempts = 0;
  for (const id of ids) {
    const history = await t.client.workflow.getHandle(workflowIdForJob(id)).fetchHistory();
    const ofType = new Set<string>();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === activity) {
        ofType.add(String(e.eventId));
        scheduled.push(tsToMs(e.eventTime));
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started && ofType.has(String(started.scheduledEventId)) && (started.attempt ?? 1) > 1) retriedAttempts++;
    }
  }
  return { scheduled, retriedAttempts };
}

/** A worker whose running activities satisfy `accept`. */
async function workerRunning(workers: Worker[], accept: (running: Record<string, number>) => boolean): Promise<Worker | undefined> {
  for (const w of workers) if (accept(await runningActivities(w))) return w;
  return undefined;
}

/** Batch 3, steps 4-6: SIGKILL a worker running OCR, restart Temporal, SIGTERM a worker running OCR. */
async function stepsFourToSixDurability(token: string): Promise<void> {
  const t = topo as Topology;
  const requestsBefore = t.llm.requests.length;
  // The scans and half of the digital documents first; the rest after the kill, so it lands mid-batch.
  const firstPart = BATCH.slice(0, 17);
  const up1 = await upload(token, corpusUploads('b3', firstPart));

  // A worker busy with OCR only (anything else it held would wait out its whole start-to-close
  // timeout, minutes), once some documents are done; failing that, any worker running OCR.
  const onlyOcr = (r: Record<string, number>) => !!r.ocrPages && Object.keys(r).length === 1;
  const midBatchOcrOnly = async () => ((await unfinished(up1.ids)) <= up1.ids.length - 5 ? workerRunning(t.workers, onlyOcr) : undefined);
  const victim =
    (await until('a worker running only OCR with documents done', midBatchOcrOnly, 60_000).catch(() => undefined)) ??
    (await until('a worker running OCR', () => workerRunning(t.workers, (r) => !!r.ocrPages), 60_000));
  const ocrKilled = (await runningActivities(victim)).ocrPages ?? 0;
  const doneAtKill = up1.ids.length - (await unfinished(up1.ids));
  victim.child.proc.kill('SIGKILL');
  const killCode = await victim.child.exited;
  t.workers = t.workers.filter((w) => w !== victim);
  const up2 = await upload(token, corpusUploads('b3', BATCH.slice(17), 17));
  const ids = [...up1.ids, ...up2.ids];

  // Step 6, while the killed worker's OCR waits out its heartbeat timeout (so the batch is unfinished).
  const pendingAtRestart = await unfinished(ids);
  const stoppedAt = Date.now();
  await t.temporal.stop();
  t.temporal = await startTemporal();
  const downFor = Date.now() - stoppedAt;
  const workersAtRestart = [...t.workers];

  // Step 5: SIGTERM a worker while it runs OCR; readiness must turn 503 at once, the process exit 0 in time.
  const drainer = await until('a worker running OCR', () => workerRunning(t.workers, (r) => !!r.ocrPages), 150_000);
  const ocrAtSigterm = (await runningActivities(drainer)).ocrPages ?? 0;
  const signalledAt = Date.now();
  drainer.child.proc.kill('SIGTERM');
  let unreadyAfter: number | undefined;
  while (unreadyAfter === undefined && Date.now() - signalledAt < 5_000) {
    const status = await fetch(`${drainer.url}/readyz`).then((r) => r.status, () => 0);
    if (status === 503) unreadyAfter = Date.now() - signalledAt;
    else await sleep(20);
  }
  const termCode = await drainer.child.exited;
  const exitAfter = Date.now() - signalledAt;
  t.workers = t.workers.filter((w) => w !== drainer);

  const rows = await waitForJobs(ids, 6 * 60_000);
  const finishedAt = Math.max(...rows.map((r) => r.finished_at!.getTime()));
  const allCompleted = rows.every((r) => r.status === 'completed');
  // Every worker that lived through the restart is still running (bar the one stopped on purpose).
  const crashedAfterRestart = workersAtRestart.filter((w) => w !== drainer && !isRunning(w.child)).length;

  // "None twice": one job per upload, one workflow run per job, one workbook and extraction per job,
  // every page once, every extraction part once.
  const jobCount = (await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE created_at >= $1', [new Date(up1.startedAt)])).rows[0]!.n;
  const perJob = await t.pool.query<{ pages_total: number; pages: number; workbooks: number; extractions: number; parts: number }>(
    `SELECT j.pages_total,
            (SELECT count(*)::int FROM pages p WHERE p.job_id = j.id) AS pages,
            (SELECT count(*)::int FROM workbooks w WHERE w.job_id = j.id) AS workbooks,
            (SELECT count(*)::int FROM extractions e WHERE e.job_id = j.id) AS extractions,
            (SELECT count(*)::int FROM extraction_parts x WHERE x.job_id = j.id) AS parts
       FROM jobs j WHERE j.id = ANY($1::uuid[])`,
    [ids],
  );
  const exactlyOnce = perJob.rows.every((r) => r.pages === r.pages_total && r.workbooks === 1 && r.extractions === 1 && r.parts >= 1);
  let runs = 0;
  for (const id of ids) for await (const _ of t.client.workflow.list({ query: `WorkflowId = '${workflowIdForJob(id)}'` })) runs++;
  const parts = perJob.rows.reduce((s, r) => s + r.parts, 0);
  const llmRequests = t.llm.requests.length - requestsBefore;
  const ocr = await activityEvents(ids, 'ocrPages');

  record(
    '4. SIGKILL a worker mid-batch (running OCR)',
    killCode === 137 && allCompleted && jobCount === ids.length && runs === ids.length && exactlyOnce,
    `killed ${victim.name} (OCR activities ${ocrKilled}) with ${doneAtKill}/${firstPart.length} uploaded documents done; ` +
      `${rows.filter((r) => r.status === 'completed').length}/${ids.length} completed ${seconds(finishedAt - up1.startedAt)} after the first upload${notCompleted(rows)}; ` +
      `${jobCount} jobs, ${runs} workflow runs, ${exactlyOnce ? 'one workbook + extraction per job, every page and part once' : 'DUPLICATE or missing rows'}; ` +
      `${llmRequests} LLM requests for ${parts} parts; OCR attempts retried ${ocr.retriedAttempts}`,
  );
  record(
    `5. SIGTERM a worker running OCR (grace ${GRACE_SECONDS} s)`,
    termCode === 0 && exitAfter <= GRACE_SECONDS * 1000 && unreadyAfter !== undefined,
    `${drainer.name} held ${ocrAtSigterm} OCR activities; /readyz 503 after ${unreadyAfter ?? '>5000'} ms; exited ${termCode} after ${seconds(exitAfter)}`,
  );
  record(
    '6. restart the Temporal dev server mid-batch',
    allCompleted && crashedAfterRestart === 0 && pendingAtRestart > 0,
    `stopped with ${pendingAtRestart}/${ids.length} documents unfinished, back after ${seconds(downFor)} (same SQLite file and port); ` +
      `workers lost ${crashedAfterRestart} of ${workersAtRestart.length}; ${allCompleted ? 'every document completed' : 'NOT every document completed'}`,
  );
}

/** Batch 4, step 2: the LLM server's view of the global rate limit. */
async function stepTwoRateLimit(token: string): Promise<void> {
  const t = topo as Topology;
  const requestsBefore = t.llm.requests.length;
  const up = await upload(token, [...corpusUploads('b4', SCANNED), ...generatedUploads(RATE_BATCH_GENERATED, 9_000)]);
  const rows = await waitForJobs(up.ids, 6 * 60_000);
  const completed = rows.filter((r) => r.status === 'completed').length;
  const arrivals = t.llm.requests.slice(requestsBefore).map((r) => r.at).sort((a, b) => a - b);
  const peak = maxInAnyWindow(arrivals, 60_000);

  // The longest stretch during which at least one extraction request was waiting: scheduled (workflow
  // history) but not yet arrived at the LLM server.
  const { scheduled } = await activityEvents(up.ids, 'extractPart');
  const events = [...scheduled.map((at) => ({ at, d: +1 })), ...arrivals.map((at) => ({ at, d: -1 }))].sort((a, b) => a.at - b.at || b.d - a.d);
  let waiting = 0;
  let openedAt = 0;
  let backlog: { start: number; end: number } | undefined;
  for (const e of events) {
    if (e.d > 0 && waiting === 0) openedAt = e.at;
    waiting += e.d;
    if (e.d < 0 && waiting === 0 && (!backlog || e.at - openedAt > backlog.end - backlog.start)) backlog = { start: openedAt, end: e.at };
  }
  let figures = `${completed}/${up.ids.length} completed${notCompleted(rows)}; ${arrivals.length} requests; busiest 60 s window ${peak} (limit ${LLM_RPM})`;
  let pass = completed === up.ids.length && peak <= LLM_RPM;
  if (backlog) {
    const inside = arrivals.filter((a) => a >= backlog.start && a <= backlog.end);
    const perMinute = inside.length > 1 ? ((inside.length - 1) / (inside.at(-1)! - inside[0]!)) * 60_000 : 0;
    // Fewest requests in any full minute inside the backlog (the emptiest windows start just after a request).
    let quietest = Infinity;
    for (const t0 of [backlog.start, ...inside]) {
      if (t0 + 60_000 > backlog.end) break;
      quietest = Math.min(quietest, inside.filter((a) => a > t0 && a <= t0 + 60_000).length);
    }
    const lasted = backlog.end - backlog.start;
    pass &&= lasted >= 60_000 && perMinute >= 0.9 * LLM_RPM;
    figures += `; while requests waited (${seconds(lasted)}): ${perMinute.toFixed(1)}/min = ${Math.round((perMinute / LLM_RPM) * 100)} % of the limit`;
    if (Number.isFinite(quietest)) figures += `, quietest full minute ${quietest}`;
  } else {
    pass = false;
    figures += '; no backlog formed';
  }
  record(`2. LLM_RPM=${LLM_RPM} across 3 workers, seen by the LLM server`, pass, figures);
}

// ---------------------------------------------------------------------------------------------------

function printTable(ratio: string | undefined): void {
  const sorted = [...results].sort((a, b) => a.step.localeCompare(b.step));
  const rows = [['step', 'result', 'figures'], ...sorted.map((r) => [r.step, r.pass ? 'PASS' : 'FAIL', r.figures])];
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `${r[0]!.padEnd(width[0]!)}  ${r[1]!.padEnd(width[1]!)}  ${r[2]}`;
  console.log(`\n${line(rows[0]!)}\n${'-'.repeat(width[0]! + width[1]! + 4 + 60)}`);
  for (const r of rows.slice(1)) console.log(line(r));
  if (ratio) console.log(`\n${ratio}`);
}

async function replaceWorkers(count: number, llmRpm: number): Promise<void> {
  const t = topo as Topology;
  await Promise.all(t.workers.map((w) => stopChild(w.child)));
  t.workers = [];
  for (let i = 0; i < count; i++) t.workers.push(await startWorkerProcess(llmRpm));
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping every process and dropping the database`);
    void cleanup(true).then(() => process.exit(130));
  });
}

const started = Date.now();
const loadAtStart = os.loadavg()[0]!;
let ratio: string | undefined;
let ok = false;
try {
  const t = await startTopology();
  await replaceWorkers(3, FAST_RPM);
  console.log(`topology up in ${seconds(Date.now() - started)}: temporal 127.0.0.1:${t.temporalPort}, nginx ${t.nginx.url} -> ${t.apis.map((a) => a.url).join(', ')}`);
  const token = await login(t.nginx.url);

  console.log(`batch 1: ${BATCH.length} documents (${SCANNED.length} scanned), 3 fresh workers`);
  const threeWorkers = await stepOneScale(token);
  await stepThreeLogout();

  console.log('batch 2: the same documents (new bytes), 1 fresh worker');
  await replaceWorkers(1, FAST_RPM);
  const oneWorker = await throughput(token, 'b2');
  ratio =
    `throughput, ${BATCH.length} documents (${SCANNED.length} scanned), fresh workers, OCR_WORKERS=1 each, ` +
    `${os.availableParallelism()} cores (load average ${loadAtStart.toFixed(1)} at start): ` +
    `3 workers ${seconds(threeWorkers)} (${((BATCH.length / threeWorkers) * 60_000).toFixed(1)} docs/min), ` +
    `1 worker ${seconds(oneWorker)} (${((BATCH.length / oneWorker) * 60_000).toFixed(1)} docs/min): ratio ${(oneWorker / threeWorkers).toFixed(2)}`;
  console.log(ratio);

  console.log('batch 3: the same documents (new bytes), 3 workers; SIGKILL, Temporal restart, SIGTERM');
  for (let i = 0; i < 2; i++) t.workers.push(await startWorkerProcess(FAST_RPM));
  await stepsFourToSixDurability(token);

  console.log(`batch 4: ${SCANNED.length + RATE_BATCH_GENERATED} documents, 3 fresh workers with LLM_RPM=${LLM_RPM}`);
  await replaceWorkers(3, LLM_RPM);
  await stepTwoRateLimit(token);
  ok = results.length === 6 && results.every((r) => r.pass);
} catch (err) {
  if (!interrupted) {
    console.error(`prove:scale stopped: ${(err as Error).stack ?? String(err)}`);
    for (const c of children) console.error(`--- ${c.name} (last lines) ---\n${tail(c, 1500)}`);
  }
}
if (!interrupted) {
  printTable(ratio);
  console.log(`\ntotal ${seconds(Date.now() - started)}: ${ok ? 'every step passes' : 'NOT every step passes'}`);
  await cleanup(!ok);
  process.exit(ok ? 0 : 1);
}
