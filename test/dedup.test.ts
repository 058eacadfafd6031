/**
 * Upload dedup across processes: the same bytes from the same owner make one job even when two API
 * replicas receive them at the same moment. createJobOnce serialises its find-or-insert with a
 * transaction-scoped Postgres advisory lock on (owner, sha256), which holds across connections and so
 * across processes; the embedded PGlite (one shared session) runs it too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { closePool, db, initPool } from '../stores/pool.js';
import { createJobOnce, finishJob, sha256Hex, type NewJob } from '../stores/jobs.js';
import { migrate } from '../stores/migrate.js';
import { startEmbeddedPostgres } from '../app/embedded/postgres.js';
import { ROOT, requireRunEnv, startProcess, waitUntil } from './support/env.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';

const { databaseUrl, tmp } = requireRunEnv();

const upload = (owner: string, content: Uint8Array, filename = 'report.pdf'): NewJob => ({ owner, filename, content, provider: 'offline', model: null });
const uniquePdf = (seed: number) => digitalReportPdf(syntheticReport({ pages: 1, seed, rowsPerPage: 3 }));
const owner = () => `dedup-${crypto.randomBytes(4).toString('hex')}`;

async function jobsFor(pool: pg.Pool, who: string): Promise<number> {
  const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE owner = $1', [who]);
  return r.rows[0]!.n;
}

before(async () => {
  await migrate(databaseUrl); // the first test file of a run may be this one
  initPool(databaseUrl, 10);
});
after(closePool);

test('two submissions of the same bytes held at the lock together: both wait, then one job and one duplicate', async () => {
  const who = owner();
  const pdf = uniquePdf(501);
  // A third connection takes the very lock first, so both submissions are certain to meet at it.
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', ['medextract.upload', `${who}\n${sha256Hex(pdf)}`]);
    const a = createJobOnce(upload(who, pdf, 'first.pdf'));
    const b = createJobOnce(upload(who, pdf, 'second.pdf'));
    await waitUntil(
      'both submissions to wait at the advisory lock',
      async () => {
        const r = await db().query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        return r.rows[0]!.n >= 2 ? true : undefined;
      },
      10_000,
    );
    assert.equal(await jobsFor(db(), who), 0, 'nothing is stored while the lock is held');
    await holder.query('COMMIT');
    const results = await Promise.all([a, b]);
    assert.deepEqual(results.map((r) => r.duplicate).sort(), [false, true]);
    assert.equal(results[0].job.id, results[1].job.id, 'both answers name the same job');
    assert.equal(await jobsFor(db(), who), 1);
  } finally {
    await holder.end();
  }
});

test('two processes submitting the same bytes at the same moment (four each) make one job', async () => {
  const who = owner();
  const file = path.join(tmp, `dedup-${who}.pdf`);
  fs.writeFileSync(file, uniquePdf(502));
  // Each child is a separate process with its own pool, like an API replica; both start at one instant.
  const startAt = Date.now() + 4_000;
  const children = [0, 1].map(() => startProcess(['--input-type=module', '-e', SUBMITTER], { DEDUP_FILE: file, DEDUP_OWNER: who, START_AT: String(startAt) }));
  const codes = await Promise.all(children.map((c) => c.exited));
  assert.deepEqual(codes, [0, 0], children.map((c) => c.output()).join('\n'));
  const results = children.flatMap((c) => JSON.parse(/^RESULT (.*)$/m.exec(c.output())![1]!) as Array<{ id: string; duplicate: boolean }>);
  assert.equal(results.length, 8);
  assert.equal(new Set(results.map((r) => r.id)).size, 1, 'every answer names the same job');
  assert.equal(results.filter((r) => !r.duplicate).length, 1, 'exactly one submission created it');
  assert.equal(await jobsFor(db(), who), 1);
});

/** A stand-in API replica: four concurrent createJobOnce calls of one file, printed as JSON. */
const SUBMITTER = `
  import fs from 'node:fs';
  const { initPool, closePool } = await import(${JSON.stringify(path.join(ROOT, 'stores/pool.ts'))});
  const { createJobOnce } = await import(${JSON.stringify(path.join(ROOT, 'stores/jobs.ts'))});
  initPool(process.env.DATABASE_URL, 4);
  const content = new Uint8Array(fs.readFileSync(process.env.DEDUP_FILE));
  await new Promise((r) => setTimeout(r, Math.max(0, Number(process.env.START_AT) - Date.now())));
  const rs = await Promise.all([0, 1, 2, 3].map(() =>
    createJobOnce({ owner: process.env.DEDUP_OWNER, filename: 'same.pdf', content, provider: 'offline', model: null })));
  console.log('RESULT ' + JSON.stringify(rs.map((r) => ({ id: r.job.id, duplicate: r.duplicate }))));
  await closePool();
`;

test('different owners, different bytes and a cancelled earlier job each get a new job', async () => {
  const alice = owner();
  const bob = owner();
  const pdf = uniquePdf(503);
  const [a, b, c] = await Promise.all([createJobOnce(upload(alice, pdf)), createJobOnce(upload(bob, pdf)), createJobOnce(upload(alice, uniquePdf(504)))]);
  assert.ok(!a.duplicate && !b.duplicate && !c.duplicate);
  assert.equal(new Set([a.job.id, b.job.id, c.job.id]).size, 3);
  await finishJob(a.job.id, 'cancelled');
  const again = await createJobOnce(upload(alice, pdf));
  assert.equal(again.duplicate, false, 'a cancelled job does not count: uploading again runs the file again');
  assert.notEqual(again.job.id, a.job.id);
  assert.equal((await createJobOnce(upload(alice, pdf))).job.id, again.job.id);
});

test('the embedded Postgres (PGlite) runs the locked find-or-insert too', { timeout: 120_000 }, async () => {
  await closePool();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-dedup-pglite-'));
  const embedded = await startEmbeddedPostgres(dir);
  try {
    await migrate(embedded.url);
    initPool(embedded.url, 10);
    const who = owner();
    const pdf = uniquePdf(505);
    const results = await Promise.all(Array.from({ length: 6 }, () => createJobOnce(upload(who, pdf))));
    assert.equal(new Set(results.map((r) => r.job.id)).size, 1);
    assert.equal(results.filter((r) => !r.duplicate).length, 1);
    assert.equal(await jobsFor(db(), who), 1);
  } finally {
    await closePool();
    await embedded.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
