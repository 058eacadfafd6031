/**
 * The hard LLM_RPM limit (activities/llm-send-window.ts): requests from any number of processes
 * take places in one sliding window kept in Postgres. Two connection pools stand for two worker
 * processes; a short window stands for the provider's minute.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { migrate } from '../stores/migrate.js';
import { takeLlmSendSlot } from '../activities/llm-send-window.js';
import { requireRunEnv } from './support/env.js';

const { databaseUrl } = requireRunEnv();
const pools: pg.Pool[] = [];

before(async () => {
  await migrate(databaseUrl); // the first test file of a run may be this one
  pools.push(new pg.Pool({ connectionString: databaseUrl, max: 6 }), new pg.Pool({ connectionString: databaseUrl, max: 6 }));
});
after(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

/** Most timestamps in any half-open interval of `ms`. */
function mostInAnyWindow(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

test('12 requests from two processes, 4 per window: never more than 4 in a window, every one is sent, the rest wait their turn', async () => {
  const scope = `test-${crypto.randomBytes(4).toString('hex')}`;
  const windowMs = 1_500;
  const started = Date.now();
  const sentAt: number[] = [];
  const waited: number[] = [];
  await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const ms = await takeLlmSendSlot({ scope, requestsPerMinute: 4, windowMs, pool: pools[i % 2] });
      sentAt.push(Date.now());
      waited.push(ms);
    }),
  );
  assert.equal(sentAt.length, 12);
  // Times here are taken after the call returns; the ledger's own times are the database's. Allow a
  // few milliseconds of difference between the two by checking a slightly shorter window.
  assert.ok(mostInAnyWindow(sentAt, windowMs - 50) <= 4, `at most 4 sends in any ${windowMs} ms: ${JSON.stringify(sentAt.map((t) => t - started))}`);
  assert.ok(Date.now() - started >= 2 * windowMs - 50, 'three rounds of four: the last four waited two windows');
  assert.equal(waited.filter((ms) => ms < 200).length, 4, 'the first four went at once');

  const rows = await pools[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_sends WHERE scope = $1', [scope]);
  assert.equal(rows.rows[0]!.n, 12, 'every send is in the ledger');
});

test('scopes are separate budgets, and a cancelled wait ends at once', async () => {
  const a = `test-a-${crypto.randomBytes(4).toString('hex')}`;
  const b = `test-b-${crypto.randomBytes(4).toString('hex')}`;
  const opts = { requestsPerMinute: 1, windowMs: 60_000, pool: pools[0] };
  assert.ok((await takeLlmSendSlot({ ...opts, scope: a })) < 1_000);
  assert.ok((await takeLlmSendSlot({ ...opts, scope: b })) < 1_000, "another deployment's queue has its own budget");
  const ac = new AbortController();
  const waiting = takeLlmSendSlot({ ...opts, scope: a, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('activity cancelled')), 300);
  const t = Date.now();
  await assert.rejects(waiting, /activity cancelled/);
  assert.ok(Date.now() - t < 5_000, 'the waiter stopped when cancelled, not when a place came free');
});
