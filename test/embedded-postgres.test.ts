/**
 * The embedded Postgres (PGlite over the wire protocol) under concurrent load: every connection shares
 * one PGlite session, so interleaved extended-protocol messages would run one request's statement
 * with another's parameters. Each answer must belong to its own query.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../app/embedded/postgres.js';

test('concurrent parameterised queries and transactions on 10 connections each get their own answer', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-pglite-'));
  const embedded = await startEmbeddedPostgres(dir);
  const pool = new pg.Pool({ connectionString: embedded.url, max: 10 });
  try {
    await pool.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('INSERT INTO counters SELECT g, 0 FROM generate_series(1, 5) g');
    const queries = Array.from({ length: 400 }, async (_, i) => {
      // Different shapes and parameter counts, as the API and workers send them.
      if (i % 3 === 0) {
        const r = await pool.query('SELECT $1::int AS n', [i]);
        assert.equal(r.rows[0].n, i);
      } else if (i % 3 === 1) {
        const r = await pool.query('SELECT $1::int AS n, $2::text AS s', [i, `row-${i}`]);
        assert.deepEqual(r.rows[0], { n: i, s: `row-${i}` });
      } else {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('UPDATE counters SET n = n + 1 WHERE id = $1', [(i % 5) + 1]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }
    });
    const results = await Promise.allSettled(queries);
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of 400 queries failed`);
    const total = await pool.query('SELECT sum(n)::int AS total FROM counters');
    assert.equal(total.rows[0].total, 133, 'every transaction counted once');
  } finally {
    await pool.end();
    await embedded.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
