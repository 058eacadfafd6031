/**
 * The page viewer as a first-time user meets it, in a real browser (Debian chromium via playwright-core)
 * against a real API process and worker: on a 390 px phone the page opens in view even when the value
 * clicked is far down the tables, a scanned page says how sure the OCR was of its words, and zooming in
 * fetches a sharper render (the API renders the closed set of resolutions and refuses others).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { closePool } from '../stores/pool.js';

requireRunEnv();
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');

/** The width and height of a PNG, from its IHDR chunk. */
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

describe('page viewer: in view at 390 px, OCR confidence, zoom', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webmisc'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let api: ApiProcess | undefined;
  let worker: ChildHandle | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let token: string;
  let jobId: string;
  const name = `misc-scan-${Date.now().toString(36)}.pdf`;
  const problems: string[] = [];

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    // A scanned lab report (OCR only) long enough that its last rows are far below the top of a phone screen.
    const pdf = scannedReportPdf(syntheticReport({ pages: 1, seed: 1307, rowsPerPage: 18 }));
    const up = await call(api.url, 'POST', '/upload', { token, body: pdfForm([{ name, content: pdf }]) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    jobId = up.body.jobs[0].id;
    await waitUntil('the scanned report completes', async () => {
      const s = await call(api!.url, 'GET', `/status/${jobId}`, { token });
      if (s.body.status === 'failed') throw new Error(JSON.stringify(s.body));
      return s.body.status === 'completed' ? true : undefined;
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await (await browser.newContext({ viewport: { width: 390, height: 800 } })).newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await closePool();
  });

  test('the page image comes at 100, 200 or 300 dpi, sharper on request; any other resolution is refused', async () => {
    const at = (query: string) => call(api!.url, 'GET', `/jobs/${jobId}/pages/1/image${query}`, { token });
    const [screen, zoomed, sharpest] = await Promise.all([at(''), at('?dpi=200'), at('?dpi=300')]);
    for (const r of [screen, zoomed, sharpest]) {
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'image/png');
    }
    const [w100, w200, w300] = [screen, zoomed, sharpest].map((r) => pngSize(r.body as Buffer).width);
    assert.ok(Math.abs(w200! / w100! - 2) < 0.05, `200 dpi is twice as wide as 100 dpi (${w100} → ${w200})`);
    assert.ok(Math.abs(w300! / w100! - 3) < 0.05, `300 dpi is three times as wide (${w100} → ${w300})`);
    for (const bad of ['150', '72', '100000', 'high']) {
      const r = await at(`?dpi=${bad}`);
      assert.equal(r.status, 400, `dpi=${bad}`);
      assert.equal((r.body as { error: { code: string } }).error.code, 'InvalidRequest');
      assert.match((r.body as { error: { message: string } }).error.message, /dpi/);
    }
  });

  test('at 390 px the page opens in view, says how sure the OCR was, and zooms into a sharper image', async () => {
    await page.goto(api!.url + '/');
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    await page
      .locator(`mx-jobs tr[data-job="${jobId}"]`)
      .getByRole('button', { name: `view the result of ${name}` })
      .click();
    const result = page.locator('mx-result');
    const labs = result.locator('table[data-section="lab_results"] tbody tr');
    await labs.first().waitFor({ timeout: 15_000 });
    assert.ok((await labs.count()) >= 10, 'the OCR read the lab rows');

    // The last row's page button, scrolled to: the page view opens above the tables, out of sight unless it scrolls.
    const last = labs.last().getByRole('button', { name: 'show page 1 with this quote' });
    await last.scrollIntoViewIfNeeded();
    assert.ok(((await page.evaluate('window.scrollY')) as number) > 800, 'the tables were scrolled well down');
    await last.click();
    const viewer = result.locator('mx-page-view');
    const image = viewer.getByRole('img', { name: 'page 1 of the document' });
    await image.waitFor();
    // In view: its top within the upper half of the screen.
    // Polled with page.evaluate: waitForFunction evaluates a string predicate with eval, which the UI's CSP refuses.
    await waitUntil(
      'the page viewer to scroll into view',
      async () =>
        (await page.evaluate(`(() => {
          const top = document.querySelector('mx-app')?.shadowRoot?.querySelector('mx-result')?.shadowRoot?.querySelector('mx-page-view')?.getBoundingClientRect().top;
          return top !== undefined && top >= -1 && top < window.innerHeight / 2;
        })()`))
          ? true
          : undefined,
      10_000,
    );
    assert.ok(await viewer.getByRole('button', { name: 'zoom in' }).isVisible(), "the viewer's controls are on screen");

    // The OCR page says, in words, how sure the OCR was of its words.
    const confidence = viewer.locator('[data-ocr-confidence]');
    assert.match(await confidence.innerText(), /^Read by OCR, which was on average \d{1,3}% sure of each word on this page\./);
    const stated = Number(/(\d+)%/.exec(await confidence.innerText())![1]);
    const view = await call(api!.url, 'GET', `/jobs/${jobId}/pages/1`, { token });
    assert.equal(stated, Math.round(view.body.ocrConfidence * 100), 'the figure is the page’s');

    // Zoom in: the image is drawn twice as wide inside a scrolling frame, from a 200 dpi render.
    const natural = () => image.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
    const before = { natural: await natural(), shown: (await image.boundingBox())!.width };
    await viewer.getByRole('button', { name: 'zoom in' }).click();
    await viewer.locator('img[data-dpi="200"]').waitFor();
    await page.waitForFunction(`(() => {
      const img = document.querySelector('mx-app')?.shadowRoot?.querySelector('mx-result')?.shadowRoot?.querySelector('mx-page-view')?.shadowRoot?.querySelector('img');
      return !!img && img.complete && img.naturalWidth > ${before.natural} * 1.9;
    })()`);
    assert.ok((await image.boundingBox())!.width > before.shown * 1.9, 'drawn twice as wide');
    assert.equal(await viewer.locator('output[aria-label="zoom"]').innerText(), '200%');
    assert.equal(
      await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth'),
      false,
      'the zoomed page scrolls inside its frame, not the whole screen sideways',
    );
    // The highlight follows the zoom: it still lies on the image.
    const mark = viewer.locator('[data-highlight="selected"]').first();
    if ((await mark.count()) === 1) {
      const [img, box] = [(await image.boundingBox())!, (await mark.boundingBox())!];
      assert.ok(box.x >= img.x - 2 && box.x + box.width <= img.x + img.width + 2, 'the mark lies on the zoomed image');
    }
    await viewer.getByRole('button', { name: 'zoom out' }).click();
    assert.equal(await viewer.locator('output[aria-label="zoom"]').innerText(), '100%');
    assert.ok(Math.abs((await image.boundingBox())!.width - before.shown) < 2, 'back to the width of the frame');
    assert.deepEqual(problems, []);
  });
});
