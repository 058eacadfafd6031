/**
 * "Enter password" in a real browser (Debian chromium via playwright-core) against a real API process
 * serving web/dist and a real worker: a job that failed PasswordRequired shows the button in its row of
 * the jobs list; a wrong password restarts the job and it fails PasswordIncorrect (the form says so);
 * the right one restarts it and it completes. The API's refusal is shown in plain words. Any browser
 * console error or page error fails the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT, readCorpus, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = path.join(ROOT, 'test-output');
const ENCRYPTED = 'malformed/encrypted_aes128_user_password__pypdf_r4.pdf';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

describe('entering a PDF password in a real browser', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webpw'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  const user = `pwuser_${Date.now().toString(36)}`;
  const password = 'Copper-meadow-lantern-4471';
  let api: ApiProcess | undefined;
  let worker: ChildHandle | undefined;
  let browser: Browser | undefined;
  let token: string;
  const problems: string[] = [];

  const status = async (id: string) => (await call(api!.url, 'GET', `/status/${id}`, { token })).body;
  const finished = (id: string) => waitUntil(`job ${id} to finish`, async () => ((s) => (FINISHED.has(s.status) ? s : undefined))(await status(id)), 120_000);

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); the browser test never downloads one`,
      );
    }
    // Always rebuilt: the screen under test must be the one in web/src.
    execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    fs.mkdirSync(OUT, { recursive: true });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const r = await call(api.url, 'POST', '/users', { token: admin, json: { username: user, password, role: 'user' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    token = await login(api.url, user, password);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  async function signIn(): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await context.newPage();
    p.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error' && !/status of 40[09]/.test(msg.text())) problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await p.goto(api!.url + '/');
    await p.locator('mx-login form').waitFor();
    await p.getByLabel('Username').fill(user);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Your jobs' }).waitFor();
    return p;
  }

  test('a job failed PasswordRequired shows "Enter password"; a wrong one fails PasswordIncorrect, the right one completes it', async () => {
    const up = await call(api!.url, 'POST', '/upload', { token, body: pdfForm([{ name: 'locked-scan.pdf', content: readCorpus(ENCRYPTED) }]) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = up.body.jobs[0].id as string;
    assert.equal((await finished(id)).error.code, 'PasswordRequired');

    const page = await signIn();
    const row = page.locator(`mx-jobs tr[data-job="${id}"]`);
    await row.and(page.locator('[data-status="failed"]')).waitFor();
    assert.match(await row.locator('.err').innerText(), /enter its password to process it \(PasswordRequired\)/);
    const widget = row.locator('mx-job-password');
    const enter = widget.getByRole('button', { name: 'Enter password' });
    await enter.waitFor();

    // Cancel closes the form and gives the button back.
    await enter.click();
    const field = widget.getByLabel(/Password of “locked-scan\.pdf”/);
    await field.waitFor();
    assert.equal(await field.getAttribute('type'), 'password');
    assert.equal(await field.getAttribute('autocomplete'), 'off');
    await widget.getByRole('button', { name: 'Cancel' }).click();
    await field.waitFor({ state: 'detached' });

    // The API's refusal, in its own plain words. (The field stops typing at 1024 characters; a value set by
    // script is not cut, so the server's own check answers.)
    await enter.click();
    await field.evaluate((input, value) => ((input as { value: string }).value = value), 'x'.repeat(1025));
    await widget.getByRole('button', { name: 'Restart with this password' }).click();
    const refusal = widget.getByRole('alert');
    await refusal.waitFor();
    assert.equal((await refusal.innerText()).trim(), 'password: the password is longer than 1024 characters (InvalidRequest)');
    assert.equal((await status(id)).status, 'failed', 'a refused password changes nothing');

    // A wrong password: the job restarts and fails again, now PasswordIncorrect, and asks for the right one.
    await field.fill('asdfzxcX');
    await field.press('Enter');
    await waitUntil('the job to fail PasswordIncorrect', async () => ((await status(id)).error?.code === 'PasswordIncorrect' ? true : undefined), 60_000);
    await row.locator('.err', { hasText: '(PasswordIncorrect)' }).waitFor();
    await enter.click();
    await widget.getByText('That password did not open the PDF. Enter the right one.').waitFor();
    await page.screenshot({ path: path.join(OUT, 'web-password.png'), fullPage: true });

    // The right one: the row follows the job to completed, with its result.
    await field.fill('asdfzxcv');
    await widget.getByRole('button', { name: 'Restart with this password' }).click();
    await row.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    assert.equal(await widget.count(), 0, 'a completed job offers no password form');
    await row.getByRole('button', { name: 'view the result of locked-scan.pdf' }).waitFor();
    assert.equal((await status(id)).status, 'completed');
    await page.context().close();
    assert.deepEqual(problems, [], 'the browser reported errors');
  });
});
