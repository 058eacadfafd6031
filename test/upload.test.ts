/**
 * POST /upload judges each file on its own, on the real stack (API process, worker, Temporal,
 * Postgres): files of the accepted kinds (PDF, TIFF, PNG, JPEG, WebP, by their bytes) become jobs;
 * any other kind, or a file over the per-file cap, is refused for itself and named in the same answer,
 * and nothing of it is stored — neither in the database nor in the API's temporary directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { pool, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { NOT_READ, reportPageImage } from './support/upload-fixtures.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';
import { UploadResultSchema } from '../api/contract/upload.js';
import { ErrorSchema } from '../api/contract/common.js';

const { tmp } = requireRunEnv();
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const ACCEPTED = 'accepted: PDF, TIFF, PNG, JPEG, WebP';
const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

describe('upload: one answer per file', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('upload'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', MAX_UPLOAD_MB: '1' };
  const apiTmp = path.join(tmp, 'upload-test-tmp');
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  let token: string;

  const upload = (files: Array<{ name: string; content: Uint8Array; type?: string }>, fields: Record<string, string | string[]> = {}) => {
    const form = pdfForm(files);
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
    return call(api.url, 'POST', '/upload', { token, body: form });
  };
  const storedWithHash = async (b: Uint8Array) => Number((await db.query('SELECT count(*) AS n FROM documents WHERE sha256 = $1', [sha256(b)])).rows[0].n);
  const docCount = async () => Number((await db.query('SELECT count(*) AS n FROM documents')).rows[0].n);
  const noTmpLeftovers = () =>
    waitUntil(
      'temporary upload files to be removed',
      async () => (fs.readdirSync(apiTmp).some((f) => f.startsWith('medextract-upload-')) ? undefined : true),
      5_000,
    );
  const finished = (id: string) =>
    waitUntil(
      `job ${id} to finish`,
      async () => {
        const r = await call(api.url, 'GET', `/status/${id}`, { token });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return FINISHED.has(r.body.status) ? r.body : undefined;
      },
      180_000,
    );
  const report = (seed: number) => syntheticReport({ pages: 1, seed, rowsPerPage: 4 });

  before(async () => {
    fs.mkdirSync(apiTmp, { recursive: true });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess({ ...env, TMPDIR: apiTmp })]);
    db = pool();
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const password = 'Patient-lantern-harbour-41';
    const r = await call(api.url, 'POST', '/users', { token: admin, json: { username: 'uploader', password, role: 'user' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    token = await login(api.url, 'uploader', password);
  });
  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.end();
  });

  test('a GIF among PDFs and a PNG: the others become jobs, the answer names the GIF with its code, nothing of it is stored', async () => {
    const before = await docCount();
    const pdfA = digitalReportPdf(report(101));
    const pdfB = digitalReportPdf(report(102));
    const png = await reportPageImage(report(103), 0, 'png');
    const gif = await reportPageImage(report(104), 0, 'gif');
    const r = await upload([
      { name: 'first.pdf', content: pdfA },
      { name: 'scan.gif', content: gif, type: 'image/gif' },
      { name: 'second.pdf', content: pdfB },
      { name: 'photo.png', content: png, type: 'image/png' },
    ]);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const body = UploadResultSchema.parse(r.body);
    assert.deepEqual(
      body.jobs.map((j) => [j.filename, j.status, j.duplicate]),
      [
        ['first.pdf', 'queued', false],
        ['second.pdf', 'queued', false],
        ['photo.png', 'queued', false],
      ],
    );
    assert.deepEqual(body.refused, [
      {
        filename: 'scan.gif',
        code: 'UnsupportedFormat',
        message: `"scan.gif" is a GIF image, which is not read; ${ACCEPTED}; nothing of it was stored`,
      },
    ]);
    assert.equal(await docCount(), before + 3, 'the three accepted files are stored');
    assert.equal(await storedWithHash(gif), 0, 'nothing of the GIF is stored');
    await noTmpLeftovers();
    // The PDFs go through the pipeline as before.
    for (const j of body.jobs.slice(0, 2)) assert.equal((await finished(j.id)).status, 'completed');
  });

  test('a PNG named .pdf and a TIFF are accepted by their bytes and processed as images', async () => {
    const png = await reportPageImage(report(111), 0, 'png');
    const tiff = await reportPageImage(report(112), 0, 'tiff');
    const r = await upload([
      { name: 'scan.pdf', content: png, type: 'application/pdf' },
      { name: 'fax.tif', content: tiff, type: 'image/tiff' },
    ]);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const body = UploadResultSchema.parse(r.body);
    assert.deepEqual(body.refused, []);
    assert.deepEqual(
      body.jobs.map((j) => j.filename),
      ['scan.pdf', 'fax.tif'],
    );
    for (const j of body.jobs) {
      const st = await finished(j.id);
      assert.equal(st.status, 'completed', `${j.filename}: ${JSON.stringify(st.error)}`);
      // Read as an image, whatever its name says: its one page comes from OCR.
      const result = await call(api.url, 'GET', `/jobs/${j.id}/result`, { token });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.deepEqual(
        result.body.page_sources.map((p: { page: number; source: string }) => [p.page, p.source]),
        [[1, 'ocr']],
        j.filename,
      );
    }
  });

  test('every file refused: 415 (or 413) in the error shape, naming each file; nothing stored', async () => {
    const before = await docCount();
    const gif = await reportPageImage(report(121), 0, 'gif');
    const all = await upload([
      { name: 'a.gif', content: gif },
      { name: 'b.heic', content: NOT_READ.heic },
      { name: 'c.svg', content: NOT_READ.svg },
      { name: 'd.bmp', content: NOT_READ.bmp },
      { name: 'notes.txt', content: NOT_READ.text },
    ]);
    assert.equal(all.status, 415, JSON.stringify(all.body));
    const err = ErrorSchema.parse(all.body).error;
    assert.equal(err.code, 'UnsupportedFormat');
    for (const [name, what] of [
      ['a.gif', 'is a GIF image, which is not read'],
      ['b.heic', 'is a HEIC image, which is not read'],
      ['c.svg', 'is an SVG image, which is not read'],
      ['d.bmp', 'is a BMP image, which is not read'],
      ['notes.txt', 'is not a PDF or a supported image'],
    ]) {
      assert.ok(err.message.includes(`"${name}" ${what}; ${ACCEPTED}`), `${name} in: ${err.message}`);
    }

    const big = Buffer.alloc(1536 * 1024, 0x20);
    big.write('%PDF-1.7\n');
    const tooLarge = await upload([{ name: 'big.pdf', content: big }]);
    assert.equal(tooLarge.status, 413, JSON.stringify(tooLarge.body));
    assert.equal(tooLarge.body.error.code, 'TooLarge');
    assert.match(tooLarge.body.error.message, /"big\.pdf" is larger than the 1 MB allowed per file/);
    assert.equal(await docCount(), before, 'nothing stored');
    assert.equal(await storedWithHash(big), 0);
    await noTmpLeftovers();
  });

  test('a file over the per-file cap is refused for itself; the files around it become jobs, refusals in sending order', async () => {
    const before = await docCount();
    const big = await reportPageImage(report(131), 0, 'png', 150);
    // A PNG over 1 MB: its real start, then padding (the per-file cap is checked while it streams).
    const bigPng = Buffer.concat([big, Buffer.alloc(1200 * 1024, 0)]);
    const small = digitalReportPdf(report(132));
    const later = digitalReportPdf(report(133));
    const r = await upload([
      { name: 'big-scan.png', content: bigPng, type: 'image/png' },
      { name: 'small.pdf', content: small },
      { name: 'c.bmp', content: NOT_READ.bmp },
      { name: 'later.pdf', content: later },
    ]);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const body = UploadResultSchema.parse(r.body);
    assert.deepEqual(
      body.jobs.map((j) => j.filename),
      ['small.pdf', 'later.pdf'],
    );
    assert.deepEqual(
      body.refused.map((x) => [x.filename, x.code]),
      [
        ['big-scan.png', 'TooLarge'],
        ['c.bmp', 'UnsupportedFormat'],
      ],
    );
    assert.match(body.refused[0]!.message, /"big-scan\.png" is larger than the 1 MB allowed per file; nothing of it was stored/);
    assert.equal(await docCount(), before + 2);
    assert.equal(await storedWithHash(bigPng), 0, 'nothing of the large file is stored');
    await noTmpLeftovers();
    for (const j of body.jobs) assert.equal((await finished(j.id)).status, 'completed');
  });

  test('the password field goes with the upload and is never logged or stored in plain text; sent twice it is refused', async () => {
    const secret = `pw-${crypto.randomBytes(6).toString('hex')}`;
    const pdf = digitalReportPdf(report(141));
    const twice = await upload([{ name: 'twice.pdf', content: pdf }], { password: [secret, secret] });
    assert.equal(twice.status, 400, JSON.stringify(twice.body));
    assert.equal(twice.body.error.code, 'InvalidRequest');
    assert.match(twice.body.error.message, /^password: /);
    assert.ok(!JSON.stringify(twice.body).includes(secret));

    const r = await upload([{ name: 'with-password.pdf', content: pdf }], { password: secret });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const st = await finished(r.body.jobs[0].id);
    assert.equal(st.status, 'completed', 'a password given for an unprotected PDF does no harm');
    assert.ok(!api.output().includes(secret), 'the API log does not contain the password');
    assert.ok(!worker.output().includes(secret), 'the worker log does not contain the password');
    for (const table of ['jobs', 'audit_log']) {
      const hit = await db.query(`SELECT count(*) AS n FROM ${table} t WHERE row_to_json(t)::text LIKE $1`, [`%${secret}%`]);
      assert.equal(Number(hit.rows[0].n), 0, `${table} does not contain the password`);
    }
  });
});
