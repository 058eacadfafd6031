/**
 * Sign-in throttling, written as the attacks: guessing, lock-keeping, spraying, parallel guesses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type pg from 'pg';
import { pool, requireRunEnv } from './support/env.js';
import { call, login, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';
import { closePool, initPool } from '../stores/pool.js';
import { ACCOUNT_MAX_FAILURES, IP_MAX_FAILURES, WINDOW_MS } from '../api/auth/throttle.js';

const { databaseUrl } = requireRunEnv();
const PASSWORD = 'correct-horse-battery-9';
const rand = () => crypto.randomBytes(4).toString('hex');
const fakeIp = () => `2001:db8::${rand().slice(0, 4)}:${rand().slice(0, 4)}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('sign-in throttling', () => {
  let api: ApiProcess; // trusts X-Forwarded-For
  let api2: ApiProcess; // a second, independent process (default: no proxy)
  let db: pg.Pool;
  let adminToken: string;

  /** Creates a user through the API (as the admin) and returns its id. */
  async function createUser(username: string, role: 'user' | 'admin' = 'user', password = PASSWORD): Promise<string> {
    const r = await call(api.url, 'POST', '/users', { token: adminToken, json: { username, password, role } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  }
  const tryLogin = (username: string, password: string, ip: string, base = api.url) =>
    call(base, 'POST', '/login', { json: { username, password }, headers: from(ip) });
  const auditRows = async (action: string, where: { targetId?: string; actor?: string } = {}) =>
    (
      await db.query(
        `SELECT * FROM audit_log WHERE action = $1 AND ($2::text IS NULL OR target_id = $2) AND ($3::text IS NULL OR actor_username = $3) ORDER BY id`,
        [action, where.targetId ?? null, where.actor ?? null],
      )
    ).rows;

  before(async () => {
    // One after the other: the first one migrates the database and creates the admin.
    api = await startApiProcess({ TRUST_PROXY: 'true' });
    api2 = await startApiProcess();
    db = pool();
    initPool(databaseUrl, 2);
    adminToken = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
  });
  after(async () => {
    await Promise.all([api?.stop(), api2?.stop()]);
    await db?.end();
    await closePool();
  });

  describe('throttling', () => {
    const countFailures = async (username: string) =>
      (await db.query('SELECT count(*)::int AS n FROM login_failures WHERE lower(username) = lower($1)', [username])).rows[0].n as number;
    const backdate = (username: string, ms: number) =>
      db.query(`UPDATE login_failures SET at = at - $2 * interval '1 millisecond' WHERE lower(username) = lower($1)`, [username, ms]);

    test(`after ${ACCOUNT_MAX_FAILURES} failures the account is locked (429, Retry-After), even for the right password, from any address`, async () => {
      const name = `lock-${rand()}`;
      const id = await createUser(name);
      const ip = fakeIp();
      for (let i = 0; i < ACCOUNT_MAX_FAILURES; i++) {
        const r = await tryLogin(name, `wrong-password-${i}`, ip);
        assert.equal(r.status, 401, `attempt ${i + 1}`);
      }
      const locked = await tryLogin(name, PASSWORD, ip);
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error.code, 'TooManyAttempts');
      const retry = Number(locked.headers.get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry > 0 && retry <= WINDOW_MS / 1000, `Retry-After ${locked.headers.get('retry-after')}`);
      // Another address, and the other process: the account is still locked.
      assert.equal((await tryLogin(name, PASSWORD, fakeIp())).status, 429);
      assert.equal((await call(api2.url, 'POST', '/login', { json: { username: name, password: PASSWORD } })).status, 429);
      // Refused attempts are not counted, so hammering does not extend the lock.
      assert.equal(await countFailures(name), ACCOUNT_MAX_FAILURES);
      assert.ok((await auditRows('login.locked', { actor: name })).length >= 3);

      // The same answer for an account that does not exist: a lock reveals nothing.
      const ghost = `ghost-${rand()}`;
      for (let i = 0; i < ACCOUNT_MAX_FAILURES; i++) await tryLogin(ghost, `wrong-password-${i}`, fakeIp());
      const ghostLocked = await tryLogin(ghost, PASSWORD, fakeIp());
      assert.equal(ghostLocked.status, 429);
      assert.deepEqual(ghostLocked.body, locked.body);

      // Retry-After tells when the oldest counted failure leaves the window.
      await backdate(name, 10 * 60_000);
      const later = Number((await tryLogin(name, PASSWORD, ip)).headers.get('retry-after'));
      assert.ok(later > 0 && later <= 5 * 60 + 5, `Retry-After after 10 minutes: ${later}`);
      // The window passes: the lock releases by itself and the right password works again.
      await backdate(name, 5 * 60_000 + 1000);
      const ok = await tryLogin(name, PASSWORD, ip);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.user.id, id);
      assert.equal(await countFailures(name), 0, 'a successful login clears the account failures');
    });

    test('failures older than the window do not count, and a success starts the count afresh', async () => {
      const name = `slide-${rand()}`;
      await createUser(name);
      const ip = fakeIp();
      for (let i = 0; i < ACCOUNT_MAX_FAILURES - 1; i++) assert.equal((await tryLogin(name, `wrong-password-${i}`, ip)).status, 401);
      await backdate(name, WINDOW_MS + 1000);
      // Nine stale failures plus this one: still below the limit.
      assert.equal((await tryLogin(name, 'wrong-password-x', ip)).status, 401);
      assert.equal((await tryLogin(name, PASSWORD, ip)).status, 200);
      assert.equal(await countFailures(name), 0);
      for (let i = 0; i < ACCOUNT_MAX_FAILURES - 1; i++) assert.equal((await tryLogin(name, `wrong-password-${i}`, ip)).status, 401);
      assert.equal((await tryLogin(name, PASSWORD, ip)).status, 200, 'nine failures after a success do not lock');
    });

    test('parallel guesses cannot slip past the limit', async () => {
      const name = `burst-${rand()}`;
      await createUser(name);
      const results = await Promise.all(Array.from({ length: 2 * ACCOUNT_MAX_FAILURES }, (_, i) => tryLogin(name, `wrong-password-${i}`, fakeIp())));
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, ACCOUNT_MAX_FAILURES, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 429).length, ACCOUNT_MAX_FAILURES, statuses.join(','));
      assert.equal(await countFailures(name), ACCOUNT_MAX_FAILURES);
    });

    test(`one address is limited to ${IP_MAX_FAILURES} failures across accounts`, async () => {
      const ip = `198.51.100.${1 + crypto.randomInt(250)}`; // nothing else in this file uses IPv4 test addresses
      const victim = `victim-${rand()}`;
      await createUser(victim);
      const names = Array.from({ length: IP_MAX_FAILURES }, (_, i) => `spray-${rand()}-${i}`);
      for (let i = 0; i < names.length; i += 10) {
        const batch = await Promise.all(names.slice(i, i + 10).map((n) => tryLogin(n, 'password-spraying-1', ip)));
        assert.deepEqual(
          batch.map((r) => r.status),
          batch.map(() => 401),
        );
      }
      const blocked = await tryLogin(victim, PASSWORD, ip);
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      // Other addresses are not affected, and the victim's account is not locked.
      assert.equal((await tryLogin(victim, PASSWORD, fakeIp())).status, 200);
      // The address is released when its failures leave the window.
      await db.query(`UPDATE login_failures SET at = at - $2 * interval '1 millisecond' WHERE ip = $1`, [ip, WINDOW_MS]);
      assert.equal((await tryLogin(victim, PASSWORD, ip)).status, 200);
    });

    test('without TRUST_PROXY, X-Forwarded-For does not choose the throttled address', async () => {
      const name = `xff-${rand()}`;
      const r = await tryLogin(name, 'wrong-password-1', '192.0.2.77', api2.url);
      assert.equal(r.status, 401);
      const rows = await db.query('SELECT ip FROM login_failures WHERE username = $1', [name]);
      assert.equal(rows.rows.length, 1);
      assert.notEqual(rows.rows[0].ip, '192.0.2.77');
      assert.match(rows.rows[0].ip, /127\.0\.0\.1|::1/);
    });
  });
});
