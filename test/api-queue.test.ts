/**
 * The work queue over HTTP, on the real stack (API process, worker, Temporal, Postgres): GET /jobs
 * searched by file name and by the patient name of the current result (after a correction too),
 * filtered by status, review state, "waits for review" and creation dates, sorted both ways with cursors
 * across pages; bad cursors and dates refused; GET /jobs/next-review in order and within what the caller
 * may see; the audit trail records which filters were used, never the search text.
 *
 * One job is a real upload (the corpus lab report, offline extraction) for the patient name; the others
 * are seeded through the store (createJob) and moved to the states a test needs with SQL, as the review
 * policy that sets review_required is written elsewhere.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { pool, readCorpus, requireRunEnv, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, uploadAndComplete, type ApiProcess } from './support/api.js';
import { closePool, initPool } from '../stores/pool.js';
import { createJob, recordPatientName } from '../stores/jobs.js';
import { searchablePatientName } from '../core/contract/patient-name.js';
import { JobListSchema, NextReviewSchema } from '../api/contract/jobs.js';

const PATCH_TYPE = 'application/json-patch+json';
const LAB_FILE = 'Healthfirst-Queue.pdf';

describe('the work queue', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('queue'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  const users: Record<'alice' | 'bob' | 'rex', { id: string; token: string }> = {} as never;
  let labId = '';
  let patientName = '';
  /** Seeded jobs by name. */
  const seeded: Record<string, string> = {};

  const get = (path: string, token = users.alice.token) => call(api.url, 'GET', path, { token });
  const ids = (r: { body: { jobs: Array<{ id: string }> } }) => r.body.jobs.map((j) => j.id);

  async function seed(owner: string, name: string): Promise<string> {
    const job = await createJob({ owner, filename: name, content: new TextEncoder().encode(`%PDF-1.4 ${name} ${owner}`), provider: 'offline', model: null });
    seeded[name] = job.id;
    return job.id;
  }

  before(async () => {
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    db = pool();
    initPool(requireRunEnv().databaseUrl, 2);
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const [name, role] of [
      ['alice', 'user'],
      ['bob', 'user'],
      ['rex', 'reviewer'],
    ] as const) {
      const username = `${name}_${Date.now().toString(36)}`;
      const password = `Quiet-harbour-${name.length}-lantern-84`;
      const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      users[name] = { id: r.body.id, token: await login(api.url, username, password) };
    }
    [labId] = (await uploadAndComplete(api.url, users.alice.token, [{ name: LAB_FILE, content: readCorpus('medical/healthfirst_lab_report_3p.pdf') }])) as [
      string,
    ];
    patientName = (await get(`/jobs/${labId}/result`)).body.patient.name.value;
    assert.ok(typeof patientName === 'string' && patientName.length > 3, `the lab report names its patient: ${patientName}`);
    for (let i = 1; i <= 5; i++) await seed(users.alice.id, `alice-seed-${i}.pdf`);
    await seed(users.alice.id, 'rate 100%_final.pdf');
    await seed(users.alice.id, 'rate 100x final.pdf');
    await seed(users.bob.id, 'bob-seed-1.pdf');
    await seed(users.bob.id, 'bob-seed-2.pdf');
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.end();
    await closePool();
  });

  test('q finds a job by part of its file name, any case; LIKE wildcards match only themselves', async () => {
    const r = await get('/jobs?q=HEALTHFIRST-q');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    JobListSchema.parse(r.body);
    assert.deepEqual(ids(r), [labId]);
    assert.deepEqual(ids(await get(`/jobs?q=${encodeURIComponent('100%_')}`)), [seeded['rate 100%_final.pdf']], '% and _ are literal');
    assert.equal((await get('/jobs?q=alice-seed')).body.jobs.length, 5);
    assert.deepEqual(ids(await get('/jobs?q=bob-seed')), [], "never another user's jobs");
    assert.equal((await get('/jobs?q=bob-seed', users.rex.token)).body.jobs.length, 2, 'a reviewer searches everyone’s');
  });

  test("q finds a job by its patient's name, and after a correction by the corrected name only", async () => {
    const part = patientName.split(/\s+/)[0]!.toLowerCase();
    assert.ok(ids(await get(`/jobs?q=${encodeURIComponent(part)}`)).includes(labId), `found by "${part}"`);
    const corrected = await call(api.url, 'PATCH', `/jobs/${labId}/result`, {
      token: users.alice.token,
      body: JSON.stringify([{ op: 'replace', path: '/patient/name/value', value: 'Zebulon Quartzfield' }]),
      headers: { 'content-type': PATCH_TYPE, 'if-match': '"0"' },
    });
    assert.equal(corrected.status, 200, JSON.stringify(corrected.body));
    // What the PATCH route does after a correction that changes the name (wired there separately).
    await recordPatientName(labId, searchablePatientName(corrected.body));
    assert.deepEqual(ids(await get('/jobs?q=quartzfield')), [labId]);
    assert.ok(!ids(await get(`/jobs?q=${encodeURIComponent(patientName)}`)).includes(labId), 'the old name no longer finds it');
  });

  test('status (one or several), review state and "waits for review" filter; the view says awaitingReview', async () => {
    const completed = await get('/jobs?status=completed');
    assert.deepEqual(ids(completed), [labId]);
    assert.equal((await get('/jobs?status=queued,processing')).body.jobs.length, 7);
    assert.equal((await get('/jobs?status=queued,nonsense')).status, 400);
    assert.deepEqual(ids(await get('/jobs?reviewState=in_review')), [labId], 'the correction put it in review');
    assert.equal((await get('/jobs?reviewState=unreviewed')).body.jobs.length, 7);
    assert.deepEqual(ids(await get('/jobs?awaitingReview=true')), []);
    await db.query('UPDATE jobs SET review_required = true WHERE id = $1', [labId]);
    const waiting = await get('/jobs?awaitingReview=true');
    assert.deepEqual(ids(waiting), [labId]);
    assert.equal(waiting.body.jobs[0].awaitingReview, true);
    assert.ok(!ids(await get('/jobs?awaitingReview=false')).includes(labId));
    await db.query('UPDATE jobs SET review_required = false WHERE id = $1', [labId]);
  });

  test('from/to select whole creation days; a bad date or range is a 400 in plain words', async () => {
    const old = seeded['alice-seed-1.pdf']!;
    await db.query("UPDATE jobs SET created_at = '2020-01-15T23:59:59.5Z' WHERE id = $1", [old]);
    assert.deepEqual(ids(await get('/jobs?from=2020-01-15&to=2020-01-15')), [old], 'the last second of the day is in it');
    assert.deepEqual(ids(await get('/jobs?to=2020-01-14')), []);
    assert.ok(!ids(await get('/jobs?from=2020-01-16')).includes(old));
    for (const [q, words] of [
      ['from=2020-02-30', /from must be a date as YYYY-MM-DD/],
      ['to=yesterday', /to must be a date as YYYY-MM-DD/],
      ['from=2020-02-02&to=2020-02-01', /from must not be after to/],
    ] as const) {
      const r = await get(`/jobs?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'InvalidRequest');
      assert.match(r.body.error.message, words);
    }
  });

  test('sort newest and oldest walk the same jobs in opposite orders across pages; cursors keep their sort', async () => {
    const walk = async (sort: string): Promise<string[]> => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const r: any = await get(`/jobs?limit=3&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.body.jobs.length <= 3);
        out.push(...ids(r));
        cursor = r.body.nextCursor;
      } while (cursor);
      return out;
    };
    const newest = await walk('newest');
    const oldest = await walk('oldest');
    assert.equal(newest.length, 8, "alice's 8 jobs, each once");
    assert.equal(new Set(newest).size, 8);
    assert.deepEqual(oldest, [...newest].reverse());
    assert.deepEqual(newest, ids(await get('/jobs?limit=100')), 'newest is the default');
    // with a filter the cursor still walks only the filtered jobs
    const first = await get('/jobs?q=alice-seed&sort=oldest&limit=2');
    const second = await get(`/jobs?q=alice-seed&sort=oldest&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    assert.deepEqual(
      [...ids(first), ...ids(second)],
      oldest.filter((id) => Object.entries(seeded).some(([n, s]) => s === id && n.startsWith('alice-seed'))).slice(0, 4),
    );
    const other = await get(`/jobs?sort=newest&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    assert.equal(other.status, 400);
    assert.match(other.body.error.message, /sorted oldest first/);
    const junk = await get('/jobs?cursor=not-a-cursor');
    assert.equal(junk.status, 400);
    assert.match(junk.body.error.message, /not a cursor returned by this API/);
  });

  test('owner stays for administrators and reviewers', async () => {
    assert.equal((await get(`/jobs?owner=${users.bob.id}`)).status, 403);
    assert.equal((await get(`/jobs?owner=${users.bob.id}`, users.rex.token)).body.jobs.length, 2);
  });

  test('next-review: the oldest waiting job the caller may see; 404 in plain words when none', async () => {
    const none = await get('/jobs/next-review');
    assert.equal(none.status, 404);
    assert.equal(none.body.error.message, 'no document is waiting for review');
    const wait = (id: string, finishedAt: string) =>
      db.query("UPDATE jobs SET status = 'completed', review_required = true, finished_at = $2 WHERE id = $1", [id, finishedAt]);
    await wait(seeded['alice-seed-2.pdf']!, '2021-01-02T00:00:00Z');
    await wait(seeded['alice-seed-3.pdf']!, '2021-01-01T00:00:00Z');
    await wait(seeded['bob-seed-1.pdf']!, '2020-12-31T00:00:00Z');
    // approved: no longer waits, however old
    await db.query("UPDATE jobs SET status = 'completed', review_required = true, review_state = 'approved', finished_at = '2019-01-01Z' WHERE id = $1", [
      seeded['alice-seed-4.pdf'],
    ]);
    const alice = await get('/jobs/next-review');
    assert.equal(alice.status, 200, JSON.stringify(alice.body));
    NextReviewSchema.parse(alice.body);
    assert.equal(alice.body.job.id, seeded['alice-seed-3.pdf'], "alice's oldest, never bob's older one");
    assert.equal(alice.body.job.awaitingReview, true);
    assert.equal((await get('/jobs/next-review', users.bob.token)).body.job.id, seeded['bob-seed-1.pdf']);
    assert.equal((await get('/jobs/next-review', users.rex.token)).body.job.id, seeded['bob-seed-1.pdf'], 'a reviewer gets everyone’s oldest');
    await db.query("UPDATE jobs SET review_state = 'approved' WHERE id = $1", [seeded['bob-seed-1.pdf']]);
    assert.equal((await get('/jobs/next-review', users.bob.token)).status, 404);
    assert.equal((await get('/jobs/next-review', users.rex.token)).body.job.id, seeded['alice-seed-3.pdf']);
    const spec = (await call(api.url, 'GET', '/openapi.json')).body;
    assert.ok(spec.paths['/jobs/next-review']?.get, 'in the OpenAPI document');
  });

  test('the audit trail says a search was made and which filters, never the search text', async () => {
    // Repeats of a listing are aggregated (api/audit.ts): the first search of this caller is a row of its own.
    const rows = await db.query<{ action: string; detail: Record<string, unknown> }>(
      "SELECT action, detail FROM audit_log WHERE actor_user_id = $1 AND action IN ('job.list', 'job.next_review')",
      [users.alice.id],
    );
    const text = JSON.stringify(rows.rows).toLowerCase();
    for (const secret of ['quartzfield', 'healthfirst-q', 'alice-seed', patientName.toLowerCase()])
      assert.ok(!text.includes(secret), `no "${secret}" in the audit trail`);
    assert.ok(rows.rows.some((r) => r.action === 'job.list' && r.detail.search === true));
    assert.ok(rows.rows.some((r) => r.action === 'job.next_review'));
  });
});
