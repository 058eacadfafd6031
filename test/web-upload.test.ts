/**
 * The upload panel in a real browser (Debian's chromium via playwright-core) against a real API
 * process and worker: files of every accepted kind are picked or dropped, the server's refusal of a
 * file of another kind shows beside that file, each accepted file's row follows its job to the end
 * (completed, needs review, failed with its reason, cancelled), and the PDF password box goes with the
 * upload. Any browser console or page error fails the test, except the refusals a step provokes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT, readCorpus, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, type ApiProcess } from './support/api.js';
import { reportPageImage } from './support/upload-fixtures.js';
import { digitalReportPdf, scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const OUT = path.join(ROOT, 'test-output');
const ENCRYPTED = 'malformed/encrypted_aes128_user_password__pypdf_r4.pdf';
const ENCRYPTED_PASSWORD = 'asdfzxcv';
const JOB_END_MS = 180_000;
const USER = { username: 'web-uploader', password: 'Lantern-harbour-upload-73' };

describe('web upload panel in a real browser', () => {
  const env: Record<string, string> = { TASK_QUEUE_PREFIX: uniquePrefix('webup'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', OCR_WORKERS: '1' };
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  /** Refusals (status on /upload) the current step provokes on purpose; the browser logs each as a failed load. */
  let expectedUploadRefusals: number[] = [];
  const onConsole = (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const where = new URL(msg.location().url, 'http://x').pathname;
    if (where === '/upload' && expectedUploadRefusals.some((s) => msg.text().includes(`status of ${s}`))) return;
    problems.push(`console error: ${msg.text()} (${where})`);
  };
  const noProblems = () => assert.deepEqual(problems, [], 'the browser reported errors');
  const uploadRow = (name: string) => page.locator('mx-upload li', { hasText: name }).first();
  const token = async () => (await page.evaluate('sessionStorage.getItem("mx.token")')) as string;
  const jobStatus = async (id: string) => (await call(api!.url, 'GET', `/status/${id}`, { token: await token() })).body;
  /** Waits for the row's job to reach an end; returns the row's words. */
  async function rowEnds(name: string, status: 'completed' | 'failed' | 'cancelled'): Promise<string> {
    const row = page.locator(`mx-upload li[data-job-status="${status}"]`, { hasText: name }).first();
    await row.waitFor({ timeout: JOB_END_MS });
    return (await row.innerText()).replace(/\s+/g, ' ');
  }
  /** Jobs the server made, by file name, seen in the answers to /upload. */
  const jobIds = new Map<string, string>();
  /** The forms sent with `file`, in order: their fields (file parts as `file:<name>`). */
  const sentForms = async (file: string): Promise<Array<Array<[string, string]>>> => {
    const forms = (await page.evaluate('window.mxSentForms')) as Array<Array<[string, string]>>;
    return forms.filter((f) => f.some(([, v]) => v === `file:${file}`));
  };

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    fs.mkdirSync(OUT, { recursive: true });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', onConsole);
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    // What the page hands to XMLHttpRequest for each upload: field names, text values, file names.
    await page.addInitScript(`
      window.mxSentForms = [];
      const send = XMLHttpRequest.prototype.send;
      XMLHttpRequest.prototype.send = function (body) {
        if (body instanceof FormData) window.mxSentForms.push([...body.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : 'file:' + v.name]));
        return send.call(this, body);
      };
    `);
    page.on('response', async (res) => {
      if (res.request().method() !== 'POST' || new URL(res.url()).pathname !== '/upload' || res.status() !== 202) return;
      const body = (await res.json()) as { jobs: Array<{ id: string; filename: string }> };
      for (const j of body.jobs) jobIds.set(j.filename, j.id);
    });
    // A user of its own: other browser tests of the run upload some of the same files as the admin.
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const created = await call(api.url, 'POST', '/users', { token: admin, json: { username: USER.username, password: USER.password, role: 'user' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.goto(`${api.url}/`);
    await page.getByLabel('Username').fill(USER.username);
    await page.getByLabel('Password', { exact: true }).fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('mx-upload').waitFor();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  test('the picker offers every accepted kind; the password box is a password field that is not remembered', async () => {
    const accept = (await page.locator('mx-upload input[type="file"]').getAttribute('accept')) ?? '';
    for (const t of ['application/pdf', 'image/tiff', 'image/png', 'image/jpeg', 'image/webp', '.tif', '.png', '.jpg', '.webp']) {
      assert.ok(accept.split(',').includes(t), `accept lists ${t}: ${accept}`);
    }
    const box = page.getByLabel(/PDF password/);
    assert.equal(await box.getAttribute('type'), 'password');
    assert.equal(await box.getAttribute('autocomplete'), 'off');
    noProblems();
  });

  test('a PNG, a GIF and a PDF picked, a TIFF dropped: the GIF shows its refusal beside it, the others follow their jobs to the end', async () => {
    const report = (seed: number) => syntheticReport({ pages: 1, seed, rowsPerPage: 4 });
    const png = await reportPageImage(report(201), 0, 'png');
    const gif = await reportPageImage(report(202), 0, 'gif');
    const tiff = await reportPageImage(report(203), 0, 'tiff');
    const pdf = digitalReportPdf(report(204));
    expectedUploadRefusals = [415];
    await page.locator('mx-upload input[type="file"]').setInputFiles([
      { name: 'phone-photo.png', mimeType: 'image/png', buffer: png },
      { name: 'animation.gif', mimeType: 'image/gif', buffer: gif },
      { name: 'lab-report.pdf', mimeType: 'application/pdf', buffer: pdf },
    ]);
    // Dropped onto the panel, as from a file manager.
    const dropped = await page.evaluateHandle(
      ({ b64 }) => {
        const dt = new (globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } }).DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'fax.tiff', { type: 'image/tiff' }));
        return dt;
      },
      { b64: tiff.toString('base64') },
    );
    await page.locator('mx-upload .drop').dispatchEvent('drop', { dataTransfer: dropped });

    const refused = page.locator('mx-upload li[data-state="refused"]', { hasText: 'animation.gif' });
    await refused.getByText('"animation.gif" is a GIF image, which is not read; accepted: PDF, TIFF, PNG, JPEG, WebP').waitFor({ timeout: 60_000 });
    assert.match(await refused.innerText(), /UnsupportedFormat/);

    const pdfWords = await rowEnds('lab-report.pdf', 'completed');
    const view = await jobStatus(jobIds.get('lab-report.pdf')!);
    // "needs review" exactly when the job says so.
    if (view.needsReview === true) assert.match(pdfWords, /completed; needs review/);
    else assert.doesNotMatch(pdfWords, /needs review/);

    for (const name of ['phone-photo.png', 'fax.tiff']) {
      await page.locator('mx-upload li[data-state="done"]', { hasText: name }).waitFor({ timeout: 60_000 });
      const row = uploadRow(name);
      await row.and(page.locator('[data-job-status="completed"], [data-job-status="failed"]')).waitFor({ timeout: JOB_END_MS });
      const st = await jobStatus(jobIds.get(name)!);
      assert.equal(st.status, 'completed', `${name}: ${JSON.stringify(st.error)}`);
      const words = (await row.innerText()).replace(/\s+/g, ' ').trim();
      assert.match(words, st.needsReview === true ? /completed; needs review/ : /completed$/);
    }
    await page.screenshot({ path: path.join(OUT, 'web-upload.png'), fullPage: true });
    expectedUploadRefusals = [];
    noProblems();
  });

  test('a protected PDF without a password ends failed with its reason beside it; sent again with the password box filled in, it completes', async () => {
    const name = path.basename(ENCRYPTED);
    await page.locator('mx-upload input[type="file"]').setInputFiles({ name, mimeType: 'application/pdf', buffer: Buffer.from(readCorpus(ENCRYPTED)) });
    const failed = await rowEnds(name, 'failed');
    assert.match(failed, /failed: .*password.*\(PasswordRequired\)/i);
    assert.deepEqual(await sentForms(name), [[['files', `file:${name}`]]], 'no password field when the box is empty');

    // Sent again with its password (the same bytes: the failed job is restarted with it), it completes.
    await page.getByLabel(/PDF password/).fill(ENCRYPTED_PASSWORD);
    await page.locator('mx-upload input[type="file"]').setInputFiles({ name, mimeType: 'application/pdf', buffer: Buffer.from(readCorpus(ENCRYPTED)) });
    // Rows are newest first: once both uploads are answered, the first row is the second upload's.
    const rows = page.locator('mx-upload li[data-state="done"]', { hasText: name });
    await rows.nth(1).waitFor({ timeout: 60_000 });
    const second = rows.first();
    const forms = await sentForms(name);
    assert.equal(forms.length, 2);
    assert.deepEqual(
      forms[1],
      [
        ['files', `file:${name}`],
        ['password', ENCRYPTED_PASSWORD],
      ],
      'the password goes as the `password` field',
    );
    await second.and(page.locator('[data-job-status="completed"], [data-job-status="failed"]')).waitFor({ timeout: JOB_END_MS });
    const words = (await second.innerText()).replace(/\s+/g, ' ').trim();
    assert.match(words, /completed/, words);
    assert.doesNotMatch(words, /duplicate/, "the restarted job is this upload's");
    await page.getByLabel(/PDF password/).fill('');
    noProblems();
  });

  test('a running job cancelled elsewhere ends cancelled in its row', async () => {
    const name = 'scanned-five-pages.pdf';
    await page
      .locator('mx-upload input[type="file"]')
      .setInputFiles({ name, mimeType: 'application/pdf', buffer: scannedReportPdf(syntheticReport({ pages: 5, seed: 205, rowsPerPage: 4 })) });
    const row = uploadRow(name);
    await row.and(page.locator('[data-job-status="processing"]')).waitFor({ timeout: 60_000 });
    const r = await call(api!.url, 'DELETE', `/jobs/${jobIds.get(name)}`, { token: await token() });
    assert.ok(r.status === 202 || r.status === 200, JSON.stringify(r.body));
    const words = await rowEnds(name, 'cancelled');
    assert.match(words, /cancelled/);
    noProblems();
  });
});
