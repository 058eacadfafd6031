/**
 * The browser UI on the real stack: Debian's chromium driven by playwright-core against a real API
 * process (serving web/dist through api/static.ts) and a real worker, on the run's Temporal and Postgres.
 * Extraction goes through the OpenAI provider to the test LLM server, which answers with the offline
 * rules and, for the synthetic scanned report, adds one medication whose quote is on no page, so the
 * UI has a value it must flag. Any browser console error or page error fails the test, except the one
 * 401 each step provokes on purpose. Screenshots go to test-output/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT, corpus, readTruth, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, TEST_JWT_SECRET, call, startApiProcess, type ApiProcess } from './support/api.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from './support/openai-server.js';
import { offlineResponder, pagesFromPrompt } from './support/llm-responder.js';
import { readWorkbook } from './support/workbook.js';
import { closePool, initPool } from '../stores/pool.js';
import { issueToken } from '../api/auth/sessions.js';
import type { AppDeps } from '../api/context.js';
import { validateBundle } from '../library/fhir/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const OUT = path.join(ROOT, 'test-output');
const PDFS = ['medical/rcn_lab_report.pdf', 'medical/agentforge_lab_report.pdf'];
const MALFORMED = 'malformed/encrypted_aes128_user_password__pypdf_r4.pdf';

/** The model "invents" this medication for the synthetic report: its quote is on no page. */
const INVENTED = { name: 'Warfarin', quote: 'Warfarin 5 mg once daily' };
function respond(req: ChatRequest): unknown {
  const body = offlineResponder(req) as { medications: unknown[] };
  const pages = pagesFromPrompt(req);
  if (pages.some((p) => p.text.includes('Fixture Valley Laboratory'))) {
    body.medications.push({
      name: INVENTED.name,
      strength: '5 mg',
      route: 'oral',
      frequency: 'once daily',
      status: 'active',
      evidence: { page: pages[0]!.page, quote: INVENTED.quote },
      confidence: 0.93,
    });
  }
  return body;
}

describe('web UI in a real browser', () => {
  const env: Record<string, string> = {
    TASK_QUEUE_PREFIX: uniquePrefix('web'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-web-test',
    OPENAI_MODEL: 'gpt-test',
    OCR_WORKERS: '1',
  };
  let llm: OpenAIServer | undefined;
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  /** Unexpected console errors and page errors; every test ends by asserting there are none. */
  const problems: string[] = [];
  /** The one expected "Failed to load resource" (a 401 on this path) the current step provokes, if any. */
  let expected401: string | null = null;
  /** An expected refusal the current step provokes (e.g. 415 on /upload), if any. */
  let expectedRefusal: { path: string; status: number } | null = null;

  const onConsole = (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const where = msg.location().url;
    if (expected401 && /status of 401/.test(msg.text()) && new URL(where, 'http://x').pathname === expected401) return;
    if (expectedRefusal && msg.text().includes(`status of ${expectedRefusal.status}`) && new URL(where, 'http://x').pathname === expectedRefusal.path) return;
    problems.push(`console error: ${msg.text()} (${where})`);
  };
  const noProblems = () => assert.deepEqual(problems, [], 'the browser reported errors');

  const loginForm = () => page.locator('mx-login form');
  async function signIn(username: string, password: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  const row = (filename: string) => page.locator('mx-jobs tr[data-job]', { hasText: filename }).first();

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); the browser test never downloads one`,
      );
    }
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    fs.mkdirSync(OUT, { recursive: true });
    llm = await startOpenAIServer({ respond, apiKey: env.OPENAI_API_KEY });
    env.OPENAI_BASE_URL = llm.url;
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', onConsole);
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await llm?.close();
    await closePool();
  });

  test('the API serves the built UI: the page, hashed assets cached, 404 in the error shape, nothing outside web/dist', async () => {
    const index = await call(api!.url, 'GET', '/');
    assert.equal(index.status, 200, 'GET / must serve web/dist/index.html: is serveWeb() mounted in api/app.ts?');
    assert.match(index.headers.get('content-type')!, /^text\/html/);
    const htmlText = index.body.toString('utf8');
    assert.match(htmlText, /<meta name="mx-max-upload-bytes" content="52428800"/);
    const script = /<script type="module" src="(\/assets\/main-[A-Z0-9]{8}\.js)"/.exec(htmlText)?.[1];
    assert.ok(script, htmlText);
    assert.ok(!/<script>/.test(htmlText), 'no inline scripts (the CSP forbids them)');
    const js = await call(api!.url, 'GET', script);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /^text\/javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    const missing = await call(api!.url, 'GET', '/assets/missing-AAAAAAAA.js');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NotFound');
    for (const p of ['/assets/%2e%2e%2findex.html', '/assets/..%2f..%2fpackage.json', '/assets/.hidden.js', '/assets/sub/x.js']) {
      const r = await call(api!.url, 'GET', p);
      assert.equal(r.status, 404, p);
      assert.equal(r.body.error.code, 'NotFound', p);
    }
    // The built assets carry no secret the test run knows of.
    for (const f of fs.readdirSync(path.join(ROOT, 'web/dist/assets'))) {
      const text = fs.readFileSync(path.join(ROOT, 'web/dist/assets', f), 'utf8');
      assert.ok(!text.includes(TEST_ADMIN.password) && !text.includes(process.env.DATABASE_URL!), f);
    }
  });

  test('a wrong password shows the API message; the right one shows the jobs', async () => {
    await page.goto(api!.url + '/');
    await loginForm().waitFor();
    await page.screenshot({ path: path.join(OUT, 'web-login.png') });
    expected401 = '/login';
    await signIn(TEST_ADMIN.username, 'not-the-password');
    await page.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor();
    expected401 = null;
    await signIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    await page.getByText(`${TEST_ADMIN.username} (admin)`).waitFor();
    await page.getByRole('button', { name: 'Logout' }).waitFor();
    assert.equal(await loginForm().count(), 0);
    noProblems();
  });

  test("a file of no accepted kind shows the server's refusal beside it; two corpus PDFs upload through the file input and complete", async () => {
    const input = page.locator('mx-upload input[type="file"]');
    expectedRefusal = { path: '/upload', status: 415 };
    await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a pdf') });
    await page
      .locator('mx-upload li[data-state="refused"]', { hasText: 'notes.txt' })
      .getByText('"notes.txt" is not a PDF or a supported image; accepted: PDF, TIFF, PNG, JPEG, WebP')
      .waitFor();
    expectedRefusal = null;

    await input.setInputFiles(PDFS.map(corpus));
    for (const f of PDFS) await page.locator('mx-upload li[data-state="done"]', { hasText: path.basename(f) }).waitFor({ timeout: 60_000 });
    const statuses = new Set<string>();
    await waitUntil(
      'both jobs to complete in the table',
      async () => {
        const states = await Promise.all(PDFS.map((f) => row(path.basename(f)).getAttribute('data-status', { timeout: 10_000 })));
        for (const s of states) if (s) statuses.add(s);
        const failed = states.indexOf('failed');
        if (failed !== -1) throw new Error(`${PDFS[failed]} failed: ${await row(path.basename(PDFS[failed]!)).innerText()}`);
        return states.every((s) => s === 'completed') ? true : undefined;
      },
      240_000,
    );
    // The upload rows follow their jobs to the end, too.
    for (const f of PDFS)
      await page
        .locator('mx-upload li[data-job-status="completed"]', { hasText: path.basename(f) })
        .getByText('completed')
        .waitFor();
    for (const f of PDFS) {
      const r = row(path.basename(f));
      // "needs review" beside "completed" exactly when the job says so, in the table and in the upload row.
      const token = (await page.evaluate('sessionStorage.getItem("mx.token")')) as string;
      const job = (await call(api!.url, 'GET', `/status/${await r.getAttribute('data-job')}`, { token })).body;
      const upload = (
        await page
          .locator('mx-upload li', { hasText: path.basename(f) })
          .first()
          .innerText()
      )
        .replace(/\s+/g, ' ')
        .trim();
      if (job.needsReview === true) {
        assert.equal((await r.locator('.status').innerText()).trim(), 'completed · needs review');
        assert.match(upload, /completed; needs review$/);
      } else {
        assert.equal((await r.locator('.status').innerText()).trim(), 'completed');
        assert.match(upload, /completed$/);
      }
      await r.getByRole('button', { name: /download the workbook/ }).waitFor();
      await r.getByRole('button', { name: /download the JSON/ }).waitFor();
      await r.getByRole('button', { name: /^delete/ }).waitFor();
    }
    await page.screenshot({ path: path.join(OUT, 'web-jobs.png'), fullPage: true });
    // A narrow window keeps everything reachable without sideways scrolling of the page.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: path.join(OUT, 'web-jobs-narrow.png'), fullPage: true });
    const overflow = await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth');
    assert.equal(overflow, false, 'the page scrolls sideways at 390 px');
    await page.setViewportSize({ width: 1280, height: 800 });
    noProblems();
  });

  test('the same file again is shown as a duplicate of the existing job', async () => {
    await page.locator('mx-upload input[type="file"]').setInputFiles(corpus(PDFS[0]!));
    await page
      .locator('mx-upload li[data-state="done"]', { hasText: path.basename(PDFS[0]!) })
      .getByText(/duplicate/)
      .waitFor({ timeout: 60_000 });
    noProblems();
  });

  test('the workbook downloads as an xlsx (zip) file', async () => {
    const name = path.basename(PDFS[0]!);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row(name)
        .getByRole('button', { name: /download the workbook/ })
        .click(),
    ]);
    assert.equal(download.suggestedFilename(), name.replace(/\.pdf$/, '.xlsx'));
    const file = await download.path();
    const head = fs.readFileSync(file).subarray(0, 2).toString('latin1');
    assert.equal(head, 'PK');
    noProblems();
  });

  test('the FHIR Bundle downloads as <name>.fhir.json and validates', async () => {
    const name = path.basename(PDFS[0]!);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row(name)
        .getByRole('button', { name: /download the FHIR Bundle/ })
        .click(),
    ]);
    assert.equal(download.suggestedFilename(), name.replace(/\.pdf$/, '.fhir.json'));
    const bundle = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    assert.equal(bundle.resourceType, 'Bundle');
    assert.deepEqual(
      validateBundle(bundle).filter((p) => p.severity === 'error'),
      [],
    );
    noProblems();
  });

  test('the result view shows known values of rcn_lab_report.pdf with page and quote; Back and Escape close it', async () => {
    const name = path.basename(PDFS[0]!);
    const truth = readTruth(PDFS[0]!);
    const view = row(name).getByRole('button', { name: `view the result of ${name}` });
    await view.click();
    const result = page.locator('mx-result');
    await result.getByRole('heading', { name: `Result: ${name}` }).waitFor();
    // Patient name, with its page and a quote containing it.
    const nameRow = result.locator('table[data-section="patient"] tr[data-field="Name"]');
    await nameRow.waitFor({ timeout: 15_000 });
    assert.equal((await nameRow.locator('td[data-col="value"]').innerText()).trim(), truth.patient.name);
    assert.equal((await nameRow.locator('td[data-col="page"]').innerText()).trim(), '1');
    assert.match(await nameRow.locator('td[data-col="quote"]').innerText(), new RegExp(truth.patient.name));
    // Haemoglobin 11.8 on page 1.
    const hb = truth.tests.find((t: { name: string }) => t.name === 'Haemoglobin');
    const hbRow = result.locator('table[data-section="lab_results"] tbody tr', { hasText: 'Haemoglobin' }).first();
    assert.equal((await hbRow.locator('td[data-col="value"]').innerText()).trim(), hb.value);
    assert.equal((await hbRow.locator('td[data-col="page"]').innerText()).trim(), '1');
    assert.match(await hbRow.locator('td[data-col="quote"]').innerText(), /11\.8/);
    // Every section is there, as a table with headers or saying it is empty.
    for (const id of ['patient', 'document', 'diagnoses', 'medications', 'lab_results', 'vitals', 'procedures', 'allergies']) {
      const table = result.locator(`table[data-section="${id}"]`);
      if ((await table.count()) === 1) assert.ok((await table.locator('thead th').count()) >= 4, id);
      else await result.locator(`p.empty[data-section="${id}"]`).waitFor();
    }
    // A flag is shown exactly where the JSON calls for one.
    const token = (await page.evaluate('sessionStorage.getItem("mx.token")')) as string;
    const jobId = (await row(name).getAttribute('data-job'))!;
    const json = (await call(api!.url, 'GET', `/jobs/${jobId}/result`, { token })).body;
    const flaggedLabs = json.lab_results.filter((r: any) => r.confidence < 0.6 || r.evidence.found === false).length;
    assert.equal(await result.locator('table[data-section="lab_results"] tbody tr.flagged').count(), flaggedLabs);
    // The value's page opens beside the tables, rendered, with the quoted words marked on it.
    await hbRow.getByRole('button', { name: 'show page 1 with this quote' }).click();
    const viewer = result.locator('mx-page-view');
    const image = viewer.getByRole('img', { name: 'page 1 of the document' });
    await image.waitFor();
    await viewer.getByText('Highlighted:').waitFor();
    assert.ok(
      (await image.evaluate((el) => {
        const img = el as unknown as { complete: boolean; naturalWidth: number };
        return img.complete ? img.naturalWidth : 0;
      })) > 500,
      'the page image loaded',
    );
    const marks = viewer.locator('[data-highlight="selected"]');
    assert.equal(await marks.count(), 1, 'one line is marked');
    const [imgBox, markBox] = [await image.boundingBox(), await marks.first().boundingBox()];
    assert.ok(imgBox && markBox && markBox.y > imgBox.y && markBox.y + markBox.height < imgBox.y + imgBox.height, 'the mark lies on the image');
    // Side by side at 1280 px: the page is to the right of the tables.
    const tablesBox = await result.locator('.tables').boundingBox();
    assert.ok(tablesBox && imgBox && imgBox.x > tablesBox.x + tablesBox.width / 2, 'the page sits beside the tables');
    await page.screenshot({ path: path.join(OUT, 'web-result.png'), fullPage: true });
    // Escape closes the page first, then (below) the result.
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await result.getByRole('heading', { name: `Result: ${name}` }).waitFor();
    // Back closes the view and puts the focus back on View; Escape closes it too.
    await result.getByRole('button', { name: /back to the jobs/ }).click();
    await result.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(`document.querySelector('mx-app').shadowRoot.querySelector('mx-jobs').shadowRoot.activeElement?.dataset.view`), jobId);
    await page.keyboard.press('Enter');
    await result.locator('button.back').waitFor();
    assert.equal(await page.evaluate(`document.querySelector('mx-app').shadowRoot.querySelector('mx-result').shadowRoot.activeElement?.className`), 'back');
    await page.keyboard.press('Escape');
    await result.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    noProblems();
  });

  test('the jobs table shows elapsed time and filters by status', async () => {
    const name = path.basename(PDFS[0]!);
    assert.match(await row(name).locator('td.elapsed').innerText(), /^\d+ (s|min \d\d s|h \d\d min)$/);
    const filter = page.getByLabel('show jobs with status');
    await filter.selectOption('failed');
    // The admin sees every user's jobs (other suites may have left failed ones): only failed rows remain.
    await row(name).waitFor({ state: 'detached' });
    await waitUntil(
      'only failed jobs to be listed',
      async () => ((await page.locator('mx-jobs tr[data-job]:not([data-status="failed"])').count()) === 0 ? true : undefined),
      30_000,
    );
    await filter.selectOption('completed');
    await row(name).waitFor();
    assert.equal(await page.locator('mx-jobs tr[data-job]:not([data-status="completed"])').count(), 0);
    await filter.selectOption('all');
    await row(name).waitFor();
    noProblems();
  });

  test('ticked completed jobs download as one combined workbook', async () => {
    const names = PDFS.map((f) => path.basename(f));
    for (const n of names)
      await row(n)
        .getByRole('checkbox', { name: `select ${n}` })
        .check();
    const button = page.getByRole('button', { name: 'download the 2 selected jobs as one workbook' });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    assert.match(download.suggestedFilename(), /^medextract-2-documents-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const wb = await readWorkbook(await download.path());
    assert.deepEqual(
      wb
        .get('Summary')!
        .map((r) => r['File name'])
        .sort(),
      [...names].sort(),
    );
    assert.deepEqual([...new Set(wb.get('Lab Results')!.map((r) => r.Document))].sort(), [...names].sort());
    const [fhir] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'download the 2 selected jobs as FHIR, one Bundle per document' }).click(),
    ]);
    assert.match(fhir.suggestedFilename(), /^medextract-2-documents-\d{4}-\d{2}-\d{2}\.fhir\.json$/);
    const combined = JSON.parse(fs.readFileSync(await fhir.path(), 'utf8'));
    assert.deepEqual(
      combined.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType),
      ['Bundle', 'Bundle'],
    );
    await row(names[1]!)
      .getByRole('checkbox', { name: `select ${names[1]}` })
      .uncheck();
    await page.getByRole('button', { name: 'download the 1 selected jobs as one workbook' }).waitFor();
    await row(names[0]!)
      .getByRole('checkbox', { name: `select ${names[0]}` })
      .uncheck();
    await button.waitFor({ state: 'detached' });
    noProblems();
  });

  test('a scanned report: the progress bar moves page by page, an invented value is flagged, and its page shows where values were read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mx-web-'));
    const name = 'scanned-three-pages.pdf';
    const file = path.join(dir, name);
    fs.writeFileSync(file, scannedReportPdf(syntheticReport({ pages: 3, seed: 17, rowsPerPage: 4 })));
    // (This suite's worker recognises one page at a time — OCR_WORKERS=1 — so pages finish one by one.)
    try {
      await page.locator('mx-upload input[type="file"]').setInputFiles(file);
      const r = row(name);
      await r.waitFor({ timeout: 60_000 });
      // What the bar showed, sampled faster than the table refreshes.
      const seen: number[] = [];
      await waitUntil(
        'the scanned report to complete',
        async () => {
          const bar = r.locator('progress');
          if ((await bar.count()) === 1) {
            const v = await bar.evaluate((el) => (el.hasAttribute('max') ? (el as unknown as { value: number }).value : null));
            if (v !== null && v !== seen.at(-1)) seen.push(v);
          }
          const status = await r.getAttribute('data-status');
          if (status === 'failed' || status === 'cancelled') throw new Error(`the job ended ${status}: ${await r.innerText()}`);
          return status === 'completed' ? true : undefined;
        },
        240_000,
      );
      const last = await r.locator('progress').evaluate((el) => {
        const p = el as unknown as { value: number; max: number };
        return [p.value, p.max];
      });
      if (seen.at(-1) !== last[0]) seen.push(last[0]!);
      assert.deepEqual(last, [3, 3], 'a finished bar: 3 of 3 pages');
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        seen,
        `the bar only moves forward: ${seen}`,
      );
      assert.ok(
        seen.some((v) => v > 0 && v < 3),
        `the bar showed pages in between, not only empty and full: ${seen}`,
      );
      assert.equal(await r.locator('td', { hasText: '3 / 3' }).count(), 1);

      await r.getByRole('button', { name: `view the result of ${name}` }).click();
      const result = page.locator('mx-result');
      const invented = result.locator('table[data-section="medications"] tbody tr', { hasText: INVENTED.name });
      await invented.waitFor({ timeout: 15_000 });
      assert.equal(await invented.getAttribute('class'), 'flagged');
      await invented.locator('.flag', { hasText: 'quote not found on page' }).waitFor();
      // The OCR'd lab values are found on their pages, so not flagged for their quote.
      const labs = result.locator('table[data-section="lab_results"] tbody tr');
      assert.ok((await labs.count()) >= 10, 'the lab rows of all three pages');
      assert.equal(await result.locator('table[data-section="lab_results"] .flag', { hasText: 'quote not found' }).count(), 0);

      const viewer = result.locator('mx-page-view');
      await invented.getByRole('button', { name: /^show page \d with this quote$/ }).click();
      await viewer.getByText('could not be located on this page image').waitFor();
      assert.equal(await viewer.locator('[data-highlight="selected"]').count(), 0);
      // A lab value on page 2: its line is marked on the OCR'd page.
      const onPage2 = labs.filter({ has: page.getByRole('button', { name: 'show page 2 with this quote' }) }).first();
      await onPage2.getByRole('button', { name: 'show page 2 with this quote' }).click();
      await viewer.getByRole('img', { name: 'page 2 of the document' }).waitFor();
      await viewer.getByText('Highlighted:').waitFor();
      await viewer.getByText('(read by OCR)').waitFor();
      assert.equal(await viewer.locator('[data-highlight="selected"]').count(), 1);
      await page.screenshot({ path: path.join(OUT, 'web-result-ocr.png'), fullPage: true });
      // Next/Prev walk the pages.
      await viewer.getByRole('button', { name: 'next page' }).click();
      await viewer.getByRole('img', { name: 'page 3 of the document' }).waitFor();
      assert.ok(await viewer.getByRole('button', { name: 'next page' }).isDisabled());
      // On a narrow window the fields come first, the page below them (pinned to the bottom), and nothing scrolls sideways.
      await page.setViewportSize({ width: 390, height: 800 });
      const [pageBox, tablesBox] = [await viewer.boundingBox(), await result.locator('.tables').boundingBox()];
      assert.ok(pageBox && tablesBox && tablesBox.y < pageBox.y, 'the tables sit above the page');
      assert.equal(
        await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth'),
        false,
        'the page scrolls sideways at 390 px',
      );
      await page.screenshot({ path: path.join(OUT, 'web-result-narrow.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      await viewer.getByRole('button', { name: 'close the page view' }).click();
      await viewer.waitFor({ state: 'detached' });
      await page.keyboard.press('Escape');
      await result.waitFor({ state: 'detached' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    noProblems();
  });

  test('a malformed (password-protected) corpus PDF fails with PasswordRequired and a plain message', async () => {
    const name = path.basename(MALFORMED);
    await page.locator('mx-upload input[type="file"]').setInputFiles(corpus(MALFORMED));
    await waitUntil(
      'the encrypted PDF to fail',
      async () => ((await row(name).getAttribute('data-status', { timeout: 10_000 })) === 'failed' ? true : undefined),
      120_000,
    );
    const err = (await row(name).locator('.err').innerText()).trim();
    assert.match(err, /\(PasswordRequired\)$/);
    assert.match(err, /password/i);
    assert.ok(!/[{}[\]]|Error:|at \w+ \(/.test(err), `not plain words: ${err}`);
    await page.getByLabel('show jobs with status').selectOption('failed');
    await row(name).waitFor();
    await page.getByLabel('show jobs with status').selectOption('all');
    noProblems();
  });

  test('a running multi-page scanned job can be cancelled from its row', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mx-web-'));
    const file = path.join(dir, 'scanned-six-pages.pdf');
    fs.writeFileSync(file, scannedReportPdf(syntheticReport({ pages: 6 })));
    try {
      await page.locator('mx-upload input[type="file"]').setInputFiles(file);
      const r = row('scanned-six-pages.pdf');
      await r.and(page.locator('[data-status="processing"]')).waitFor({ timeout: 60_000 });
      // While it runs, the elapsed time counts up from createdAt.
      await r.locator('td.elapsed').waitFor();
      await r.getByRole('button', { name: 'cancel scanned-six-pages.pdf' }).click();
      await r.and(page.locator('[data-status="cancelled"]')).waitFor({ timeout: 60_000 });
      assert.equal((await r.locator('.status').innerText()).trim(), 'cancelled');
      await r.getByRole('button', { name: /^delete/ }).waitFor();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    noProblems();
  });

  test('an expired token (issued 9 h ago) returns to the login screen with "your session ended" on reload', async () => {
    const current = (await page.evaluate('sessionStorage.getItem("mx.token")')) as string;
    const user = (await call(api!.url, 'GET', '/me', { token: current })).body;
    initPool(requireRunEnv().databaseUrl, 2);
    const deps = { jwtKey: new TextEncoder().encode(TEST_JWT_SECRET), now: () => new Date(Date.now() - 9 * 3600_000) } as unknown as AppDeps;
    const { token } = await issueToken(deps, user);
    assert.equal((await call(api!.url, 'GET', '/me', { token })).status, 401);
    await page.evaluate(`sessionStorage.setItem("mx.token", ${JSON.stringify(token)})`);
    expected401 = '/jobs';
    await page.reload();
    await page.getByText('your session ended').waitFor({ timeout: 10_000 });
    await loginForm().waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("mx.token")'), null);
    expected401 = null;
    await signIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    noProblems();
  });

  test('a session revoked elsewhere returns to the login screen with "your session ended"', async () => {
    const token = (await page.evaluate('sessionStorage.getItem("mx.token")')) as string;
    assert.ok(token);
    expected401 = '/jobs';
    assert.equal((await call(api!.url, 'POST', '/logout', { token })).status, 204);
    await page.getByText('your session ended').waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate('sessionStorage.getItem("mx.token")'), null);
    expected401 = null;
    await signIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    noProblems();
  });

  test('Logout revokes the session: the login screen returns and the old token is refused', async () => {
    const token = (await page.evaluate('sessionStorage.getItem("mx.token")')) as string;
    assert.ok(token);
    assert.equal((await call(api!.url, 'GET', '/me', { token })).status, 200);
    await page.getByRole('button', { name: 'Logout' }).click();
    await loginForm().waitFor();
    // the form shows at once; the token goes when the server has answered the logout
    await page.waitForFunction('sessionStorage.getItem("mx.token") === null', undefined, { timeout: 10_000 });
    const me = await call(api!.url, 'GET', '/me', { token });
    assert.equal(me.status, 401);
    // Nothing keeps polling with the old token after logout.
    await page.waitForTimeout(2_500);
    noProblems();
  });
});
