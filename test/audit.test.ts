/**
 * The audit trail under attack, over real HTTP against two real API processes on the run's Postgres and
 * Temporal (issue 12, item 5): denied accesses and listings are recorded; the application cannot change
 * or remove a row; a row changed behind the trigger's back is found by `medextract audit verify`; polling
 * and password guessing are aggregated; two processes inserting at once keep one chain; the admin view
 * filters and pages and is closed to plain users and keys. The same SQL runs on the embedded PGlite.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { pool, readCorpus, requireRunEnv, runCli, uniquePrefix } from './support/env.js';
import { call, login, pdfForm, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';
import { workflowIdForJob } from '../core/contract/jobs.js';
import { startEmbeddedPostgres } from '../app/embedded/postgres.js';
import { migrate } from '../stores/migrate.js';
import { closePool, initPool } from '../stores/pool.js';
import { appendAudit, verifyAuditChain } from '../stores/audit.js';

const { temporalAddress } = requireRunEnv();
const rand = () => crypto.randomBytes(4).toString('hex');
const PASSWORD = `Quartz-${rand()}-lantern-Violet-88`;
/** A made-up client address (IPv6 documentation range) as the trusted proxy reports it. */
const fakeIp = () => `2001:db8::${rand().slice(0, 4)}:${rand().slice(0, 4)}`;

interface Row {
  id: string;
  action: string;
  actor_user_id: string | null;
  actor_username: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

describe('audit trail', () => {
  // No worker polls this prefix: uploaded jobs stay queued until the test ends them.
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('audit'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let api: ApiProcess; // trusts X-Forwarded-For
  let api2: ApiProcess;
  let db: pg.Pool;
  let temporal: Client;
  let adminToken: string;
  const users: Record<'alice' | 'bob', { id: string; name: string; token: string }> = {} as never;
  let aliceJob: string;

  const rows = async (where: string, params: unknown[]): Promise<Row[]> =>
    (
      await db.query<Row>(
        `SELECT id::text AS id, action, actor_user_id, actor_username, target_type, target_id, ip, detail FROM audit_log WHERE ${where} ORDER BY id`,
        params,
      )
    ).rows;
  /** Events a set of rows stands for: an aggregated row counts `detail.count`, any other one. */
  const events = (rs: Row[]) => rs.reduce((n, r) => n + (typeof r.detail.count === 'number' ? r.detail.count : 1), 0);
  const verify = () => runCli(['audit', 'verify'], { LOG_LEVEL: 'warn' });

  before(async () => {
    api = await startApiProcess({ ...env, TRUST_PROXY: 'true' });
    api2 = await startApiProcess(env);
    db = pool();
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
    adminToken = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const who of ['alice', 'bob'] as const) {
      const name = `${who}-${rand()}`;
      const r = await call(api.url, 'POST', '/users', { token: adminToken, json: { username: name, password: PASSWORD, role: 'user' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      users[who] = { id: r.body.id, name, token: await login(api.url, name, PASSWORD) };
    }
    const up = await call(api.url, 'POST', '/upload', {
      token: users.alice.token,
      body: pdfForm([{ name: 'rcn_lab_report.pdf', content: readCorpus('medical/rcn_lab_report.pdf') }]),
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    aliceJob = up.body.jobs[0].id;
  });
  after(async () => {
    await Promise.all([api?.stop(), api2?.stop()]);
    await temporal?.connection.close();
    await db?.end();
  });

  test("a user asking for another user's job gets 404, and the attempt is recorded as access.denied", async () => {
    const r = await call(api.url, 'GET', `/status/${aliceJob}`, { token: users.bob.token });
    assert.equal(r.status, 404);
    const denied = await rows(`action = 'access.denied' AND actor_user_id = $1 AND target_id = $2`, [users.bob.id, aliceJob]);
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.target_type, 'job');
    assert.deepEqual(denied[0]!.detail, { method: 'GET', route: '/status/:id', status: 404, code: 'NotFound', credential: 'token' });
    assert.ok(denied[0]!.ip);
    // Nothing of the job leaks into the row (its file name may name a patient).
    assert.ok(!JSON.stringify(denied).includes('rcn_lab_report'));
  });

  test('a user on an administrator route gets 403, recorded as access.denied; a bad token is recorded without an actor', async () => {
    const r = await call(api.url, 'GET', '/users', { token: users.bob.token });
    assert.equal(r.status, 403);
    const denied = await rows(`action = 'access.denied' AND actor_user_id = $1 AND detail->>'route' = '/users'`, [users.bob.id]);
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.detail.status, 403);
    assert.equal(denied[0]!.detail.code, 'Forbidden');

    const ip = fakeIp();
    const forged = await call(api.url, 'GET', '/jobs', { token: 'not.a.token', headers: { 'x-forwarded-for': ip } });
    assert.equal(forged.status, 401);
    const bad = await rows(`action = 'access.denied' AND ip = $1`, [ip]);
    assert.equal(bad.length, 1);
    assert.equal(bad[0]!.actor_user_id, null);
    assert.deepEqual(bad[0]!.detail, { method: 'GET', route: '/jobs', status: 401, code: 'Unauthorized', credential: 'authorization' });
    // No credential at all (the UI before sign-in) is not a denial worth a row.
    const ip2 = fakeIp();
    assert.equal((await call(api.url, 'GET', '/jobs', { headers: { 'x-forwarded-for': ip2 } })).status, 401);
    assert.equal((await rows(`ip = $1`, [ip2])).length, 0);
  });

  test('GET /jobs is recorded as job.list with its filter and how many jobs it returned', async () => {
    const r = await call(api.url, 'GET', '/jobs?status=queued', { token: users.alice.token });
    assert.equal(r.status, 200);
    const list = await rows(`action = 'job.list' AND actor_user_id = $1`, [users.alice.id]);
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]!.detail, { owner: users.alice.id, status: 'queued', page: 'first', returned: r.body.jobs.length });
    assert.equal(r.body.jobs.length, 1);
  });

  test('the application cannot UPDATE, DELETE or TRUNCATE audit rows', async () => {
    // The pool connects with the same DATABASE_URL as the API processes (a superuser, even).
    const [one] = await rows(`actor_user_id = $1`, [users.bob.id]);
    await assert.rejects(db.query(`UPDATE audit_log SET detail = '{}'::jsonb WHERE id = $1`, [one!.id]), /audit_log is append-only: UPDATE is not allowed/);
    await assert.rejects(db.query(`DELETE FROM audit_log WHERE id = $1`, [one!.id]), /audit_log is append-only: DELETE is not allowed/);
    await assert.rejects(db.query(`TRUNCATE audit_log`), /audit_log is append-only: TRUNCATE is not allowed/);
    // Replication mode does not skip the triggers either (they fire ALWAYS).
    const c = await db.connect();
    try {
      await c.query(`SET session_replication_role = replica`);
      await assert.rejects(c.query(`DELETE FROM audit_log WHERE id = $1`, [one!.id]), /append-only/);
    } finally {
      await c.query(`SET session_replication_role = origin`);
      c.release();
    }
    // No foreign key can cascade a deletion into the trail.
    const fks = await db.query(
      `SELECT conname FROM pg_constraint WHERE contype = 'f' AND (conrelid = 'audit_log'::regclass OR confrelid = 'audit_log'::regclass)`,
    );
    assert.equal(fks.rowCount, 0);
  });

  test('20 status polls of a finished job leave at most 2 rows that count 20 (after a flush), and deleting the job keeps them', async () => {
    // End the job: no worker ever ran it; its workflow is terminated and the job marked as the workflow would have.
    await temporal.workflow.getHandle(workflowIdForJob(aliceJob)).terminate('the audit test ends this job');
    await db.query(`UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE id = $1`, [aliceJob]);

    for (let i = 0; i < 20; i++) assert.equal((await call(api.url, 'GET', `/status/${aliceJob}`, { token: users.alice.token })).status, 200);
    const views = `action = 'job.status_view' AND actor_user_id = $1 AND target_id = $2`;
    assert.equal((await rows(views, [users.alice.id, aliceJob])).length, 1, 'the first view is written at once, the repeats are counted');
    // Reading the audit log on that process writes its pending counts.
    assert.equal((await call(api.url, 'GET', `/audit?action=job.status_view&targetId=${aliceJob}`, { token: adminToken })).status, 200);
    const after = await rows(views, [users.alice.id, aliceJob]);
    assert.ok(after.length <= 2, `${after.length} rows`);
    assert.equal(events(after), 20);
    const summary = after.at(-1)!;
    assert.equal(summary.detail.count, 19);
    assert.equal(summary.detail.aggregated, true);
    assert.ok(Date.parse(String(summary.detail.firstAt)) <= Date.parse(String(summary.detail.lastAt)));

    // Deleting the job removes its data, never its audit rows.
    assert.equal((await call(api.url, 'DELETE', `/jobs/${aliceJob}`, { token: users.alice.token })).status, 204);
    assert.equal((await rows(views, [users.alice.id, aliceJob])).length, after.length);
    assert.ok((await rows(`target_id = $1 AND action = 'job.delete'`, [aliceJob])).length === 1);
  });

  test('20 wrong passwords from one address are aggregated: few rows, 20 refusals in total', { timeout: 120_000 }, async () => {
    const ip = fakeIp();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await call(api.url, 'POST', '/login', {
        json: { username: users.bob.name, password: `wrong-${i}-${rand()}` },
        headers: { 'x-forwarded-for': ip },
      });
      statuses.push(r.status);
    }
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(','),
    );
    await call(api.url, 'GET', '/audit?limit=1', { token: adminToken });
    const refused = await rows(`action IN ('login.failure', 'login.locked') AND actor_username = $1 AND ip = $2`, [users.bob.name, ip]);
    // At most a first row and a summary for each kind of refusal (wrong password; locked).
    assert.ok(refused.length <= 4, `${refused.length} rows: ${JSON.stringify(refused.map((r) => [r.action, r.detail]))}`);
    assert.equal(events(refused), 20);
    assert.equal(events(refused.filter((r) => r.action === 'login.failure')), statuses.filter((s) => s === 401).length);
    assert.ok(!JSON.stringify(refused).includes('wrong-'), 'no password in the trail');
  });

  test('two API processes inserting at once keep one valid chain', { timeout: 120_000 }, async () => {
    const before = Number((await db.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
    // audit.view rows are never aggregated: each request writes one.
    const burst = Array.from({ length: 60 }, (_, i) => call(i % 2 ? api.url : api2.url, 'GET', '/audit?limit=1', { token: adminToken }));
    assert.ok((await Promise.all(burst)).every((r) => r.status === 200));
    const now = Number((await db.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
    assert.ok(now - before >= 60, `${now - before} new rows`);
    const v = await verify();
    assert.equal(v.code, 0, v.output);
    assert.match(v.output, new RegExp(`OK: the audit chain holds \\(${now} rows\\)`));
  });

  test('the admin view filters by action and actor, pages with before, and is itself audited', async () => {
    await login(api.url, users.alice.name, PASSWORD);
    await login(api.url, users.alice.name, PASSWORD);
    const first = await call(api.url, 'GET', `/audit?action=login.success&actor=${users.alice.name.toUpperCase()}&limit=2`, { token: adminToken });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.events.length, 2);
    assert.ok(first.body.events.every((e: any) => e.action === 'login.success' && e.actorUsername === users.alice.name));
    assert.ok(BigInt(first.body.events[0].id) > BigInt(first.body.events[1].id), 'newest first');
    assert.ok(first.body.nextBefore, 'alice signed in three times: there is an older page');
    const older = await call(api.url, 'GET', `/audit?action=login.success&actor=${users.alice.name}&limit=2&before=${first.body.nextBefore}`, {
      token: adminToken,
    });
    assert.equal(older.status, 200);
    assert.equal(older.body.events.length, 1);
    assert.equal(older.body.nextBefore, null);
    assert.ok(BigInt(older.body.events[0].id) < BigInt(first.body.events[1].id));

    const byTarget = await call(api.url, 'GET', `/audit?targetType=job&targetId=${aliceJob}&action=job.delete`, { token: adminToken });
    assert.equal(byTarget.body.events.length, 1);
    const empty = await call(api.url, 'GET', `/audit?action=login.success&from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z`, { token: adminToken });
    assert.deepEqual(empty.body, { events: [], nextBefore: null });
    assert.equal((await call(api.url, 'GET', '/audit?limit=501', { token: adminToken })).status, 400);
    assert.equal((await call(api.url, 'GET', '/audit?action=no.such', { token: adminToken })).status, 400);

    const viewed = await rows(`action = 'audit.view' AND detail->>'actor' = $1`, [users.alice.name]);
    assert.ok(viewed.length >= 1);
    assert.equal(viewed[0]!.detail.action, 'login.success');
  });

  test('a plain user and an API key are refused the audit log', async () => {
    const user = await call(api.url, 'GET', '/audit', { token: users.bob.token });
    assert.equal(user.status, 403);
    assert.equal(user.body.error.code, 'Forbidden');
    const key = await call(api.url, 'POST', '/me/api-keys', { token: adminToken, json: { name: `audit-${rand()}` } });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const byKey = await call(api.url, 'GET', '/audit', { apiKey: key.body.key });
    assert.equal(byKey.status, 403);
    assert.equal(byKey.body.error.code, 'SessionRequired');
  });

  test('a row changed behind the trigger’s back is named by `medextract audit verify`, which exits non-zero', async () => {
    const ok = await verify();
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, /^OK: the audit chain holds \(\d+ rows\)/m);

    const [victim] = await rows(`action = 'access.denied' AND actor_user_id = $1`, [users.bob.id]);
    const c = await db.connect();
    const tamper = async (detail: unknown) => {
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      try {
        await c.query('UPDATE audit_log SET detail = $2 WHERE id = $1', [victim!.id, JSON.stringify(detail)]);
      } finally {
        await c.query('ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only');
      }
    };
    try {
      await tamper({ ...victim!.detail, status: 200 });
      const broken = await verify();
      assert.notEqual(broken.code, 0, broken.output);
      assert.match(broken.output, new RegExp(`BROKEN at audit row ${victim!.id}: its content does not match its row_hash`));
    } finally {
      // The run's database is shared: the original row goes back, and the chain holds again.
      await tamper(victim!.detail);
      c.release();
    }
    const again = await verify();
    assert.equal(again.code, 0, again.output);
  });
});

test('on the embedded PGlite the same migration chains rows, refuses changes and verifies', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-audit-pglite-'));
  const embedded = await startEmbeddedPostgres(dir);
  try {
    await migrate(embedded.url);
    const p = initPool(embedded.url, 5);
    const row = (i: number) => ({
      actorUserId: null,
      actorUsername: `user-${i}`,
      action: 'login.failure',
      targetType: null,
      targetId: null,
      ip: '127.0.0.1',
      userAgent: 'test "agent" é',
      detail: { reason: 'wrong_password', n: i, text: 'line\nbreak' },
    });
    await Promise.all(Array.from({ length: 30 }, (_, i) => appendAudit(row(i))));
    assert.deepEqual(await verifyAuditChain(7), { ok: true, rows: 30 });
    await assert.rejects(p.query(`UPDATE audit_log SET detail = '{}'::jsonb`), /append-only: UPDATE/);
    await assert.rejects(p.query(`DELETE FROM audit_log`), /append-only: DELETE/);
    const ids = (await p.query('SELECT id::text AS id FROM audit_log ORDER BY audit_log.id')).rows.map((r) => Number(r.id));
    assert.deepEqual(
      ids,
      ids.map((_, i) => ids[0]! + i),
      'ids drawn in chain order',
    );
  } finally {
    await closePool();
    await embedded.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
