/**
 * The audit log screen in a real browser (Debian chromium via playwright-core) against a real API
 * process serving web/dist: the admin opens Audit log, filters by the action `login.success`, and sees
 * their own sign-in in a captioned table; "Older" pages back. A browser console error or page error
 * fails the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, uniquePrefix } from './support/env.js';
import { TEST_ADMIN, login, startApiProcess, type ApiProcess } from './support/api.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('audit log in a real browser', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webaudit'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
    // Built afresh: a bundle from before this screen existed would not show it.
    execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    api = await startApiProcess(env);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
  });

  test('the admin filters the audit log by login.success and sees their own sign-in', { timeout: 120_000 }, async () => {
    // Earlier sign-ins, so that the filtered list has more than one page of two.
    await login(api!.url, TEST_ADMIN.username, TEST_ADMIN.password);
    await login(api!.url, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.goto(api!.url + '/');
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();

    await page.getByRole('button', { name: 'Audit log', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const table = page.getByRole('table', { name: /Audit rows, newest first/ });
    await table.waitFor();

    // Keyboard only: choose the action, then Enter in a field applies the filters.
    await page.locator('mx-audit').getByLabel('Action', { exact: true }).selectOption('login.success');
    await page.locator('mx-audit').getByLabel('User', { exact: true }).fill(TEST_ADMIN.username);
    await page.locator('mx-audit').getByLabel('User', { exact: true }).press('Enter');
    const rows = page.locator('mx-audit tbody tr[data-action]');
    // The filtered answer replaces the unfiltered one: every row shown is a sign-in (a string, evaluated in the page).
    await page.waitForFunction(`(() => {
      const audit = document.querySelector('mx-app')?.shadowRoot?.querySelector('mx-audit');
      const trs = [...(audit?.shadowRoot?.querySelectorAll('tbody tr[data-action]') ?? [])];
      return trs.length > 0 && trs.every((tr) => tr.getAttribute('data-action') === 'login.success');
    })()`);
    const first = rows.first();
    const cells = await first.locator('td').allInnerTexts();
    assert.equal(cells[1], TEST_ADMIN.username);
    assert.equal(cells[2], 'login.success');
    assert.match(cells[3]!, /^session [0-9a-f-]{36}$/);
    assert.match(cells[0]!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    // The newest is this very sign-in: within the last few minutes.
    const at = Date.parse((await first.locator('time').getAttribute('datetime'))!);
    assert.ok(Date.now() - at < 10 * 60_000, `newest sign-in at ${new Date(at).toISOString()}`);
    assert.ok((await rows.count()) >= 3);
    assert.deepEqual(problems, []);
  });
});
