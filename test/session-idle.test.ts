/**
 * The idle timeout over real HTTP (app/api-main.ts with SESSION_IDLE_MINUTES=5): a stolen or forgotten
 * session that nobody uses ends by itself, long before its 8-hour limit. Time is moved by setting the
 * session's `last_seen_at` back in Postgres (the API process has its own clock).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { pool } from './support/env.js';
import { call, login, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';

const IDLE_MINUTES = 5;
const jtiOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;

describe('idle timeout', () => {
  let api: ApiProcess;
  let db: pg.Pool;
  /** Pretends the session was last used `minutes` ago. */
  const lastUsed = (token: string, minutes: number) =>
    db.query(`UPDATE sessions SET last_seen_at = now() - make_interval(secs => $2) WHERE jti = $1`, [jtiOf(token), minutes * 60]);
  const seenAt = async (token: string): Promise<Date> =>
    (await db.query('SELECT last_seen_at FROM sessions WHERE jti = $1', [jtiOf(token)])).rows[0].last_seen_at;

  before(async () => {
    api = await startApiProcess({ SESSION_IDLE_MINUTES: String(IDLE_MINUTES) });
    db = pool();
  });
  after(async () => {
    await api?.stop();
    await db?.end();
  });

  test('a session unused for longer than SESSION_IDLE_MINUTES is refused with 401 and says why', async () => {
    const token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    assert.equal((await call(api.url, 'GET', '/me', { token })).status, 200);
    await lastUsed(token, IDLE_MINUTES + 1);
    const r = await call(api.url, 'GET', '/me', { token });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, {
      error: { code: 'Unauthorized', message: `your session ended after ${IDLE_MINUTES} minutes without activity; log in again` },
    });
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    // It stays ended: a refused request does not count as activity.
    assert.equal((await call(api.url, 'GET', '/jobs', { token })).status, 401);
  });

  test('activity keeps a session alive: each use (at most once a minute) moves last_seen_at forward', async () => {
    const token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    // Used 4 minutes ago (under the limit): this request is accepted and records itself.
    await lastUsed(token, IDLE_MINUTES - 1);
    const before = await seenAt(token);
    assert.equal((await call(api.url, 'GET', '/me', { token })).status, 200);
    const touched = await seenAt(token);
    assert.ok(touched.getTime() - before.getTime() > 3 * 60_000, `last_seen_at moved forward (${before.toISOString()} → ${touched.toISOString()})`);
    // Another 4 minutes later it is still alive: 8 minutes since login, but never 5 idle.
    await lastUsed(token, IDLE_MINUTES - 1);
    assert.equal((await call(api.url, 'GET', '/me', { token })).status, 200);
    // Requests within the minute do not write again (spares the database on busy pages).
    const once = await seenAt(token);
    assert.equal((await call(api.url, 'GET', '/me', { token })).status, 200);
    assert.equal((await seenAt(token)).getTime(), once.getTime());
  });

  test('the absolute 8-hour limit still holds for a session in constant use', async () => {
    const token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    // Created 8 hours ago and used a second ago: the database's expiry ends it regardless of activity.
    await db.query(
      `UPDATE sessions SET created_at = now() - interval '8 hours', expires_at = now() - interval '1 second', last_seen_at = now() WHERE jti = $1`,
      [jtiOf(token)],
    );
    const r = await call(api.url, 'GET', '/me', { token });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.message, 'your session ended; log in again');
  });
});
