/**
 * The Account page in a real browser (Debian chromium via playwright-core) against a real API process
 * serving web/dist: the password rule is shown before the first attempt and a common password is
 * refused in plain words; a second factor is enrolled from the QR code's secret with a code computed
 * here (otpauth, as an authenticator app would), the recovery codes are shown once; after logging out,
 * the password alone no longer opens the app: the login asks for the code (autocomplete one-time-code)
 * and then signs in. Any browser console error or page error fails the test, except the one the
 * current step provokes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, type ApiProcess } from './support/api.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'Larch-ember-Quill-5830';
const codeFor = (secret: string, stepsAhead = 0) =>
  OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: Date.now() + stepsAhead * 30_000 });

describe('account page in a real browser', () => {
  const username = `acct_${crypto.randomBytes(3).toString('hex')}`;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  let expected: { status: number; path: string } | null = null;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
    // Always rebuilt: a web/dist from before this change would not have the Account page's forms.
    execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    api = await startApiProcess({ EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' });
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password: PASSWORD } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error') return;
      const where = msg.location().url;
      if (expected && msg.text().includes(`status of ${expected.status}`) && new URL(where, 'http://x').pathname === expected.path) return;
      problems.push(`console error: ${msg.text()} (${where})`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await api?.stop();
  });

  async function passwordStep(): Promise<void> {
    await page.goto(api!.url + '/');
    await page.locator('mx-login form').waitFor();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('enrol a second factor on the Account page, log out, and log in with a code', async () => {
    await passwordStep();
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    await page.getByRole('button', { name: 'Account', exact: true }).click();
    const account = page.locator('mx-account');

    // The rule is there before any attempt, tied to the new-password field; a common password is refused in plain words.
    const newPassword = account.getByLabel('New password');
    assert.equal(await newPassword.getAttribute('aria-describedby'), 'password-rule');
    await account.getByText('At least 12 characters; not a common password; must not contain the username.').waitFor();
    await account.getByLabel('Current password').fill(PASSWORD);
    await newPassword.fill('password1234');
    expected = { status: 400, path: '/me/password' };
    await account.getByRole('button', { name: 'Change password' }).click();
    await account
      .getByRole('alert')
      .filter({ hasText: /commonly used password.*\(WeakPassword\)/ })
      .waitFor();
    expected = null;

    await account.getByText('Off: your password alone signs you in.').waitFor();
    await account.getByLabel('Your password (to set up)').fill(PASSWORD);
    await account.getByRole('button', { name: 'Set up a second factor' }).click();
    const qr = account.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    assert.match((await qr.getAttribute('src'))!, /^data:image\/png;base64,/);
    const secret = (await account.locator('code.secret').innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await account.getByLabel('Code from the app').fill(codeFor(secret));
    await account.getByRole('button', { name: 'Turn on' }).click();
    const codes = account.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    await account.getByRole('button', { name: 'Copy the codes' }).waitFor();
    await account.getByRole('button', { name: 'Done' }).click();
    await account.getByText(/On since .*; 10 recovery codes left\./).waitFor();
    assert.equal(await account.getByRole('list', { name: 'Recovery codes' }).count(), 0, 'the codes are shown only once');

    await page.getByRole('button', { name: 'Logout' }).click();
    await passwordStep();
    // The password alone does not open the app: the second step asks for the code.
    const code = page.locator('mx-login').getByLabel('Authentication code');
    await code.waitFor();
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    await page.locator('mx-login').getByRole('button', { name: 'Use a recovery code' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Your jobs' }).count(), 0);
    // A wrong code is refused in the API's words; the next code of the app signs in.
    const c = codeFor(secret, 1);
    expected = { status: 401, path: '/login/mfa' };
    await code.fill(c.slice(0, 5) + ((Number(c[5]) + 5) % 10));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('mx-login').getByRole('alert').filter({ hasText: 'the code is not correct' }).waitFor();
    expected = null;
    await page.locator('mx-login').getByLabel('Authentication code').fill(c);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    assert.deepEqual(problems, [], 'the browser reported errors');
  });
});
