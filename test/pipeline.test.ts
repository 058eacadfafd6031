/**
 * The pipeline end to end on the real stack: the CLI submits through Temporal, real worker processes
 * run the workflow, Postgres holds everything, and the user gets a workbook and JSON.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { corpus, pool, readTruth, requireRunEnv, runCli, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { readWorkbook, sameValue } from './support/workbook.js';
import { MALFORMED_OUTCOMES } from './support/malformed.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { offlineResponder } from './support/llm-responder.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';
import { Client, Connection } from '@temporalio/client';
import { progressQuery } from '../workflows/process-document.js';
import { workflowIdForJob } from '../core/contract/jobs.js';

const { tmp, temporalAddress } = requireRunEnv();
/** A PDF starts with `%PDF-` within its first 1024 bytes. */
const isPdfByBytes = (file: string): boolean => fs.readFileSync(file).subarray(0, 1024).includes('%PDF-');
const jobIdsIn = (output: string): string[] => [...output.matchAll(/job ([0-9a-f-]{36})\)/g)].map((m) => m[1]!);

describe('offline provider', () => {
  const prefix = uniquePrefix('offline');
  const env = { TASK_QUEUE_PREFIX: prefix, EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle;
  let db: pg.Pool;
  before(async () => {
    worker = await startWorker(env);
    db = pool();
  });
  after(async () => {
    await worker?.stop();
    await db?.end();
  });

  test('a digital lab report becomes a workbook with the patient and lab values from its text layer', async () => {
    const out = path.join(tmp, 'out-digital');
    // With the file-name search attribute on (it is off by default), to find the job by it below.
    const { code, output } = await runCli(['process', corpus('medical/rcn_lab_report.pdf'), '--out', out], { ...env, TEMPORAL_FILENAME_ATTRIBUTE: 'true' });
    assert.equal(code, 0, output);
    const truth = readTruth('medical/rcn_lab_report.pdf');
    const sheets = await readWorkbook(path.join(out, 'rcn_lab_report.xlsx'));
    const summary = sheets.get('Summary')![0]!;
    assert.equal(summary['Patient name'], truth.patient.name);

    const labs = sheets.get('Lab Results')!;
    const withUnits = truth.tests.filter((t: any) => /^[A-Za-z%]/.test(t.unit));
    const found = withUnits.filter((t: any) =>
      labs.some((row) => String(row['Test']).toLowerCase() === t.name.toLowerCase() && sameValue(row['Value'], t.value) && sameValue(row['Unit'], t.unit)),
    );
    assert.ok(found.length >= 3, `expected ≥3 lab values with units, found ${found.map((t: any) => t.name).join(', ')}`);
    for (const row of labs) assert.equal(typeof row['Page'], 'number');

    const json = JSON.parse(fs.readFileSync(path.join(out, 'rcn_lab_report.json'), 'utf8'));
    assert.equal(json.patient.name.value, truth.patient.name);
    assert.equal(json.patient.date_of_birth.value, truth.patient.dob_iso);
    const [jobId] = jobIdsIn(output);
    const pages = await db.query('SELECT source FROM pages WHERE job_id = $1', [jobId]);
    assert.deepEqual(
      pages.rows.map((r) => r.source),
      ['text_layer'],
    );

    // The workflow answers a progress query, and the job is findable by its search attributes.
    const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
    try {
      const progress = await client.workflow.getHandle(workflowIdForJob(jobId!)).query(progressQuery);
      assert.deepEqual(progress, { status: 'completed', stage: 'export', pagesDone: 1, pagesTotal: 1 });
      let found: string[] = [];
      for (let i = 0; i < 50 && found.length === 0; i++) {
        found = [];
        for await (const wf of client.workflow.list({ query: `JobId = "${jobId}" AND JobStatus = "completed" AND FileName = "rcn_lab_report.pdf"` }))
          found.push(wf.workflowId);
        if (!found.length) await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(found, [workflowIdForJob(jobId!)]);
    } finally {
      await client.connection.close();
    }
  });

  test('a scanned report is read by OCR, page by page, and its known values come out', async () => {
    const report = syntheticReport({ pages: 2, seed: 7, rowsPerPage: 8 });
    const file = path.join(tmp, 'scanned-lab-report.pdf');
    // Two scanned pages and a blank one: the blank page goes to the OCR step (it has no text) and is
    // kept there without OCR once its drawing is seen to be empty.
    fs.writeFileSync(file, scannedReportPdf(report, { skewDeg: 0.6, blankPagesAfter: 1 }));
    const out = path.join(tmp, 'out-scanned');
    const { code, output } = await runCli(['process', file, '--out', out], env);
    assert.equal(code, 0, output);
    const [jobId] = jobIdsIn(output);
    const pages = await db.query('SELECT page_no, source, ocr_confidence, words, width, height, text FROM pages WHERE job_id = $1 ORDER BY page_no', [jobId]);
    assert.deepEqual(
      pages.rows.map((r) => [r.page_no, r.source]),
      [
        [1, 'ocr'],
        [2, 'ocr'],
        [3, 'text_layer'],
      ],
    );
    assert.equal(pages.rows[2].text, '', 'the blank page has no text');
    // Read from the stored 300-dpi scan itself: word boxes are in its pixels (8.5 × 11 in at 300 dpi).
    assert.deepEqual([pages.rows[0].width, pages.rows[0].height], [2550, 3300]);
    for (const p of pages.rows.slice(0, 2)) {
      assert.ok(p.ocr_confidence > 50, `page ${p.page_no} OCR confidence ${p.ocr_confidence}`);
      assert.ok(Array.isArray(p.words) && p.words.length > 50, 'word boxes are kept');
    }

    const sheets = await readWorkbook(path.join(out, 'scanned-lab-report.xlsx'));
    assert.equal(sheets.get('Summary')![0]!['Patient name'], report.patientName);
    const labs = sheets.get('Lab Results')!;
    const expected = report.pages.flatMap((rows, i) => rows.map((r) => ({ ...r, page: i + 1 })));
    const found = expected.filter((e) =>
      labs.some((row) => sameValue(row['Value'], e.value) && String(row['Test']).includes(e.test) && row['Page'] === e.page),
    );
    assert.ok(found.length >= expected.length * 0.75, `found ${found.length} of ${expected.length} OCR lab values on the right page`);
  });

  test('every malformed corpus file ends clearly, and a good PDF after them still completes', async () => {
    const dir = corpus('malformed');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.pdf'))
      .sort();
    const good = corpus('medical/agentforge_lab_report.pdf');
    const out = path.join(tmp, 'out-malformed');
    const { output } = await runCli(['process', ...files.map((f) => path.join(dir, f)), '--out', out], env);
    const { output: goodOut, code: goodCode } = await runCli(['process', good, '--out', out], env);
    assert.equal(goodCode, 0, goodOut);
    assert.ok(worker.proc.exitCode === null, 'the worker is still running');

    const jobs = await db.query<{ filename: string; status: string; error_code: string | null; error_message: string | null }>(
      `SELECT d.filename, j.status, j.error_code, j.error_message FROM jobs j JOIN documents d ON d.id = j.document_id WHERE j.id = ANY($1::uuid[])`,
      [jobIdsIn(output)],
    );
    const byName = new Map(jobs.rows.map((r) => [r.filename, r]));
    const expectations = MALFORMED_OUTCOMES;
    const mismatches: string[] = [];
    for (const f of files) {
      const job = byName.get(f);
      const want = expectations[f];
      // A file that is no PDF by its bytes (whatever its name) is refused by the CLI before it is sent: no job.
      if (!job && want && !isPdfByBytes(path.join(dir, f))) {
        if (!output.includes(`${f}: not sent: UnsupportedFormat: `)) mismatches.push(`${f}: expected the CLI to refuse it as UnsupportedFormat`);
        continue;
      }
      if (!job || !want) {
        mismatches.push(`${f}: ${job ? 'no expectation in this test' : 'no job'}`);
        continue;
      }
      const got = job.status === 'completed' ? 'completed' : `${job.status}/${job.error_code}`;
      if (want === 'completed' ? got !== 'completed' : got !== `failed/${want}`) mismatches.push(`${f}: expected ${want}, got ${got} (${job.error_message})`);
      if (want !== 'completed') {
        assert.ok(job.error_message && job.error_message.length > 10, `${f} has a message a person can read`);
        assert.ok(output.includes(`${f}: ${want}: `), `the CLI names ${f}'s failure`);
      }
    }
    assert.deepEqual(mismatches, []);
  });
});

describe('openai provider against an OpenAI-compatible server on loopback', () => {
  const prefix = uniquePrefix('openai');
  let server: OpenAIServer;
  let worker: ChildHandle;
  let db: pg.Pool;
  let env: Record<string, string>;
  before(async () => {
    server = await startOpenAIServer({ respond: offlineResponder, apiKey: 'sk-test-local' });
    env = { TASK_QUEUE_PREFIX: prefix, EXTRACTION_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test-local', OPENAI_BASE_URL: server.url, OPENAI_MODEL: 'gpt-test' };
    worker = await startWorker(env);
    db = pool();
  });
  after(async () => {
    await worker?.stop();
    await server?.close();
    await db?.end();
  });

  test('a 429 is waited out (Retry-After) and an invalid response is retried; the job completes with tokens recorded', async () => {
    server.inject({ kind: '429', retryAfterSeconds: 2 }, { kind: 'invalid-json' });
    const out = path.join(tmp, 'out-openai');
    const { code, output } = await runCli(['process', corpus('medical/agentforge_lab_report.pdf'), '--out', out], env);
    assert.equal(code, 0, output);
    assert.equal(server.requests.length, 3, 'one request per attempt: 429, invalid JSON, success');
    assert.ok(server.requests[1]!.at - server.requests[0]!.at >= 1900, 'the retry after the 429 waited for Retry-After');
    const body = server.requests[2]!.body;
    assert.equal(body.response_format.type, 'json_schema');
    assert.equal(body.response_format.json_schema.strict, true);

    const [jobId] = jobIdsIn(output);
    const job = await db.query('SELECT status, tokens_in, tokens_out, provider, model FROM jobs WHERE id = $1', [jobId]);
    assert.equal(job.rows[0].status, 'completed');
    assert.ok(job.rows[0].tokens_in > 100 && job.rows[0].tokens_out > 10, 'tokens recorded');
    assert.equal(job.rows[0].model, 'gpt-test');

    const truth = readTruth('medical/agentforge_lab_report.pdf');
    const sheets = await readWorkbook(path.join(out, 'agentforge_lab_report.xlsx'));
    assert.equal(sheets.get('Summary')![0]!['Patient name'], truth.patient.name);
    const labs = sheets.get('Lab Results')!;
    const found = truth.tests.filter((t: any) => labs.some((r) => sameValue(r['Value'], t.value)));
    assert.ok(found.length >= 3, `lab values from the model's answer reach the workbook (${found.length})`);
  });

  test('a provider that rejects the key fails the job with a typed error, not a hang', async () => {
    const badEnv = { ...env, OPENAI_API_KEY: 'sk-wrong' };
    const w2prefix = uniquePrefix('badkey');
    const w2 = await startWorker({ ...badEnv, TASK_QUEUE_PREFIX: w2prefix });
    try {
      const { code, output } = await runCli(['process', corpus('medical/rcn_prescription.pdf'), '--out', path.join(tmp, 'out-badkey')], {
        ...badEnv,
        TASK_QUEUE_PREFIX: w2prefix,
      });
      assert.equal(code, 1, output);
      assert.match(output, /rcn_prescription\.pdf: ExtractionFailed: /);
    } finally {
      await w2.stop();
    }
  });
});
