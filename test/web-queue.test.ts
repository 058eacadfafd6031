/**
 * The work queue in a real browser (chromium) on the real stack: the jobs list finds a job by its
 * patient's name, pages past 100 jobs with "Older"/"Newer", and "Review next" (by keyboard) opens the job
 * that has waited longest for review, or says that none waits.
 *
 * The lab report is a real upload (offline extraction); the 105 other jobs are seeded through the store
 * (createJob: distinct small documents, queued, no workflow), as 105 real extractions would take minutes here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, pool, readCorpus, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, uploadAndComplete, type ApiProcess } from './support/api.js';
import { closePool, initPool } from '../stores/pool.js';
import { createJob } from '../stores/jobs.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const FILE = 'queue-lab-report.pdf';
const SEEDED = 105;

describe('the work queue in the browser', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('webqueue'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle | undefined;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let db: pg.Pool;
  let token: string;
  /** A user of this test's own: other test files' jobs (and the duplicate check on the lab report) stay out of sight. */
  const queueUser = { username: `queue_${Date.now().toString(36)}`, password: 'Quiet-harbour-5-lantern-84' };
  let jobId: string;
  let patientName: string;

  before(async () => {
    if (!fs.existsSync(DIST_INDEX)) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    db = pool();
    initPool(requireRunEnv().databaseUrl, 2);
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const created = await call(api.url, 'POST', '/users', { token: admin, json: { ...queueUser, role: 'user' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    token = await login(api.url, queueUser.username, queueUser.password);
    const me = await call(api.url, 'GET', '/me', { token });
    for (let i = 1; i <= SEEDED; i++) {
      const name = `bulk-${String(i).padStart(3, '0')}.pdf`;
      await createJob({ owner: me.body.id, filename: name, content: new TextEncoder().encode(`%PDF-1.4 ${name}`), provider: 'offline', model: null });
    }
    [jobId] = (await uploadAndComplete(api.url, token, [{ name: FILE, content: readCorpus('medical/healthfirst_lab_report_3p.pdf') }])) as [string];
    patientName = (await call(api.url, 'GET', `/jobs/${jobId}/result`, { token })).body.patient.name.value;
    // What the review policy (written elsewhere) does to a job it holds for a person's approval.
    await db.query('UPDATE jobs SET review_required = true WHERE id = $1', [jobId]);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.end();
    await closePool();
  });

  async function signIn(): Promise<Page> {
    const page = await (await browser!.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${api!.url}/`);
    await page.getByLabel('Username').fill(queueUser.username);
    await page.getByLabel('Password').fill(queueUser.password);
    await page.getByLabel('Password').press('Enter');
    await page.locator('mx-jobs tbody tr').first().waitFor();
    return page;
  }

  test("finds a job by its patient's name and pages past 100 jobs", async () => {
    const page = await signIn();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const rows = page.locator('mx-jobs tbody tr');
    const files = () => rows.locator('td.file').allInnerTexts();

    const part = patientName.split(/\s+/).at(-1)!.toLowerCase();
    await page.getByLabel('search jobs by file or patient name').fill(part);
    await waitUntil('the search to show only the lab report', async () => ((await files()).join() === FILE ? true : undefined), 10_000);

    await page.getByLabel('search jobs by file or patient name').fill('');
    await waitUntil('the full first page', async () => ((await rows.count()) === 100 ? true : undefined), 10_000);
    assert.equal((await files())[0], FILE, 'newest first');
    await page.getByRole('button', { name: 'Older' }).click();
    await waitUntil('page 2', async () => ((await rows.count()) === SEEDED + 1 - 100 ? true : undefined), 10_000);
    assert.equal((await files()).at(-1), 'bulk-001.pdf', 'the oldest job is reachable');
    assert.equal(await page.getByRole('button', { name: 'Older' }).isDisabled(), true, 'the last page');
    // the polling of the page shown keeps it: still page 2 after a refresh round
    await page.waitForTimeout(5_500);
    assert.equal((await files()).at(-1), 'bulk-001.pdf');
    await page.getByRole('button', { name: 'Newer' }).click();
    await waitUntil('page 1 again', async () => ((await files())[0] === FILE ? true : undefined), 10_000);

    await page.getByLabel('sort jobs').selectOption('oldest');
    await waitUntil('oldest first', async () => ((await files())[0] === 'bulk-001.pdf' ? true : undefined), 10_000);
    assert.deepEqual(errors, []);
  });

  test('"Review next" opens the oldest waiting job, then says when none waits', async () => {
    const page = await signIn();
    const next = page.getByRole('button', { name: 'Review next' });
    await next.focus();
    await page.keyboard.press('Enter');
    await page.locator('mx-result h2', { hasText: `Result: ${FILE}` }).waitFor();
    await db.query("UPDATE jobs SET review_state = 'approved' WHERE id = $1", [jobId]);
    await page
      .locator('mx-result')
      .getByRole('button', { name: /close|back/i })
      .first()
      .click();
    await next.focus();
    await page.keyboard.press('Enter');
    await page.locator('mx-jobs [role="status"]', { hasText: 'No document is waiting for review' }).waitFor();
  });
});
