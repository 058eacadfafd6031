/**
 * Reviewer figures on the real stack (API process, worker, Temporal, Postgres): corrections and approvals
 * through the API move /metrics per field type and decision (each value counted once, by its latest
 * decision, also when items move), the waiting gauges follow review_required and approval, the admin
 * route agrees with /metrics and refuses a plain user, and a reviewer reads the table in the browser.
 * Installation-wide figures are compared as differences, so other jobs in the database do not matter.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { chromium } from 'playwright-core';
import { ROOT, pool, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, uploadAndComplete, type ApiProcess } from './support/api.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';

const PATCH_TYPE = 'application/json-patch+json';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Prometheus text → `name{a="x",b="y"}` (labels sorted) → value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1]!, Number(m[3]));
  }
  return out;
}

const decisions = (fieldType: string, state: string) => `medextract_review_values{field_type="${fieldType}",state="${state}"}`;
const awaiting = (state: string) => `medextract_jobs_awaiting_review{review_state="${state}"}`;

describe('reviewer figures', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('figures'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  const tokens: Record<'admin' | 'alice' | 'rex', string> = {} as never;
  const rex = { username: `rex_${Date.now().toString(36)}`, password: 'Quiet-harbour-rex-lantern-84' };
  let reviewed = '';
  let waiting = '';
  let baseline = new Map<string, number>();
  let startedAt = '';

  const metrics = async () => {
    const r = await call(api.url, 'GET', '/metrics', { token: tokens.admin });
    assert.equal(r.status, 200);
    return parseMetrics(r.body.toString('utf8'));
  };
  /** How much a series moved since the baseline. */
  const moved = (now: Map<string, number>, series: string) => (now.get(series) ?? 0) - (baseline.get(series) ?? 0);
  let version = 0;
  const patch = async (ops: unknown[]) => {
    const r = await call(api.url, 'PATCH', `/jobs/${reviewed}/result`, {
      token: tokens.rex,
      body: JSON.stringify(ops),
      headers: { 'content-type': PATCH_TYPE, 'if-match': `"${version}"` },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    version = r.body.version;
    return r.body;
  };
  const figures = (token: string, query = '') => call(api.url, 'GET', `/review/figures${query}`, { token });

  before(async () => {
    if (!fs.existsSync(path.join(ROOT, 'web/dist/index.html'))) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { cwd: ROOT });
    worker = await startWorker(env);
    api = await startApiProcess(env);
    db = pool();
    tokens.admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const alice = { username: `alice_${Date.now().toString(36)}`, password: 'Quiet-harbour-alice-lantern-84' };
    for (const [who, role] of [
      [alice, 'user'],
      [rex, 'reviewer'],
    ] as const) {
      const r = await call(api.url, 'POST', '/users', { token: tokens.admin, json: { ...who, role } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    tokens.alice = await login(api.url, alice.username, alice.password);
    tokens.rex = await login(api.url, rex.username, rex.password);
    const seed = Date.now() % 100_000;
    [reviewed, waiting] = (await uploadAndComplete(api.url, tokens.alice, [
      { name: 'reviewed.pdf', content: digitalReportPdf(syntheticReport({ pages: 1, seed })) },
      { name: 'waiting.pdf', content: digitalReportPdf(syntheticReport({ pages: 1, seed: seed + 1 })) },
    ])) as [string, string];
    // The review policy may already hold them: start from "not held", so the test says when they wait.
    await db.query('UPDATE jobs SET review_required = false WHERE id = ANY($1::uuid[])', [[reviewed, waiting]]);
    baseline = await metrics();
    startedAt = new Date(Date.now() - 1000).toISOString();
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  test('jobs the review policy holds show as waiting, with the age of the oldest', async () => {
    // As the review policy would: both jobs need a person's approval.
    await db.query(`UPDATE jobs SET review_required = true WHERE id = ANY($1::uuid[])`, [[reviewed, waiting]]);
    await db.query(`UPDATE jobs SET finished_at = now() - interval '2 hours' WHERE id = $1`, [waiting]);
    const now = await metrics();
    assert.equal(moved(now, awaiting('unreviewed')), 2);
    assert.equal(moved(now, awaiting('in_review')), 0);
    assert.ok(now.get('medextract_review_oldest_waiting_seconds')! >= 7200, `oldest wait ${now.get('medextract_review_oldest_waiting_seconds')}`);
  });

  test('each value counts once, by its latest decision, per field type', async () => {
    const v0 = (await call(api.url, 'GET', `/jobs/${reviewed}/result`, { token: tokens.rex })).body;
    assert.ok(v0.lab_results.length >= 2, 'the report has lab rows');
    const pulse = { evidence: { page: 1, quote: 'Pulse 72' }, name: 'Pulse', value: 72, unit: 'bpm', taken_at: null };
    await patch([
      { op: 'replace', path: '/patient/name/review/state', value: 'accepted' },
      { op: 'replace', path: '/lab_results/0/value', value: 999.5 },
      { op: 'replace', path: '/lab_results/1/review/state', value: 'rejected' },
      { op: 'add', path: '/vitals/-', value: pulse },
    ]);
    let now = await metrics();
    assert.equal(moved(now, decisions('patient.name', 'accepted')), 1);
    assert.equal(moved(now, decisions('lab_results', 'corrected')), 1);
    assert.equal(moved(now, decisions('lab_results', 'rejected')), 1);
    assert.equal(moved(now, decisions('vitals', 'added')), 1);
    assert.equal(moved(now, awaiting('unreviewed')), 1, 'the corrected job is in review now');
    assert.equal(moved(now, awaiting('in_review')), 1);

    // The rejected row turns out to be misread: it is corrected, and counts once, as corrected.
    await patch([
      { op: 'replace', path: '/lab_results/1/value', value: 12.25 },
      { op: 'replace', path: '/patient/name/review/state', value: 'unreviewed' },
    ]);
    // A row put before the added pulse, then taken out again: the pulse moves and is still the one rejected below.
    const added = await patch([{ op: 'add', path: '/vitals/0', value: { ...pulse, name: 'Temperature', value: 37, unit: 'C' } }]);
    const pulseAt = added.vitals.findIndex((v: { name: string }) => v.name === 'Pulse');
    assert.equal(moved(await metrics(), decisions('vitals', 'added')), 2, 'the pulse and the temperature');
    await patch([{ op: 'remove', path: '/vitals/0' }]);
    assert.equal(moved(await metrics(), decisions('vitals', 'added')), 1, 'the pulse is still there');
    await patch([{ op: 'replace', path: `/vitals/${pulseAt - 1}/review/state`, value: 'rejected' }]);

    now = await metrics();
    assert.equal(moved(now, decisions('patient.name', 'accepted')), 0, 'set back to unreviewed: no decision');
    assert.equal(moved(now, decisions('lab_results', 'corrected')), 2);
    assert.equal(moved(now, decisions('lab_results', 'rejected')), 0);
    assert.equal(moved(now, decisions('vitals', 'added')), 0);
    assert.equal(moved(now, decisions('vitals', 'rejected')), 1);
  });

  test('approval ends the wait and counts the document and its review time', async () => {
    const r = await call(api.url, 'POST', `/jobs/${reviewed}/review`, { token: tokens.rex, json: { state: 'approved' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const now = await metrics();
    assert.equal(moved(now, awaiting('in_review')), 0);
    assert.equal(moved(now, awaiting('unreviewed')), 1, 'the other job still waits');
    assert.equal(moved(now, 'medextract_reviewed_documents'), 1);
    assert.equal(moved(now, 'medextract_review_seconds_per_document_count'), 1);
    assert.ok(moved(now, 'medextract_review_seconds_per_document_sum') >= 0);
    assert.ok(now.has('medextract_review_seconds_per_document{quantile="0.5"}'), 'the median is reported');

    await db.query('UPDATE jobs SET review_required = false WHERE id = $1', [waiting]);
    const after = await metrics();
    assert.equal(moved(after, awaiting('unreviewed')), 0, 'a job the policy does not hold is not waiting');
  });

  test('the admin view agrees with /metrics, sorts by corrected share, and is for admins and reviewers only', async () => {
    const now = await metrics();
    const all = await figures(tokens.rex);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    for (const row of all.body.fieldTypes) {
      for (const state of ['accepted', 'corrected', 'rejected', 'added']) {
        assert.equal(row[state], now.get(decisions(row.fieldType, state)) ?? 0, `${row.fieldType} ${state}`);
      }
    }
    assert.equal(all.body.documentsReviewed, now.get('medextract_reviewed_documents'));
    assert.equal(all.body.waiting.unreviewed, now.get(awaiting('unreviewed')));

    // Since this test file started: exactly this job's decisions.
    const mine = await figures(tokens.admin, `?from=${encodeURIComponent(startedAt)}`);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    const rows = Object.fromEntries(mine.body.fieldTypes.map((t: { fieldType: string }) => [t.fieldType, t]));
    assert.deepEqual(rows.lab_results, { fieldType: 'lab_results', accepted: 0, corrected: 2, rejected: 0, added: 0, correctedShare: 1 });
    assert.deepEqual(rows.vitals, { fieldType: 'vitals', accepted: 0, corrected: 0, rejected: 1, added: 0, correctedShare: 0 });
    assert.equal(rows['patient.name'], undefined);
    assert.equal(mine.body.fieldTypes[0].fieldType, 'lab_results', 'highest corrected share first');
    assert.equal(mine.body.documentsReviewed, 1);
    assert.equal(typeof mine.body.medianSecondsPerDocument, 'number');

    const user = await figures(tokens.alice);
    assert.equal(user.status, 403);
    assert.equal(user.body.error.code, 'Forbidden');
    const bad = await figures(tokens.rex, '?from=yesterday');
    assert.equal(bad.status, 400);

    const trail = await call(api.url, 'GET', '/audit?action=review.figures_view', { token: tokens.admin });
    assert.equal(trail.status, 200);
    assert.ok(
      trail.body.events.some((e: { actorUsername: string }) => e.actorUsername === rex.username),
      'reading the figures is audited',
    );
  });

  test('a reviewer reads the figures table in the browser, weakest field type first', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
      await page.goto(api.url + '/');
      await page.getByLabel('Username').fill(rex.username);
      await page.getByLabel('Password').fill(rex.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
      await page.getByRole('button', { name: 'Review figures' }).click();
      await page.getByRole('heading', { name: 'Review figures' }).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Users' }).count(), 0, 'a reviewer administers nobody');
      const lab = page.locator('mx-admin tr[data-field-type="lab_results"]');
      await lab.waitFor();
      assert.equal(
        (await lab.locator('td[data-label="Corrected"]').innerText()).trim(),
        String((await figures(tokens.rex)).body.fieldTypes.find((t: { fieldType: string }) => t.fieldType === 'lab_results').corrected),
      );
      const shares = await page.locator('mx-admin tr[data-field-type] td.share').allInnerTexts();
      const numbers = shares.filter((s) => s !== '–').map((s) => Number.parseFloat(s));
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => b - a),
        'sorted by corrected share',
      );
      assert.match(await page.locator('[data-figure="documents-reviewed"]').innerText(), /^\d+$/);
      assert.deepEqual(problems, [], 'the browser reported errors');
    } finally {
      await browser.close();
    }
  });
});
