/**
 * The job side of the HTTP API on the real stack: real API processes (app/api-main.ts) and a real
 * worker process on the run's Temporal dev server and Postgres, spoken to over HTTP like any client.
 * Users are created through the API by the first admin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type pg from 'pg';
import ExcelJS from 'exceljs';
import { Client, Connection } from '@temporalio/client';
import { validate } from '@readme/openapi-parser';
import { corpus, pool, readCorpus, readTruth, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';
import { MALFORMED_OUTCOMES } from './support/malformed.js';
import { digitalReportPdf, scannedReportPdf, syntheticReport } from './fixtures/generate.js';
import { workflowIdForJob } from '../core/contract/jobs.js';
import { createApp } from '../api/app.js';
import { ErrorCodeSchema, ErrorSchema } from '../api/contract/common.js';
import { JobListSchema, JobViewSchema } from '../api/contract/jobs.js';
import { UploadResultSchema } from '../api/contract/upload.js';
import { ExtractionResultSchema } from '../api/contract/results.js';
import { loadConfig } from '../core/config.js';

const { tmp, temporalAddress } = requireRunEnv();
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const TYPED_FAILURES = new Set(['InvalidPdf', 'PasswordRequired', 'EmptyPdf', 'TooManyPages', 'ImageTooLarge', 'Timeout', 'ExtractionFailed']);

/** Every route the app registers, as "METHOD /path/{param}" (HEAD is implied by GET). */
function registeredRoutes(): string[] {
  const app = createApp({ cfg: loadConfig({}), temporal: {} as never, jwtKey: new Uint8Array(32), now: () => new Date() });
  const out = new Set<string>();
  for (const mw of app.middleware as Array<{ router?: { stack: Array<{ path: string | RegExp; methods: string[] }> } }>) {
    for (const layer of mw.router?.stack ?? []) {
      if (typeof layer.path !== 'string') continue;
      for (const m of layer.methods) if (m !== 'HEAD') out.add(`${m} ${layer.path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return [...out].sort();
}

describe('jobs API', () => {
  const prefix = uniquePrefix('apijobs');
  const env = { TASK_QUEUE_PREFIX: prefix, EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  // Each API process gets its own TMPDIR, so the test can see that no upload leaves a file behind.
  const apiTmp = path.join(tmp, 'api-jobs-tmp');
  const smallTmp = path.join(tmp, 'api-jobs-small-tmp');
  let worker: ChildHandle;
  let api: ApiProcess;
  let small: ApiProcess;
  let db: pg.Pool;
  let temporal: Client;
  let admin: string;
  const users: Record<'alice' | 'bob', { id: string; token: string }> = {} as never;
  const jobs: Record<string, string> = {};

  const url = () => api.url;
  async function waitFinished(token: string, id: string, timeoutMs = 240_000): Promise<any> {
    return waitUntil(
      `job ${id} to finish`,
      async () => {
        const r = await call(url(), 'GET', `/status/${id}`, { token });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return FINISHED.has(r.body.status) ? r.body : undefined;
      },
      timeoutMs,
    );
  }
  const tmpLeftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('medextract-upload-')) : []);
  const docCount = async () => Number((await db.query('SELECT count(*) AS n FROM documents')).rows[0].n);

  before(async () => {
    fs.mkdirSync(apiTmp, { recursive: true });
    fs.mkdirSync(smallTmp, { recursive: true });
    worker = await startWorker(env);
    // Both at once: API processes migrate the database at start-up, and the later one waits its turn.
    [api, small] = await Promise.all([startApiProcess({ ...env, TMPDIR: apiTmp }), startApiProcess({ ...env, TMPDIR: smallTmp, MAX_UPLOAD_MB: '1' })]);
    db = pool();
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
    admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const name of ['alice', 'bob'] as const) {
      const password = `Quiet-harbour-${name.length}-lantern-84`;
      const r = await call(api.url, 'POST', '/users', { token: admin, json: { username: name, password, role: 'user' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      users[name] = { id: r.body.id, token: await login(api.url, name, password) };
    }
  });
  after(async () => {
    await Promise.all([api?.stop(), small?.stop(), worker?.stop()]);
    await temporal?.connection.close();
    await db?.end();
  });

  test('health and readiness are public and answer 200', async () => {
    const h = await call(url(), 'GET', '/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: 'ok' });
    const r = await call(url(), 'GET', '/readyz');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.checks.postgres.ok, true);
    assert.equal(r.body.checks.temporal.ok, true);
  });

  test('two corpus PDFs in one upload complete; both workbooks and results download', async () => {
    const { token } = users.alice;
    const names = ['rcn_lab_report.pdf', 'agentforge_lab_report.pdf'];
    const up = await call(url(), 'POST', '/upload', {
      token,
      body: pdfForm(names.map((n) => ({ name: `C:\\Users\\someone\\scans\\${n}`, content: readCorpus(`medical/${n}`) }))),
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal(up.body.jobs.length, 2);
    up.body.jobs.forEach((j: any, i: number) => {
      assert.match(j.id, /^[0-9a-f-]{36}$/);
      assert.equal(j.filename, names[i], "only the base name of the client's path is kept");
      assert.equal(j.status, 'queued');
      assert.equal(j.duplicate, false);
      jobs[names[i]!] = j.id;
    });
    assert.deepEqual(tmpLeftovers(apiTmp), [], 'temporary upload files are removed');

    for (const name of names) {
      const id = jobs[name]!;
      const st = await waitFinished(token, id);
      assert.equal(st.status, 'completed', JSON.stringify(st));
      assert.equal(st.id, id);
      assert.equal(st.filename, name);
      assert.equal(st.owner, users.alice.id);
      assert.deepEqual(st.progress, { pagesDone: 1, pagesTotal: 1 });
      assert.equal(st.error, null);
      assert.equal(st.stage, 'export');
      for (const k of ['createdAt', 'startedAt', 'finishedAt']) assert.ok(!Number.isNaN(Date.parse(st[k])), `${k} is a timestamp`);
      assert.deepEqual(Object.keys(st.tokens).sort(), ['in', 'out']);

      const truth = readTruth(`medical/${name}`);
      const dl = await call(url(), 'GET', `/download/${id}`, { token });
      assert.equal(dl.status, 200);
      assert.equal(dl.headers.get('content-type'), XLSX);
      const base = name.replace(/\.pdf$/, '');
      assert.equal(dl.headers.get('content-disposition'), `attachment; filename="${base}.xlsx"; filename*=UTF-8''${base}.xlsx`);
      assert.equal(dl.headers.get('cache-control'), 'no-store');
      const sheets = await readWorkbook(dl.body as Buffer);
      assert.equal(sheets.get('Summary')![0]!['Patient name'], truth.patient.name);

      const res = await call(url(), 'GET', `/jobs/${id}/result`, { token });
      assert.equal(res.status, 200);
      assert.equal(res.body.job_id, id);
      assert.equal(res.body.patient.name.value, truth.patient.name);
      assert.equal(res.body.patient.name.evidence.page, 1);
      assert.ok(res.body.patient.name.evidence.quote.includes(truth.patient.name), 'the name comes with its quote');
      assert.ok(res.body.lab_results.length >= 3, 'lab results are extracted');
      for (const item of res.body.lab_results) {
        assert.equal(item.evidence.page, 1);
        assert.equal(typeof item.evidence.quote, 'string');
        assert.equal(typeof item.evidence.found, 'boolean');
      }
    }

    // Audit: an upload per job, a status view of a finished job, a download and a result view — with no content.
    const audit = await db.query<{ action: string; target_id: string; actor_user_id: string; detail: any; ip: string }>(
      'SELECT action, target_id, actor_user_id, detail, ip FROM audit_log WHERE target_id = ANY($1) ORDER BY id',
      [Object.values(jobs)],
    );
    for (const id of Object.values(jobs)) {
      const actions = audit.rows.filter((r) => r.target_id === id).map((r) => r.action);
      for (const a of ['upload', 'job.status_view', 'job.download', 'job.result_view']) assert.ok(actions.includes(a), `audit ${a} for ${id}: ${actions}`);
      const upload = audit.rows.find((r) => r.target_id === id && r.action === 'upload')!;
      assert.equal(upload.actor_user_id, users.alice.id);
      assert.equal(upload.detail.duplicate, false);
      assert.equal(typeof upload.detail.size, 'number');
      assert.ok(upload.ip);
    }
    assert.ok(!JSON.stringify(audit.rows).includes(readTruth('medical/rcn_lab_report.pdf').patient.name), 'no patient data in the audit log');
  });

  test('the same file uploaded again by the same owner returns the existing job', async () => {
    const id = jobs['rcn_lab_report.pdf']!;
    const before = await docCount();
    const again = await call(url(), 'POST', '/upload', {
      token: users.alice.token,
      body: pdfForm([{ name: 'renamed.pdf', content: readCorpus('medical/rcn_lab_report.pdf') }]),
    });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.deepEqual(again.body.jobs, [{ id, filename: 'rcn_lab_report.pdf', status: 'completed', duplicate: true }]);
    assert.equal(await docCount(), before, 'nothing new stored');
    const audit = await db.query(`SELECT detail FROM audit_log WHERE action = 'upload' AND target_id = $1 AND (detail->>'duplicate')::boolean`, [id]);
    assert.equal(audit.rowCount, 1, 'the duplicate upload is audited');

    // Another user uploading the same bytes gets a job of their own.
    const bob = await call(url(), 'POST', '/upload', {
      token: users.bob.token,
      body: pdfForm([{ name: 'rcn_lab_report.pdf', content: readCorpus('medical/rcn_lab_report.pdf') }]),
    });
    assert.equal(bob.status, 202);
    assert.equal(bob.body.jobs[0].duplicate, false);
    assert.notEqual(bob.body.jobs[0].id, id);
    jobs.bobs = bob.body.jobs[0].id;
  });

  test('a file over MAX_UPLOAD_MB is refused with 413 while streaming, and nothing is stored', async () => {
    const before = await docCount();
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    big.write('%PDF-1.7\n');
    const r = await call(small.url, 'POST', '/upload', { token: users.alice.token, body: pdfForm([{ name: 'big.pdf', content: big }]) });
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'TooLarge');
    assert.match(r.body.error.message, /1 MB/);

    // Several files under the per-file cap but over the per-request total; and a declared length far too large.
    const part = Buffer.alloc(900 * 1024, 0x20);
    part.write('%PDF-1.7\n');
    const many = await call(small.url, 'POST', '/upload', {
      token: users.alice.token,
      body: pdfForm(Array.from({ length: 5 }, (_, i) => ({ name: `part${i}.pdf`, content: Buffer.concat([part, Buffer.from(String(i))]) }))),
    });
    assert.equal(many.status, 413, JSON.stringify(many.body));
    assert.equal(many.body.error.code, 'TooLarge');
    const huge = Buffer.alloc(6 * 1024 * 1024, 0x20);
    huge.write('%PDF-1.7\n');
    const declared = await call(small.url, 'POST', '/upload', { token: users.alice.token, body: pdfForm([{ name: 'huge.pdf', content: huge }]) });
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, 'TooLarge');

    const tooMany = await call(url(), 'POST', '/upload', {
      token: users.alice.token,
      body: pdfForm(Array.from({ length: 51 }, (_, i) => ({ name: `f${i}.pdf`, content: Buffer.from(`%PDF-1.4\n% ${i}\n`) }))),
    });
    assert.equal(tooMany.status, 413);
    assert.equal(tooMany.body.error.code, 'TooManyFiles');

    assert.equal(await docCount(), before, 'no document stored');
    // Formidable removes a destroyed file a moment later; give it that moment.
    await waitUntil(
      'temporary files to be removed',
      async () => (tmpLeftovers(smallTmp).length === 0 && tmpLeftovers(apiTmp).length === 0 ? true : undefined),
      5_000,
    );
    // The API is still fine afterwards.
    assert.equal((await call(small.url, 'GET', '/healthz')).status, 200);
  });

  test('the request cap is enforced while the body streams in: the 413 comes before the upload ends', async () => {
    const before = await docCount();
    const boundary = `----medextract${crypto.randomBytes(8).toString('hex')}`;
    const target = new URL(`${small.url}/upload`);
    const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(
        {
          hostname: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${users.alice.token}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            req.destroy();
            resolve({ status: res.statusCode!, body: JSON.parse(text) });
          });
        },
      );
      req.on('error', reject);
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer while the upload was still open: the cap is not enforced while streaming'));
      }, 30_000);
      req.on('close', () => clearTimeout(timer));
      // 5 MB of a never-ending PDF part (no Content-Length, the body is never finished): past the per-file
      // cap (1 MB) the file alone is refused and its bytes dropped; past the request cap (4 MB) the request.
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="endless.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`);
      for (let i = 0; i < 80; i++) req.write(Buffer.alloc(64 * 1024, 0x20));
    });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error.code, 'TooLarge');
    assert.equal(await docCount(), before);
    await waitUntil('temporary files to be removed', async () => (tmpLeftovers(smallTmp).length === 0 ? true : undefined), 5_000);
  });

  test('a file of no accepted kind is refused with UnsupportedFormat and nothing is stored; bad forms get clear 4xx', async () => {
    const before = await docCount();
    const text = await call(url(), 'POST', '/upload', {
      token: users.alice.token,
      body: pdfForm([{ name: 'notes.pdf', content: Buffer.from('hello, this is not a PDF\n') }]),
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'UnsupportedFormat');
    assert.match(text.body.error.message, /"notes\.pdf" is not a PDF or a supported image; accepted: PDF, TIFF, PNG, JPEG, WebP/);
    const empty = await call(url(), 'POST', '/upload', { token: users.alice.token, body: pdfForm([{ name: 'empty.pdf', content: new Uint8Array() }]) });
    assert.equal(empty.status, 415);
    assert.equal(empty.body.error.code, 'UnsupportedFormat');
    assert.match(empty.body.error.message, /"empty\.pdf" is empty/);

    const report = syntheticReport({ pages: 1, seed: 11, rowsPerPage: 3 });
    const noFiles = new FormData();
    noFiles.append('comment', 'no files here');
    noFiles.append('document', new Blob([digitalReportPdf(report)], { type: 'application/pdf' }), 'wrong-field.pdf');
    const nf = await call(url(), 'POST', '/upload', { token: users.alice.token, body: noFiles });
    assert.equal(nf.status, 400);
    assert.equal(nf.body.error.code, 'NoFiles');
    const json = await call(url(), 'POST', '/upload', { token: users.alice.token, json: { files: [] } });
    assert.equal(json.status, 415);
    assert.equal(json.body.error.code, 'UnsupportedMediaType');
    const unauth = await call(url(), 'POST', '/upload', { body: pdfForm([{ name: 'x.pdf', content: digitalReportPdf(report) }]) });
    assert.equal(unauth.status, 401);

    assert.equal(await docCount(), before, 'nothing stored');
    await waitUntil('temporary files to be removed', async () => (tmpLeftovers(apiTmp).length === 0 ? true : undefined), 5_000);
  });

  test('every malformed corpus file: a 4xx with a code, or a job that fails typed or completes; never a 5xx', async () => {
    const dir = corpus('malformed');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.pdf'))
      .sort();
    // The pipeline's outcomes, except that a file of no accepted kind is refused at upload.
    const expected: Record<string, string> = Object.fromEntries(
      Object.entries(MALFORMED_OUTCOMES).map(([f, o]) => [
        f,
        f === 'not_a_pdf__qpdf_bad1.pdf' ? '415/UnsupportedFormat' : o === 'completed' ? o : `failed/${o}`,
      ]),
    );
    const { token } = users.bob;
    const outcomes = await Promise.all(
      files.map(async (f) => {
        const r = await call(url(), 'POST', '/upload', { token, body: pdfForm([{ name: f, content: readCorpus(`malformed/${f}`) }]) });
        assert.ok(r.status < 500, `${f}: upload answered ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status !== 202) {
          assert.ok(r.status >= 400 && r.body?.error?.code, `${f}: a 4xx with an error code`);
          return [f, `${r.status}/${r.body.error.code}`] as const;
        }
        const st = await waitFinished(token, r.body.jobs[0].id);
        if (st.status === 'failed') {
          assert.ok(TYPED_FAILURES.has(st.error?.code), `${f}: typed failure, got ${JSON.stringify(st.error)}`);
          assert.ok(st.error.message.length > 10, `${f}: a message a person can read`);
          return [f, `failed/${st.error.code}`] as const;
        }
        return [f, st.status] as const;
      }),
    );
    const mismatches = outcomes.filter(([f, got]) => expected[f] !== got).map(([f, got]) => `${f}: expected ${expected[f] ?? '(no expectation)'}, got ${got}`);
    assert.deepEqual(mismatches, []);
    assert.ok(worker.proc.exitCode === null && api.proc.exitCode === null, 'worker and API still running');
  });

  test('a cell beginning with "=" is neutralised in the downloaded workbook', async () => {
    const formula = '=HYPERLINK("http://evil.example","click") Diagnostics';
    const report = syntheticReport({ pages: 1, seed: 3, rowsPerPage: 4 });
    report.facility = 'Fixture Valley'; // not a facility name by itself: the labelled value below is taken
    report.collected = `09/02/2026    Facility: ${formula.replace(' Diagnostics', '')} Diagnostics`;
    const up = await call(url(), 'POST', '/upload', { token: users.alice.token, body: pdfForm([{ name: 'formula.pdf', content: digitalReportPdf(report) }]) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = up.body.jobs[0].id;
    assert.equal((await waitFinished(users.alice.token, id)).status, 'completed');
    const res = await call(url(), 'GET', `/jobs/${id}/result`, { token: users.alice.token });
    assert.equal(res.body.document.facility.value, formula, 'the extraction keeps the value as printed');

    const dl = await call(url(), 'GET', `/download/${id}`, { token: users.alice.token });
    assert.equal(dl.status, 200);
    const sheets = await readWorkbook(dl.body as Buffer);
    assert.equal(sheets.get('Summary')![0]!['Facility'], `'${formula}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(dl.body as unknown as ArrayBuffer);
    let cells = 0;
    wb.eachSheet((ws) =>
      ws.eachRow((row) =>
        row.eachCell((c) => {
          cells++;
          assert.notEqual(c.type, ExcelJS.ValueType.Formula, `${ws.name}!${c.address} is not a formula`);
          if (typeof c.value === 'string') assert.ok(!/^\s*[=+@]/.test(c.value), `${ws.name}!${c.address} does not start like a formula: ${c.value}`);
        }),
      ),
    );
    assert.ok(cells > 20);
  });

  test("other users' jobs answer 404 everywhere; listings are scoped; admin sees all", async () => {
    const aliceJob = jobs['agentforge_lab_report.pdf']!;
    const { token: bob } = users.bob;
    for (const [method, p] of [
      ['GET', `/status/${aliceJob}`],
      ['GET', `/download/${aliceJob}`],
      ['GET', `/jobs/${aliceJob}/result`],
      ['DELETE', `/jobs/${aliceJob}`],
    ] as const) {
      const r = await call(url(), method, p, { token: bob });
      assert.equal(r.status, 404, `${method} ${p} as another user`);
      assert.equal(r.body.error.code, 'NotFound');
    }
    // Unknown and malformed ids look exactly the same.
    const unknown = await call(url(), 'GET', `/status/${crypto.randomUUID()}`, { token: bob });
    const malformed = await call(url(), 'GET', `/status/not-a-uuid'--`, { token: bob });
    const theirs = await call(url(), 'GET', `/status/${aliceJob}`, { token: bob });
    assert.equal(unknown.status, 404);
    assert.equal(malformed.status, 404);
    assert.deepEqual(unknown.body, theirs.body);
    assert.deepEqual(malformed.body, theirs.body);
    assert.equal((await call(url(), 'GET', `/status/${aliceJob}`, { token: users.alice.token })).status, 200, 'still there for its owner');

    // Listings.
    const listAll = async (token: string, query = '', limit = 2) => {
      const out: any[] = [];
      let cursor: string | null = null;
      do {
        const r: any = await call(url(), 'GET', `/jobs?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.body.jobs.length <= limit);
        out.push(...r.body.jobs);
        cursor = r.body.nextCursor;
      } while (cursor);
      return out;
    };
    const bobs = await listAll(bob);
    assert.ok(bobs.length > 0);
    assert.ok(
      bobs.every((j) => j.owner === users.bob.id),
      "bob's list holds only bob's jobs",
    );
    const bobDb = await db.query('SELECT id FROM jobs WHERE owner = $1 ORDER BY created_at DESC, id DESC', [users.bob.id]);
    assert.deepEqual(
      bobs.map((j) => j.id),
      bobDb.rows.map((r) => r.id),
      'pages walk every job once, newest first',
    );

    const alices = await listAll(users.alice.token);
    assert.ok(alices.some((j) => j.id === aliceJob));
    const one = await call(url(), 'GET', '/jobs', { token: users.alice.token });
    assert.deepEqual(
      one.body.jobs.map((j: any) => j.id),
      alices.map((j) => j.id),
      'default page (50) holds them all',
    );
    assert.equal(one.body.nextCursor, null);
    const completed = await call(url(), 'GET', '/jobs?status=completed', { token: users.alice.token });
    assert.ok(completed.body.jobs.length > 0 && completed.body.jobs.every((j: any) => j.status === 'completed'));

    const everyone = await listAll(admin, '', 100);
    for (const id of [aliceJob, jobs.bobs])
      assert.ok(
        everyone.some((j) => j.id === id),
        'admin sees all jobs',
      );
    const filtered = await listAll(admin, `&owner=${users.alice.id}`);
    assert.deepEqual(
      filtered.map((j) => j.id),
      alices.map((j) => j.id),
      'admin filters by owner',
    );
    const adminView = await call(url(), 'GET', `/status/${aliceJob}`, { token: admin });
    assert.equal(adminView.status, 200);

    // Bad queries are 400s; another owner's list is not for users.
    for (const q of ['status=done', 'limit=0', 'limit=101', 'limit=abc', 'cursor=nonsense']) {
      const r = await call(url(), 'GET', `/jobs?${q}`, { token: bob });
      assert.equal(r.status, 400, q);
      assert.ok(r.body.error.code);
    }
    assert.equal((await call(url(), 'GET', `/jobs?owner=${users.alice.id}`, { token: bob })).status, 403);
  });

  test('a running job is cancelled: its workflow is cancelled and the job ends cancelled', async () => {
    const scan = scannedReportPdf(syntheticReport({ pages: 12, seed: 5, rowsPerPage: 10 }));
    const up = await call(url(), 'POST', '/upload', { token: users.alice.token, body: pdfForm([{ name: 'long-scan.pdf', content: scan }]) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = up.body.jobs[0].id;
    await waitUntil('the job to be in OCR', async () => {
      const r = await call(url(), 'GET', `/status/${id}`, { token: users.alice.token });
      assert.ok(!FINISHED.has(r.body.status), `the job ended before it could be cancelled: ${JSON.stringify(r.body)}`);
      return r.body.stage === 'ocr' ? true : undefined;
    });
    const not = await call(url(), 'GET', `/download/${id}`, { token: users.alice.token });
    assert.equal(not.status, 409);
    assert.equal(not.body.error.code, 'NotReady');

    const del = await call(url(), 'DELETE', `/jobs/${id}`, { token: users.alice.token });
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.deepEqual(del.body, { id, status: 'cancelling' });
    const st = await waitFinished(users.alice.token, id, 60_000);
    assert.equal(st.status, 'cancelled');
    assert.ok(st.progress.pagesDone < 12, 'stopped before all pages were read');
    const description = await waitUntil(
      'the workflow to close',
      async () => {
        const d = await temporal.workflow.getHandle(workflowIdForJob(id)).describe();
        return d.status.name === 'RUNNING' ? undefined : d;
      },
      60_000,
    );
    assert.equal(description.status.name, 'CANCELLED');
    const audit = await db.query(`SELECT detail FROM audit_log WHERE action = 'job.cancel' AND target_id = $1`, [id]);
    assert.equal(audit.rowCount, 1);
    assert.equal(audit.rows[0].detail.from, 'processing');
    const views = await db.query(`SELECT detail->>'status' AS status FROM audit_log WHERE action = 'job.status_view' AND target_id = $1`, [id]);
    assert.ok(views.rowCount! >= 1, 'the status view of the finished job is audited');
    assert.ok(
      views.rows.every((r) => r.status === 'cancelled'),
      'polling the running job was not audited',
    );

    // The same bytes can be uploaded again after a cancel: a new job.
    const again = await call(url(), 'POST', '/upload', { token: users.alice.token, body: pdfForm([{ name: 'long-scan.pdf', content: scan }]) });
    assert.equal(again.body.jobs[0].duplicate, false);
    const id2 = again.body.jobs[0].id;
    assert.notEqual(id2, id);
    assert.equal((await call(url(), 'DELETE', `/jobs/${id2}`, { token: users.alice.token })).status, 202);
    assert.equal((await waitFinished(users.alice.token, id2, 60_000)).status, 'cancelled');
    // A cancelled job is finished: deleting it again removes it.
    assert.equal((await call(url(), 'DELETE', `/jobs/${id2}`, { token: users.alice.token })).status, 204);
  });

  test('a finished job is deleted with all its data; afterwards it is 404 and can be uploaded anew', async () => {
    const id = jobs['agentforge_lab_report.pdf']!;
    const docId = (await db.query('SELECT document_id FROM jobs WHERE id = $1', [id])).rows[0].document_id;
    const del = await call(url(), 'DELETE', `/jobs/${id}`, { token: users.alice.token });
    assert.equal(del.status, 204);
    for (const p of [`/status/${id}`, `/download/${id}`, `/jobs/${id}/result`]) {
      assert.equal((await call(url(), 'GET', p, { token: users.alice.token })).status, 404, p);
    }
    assert.equal((await call(url(), 'DELETE', `/jobs/${id}`, { token: users.alice.token })).status, 404);
    for (const [table, col, v] of [
      ['documents', 'id', docId],
      ['jobs', 'id', id],
      ['pages', 'job_id', id],
      ['extraction_parts', 'job_id', id],
      ['extractions', 'job_id', id],
      ['workbooks', 'job_id', id],
    ] as const) {
      const r = await db.query(`SELECT 1 FROM ${table} WHERE ${col} = $1`, [v]);
      assert.equal(r.rowCount, 0, `${table} rows are gone`);
    }
    // Its Temporal history goes too: the search attributes held the file name.
    const gone = await waitUntil(
      'the workflow history to be deleted',
      async () => {
        try {
          await temporal.workflow.getHandle(workflowIdForJob(id)).describe();
          return undefined;
        } catch (err) {
          return (err as Error).name;
        }
      },
      90_000,
    );
    assert.equal(gone, 'WorkflowNotFoundError');
    const audit = await db.query(`SELECT actor_user_id FROM audit_log WHERE action = 'job.delete' AND target_id = $1`, [id]);
    assert.deepEqual(audit.rows, [{ actor_user_id: users.alice.id }]);

    const again = await call(url(), 'POST', '/upload', {
      token: users.alice.token,
      body: pdfForm([{ name: 'agentforge_lab_report.pdf', content: readCorpus('medical/agentforge_lab_report.pdf') }]),
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.jobs[0].duplicate, false, 'a deleted job is not a duplicate');
    assert.notEqual(again.body.jobs[0].id, id);
    assert.equal((await waitFinished(users.alice.token, again.body.jobs[0].id)).status, 'completed');
  });

  test('/openapi.json is a valid OpenAPI 3.1 document describing every route', async () => {
    const r = await call(url(), 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.body;
    assert.equal(doc.openapi, '3.1.0');
    const result = await validate(structuredClone(doc));
    assert.ok(result.valid, JSON.stringify(result));

    const documented = new Set<string>();
    for (const [p, ops] of Object.entries<Record<string, unknown>>(doc.paths)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p}`);
    const required = [
      'POST /login',
      'POST /logout',
      'GET /me',
      'POST /me/password',
      'GET /users',
      'POST /users',
      'PATCH /users/{id}',
      'POST /me/api-keys',
      'GET /me/api-keys',
      'DELETE /me/api-keys/{id}',
      'POST /upload',
      'GET /status/{id}',
      'GET /jobs',
      'GET /download/{id}',
      'GET /jobs/{id}/result',
      'DELETE /jobs/{id}',
      'GET /healthz',
      'GET /readyz',
      'GET /openapi.json',
      'GET /metrics',
    ];
    const registered = registeredRoutes();
    for (const route of required) assert.ok(registered.includes(route), `the app has ${route}`);
    assert.deepEqual(
      registered.filter((x) => !documented.has(x)),
      [],
      'every registered route is documented',
    );
    assert.deepEqual(
      [...documented].filter((x) => !registered.includes(x)),
      [],
      'nothing documented that does not exist',
    );

    assert.ok(doc.components.securitySchemes.bearerAuth && doc.components.securitySchemes.apiKey);
    assert.deepEqual(doc.paths['/login'].post.security, [], 'login is public');
    assert.deepEqual(Object.keys(doc.components.schemas.Error.properties.error.properties).sort(), ['code', 'message']);
  });

  test('real answers match the contract the OpenAPI document is generated from', async () => {
    const id = jobs['rcn_lab_report.pdf']!;
    const token = users.alice.token;
    const result = await call(url(), 'GET', `/jobs/${id}/result`, { token });
    assert.equal(result.status, 200);
    // Strict: a field the server sends but the contract lacks (or the reverse) fails here.
    ExtractionResultSchema.parse(result.body);
    JobViewSchema.parse((await call(url(), 'GET', `/status/${id}`, { token })).body);
    JobListSchema.parse((await call(url(), 'GET', '/jobs?limit=2', { token })).body);
    UploadResultSchema.parse(
      (await call(url(), 'POST', '/upload', { token, body: pdfForm([{ name: 'rcn_lab_report.pdf', content: readCorpus('medical/rcn_lab_report.pdf') }]) }))
        .body,
    );
    const refusals = [
      await call(url(), 'GET', `/status/${crypto.randomUUID()}`, { token }),
      await call(url(), 'GET', '/status/not-an-id', { token }),
      await call(url(), 'GET', '/jobs?limit=0', { token }),
      await call(url(), 'POST', '/upload', { token, body: pdfForm([{ name: 'notes.pdf', content: Buffer.from('plain text') }]) }),
    ];
    assert.deepEqual(
      refusals.map((r) => [r.status, ErrorSchema.parse(r.body).error.code]),
      [
        [404, 'NotFound'],
        [404, 'NotFound'],
        [400, 'InvalidRequest'],
        [415, 'UnsupportedFormat'],
      ],
    );
    assert.match(refusals[2]!.body.error.message, /^limit: /, 'a bad query names the parameter');

    // The document describes the result with the extraction contract itself, and closes the error codes.
    const doc = (await call(url(), 'GET', '/openapi.json')).body;
    const resultSchema = doc.paths['/jobs/{id}/result'].get.responses['200'].content['application/json'].schema;
    assert.deepEqual(resultSchema, { $ref: '#/components/schemas/ExtractionResult' });
    assert.deepEqual(Object.keys(doc.components.schemas.ExtractionResult.properties).sort(), Object.keys(result.body).sort());
    assert.deepEqual(doc.components.schemas.Error.properties.error.properties.code.enum, ErrorCodeSchema.options);
    const form = doc.paths['/upload'].post.requestBody.content['multipart/form-data'];
    assert.deepEqual(form.encoding.files.contentType.split(', '), ['application/pdf', 'image/tiff', 'image/png', 'image/jpeg', 'image/webp']);
    assert.equal(form.schema.properties.password.format, 'password');
  });

  test('/metrics needs authentication and reports requests by route and jobs by status', async () => {
    const anon = await call(url(), 'GET', '/metrics');
    assert.equal(anon.status, 401);
    assert.equal(anon.body.error.code, 'Unauthorized');
    const r = await call(url(), 'GET', '/metrics', { token: admin });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const text = (r.body as Buffer).toString('utf8');
    const completed = Number(/^medextract_jobs\{status="completed"\} (\d+)$/m.exec(text)?.[1]);
    const inDb = Number((await db.query(`SELECT count(*) AS n FROM jobs WHERE status = 'completed'`)).rows[0].n);
    assert.equal(completed, inDb, 'completed jobs gauge');
    assert.match(text, /^medextract_jobs\{status="cancelled"\} \d+$/m);
    assert.match(text, /^medextract_pages\{source="text_layer"\} [1-9]\d*$/m);
    assert.match(text, /^medextract_pages\{source="ocr"\} \d+$/m);
    assert.match(text, /^medextract_http_requests_total\{method="GET",route="\/status\/:id",status="200"\} [1-9]\d*$/m);
    assert.match(text, /^medextract_http_requests_total\{method="POST",route="\/upload",status="413"\} /m);
    assert.match(text, /^medextract_http_request_duration_seconds_bucket\{.*route="\/jobs".*\} \d+$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.ok(!/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}/.test(text), 'no ids in route labels');
  });
});
