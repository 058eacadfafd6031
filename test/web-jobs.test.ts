/**
 * The jobs list in a real browser (Debian's chromium via playwright-core) on the real stack: a job that
 * needs review shows "completed · needs review" with its warnings in plain words, never the plain green
 * completed; the filter's "needs review" shows only such jobs; a job waiting for its PDF's password offers
 * "Enter password"; an admin sees an Owner column with each job's username. Extraction goes to the test
 * LLM server, which answers with the offline rules and, for the synthetic lab report, sure confidences,
 * so that job has nothing to review. Screenshots go to test-output/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT, readCorpus, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';
import { startOpenAIServer, type ChatRequest, type OpenAIServer } from './support/openai-server.js';
import { offlineResponder, pagesFromPrompt } from './support/llm-responder.js';
import { PROSE_PAGES, textPdf } from './support/warn-fixtures.js';
import { closePool } from '../stores/pool.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const OUT = path.join(ROOT, 'test-output');

/** The offline rules' answer; for the synthetic lab report every value as sure as its clean text layer allows. */
function respond(req: ChatRequest): unknown {
  const body = offlineResponder(req) as Record<string, unknown>;
  if (!pagesFromPrompt(req).some((p) => p.text.includes('Fixture Valley Laboratory'))) return body;
  return JSON.parse(JSON.stringify(body, (k, v: unknown) => (k === 'confidence' && typeof v === 'number' && v > 0 ? Math.max(v, 0.95) : v)));
}

describe('jobs list in a real browser', () => {
  const env: Record<string, string> = {
    TASK_QUEUE_PREFIX: uniquePrefix('webjobs'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-web-jobs-test',
    OPENAI_MODEL: 'gpt-test',
    OCR_WORKERS: '1',
  };
  const username = `reviewer_${Date.now().toString(36)}`;
  const password = 'Thistle-copper-meadow-4127';
  // Names no other test file uses: an admin's list shows every test's jobs, and rows are found by name.
  const files = { prose: 'web-jobs-newsletter.pdf', clean: 'web-jobs-lab-report.pdf', locked: 'web-jobs-locked-report.pdf' };
  let llm: OpenAIServer | undefined;
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  const problems: string[] = [];

  const watch = (p: Page) => {
    p.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  };
  async function signedIn(name: string, pw: string): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await context.newPage();
    watch(p);
    await p.goto(api!.url + '/');
    await p.locator('mx-login form').waitFor();
    await p.getByLabel('Username').fill(name);
    await p.getByLabel('Password').fill(pw);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Your jobs' }).waitFor();
    return p;
  }
  const row = (p: Page, filename: string) => p.locator('mx-jobs tr[data-job]', { hasText: filename });

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

    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const created = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role: 'user' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const token = await login(api.url, username, password);
    const ids: string[] = [];
    for (const [name, content] of [
      [files.prose, textPdf(PROSE_PAGES)],
      [files.clean, digitalReportPdf(syntheticReport({ pages: 1, seed: 5 }))],
      [files.locked, readCorpus('malformed/encrypted_aes128_user_password__pypdf_r4.pdf')],
    ] as const) {
      const r: { status: number; body: { jobs: Array<{ id: string }> } } = await call(api.url, 'POST', '/upload', {
        token,
        body: pdfForm([{ name, content }]),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids.push(r.body.jobs[0]!.id);
    }
    for (const id of ids) {
      await waitUntil(`job ${id} finished`, async () => {
        const s = (await call(api!.url, 'GET', `/status/${id}`, { token })).body;
        return ['completed', 'failed'].includes(s.status) ? s : undefined;
      });
    }
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await llm?.close();
    await closePool();
  });

  test('a job that needs review says so with its warnings in plain words; a clean one is plainly completed', async () => {
    const page = await signedIn(username, password);
    const prose = row(page, files.prose);
    await prose.waitFor();
    assert.equal(await prose.getAttribute('data-status'), 'completed');
    const badge = prose.locator('.status');
    assert.equal((await badge.innerText()).trim(), 'completed · needs review');
    assert.equal(await prose.locator('.status.completed').count(), 0, 'not the plain green completed');
    // (a string, run in the page: this file is compiled without the DOM's types)
    const colour = await badge.evaluate('(el) => getComputedStyle(el).color');
    assert.notEqual(colour, 'rgb(22, 101, 52)', 'the needs-review badge is not the green of completed');

    // The warnings sit behind a disclosure and read as sentences, no codes.
    const details = prose.locator('details.warnings');
    await details.locator('summary').click();
    const items = (await details.locator('li').allInnerTexts()).map((t) => t.trim());
    assert.ok(
      items.includes('Nothing was extracted, although all 2 pages have text; check that this is a medical document and that its text is readable.'),
      items.join(' | '),
    );
    assert.ok(
      items.some((t) => /^The extractor did not recognise the kind of document/.test(t)),
      items.join(' | '),
    );
    assert.ok(items.every((t) => !/_/.test(t)));

    const clean = row(page, files.clean);
    assert.equal((await clean.locator('.status.completed').innerText()).trim(), 'completed');
    assert.equal(await clean.locator('details.warnings').count(), 0);

    // A PDF that waits for its password offers to take it, right in its row.
    const locked = row(page, files.locked);
    assert.equal(await locked.getAttribute('data-status'), 'failed');
    await locked.getByRole('button', { name: 'Enter password' }).waitFor();

    // A user sees only their own jobs: no Owner column.
    assert.equal(await page.locator('mx-jobs th', { hasText: 'Owner' }).count(), 0);
    await page.screenshot({ path: path.join(OUT, 'web-jobs-review.png'), fullPage: true });

    // The filter's "needs review" shows only the jobs that need review.
    await page.getByLabel('show jobs with status').selectOption('needs review');
    await waitUntil('only jobs needing review listed', async () => ((await row(page, files.clean).count()) === 0 ? true : undefined), 10_000);
    await prose.waitFor();
    assert.equal(await row(page, files.locked).count(), 0);
    assert.deepEqual(problems, [], 'the browser reported errors');
    await page.context().close();
  });

  test("an admin's list has an Owner column with each job's username", async () => {
    const page = await signedIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.locator('mx-jobs th', { hasText: 'Owner' }).waitFor();
    const prose = row(page, files.prose);
    await prose.waitFor();
    assert.equal((await prose.locator('td.owner').innerText()).trim(), username);
    assert.equal((await row(page, files.clean).locator('td.owner').innerText()).trim(), username);
    await page.screenshot({ path: path.join(OUT, 'web-jobs-admin.png'), fullPage: true });
    assert.deepEqual(problems, [], 'the browser reported errors');
    await page.context().close();
  });
});
