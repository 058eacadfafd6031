/**
 * Durability: a worker killed with SIGKILL in the middle of OCR loses nothing. A new worker takes the
 * job over, resumes OCR after the last stored page, and the job completes with every page and the
 * workbook exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../core/config.js';
import { closePool, db, initPool } from '../stores/pool.js';
import { getJob } from '../stores/jobs.js';
import { connectClient, submitDocument } from '../services/pipeline-client.js';
import { requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const { databaseUrl, temporalAddress } = requireRunEnv();
// One OCR thread, so pages finish one after another and the kill lands inside a partly done batch.
// Each test has task queues of its own, so only the workers it starts can take its work.
const workerEnv = (name: string) => ({ TASK_QUEUE_PREFIX: uniquePrefix(name), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', OCR_WORKERS: '1' });
const workers: ChildHandle[] = [];

before(() => initPool(databaseUrl, 4));
after(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  await closePool();
});

/** The job's row once it has completed, failed or been cancelled. */
const jobEnd = (jobId: string) =>
  waitUntil('the job to finish', async () => {
    const j = await getJob(jobId);
    return j && ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  });

test('SIGKILL of a worker mid-OCR: a new worker resumes and the job completes without duplicates', async () => {
  const env = workerEnv('sigkill');
  const cfg = loadConfig({ ...process.env, ...env });
  const client = await connectClient(cfg, temporalAddress);
  const report = syntheticReport({ pages: 4, seed: 11, rowsPerPage: 6 });
  const first = await startWorker(env);
  workers.push(first);
  const job = await submitDocument(client, cfg, { owner: 'crash-test', filename: 'four-page-scan.pdf', content: scannedReportPdf(report) });

  const pagesBeforeKill = await waitUntil('the first OCR page', async () => {
    const r = await db().query<{ page_no: number; created_at: Date }>('SELECT page_no, created_at FROM pages WHERE job_id = $1', [job.id]);
    return r.rows.length >= 1 ? r.rows : undefined;
  });
  const status = await getJob(job.id);
  assert.equal(status?.stage, 'ocr');
  first.proc.kill('SIGKILL');
  assert.equal(await first.exited, 137);
  const doneBeforeKill = (await db().query('SELECT page_no, created_at FROM pages WHERE job_id = $1 ORDER BY page_no', [job.id])).rows;
  assert.ok(doneBeforeKill.length < 4, 'the kill happened before OCR finished');

  workers.push(await startWorker(env));
  const finished = await jobEnd(job.id);
  assert.equal(finished.status, 'completed', `${finished.error_code}: ${finished.error_message}`);
  assert.equal(finished.pages_done, 4);

  const pages = (await db().query('SELECT page_no, source, created_at FROM pages WHERE job_id = $1 ORDER BY page_no', [job.id])).rows;
  assert.deepEqual(
    pages.map((p) => p.page_no),
    [1, 2, 3, 4],
  );
  assert.ok(pages.every((p) => p.source === 'ocr'));
  // Resumed, not redone: pages stored before the kill are the very same rows.
  for (const before of doneBeforeKill) {
    const now = pages.find((p) => p.page_no === before.page_no)!;
    assert.equal(now.created_at.getTime(), before.created_at.getTime(), `page ${before.page_no} was not recognised twice`);
  }
  assert.ok(pagesBeforeKill.length >= 1);
  const workbooks = await db().query('SELECT count(*)::int AS n FROM workbooks WHERE job_id = $1', [job.id]);
  assert.equal(workbooks.rows[0].n, 1);
  const extraction = await db().query<{ data: { lab_results: Array<{ test: string; value: unknown; evidence: { page: number } }> } }>(
    'SELECT data FROM extractions WHERE job_id = $1',
    [job.id],
  );
  const labs = extraction.rows[0]!.data.lab_results;
  const keys = labs.map((l) => `${l.evidence.page}|${l.test}|${l.value}`);
  assert.equal(new Set(keys).size, keys.length, 'no lab row appears twice');
  assert.ok(labs.length >= 12, `OCR'd lab rows reach the extraction (${labs.length})`);
  await client.connection.close();
});

test('SIGTERM during OCR: the worker finishes the pages it holds within the grace time, exits cleanly, and the job completes elsewhere', async () => {
  const env = workerEnv('sigterm');
  const cfg = loadConfig({ ...process.env, ...env });
  const client = await connectClient(cfg, temporalAddress);
  const worker = await startWorker({ ...env, SHUTDOWN_GRACE_SECONDS: '90' });
  workers.push(worker);
  const job = await submitDocument(client, cfg, {
    owner: 'crash-test',
    filename: 'graceful.pdf',
    content: scannedReportPdf(syntheticReport({ pages: 4, seed: 12, rowsPerPage: 6 })),
  });
  await waitUntil('OCR to start', async () => ((await getJob(job.id))?.stage === 'ocr' ? true : undefined));
  const atSignal = (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM pages WHERE job_id = $1', [job.id])).rows[0]!.n;
  worker.proc.kill('SIGTERM');
  assert.equal(await worker.exited, 0, worker.output().slice(-2000));
  assert.match(worker.output(), /workers shutting down/);
  const atExit = (await db().query<{ n: number }>('SELECT count(*)::int AS n FROM pages WHERE job_id = $1', [job.id])).rows[0]!.n;
  assert.ok(atExit > atSignal, `pages in flight were finished before exit (${atSignal} → ${atExit})\n${worker.output().slice(-3000)}`);
  assert.equal((await getJob(job.id))?.status, 'processing', 'the job waits for a worker, it is not failed');

  workers.push(await startWorker(env));
  const finished = await jobEnd(job.id);
  assert.equal(finished.status, 'completed', `${finished.error_code}: ${finished.error_message}`);
  assert.equal(finished.pages_done, 4);
  await client.connection.close();
});
