/**
 * The admin view in a real browser (Debian chromium via playwright-core) against a real API process
 * serving web/dist, with TEMPORAL_UI_URL set: users (create, WeakPassword, disable/enable, role, password
 * reset), the admin's API keys (shown once, used, revoked), the Temporal meta tags and a job's Workflow
 * link (checked against the real workflow), the password rule shown before the first attempt, a
 * sign-in lock listed and cleared, the admin screen at 390 px, and no Admin button for a normal user.
 * Any browser console error or page error fails the test, except the one the current step provokes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { Client, Connection } from '@temporalio/client';
import { ROOT, requireRunEnv, uniquePrefix } from './support/env.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { closePool } from '../stores/pool.js';
import { JobIdKey } from '../core/contract/jobs.js';
import { PAIR_MAX_FAILURES } from '../api/auth/throttle.js';

const PASSWORD_RULE = 'At least 12 characters; not a common password; must not contain the username.';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const OUT = path.join(ROOT, 'test-output');
const UI_URL = 'http://127.0.0.1:8233';

describe('admin view in a real browser', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webadm'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', TEMPORAL_UI_URL: UI_URL };
  // Unique per run, so a reused database does not answer UsernameTaken.
  const nurse = `nurse_${Date.now().toString(36)}`;
  const nursePassword = 'Larch-ember-Quill-5830';
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  /** The one failed request (status on this path) the current step provokes, if any. */
  let expected: { status: number; path: string } | null = null;

  const watch = (p: Page) => {
    p.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error') return;
      const where = msg.location().url;
      if (expected && msg.text().includes(`status of ${expected.status}`) && new URL(where, 'http://x').pathname === expected.path) return;
      problems.push(`console error: ${msg.text()} (${where})`);
    });
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  };
  const noProblems = () => assert.deepEqual(problems, [], 'the browser reported errors');

  async function signIn(p: Page, username: string, password: string): Promise<void> {
    await p.goto(api!.url + '/');
    await p.locator('mx-login form').waitFor();
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Your jobs' }).waitFor();
  }
  /** POST /login from the given source address in 127.0.0.0/8; the status. */
  const loginFrom = (address: string, username: string, password: string) =>
    new Promise<number>((resolve, reject) => {
      const payload = JSON.stringify({ username, password });
      const req = http.request(
        {
          host: '127.0.0.1',
          port: Number(new URL(api!.url).port),
          method: 'POST',
          path: '/login',
          localAddress: address,
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const userRow = (name: string) => page.locator(`mx-admin tr[data-user="${name}"]`);

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); the browser test never downloads one`,
      );
    }
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    fs.mkdirSync(OUT, { recursive: true });
    api = await startApiProcess(env);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watch(page);
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
    await closePool();
  });

  test('the page carries the Temporal Web UI address and namespace, and no secret', async () => {
    const index = await call(api!.url, 'GET', '/');
    assert.equal(index.status, 200);
    const text = index.body.toString('utf8');
    assert.match(text, new RegExp(`<meta name="mx-temporal-ui-url" content="${UI_URL}"`));
    assert.match(text, /<meta name="mx-temporal-namespace" content="[^"]+"/);
    assert.ok(!text.includes(TEST_ADMIN.password));
    assert.ok(!process.env.DATABASE_URL || !text.includes(process.env.DATABASE_URL));
  });

  test('an admin creates a user (a short password is refused in plain words), disables and re-enables them', async () => {
    await signIn(page, TEST_ADMIN.username, TEST_ADMIN.password);
    // Admins see a Workflow link on each job row (when there are jobs) pointing into the Temporal Web UI.
    const first = page.locator('mx-jobs tr[data-job]').first();
    if ((await first.count()) === 1) {
      const id = (await first.getAttribute('data-job'))!;
      const href = await first.getByRole('link', { name: /workflow of/ }).getAttribute('href');
      assert.match(href!, new RegExp(`^${UI_URL}/namespaces/[^/]+/workflows/job-${id}$`));
    }
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await userRow(TEST_ADMIN.username).waitFor();
    // The rule is there before the first attempt, tied to the password field.
    const rule = page.locator('mx-admin form[aria-label="create a user"] + p.hint');
    assert.equal((await rule.innerText()).trim(), `Passwords: ${PASSWORD_RULE}`);
    assert.ok(await rule.isVisible());
    assert.equal(await page.getByLabel("New user's password").getAttribute('aria-describedby'), await rule.getAttribute('id'));

    await page.getByLabel('New username').fill(nurse);
    await page.getByLabel("New user's password").fill('short');
    expected = { status: 400, path: '/users' };
    await page.getByRole('button', { name: 'Create user' }).click();
    await page
      .locator('mx-admin')
      .getByRole('alert')
      .filter({ hasText: /WeakPassword/ })
      .waitFor();
    assert.match(await page.locator('mx-admin').getByRole('alert').innerText(), /at least \d+ characters/);
    expected = null;

    await page.getByLabel("New user's password").fill(nursePassword);
    await page.getByRole('button', { name: 'Create user' }).click();
    await userRow(nurse).waitFor();
    await page.getByText(`user ${nurse} created`).waitFor();
    assert.equal(await userRow(nurse).getAttribute('data-disabled'), 'false');

    await userRow(nurse)
      .getByRole('button', { name: `disable ${nurse}` })
      .click();
    await page.locator(`mx-admin tr[data-user="${nurse}"][data-disabled="true"]`).waitFor();
    assert.equal((await userRow(nurse).locator('td.disabled').innerText()).trim(), 'yes');
    await userRow(nurse)
      .getByRole('button', { name: `enable ${nurse}` })
      .click();
    await page.locator(`mx-admin tr[data-user="${nurse}"][data-disabled="false"]`).waitFor();
    noProblems();
  });

  test("an admin changes a user's role and resets their password; the API sees both", async () => {
    const admin = await login(api!.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const roleOf = async () =>
      ((await call(api!.url, 'GET', '/users', { token: admin })).body.users as Array<{ username: string; role: string }>).find((u) => u.username === nurse)
        ?.role;
    const role = userRow(nurse).getByLabel(`role of ${nurse}`);
    await role.selectOption('admin');
    await page.getByText(`${nurse} is now an admin`).waitFor();
    assert.equal(await roleOf(), 'admin');
    await role.selectOption('user');
    await page.getByText(`${nurse} is now a user`).waitFor();
    assert.equal(await roleOf(), 'user');
    // The admin cannot take their own role away.
    assert.ok(await userRow(TEST_ADMIN.username).getByLabel(`role of ${TEST_ADMIN.username}`).isDisabled());

    const newPassword = 'Orbit-fjord-Tansy-2917';
    await userRow(nurse)
      .getByRole('button', { name: `reset the password of ${nurse}` })
      .click();
    const field = userRow(nurse).getByLabel(`New password for ${nurse}`);
    await userRow(nurse).getByText(PASSWORD_RULE).waitFor();
    await field.fill(newPassword);
    await userRow(nurse).getByRole('button', { name: 'Save password' }).click();
    await page.getByText(`the password of ${nurse} was reset`).waitFor();
    await field.waitFor({ state: 'detached' });
    assert.equal((await call(api!.url, 'POST', '/login', { json: { username: nurse, password: nursePassword } })).status, 401);
    assert.ok(await login(api!.url, nurse, newPassword));
    // Put the old password back for the tests that sign in as the nurse.
    assert.equal(
      (
        await call(
          api!.url,
          'PATCH',
          `/users/${(await call(api!.url, 'GET', '/users', { token: admin })).body.users.find((u: { username: string }) => u.username === nurse).id}`,
          { token: admin, json: { password: nursePassword } },
        )
      ).status,
      200,
    );
    noProblems();
  });

  test('an admin sees a sign-in lock in the Sign-in locks section and clears it; the pair is then no longer refused', async () => {
    const victim = `locked_${Date.now().toString(36)}`;
    const attacker = `127.${2 + crypto.randomInt(250)}.${crypto.randomInt(256)}.${1 + crypto.randomInt(254)}`;
    // Wrong passwords from a real source address (the API does not trust X-Forwarded-For here).
    const statuses = await Promise.all(Array.from({ length: PAIR_MAX_FAILURES }, (_, i) => loginFrom(attacker, victim, `wrong-${i}`)));
    assert.deepEqual(
      statuses,
      statuses.map(() => 401),
    );
    assert.equal(await loginFrom(attacker, victim, 'wrong-again'), 429);

    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    const section = page.locator('mx-admin section.locks');
    await section.getByRole('heading', { name: 'Sign-in locks' }).waitFor();
    await section.getByRole('button', { name: 'Refresh' }).click();
    const row = section.locator(`tr[data-lock-user="${victim}"][data-lock-address]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'locked');
    assert.ok((await row.getAttribute('data-lock-address'))!.endsWith(attacker));
    assert.match(await row.innerText(), new RegExp(`${PAIR_MAX_FAILURES}`));
    await row.getByRole('button', { name: /^clear / }).click();
    await page.getByText(`sign-in failures cleared: ${victim} from`).waitFor();
    await row.waitFor({ state: 'detached' });
    // Cleared: the pair is answered again (a wrong password is a plain 401, not a 429).
    assert.equal(await loginFrom(attacker, victim, 'wrong-after-clear'), 401);
    noProblems();
  });

  test('an admin sees who has a second factor and resets a lost one; the user then signs in with the password alone', async () => {
    const admin = await login(api!.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const lost = `mfa_${Date.now().toString(36)}`;
    const password = 'Heron-basalt-Quince-4406';
    assert.equal((await call(api!.url, 'POST', '/users', { token: admin, json: { username: lost, password, role: 'user' } })).status, 201);
    const token = await login(api!.url, lost, password);
    const enrol = await call(api!.url, 'POST', '/me/mfa/enrol', { token, json: { currentPassword: password } });
    assert.equal(enrol.status, 200, JSON.stringify(enrol.body));
    const code = OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(enrol.body.secret as string), algorithm: 'SHA1', digits: 6, period: 30 });
    assert.equal((await call(api!.url, 'POST', '/me/mfa/confirm', { token, json: { code } })).status, 200);
    assert.equal((await call(api!.url, 'POST', '/login', { json: { username: lost, password } })).body.mfaRequired, true);

    // Back and forth so the admin screen loads the users afresh.
    await page.getByRole('button', { name: 'Jobs', exact: true }).click();
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await userRow(lost).waitFor();
    assert.equal((await userRow(lost).locator('td.mfa').innerText()).trim(), 'on');
    assert.equal(
      await userRow(TEST_ADMIN.username)
        .getByRole('button', { name: /reset the second factor/ })
        .count(),
      0,
      'no reset for a user without one',
    );
    await userRow(lost)
      .getByRole('button', { name: `reset the second factor of ${lost}` })
      .click();
    await page.getByText(`the second factor of ${lost} was reset; they sign in with the password alone`).waitFor();
    // The notice may show a moment before the table re-renders with the refreshed users.
    await userRow(lost)
      .locator('td.mfa', { hasText: /^\s*off\s*$/ })
      .waitFor({ timeout: 10_000 });
    const after = await call(api!.url, 'POST', '/login', { json: { username: lost, password } });
    assert.equal(after.status, 200);
    assert.ok(after.body.token, 'the password alone gives a session again');
    noProblems();
  });

  test('a job row links to its real workflow in the Temporal Web UI', async () => {
    const admin = await login(api!.url, TEST_ADMIN.username, TEST_ADMIN.password);
    // No worker polls this suite's queues: the job stays queued with its workflow running. Bytes of
    // its own, so no other suite's upload of the same admin is taken for a duplicate of this job.
    const up = await call(api!.url, 'POST', '/upload', {
      token: admin,
      body: pdfForm([{ name: 'workflow-link.pdf', content: digitalReportPdf(syntheticReport({ pages: 1, seed: Date.now() % 100_000 })) }]),
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = up.body.jobs[0].id as string;
    try {
      await page.getByRole('button', { name: 'Jobs', exact: true }).click();
      const link = page.locator(`mx-jobs tr[data-job="${id}"]`).getByRole('link', { name: 'workflow of workflow-link.pdf in the Temporal Web UI' });
      await link.waitFor({ timeout: 10_000 });
      const href = (await link.getAttribute('href'))!;
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.match((await link.getAttribute('rel')) ?? '', /noopener/);
      const m = new RegExp(`^${UI_URL}/namespaces/([^/]+)/workflows/([^/]+)$`).exec(href);
      assert.ok(m, href);
      const temporal = new Client({ connection: await Connection.connect({ address: requireRunEnv().temporalAddress }), namespace: decodeURIComponent(m[1]!) });
      try {
        const described = await temporal.workflow.getHandle(decodeURIComponent(m[2]!)).describe();
        assert.equal(described.type, 'processDocument');
        assert.equal(described.typedSearchAttributes.get(JobIdKey), id);
      } finally {
        await temporal.connection.close();
      }
    } finally {
      await call(api!.url, 'DELETE', `/jobs/${id}`, { token: admin });
    }
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    noProblems();
  });

  test('an API key is shown once, works against GET /me, and stops working when revoked', async () => {
    const keys = page.locator('mx-api-keys');
    await keys.getByLabel('Key name').fill('admin-script');
    await keys.getByRole('button', { name: 'Create key' }).click();
    const field = keys.getByLabel(/New API key/);
    await field.waitFor();
    await keys.getByText('will not be shown again').waitFor();
    const key = await field.inputValue();
    assert.ok(key.length >= 20, key);
    const row = keys.locator('tr[data-key]', { hasText: 'admin-script' }).last();
    await row.waitFor();
    const prefix = (await row.locator('code.prefix').innerText()).trim();
    assert.ok(prefix.length > 0 && key.startsWith(prefix), `${prefix} / ${key}`);
    await page.screenshot({ path: path.join(OUT, 'web-admin.png'), fullPage: true });

    const me = await call(api!.url, 'GET', '/me', { apiKey: key });
    assert.equal(me.status, 200);
    assert.equal(me.body.username ?? me.body.user?.username, TEST_ADMIN.username);

    await keys.getByRole('button', { name: 'Done' }).click();
    await field.waitFor({ state: 'detached' });
    // Only the prefix remains on the page.
    assert.ok(!(await keys.innerText()).includes(key));
    await row.getByRole('button', { name: 'revoke the key admin-script' }).click();
    await waitGone(keys, prefix);
    assert.equal((await call(api!.url, 'GET', '/me', { apiKey: key })).status, 401);
    noProblems();
  });

  test('the admin screen is usable at 390 px: nothing scrolls sideways, every control is reachable', async () => {
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      assert.equal(
        await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth'),
        false,
        'the page scrolls sideways at 390 px',
      );
      for (const control of [
        page.getByLabel('New username'),
        page.getByRole('button', { name: 'Create user' }),
        userRow(nurse).getByRole('button', { name: `disable ${nurse}` }),
      ]) {
        await control.scrollIntoViewIfNeeded();
        const box = await control.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `within the window: ${JSON.stringify(box)}`);
      }
      await page.screenshot({ path: path.join(OUT, 'web-admin-narrow.png'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    noProblems();
  });

  test('a normal user sees no Admin button (and reaches their own API keys)', async () => {
    const ctx2 = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p2 = await ctx2.newPage();
      watch(p2);
      await signIn(p2, nurse, nursePassword);
      await p2.getByText(`${nurse} (user)`).waitFor();
      assert.equal(await p2.getByRole('button', { name: 'Admin' }).count(), 0);
      assert.equal(await p2.locator('mx-admin').count(), 0);
      await p2.getByRole('button', { name: 'API keys' }).click();
      await p2.getByRole('heading', { name: 'API keys' }).waitFor();
      await p2.getByText('No API keys yet.').waitFor();
      // No Workflow links for a normal user.
      assert.equal(await p2.locator('mx-jobs a.workflow').count(), 0);
    } finally {
      await ctx2.close();
    }
    noProblems();
  });
});

async function waitGone(keys: ReturnType<Page['locator']>, prefix: string): Promise<void> {
  await keys.locator('code.prefix', { hasText: prefix }).waitFor({ state: 'detached', timeout: 10_000 });
}
