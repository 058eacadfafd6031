/**
 * The review screen in a real browser (chromium), keyboard only, on the real stack with the 3-page corpus
 * lab report: J moves through the values flagged first with the page following, E fixes a value in place,
 * X rejects one, Ctrl+Z undoes, A adds a missed row on the page shown, Shift+Enter accepts the remaining
 * unflagged values, Approve signs off; the downloaded workbook then carries the corrected value. The time
 * the keyboard review took is printed (it never fails the test). Screenshots (desktop and 390 px) go to
 * $REVIEW_SCREENSHOTS when set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, readCorpus, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const FILE = 'healthfirst-review.pdf';
const SHOTS = process.env.REVIEW_SCREENSHOTS;

describe('the review screen, by keyboard', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webreview'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let token: string;
  let jobId: string;

  before(async () => {
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const up = await call(api.url, 'POST', '/upload', {
      token,
      body: pdfForm([{ name: FILE, content: readCorpus('medical/healthfirst_lab_report_3p.pdf') }]),
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    jobId = up.body.jobs[0].id;
    await waitUntil('the lab report to complete', async () => {
      const r = await call(api!.url, 'GET', `/status/${jobId}`, { token });
      if (r.body.status === 'failed') assert.fail(JSON.stringify(r.body.error));
      return r.body.status === 'completed' ? r.body : undefined;
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${api!.url}/`);
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    const open = page.getByRole('button', { name: `view the result of ${FILE}` }).first();
    await open.waitFor();
    await open.focus();
    await page.keyboard.press('Enter');
  }

  test('J, E, X, Ctrl+Z, A, Shift+Enter and Approve, then the workbook has the correction', async () => {
    const page = await (await browser!.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page);
    const view = page.locator('mx-result');
    const said = view.locator('p.said');
    const current = view.locator('tr.current');
    await view.locator('[data-progress]').waitFor({ timeout: 30_000 });
    const started = performance.now();

    // J: the first value is a flagged one if any is flagged, and its page opens beside the tables
    await page.keyboard.press('j');
    await current.waitFor();
    const flaggedRows = await view.locator('tr.flagged').count();
    if (flaggedRows > 0) assert.match((await current.getAttribute('class')) ?? '', /flagged/, 'flagged values come first');
    await view.locator('mx-page-view').waitFor();

    // to the first lab row, then E: fix its value in place
    for (let i = 0; i < 80 && !((await current.getAttribute('data-path')) ?? '').startsWith('/lab_results/'); i++) await page.keyboard.press('j');
    const labPath = (await current.getAttribute('data-path'))!;
    assert.match(labPath, /^\/lab_results\/\d+$/, 'J reaches the lab rows');
    await page.keyboard.press('e');
    const input = view.locator(`tr[data-path="${labPath}"] input[name="value"]`);
    await input.waitFor();
    await page.keyboard.type('123.4');
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'Saved as version 1' }).waitFor();
    const fixed = view.locator(`tr[data-path="${labPath}"]`);
    assert.equal((await fixed.locator('td[data-col="value"]').innerText()).trim(), '123.4');
    assert.match(await fixed.locator('td[data-col="review"]').innerText(), /^corrected by admin/);

    // X rejects the row J moves to next; Ctrl+Z takes it back; X again
    await page.keyboard.press('j');
    const nextPath = (await current.getAttribute('data-path'))!;
    await page.keyboard.press('x');
    await said.filter({ hasText: 'Saved as version 2' }).waitFor();
    const rejected = view.locator(`tr[data-path="${nextPath}"]`);
    assert.match((await rejected.getAttribute('class')) ?? '', /rejected/);
    await page.keyboard.press('Control+z');
    await said.filter({ hasText: 'Undone. Saved as version 3' }).waitFor();
    assert.doesNotMatch((await rejected.getAttribute('class')) ?? '', /rejected/);
    await rejected.focus();
    await page.keyboard.press('x');
    await said.filter({ hasText: 'Saved as version 4' }).waitFor();

    // A: a missed lab row on the page shown
    await page.keyboard.press('a');
    const adding = view.locator('tr.adding');
    await adding.waitFor();
    await page.keyboard.press('Tab'); // panel → test
    await page.keyboard.type('Selenium');
    await page.keyboard.press('Tab');
    await page.keyboard.type('31');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ng/mL');
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'Saved as version 5' }).waitFor();
    const added = view.locator('table[data-section="lab_results"] tbody tr', { hasText: 'Selenium' });
    assert.match(await added.locator('td[data-col="review"]').innerText(), /^added by admin/);

    // Shift+Enter accepts what is left unflagged; Approve by keyboard
    await page.keyboard.press('Shift+Enter');
    await said.filter({ hasText: /Accepted \d+ unflagged values?\. Saved as version 6/ }).waitFor();
    const { reviewed, total } = await view.locator('[data-progress]').evaluate((el) => {
      const m = /(\d+) of (\d+)/.exec(el.textContent ?? '');
      return { reviewed: Number(m?.[1]), total: Number(m?.[2]) };
    });
    assert.equal(await view.locator('table[data-section="lab_results"] tbody tr:not(.flagged) .state.unreviewed').count(), 0, 'no unflagged row is left');
    assert.ok(reviewed > 0 && reviewed <= total, `${reviewed} of ${total}`);
    const approve = view.getByRole('button', { name: 'Approve' });
    await approve.focus();
    await page.keyboard.press('Enter');
    await said.filter({ hasText: 'Approved version 6' }).waitFor();
    const seconds = (performance.now() - started) / 1000;
    console.log(`keyboard review of the 3-page corpus lab report: ${seconds.toFixed(1)} s from the first J to approval (${total} values)`);
    await page.keyboard.press('x');
    await said.filter({ hasText: 'approved: reopen it' }).waitFor();
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'review-desktop.png'), fullPage: false });
    }
    assert.deepEqual(errors, []);

    const wb = await readWorkbook((await call<Buffer>(api!.url, 'GET', `/download/${jobId}`, { token })).body);
    const labs = wb.get('Lab Results')!;
    assert.ok(
      labs.some((r) => r.Value === 123.4 && String(r.Review).startsWith('corrected by admin')),
      'the corrected value is in the workbook',
    );
    assert.ok(labs.some((r) => r.Test === 'Selenium' && String(r.Review).startsWith('added')));
    assert.equal(wb.get('Summary')![0]!['Review state'], 'Approved');
  });

  test('at 390 px the fields sit above the page and the keys still work', async () => {
    const page = await (await browser!.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await signIn(page);
    const view = page.locator('mx-result');
    await view.locator('[data-progress]').waitFor({ timeout: 30_000 });
    await page.keyboard.press('?');
    await view.locator('section.keys').waitFor();
    await page.keyboard.press('j');
    await view.locator('tr.current').waitFor();
    await view.locator('mx-page-view').waitFor();
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 390 + 1, `no sideways scrolling of the page: ${width}px`);
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'review-390.png'), fullPage: false });
  });
});
