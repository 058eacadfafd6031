/**
 * The API-keys screen in a real browser (Debian chromium via playwright-core) against a real API
 * process serving web/dist: a user creates a key that may only read jobs and lives 30 days, sees it
 * listed with its scope and expiry, and the key really is limited to that (its upload is refused);
 * an expired key shows as expired; only an administrator is offered the metrics scope.
 * Any browser console error or page error fails the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT, pool, uniquePrefix } from './support/env.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = path.join(ROOT, 'test-output');
const DAY_MS = 86_400_000;

describe('API keys screen in a real browser', () => {
  const user = `keyuser_${Date.now().toString(36)}`;
  const password = 'key-user-password-0123456789';
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let db: pg.Pool;
  const problems: string[] = [];

  async function open(username: string, pw: string): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await context.newPage();
    p.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await p.goto(api!.url + '/');
    await p.locator('mx-login form').waitFor();
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(pw);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Your jobs' }).waitFor();
    await p.getByRole('button', { name: 'API keys' }).click();
    await p.getByRole('heading', { name: 'API keys' }).waitFor();
    return p;
  }

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); the browser test never downloads one`,
      );
    }
    // Always rebuilt: the screen under test must be the one in web/src.
    execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    fs.mkdirSync(OUT, { recursive: true });
    api = await startApiProcess({ TASK_QUEUE_PREFIX: uniquePrefix('webkeys'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' });
    db = pool();
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const r = await call(api.url, 'POST', '/users', { token: admin, json: { username: user, password, role: 'user' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
    await db?.end();
  });

  test('a user creates a jobs:read key that expires in 30 days and sees it listed with its scope and expiry', async () => {
    const page = await open(user, password);
    const keys = page.locator('mx-api-keys');
    // A plain user is not offered the metrics scope; the default scopes are ticked.
    assert.equal(await keys.getByRole('checkbox', { name: /Metrics/ }).count(), 0);
    assert.equal(await keys.getByRole('checkbox', { name: /Read jobs/ }).isChecked(), true);
    assert.equal(await keys.getByRole('checkbox', { name: /Upload and delete jobs/ }).isChecked(), true);

    await keys.getByLabel('Key name').fill('nightly report');
    await keys.getByRole('checkbox', { name: /Upload and delete jobs/ }).uncheck();
    await keys.getByLabel('Expires after').selectOption({ label: '30 days' });
    await keys.getByRole('button', { name: 'Create key' }).click();
    const field = keys.getByLabel(/New API key/);
    await field.waitFor();
    const key = await field.inputValue();

    const row = keys.locator('tr[data-key]', { hasText: 'nightly report' });
    await row.waitFor();
    assert.equal((await row.locator('td.key-scopes').innerText()).trim(), 'jobs:read');
    // What the server stored is what the screen shows.
    const token = await login(api!.url, user, password);
    const listed = (await call(api!.url, 'GET', '/me/api-keys', { token })).body.apiKeys.find((k: any) => k.name === 'nightly report');
    assert.deepEqual(listed.scopes, ['jobs:read']);
    assert.ok(Math.abs(Date.parse(listed.expiresAt) - Date.now() - 30 * DAY_MS) < 10 * 60_000, listed.expiresAt);
    const shown = await page.evaluate((iso) => new Date(iso).toLocaleString(), listed.expiresAt as string);
    assert.equal((await row.locator('td.key-expiry').innerText()).trim(), shown);
    assert.equal((await row.locator('td[data-label="Last used"]').innerText()).trim(), 'never');
    await page.screenshot({ path: path.join(OUT, 'web-api-keys.png'), fullPage: true });

    // The key is what the screen said: it reads, and its upload is refused.
    assert.equal((await call(api!.url, 'GET', '/jobs', { apiKey: key })).status, 200);
    const up = await call(api!.url, 'POST', '/upload', {
      apiKey: key,
      body: pdfForm([{ name: 'a.pdf', content: digitalReportPdf(syntheticReport({ pages: 1 })) }]),
    });
    assert.equal(up.status, 403);
    assert.equal(up.body.error.code, 'ScopeRequired');

    // Once past its expiry (moved by SQL, as time would), the list says so; last use now shows.
    await db.query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1", [listed.id]);
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    await page.getByRole('button', { name: 'API keys' }).click();
    await keys.locator('tr[data-key]', { hasText: 'nightly report' }).locator('.expired').waitFor();
    assert.notEqual((await keys.locator('tr[data-key]', { hasText: 'nightly report' }).locator('td[data-label="Last used"]').innerText()).trim(), 'never');
    await page.context().close();
    assert.deepEqual(problems, [], 'the browser reported errors');
  });

  test('an administrator is offered the metrics scope, and the key made with it reads /metrics', async () => {
    const page = await open(TEST_ADMIN.username, TEST_ADMIN.password);
    const keys = page.locator('mx-api-keys');
    await keys.getByLabel('Key name').fill('prometheus');
    await keys.getByRole('checkbox', { name: /Read jobs/ }).uncheck();
    await keys.getByRole('checkbox', { name: /Upload and delete jobs/ }).uncheck();
    await keys.getByRole('checkbox', { name: /Metrics/ }).check();
    await keys.getByRole('button', { name: 'Create key' }).click();
    const field = keys.getByLabel(/New API key/);
    await field.waitFor();
    const key = await field.inputValue();
    // The newest of the admin's keys so named (other test files may have left one of that name), pinned by its id.
    const newest = keys.locator('tr[data-key]', { hasText: 'prometheus' }).last();
    await newest.waitFor();
    const row = keys.locator(`tr[data-key="${await newest.getAttribute('data-key')}"]`);
    assert.equal((await row.locator('td.key-scopes').innerText()).trim(), 'metrics');
    const scrape = await call(api!.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${key}` } });
    assert.equal(scrape.status, 200);
    await row.getByRole('button', { name: 'revoke the key prometheus' }).click();
    // Revoked: gone from the list (the stored row stays, revoked).
    await row.waitFor({ state: 'detached' });
    await page.context().close();
    assert.deepEqual(problems, [], 'the browser reported errors');
  });
});
