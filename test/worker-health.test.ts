/**
 * A standalone worker's health endpoint and metrics (workers/worker-http.ts, activities/metrics.ts):
 * /healthz is 200 while the process lives; /readyz is 503 while it starts and from the moment it is
 * told to stop, 200 in between; /metrics counts what the worker did (activities, pages, stages, LLM
 * requests, tokens and 429s, waits, slots) and never names a job or a file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadConfig } from '../core/config.js';
import { closePool, initPool } from '../stores/pool.js';
import { getJob } from '../stores/jobs.js';
import { connectClient, submitDocument } from '../services/pipeline-client.js';
import { startWorkerHttp } from '../workers/worker-http.js';
import { requireRunEnv, startWorker, startProcess, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { offlineResponder } from './support/llm-responder.js';
import { digitalReportPdf, scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const { databaseUrl, temporalAddress } = requireRunEnv();
let llmServer: OpenAIServer;
const children: ChildHandle[] = [];

before(async () => {
  initPool(databaseUrl, 4);
  llmServer = await startOpenAIServer({ respond: offlineResponder });
});
after(async () => {
  for (const c of children) await c.stop('SIGKILL');
  await llmServer.close();
  await closePool();
});

/** The health endpoint's URL, from the worker's "listening" log line (WORKER_HTTP_PORT=0). */
async function endpointOf(worker: ChildHandle): Promise<string> {
  await worker.waitFor(/worker health endpoint listening/, 60_000);
  return /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"worker health endpoint listening"/.exec(worker.output())![1]!;
}

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of one sample of the Prometheus text, by metric name and (a subset of) its labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('the endpoint answers /healthz, /readyz (503 until ready), /metrics, and nothing else', async () => {
  let ready = false;
  const http = await startWorkerHttp({ host: '127.0.0.1', port: 0, readiness: async () => ({ ready, checks: { workers: ready ? 'ok' : 'starting' } }) });
  try {
    assert.ok(http.port > 0, 'port 0 picks a free port');
    assert.equal((await get(`${http.url}/healthz`)).status, 200);
    const notYet = await get(`${http.url}/readyz`);
    assert.equal(notYet.status, 503);
    assert.deepEqual(JSON.parse(notYet.text), { status: 'unavailable', checks: { workers: 'starting' } });
    ready = true;
    assert.equal((await get(`${http.url}/readyz`)).status, 200);
    const metrics = await get(`${http.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain/);
    assert.match(metrics.text, /# TYPE medextract_activities_total counter/);
    assert.equal((await get(`${http.url}/nope`)).status, 404);
    assert.equal((await fetch(`${http.url}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await http.close();
  }
});

test('a worker that cannot reach Temporal yet is alive but not ready, and stops at once on SIGTERM', async () => {
  // A Temporal address that accepts connections and never answers keeps the worker in its start-up.
  const blackHole = net.createServer(() => {});
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
  const port = (blackHole.address() as net.AddressInfo).port;
  try {
    const worker = startProcess(['app/worker-main.ts'], {
      LOG_LEVEL: 'info',
      WORKER_HTTP_PORT: '0',
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TASK_QUEUE_PREFIX: uniquePrefix('starting'),
    });
    children.push(worker);
    const url = await endpointOf(worker);
    assert.equal((await get(`${url}/healthz`)).status, 200);
    const ready = await waitUntil(
      'the database to be checked',
      async () => {
        const r = await get(`${url}/readyz`);
        return JSON.parse(r.text).checks.postgres === 'ok' ? r : undefined;
      },
      30_000,
    );
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.text).checks.workers, 'starting');
    worker.proc.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
  } finally {
    blackHole.close();
  }
});

test('a working worker is ready, counts its work in /metrics, and turns unready at once on SIGTERM while it drains', { timeout: 300_000 }, async () => {
  const env = {
    TASK_QUEUE_PREFIX: uniquePrefix('health'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test-local',
    OPENAI_BASE_URL: llmServer.url,
    OCR_WORKERS: '1',
    SHUTDOWN_GRACE_SECONDS: '90',
  };
  const cfg = loadConfig({ ...process.env, ...env });
  const client = await connectClient(cfg, temporalAddress);
  const worker = await startWorker(env);
  children.push(worker);
  const url = await endpointOf(worker);
  const readyz = await get(`${url}/readyz`);
  assert.equal(readyz.status, 200, readyz.text);
  assert.deepEqual(JSON.parse(readyz.text).checks, { workers: 'ok', postgres: 'ok' });

  // One digital document; the LLM server answers its first request with a 429 (Retry-After 1 s).
  llmServer.inject({ kind: '429', retryAfterSeconds: 1 });
  const digital = await submitDocument(client, cfg, {
    owner: 'health-test',
    filename: 'health-digital.pdf',
    content: digitalReportPdf(syntheticReport({ pages: 1, seed: 71, rowsPerPage: 4 })),
  });
  const done = await waitUntil('the digital job', async () => {
    const j = await getJob(digital.id);
    return j && ['completed', 'failed'].includes(j.status) ? j : undefined;
  });
  assert.equal(done.status, 'completed', `${done.error_code}: ${done.error_message}`);

  const pipelineQueue = `${env.TASK_QUEUE_PREFIX}pipeline`;
  const llmQueue = `${env.TASK_QUEUE_PREFIX}llm`;
  const ocrQueue = `${env.TASK_QUEUE_PREFIX}ocr`;
  // The job is marked completed inside the export activity, a moment before that activity counts as done.
  const m = await waitUntil(
    'the export activity to be counted',
    async () => {
      const text = (await get(`${url}/metrics`)).text;
      return sample(text, 'medextract_activities_total', { activity: 'exportWorkbook', task_queue: pipelineQueue, outcome: 'completed' }) ? text : undefined;
    },
    10_000,
  );
  assert.equal(
    sample(m, 'medextract_worker_info', { instance_id: `${worker.proc.pid}@${(await import('node:os')).hostname()}` }),
    1,
    'instance_id is pid@host, the Temporal identity',
  );
  for (const activity of ['prepareDocument', 'planExtraction', 'finishExtraction', 'exportWorkbook']) {
    assert.equal(sample(m, 'medextract_activities_total', { activity, task_queue: pipelineQueue, outcome: 'completed' }), 1, activity);
  }
  assert.equal(sample(m, 'medextract_activities_total', { activity: 'extractPart', task_queue: llmQueue, outcome: 'failed' }), 1, 'the 429 attempt');
  assert.equal(sample(m, 'medextract_activities_total', { activity: 'extractPart', task_queue: llmQueue, outcome: 'completed' }), 1);
  assert.equal(sample(m, 'medextract_llm_requests_total', { outcome: '429' }), 1);
  assert.equal(sample(m, 'medextract_llm_requests_total', { outcome: 'ok' }), 1);
  assert.ok(sample(m, 'medextract_llm_tokens_total', { direction: 'in' })! > 0);
  assert.ok(sample(m, 'medextract_llm_tokens_total', { direction: 'out' })! > 0);
  assert.equal(sample(m, 'medextract_pages_processed_total', { source: 'text_layer' }), 1);
  for (const stage of ['prepare', 'extract', 'export']) assert.ok(sample(m, 'medextract_stage_duration_seconds_count', { stage })! >= 1, stage);
  // The retry waited for the provider's Retry-After: the second attempt's schedule-to-start shows it.
  assert.equal(sample(m, 'medextract_activity_schedule_to_start_seconds_count', { activity: 'extractPart', task_queue: llmQueue }), 2);
  assert.equal(sample(m, 'medextract_activity_slots_max', { task_queue: pipelineQueue }), 10);
  assert.equal(sample(m, 'medextract_activity_slots_used', { task_queue: llmQueue }), 0);
  assert.ok(sample(m, 'process_cpu_user_seconds_total')! > 0, 'process metrics are there');
  assert.ok(!m.includes(digital.id) && !m.includes('health-digital'), 'no job id or file name in metrics');

  // A scanned document keeps the worker busy with OCR; SIGTERM then makes it unready at once.
  const scanned = await submitDocument(client, cfg, {
    owner: 'health-test',
    filename: 'health-scan.pdf',
    content: scannedReportPdf(syntheticReport({ pages: 2, seed: 72, rowsPerPage: 4 })),
  });
  await waitUntil('OCR to start', async () => ((await getJob(scanned.id))?.stage === 'ocr' ? true : undefined));
  const busy = (await get(`${url}/metrics`)).text;
  assert.ok(sample(busy, 'medextract_activity_slots_used', { task_queue: ocrQueue })! >= 1, 'the OCR activity holds a slot of the ocr queue');
  assert.ok(sample(busy, 'medextract_activity_slots_max', { task_queue: ocrQueue })! >= 1, 'the ocr queue has one slot per OCR engine');
  const signalledAt = Date.now();
  worker.proc.kill('SIGTERM');
  await worker.waitFor(/workers shutting down/, 10_000);
  const draining = await get(`${url}/readyz`);
  assert.equal(draining.status, 503, 'unready as soon as the stop begins');
  assert.equal(JSON.parse(draining.text).checks.workers, 'stopping');
  assert.equal((await get(`${url}/healthz`)).status, 200, 'alive while it drains');
  assert.equal(await worker.exited, 0, worker.output().slice(-2000));
  assert.ok(Date.now() - signalledAt < 90_000, 'within the grace time');

  // Another worker finishes the document.
  children.push(await startWorker(env));
  const finished = await waitUntil('the scanned job', async () => {
    const j = await getJob(scanned.id);
    return j && ['completed', 'failed'].includes(j.status) ? j : undefined;
  });
  assert.equal(finished.status, 'completed', `${finished.error_code}: ${finished.error_message}`);
  await client.connection.close();
});
