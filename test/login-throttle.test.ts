/**
 * Sign-in throttling, written as the attacks: lock-keeping against the owner, guessing from one
 * address, spraying many accounts, parallel guesses, guessing through the step-up check; and an
 * administrator seeing and clearing a lock.
 *
 * Every attacker sends from a REAL source address in 127.0.0.0/8 (Linux loopback accepts binding any
 * of them) to an API process that does not trust X-Forwarded-For, so the addresses are the ones the
 * server sees. Each test uses addresses of its own (a random second and third octet).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type pg from 'pg';
import bcrypt from 'bcryptjs';
import { pool, requireRunEnv } from './support/env.js';
import { closePool, initPool } from '../stores/pool.js';
import { createUserIfAbsent } from '../stores/users.js';
import { call, login, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';
import { IP_MAX_FAILURES, PAIR_DELAY_BASE_MS, PAIR_DELAY_CAP_MS, PAIR_FREE_FAILURES, PAIR_MAX_FAILURES, pairDelayMs, WINDOW_MS } from '../api/auth/throttle.js';

const { databaseUrl } = requireRunEnv();
// Not a common password and free of any username used here (the password rules of api/auth/passwords.ts).
const PASSWORD = 'Tq7-plover-Margin-41x';
const NEW_PASSWORD = 'Zebra-quartz-Violin-7731';
const rand = () => crypto.randomBytes(4).toString('hex');
/** A block of 254 addresses nothing else in this run uses: 127.<a>.<b>.1 … 127.<a>.<b>.254. */
const addressBlock = () => {
  const prefix = `127.${2 + crypto.randomInt(250)}.${crypto.randomInt(256)}`;
  return (host: number) => `${prefix}.${host}`;
};

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

describe('sign-in throttling', () => {
  let api: ApiProcess; // no TRUST_PROXY: the socket's source address is the client address
  let port: number;
  let db: pg.Pool;
  let adminToken: string;

  /** One request from the given source address. */
  function from(address: string, method: string, path: string, opts: { json?: unknown; token?: string; headers?: Record<string, string> } = {}) {
    return new Promise<Answer>((resolve, reject) => {
      const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          localAddress: address,
          agent: false,
          headers: {
            ...opts.headers,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode!, headers: res.headers, body: raw && /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(raw) : raw });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
  const tryLogin = (address: string, username: string, password: string) => from(address, 'POST', '/login', { json: { username, password } });
  /** `n` wrong passwords for `username` from `address`, all at once. */
  const guessInParallel = (address: string, username: string, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => tryLogin(address, username, `wrong-guess-${i}-${rand()}`)));

  /** The address as the server stores it (an IPv4 address, or IPv4-mapped on a dual-stack socket). */
  const sameAddress = `(ip = $2 OR ip = '::ffff:' || $2)`;
  const pairRows = async (username: string, address: string) =>
    (await db.query(`SELECT id, delay_ms FROM login_failures WHERE lower(username) = lower($1) AND ${sameAddress} ORDER BY id`, [username, address]))
      .rows as Array<{
      delay_ms: number;
    }>;
  const auditRows = async (action: string, actor?: string) =>
    (await db.query(`SELECT * FROM audit_log WHERE action = $1 AND ($2::text IS NULL OR actor_username = $2) ORDER BY id`, [action, actor ?? null])).rows;

  /** A user straight in the store (user administration is tested elsewhere; this file is about sign-in). */
  async function createUser(username: string): Promise<string> {
    const row = await createUserIfAbsent({ username, passwordHash: await bcrypt.hash(PASSWORD, 4), role: 'user' });
    assert.ok(row, username);
    return row.id;
  }

  /** A locked answer: 429 TooManyAttempts, and nothing saying when the lock ends. */
  function assertRefusedWithoutWhen(r: Answer, what: string): void {
    assert.equal(r.status, 429, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'TooManyAttempts');
    assert.equal(r.headers['retry-after'], undefined, `${what}: no Retry-After`);
    assert.doesNotMatch(r.body.error.message, /\d|minute|second|until|at \d/i, `${what}: the message does not say when`);
  }

  before(async () => {
    api = await startApiProcess();
    port = Number(new URL(api.url).port);
    db = pool();
    initPool(databaseUrl, 2);
    adminToken = await login(`http://127.0.0.1:${port}`, TEST_ADMIN.username, TEST_ADMIN.password);
  });
  after(async () => {
    await api?.stop();
    await db?.end();
    await closePool();
  });

  test('lock-keeping: parallel wrong passwords from several addresses never keep the owner (right password, another address) out', async () => {
    const name = `owner-${rand()}`;
    const id = await createUser(name);
    const attacker = addressBlock();
    const attackers = [1, 2, 3, 4].map(attacker);
    // Every attacking pair reaches its limit while the owner signs in from 127.0.0.1.
    const [burst, owner] = await Promise.all([
      Promise.all(attackers.map((a) => guessInParallel(a, name, PAIR_MAX_FAILURES))),
      tryLogin('127.0.0.1', name, PASSWORD),
    ]);
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.equal(owner.body.user.id, id);
    assert.deepEqual(
      burst.flat().map((r) => r.status),
      burst.flat().map(() => 401),
    );
    // The attackers keep hammering, now refused; the owner still gets in, and again from a fresh address.
    const [again, ownerAgain, ownerElsewhere] = await Promise.all([
      Promise.all(attackers.map((a) => guessInParallel(a, name, 5))),
      tryLogin('127.0.0.1', name, PASSWORD),
      tryLogin(attacker(200), name, PASSWORD),
    ]);
    for (const r of again.flat()) assertRefusedWithoutWhen(r, 'an attacking pair');
    assert.equal(ownerAgain.status, 200, JSON.stringify(ownerAgain.body));
    assert.equal(ownerElsewhere.status, 200, JSON.stringify(ownerElsewhere.body));
    // Even the right password is refused from an attacking pair; the owner's successes cleared only their own pairs.
    assertRefusedWithoutWhen(await tryLogin(attackers[0]!, name, PASSWORD), 'the right password from a locked pair');
    for (const a of attackers) assert.equal((await pairRows(name, a)).length, PAIR_MAX_FAILURES, `refused attempts are not recorded (${a})`);
  });

  test('guessing from one address: progressive delay, then that pair is refused without saying until when; a success clears only its own pair', async () => {
    const name = `guessed-${rand()}`;
    await createUser(name);
    const addr = addressBlock();
    // One after the other: the first PAIR_FREE_FAILURES cost nothing, then each waits longer.
    for (let i = 0; i < PAIR_FREE_FAILURES + 2; i++) assert.equal((await tryLogin(addr(1), name, `wrong-${i}`)).status, 401);
    assert.deepEqual(
      (await pairRows(name, addr(1))).map((r) => r.delay_ms),
      [0, 0, 0, PAIR_DELAY_BASE_MS, 2 * PAIR_DELAY_BASE_MS],
    );
    // A success from that pair wipes its failures (the next failure costs nothing again) ...
    await tryLogin(addr(2), name, 'wrong-from-elsewhere');
    assert.equal((await tryLogin(addr(1), name, PASSWORD)).status, 200);
    assert.equal((await pairRows(name, addr(1))).length, 0);
    // ... but not another address's.
    assert.equal((await pairRows(name, addr(2))).length, 1);

    // Up to the limit, in parallel: the server decided a growing wait for each, up to the cap.
    const burst = await guessInParallel(addr(3), name, PAIR_MAX_FAILURES);
    assert.deepEqual(
      burst.map((r) => r.status),
      burst.map(() => 401),
    );
    const delays = (await pairRows(name, addr(3))).map((r) => r.delay_ms);
    assert.deepEqual(
      delays,
      Array.from({ length: PAIR_MAX_FAILURES }, (_, n) => pairDelayMs(n)),
    );
    assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!) && Math.max(...delays) === PAIR_DELAY_CAP_MS, delays.join(','));

    const refused = await tryLogin(addr(3), name, PASSWORD);
    assertRefusedWithoutWhen(refused, 'the right password from the guessing pair');
    assert.ok((await auditRows('login.locked', name)).some((r) => r.detail.scope === 'pair'));
    // The same answer for an account that does not exist: a lock reveals nothing about the account.
    const ghost = `ghost-${rand()}`;
    await guessInParallel(addr(4), ghost, PAIR_MAX_FAILURES);
    assert.deepEqual((await tryLogin(addr(4), ghost, PASSWORD)).body, refused.body);
    // The owner from an address in good standing is not refused.
    assert.equal((await tryLogin(addr(5), name, PASSWORD)).status, 200);
    // The lock ends by itself when the failures leave the window.
    await db.query(`UPDATE login_failures SET at = at - $3 * interval '1 millisecond' WHERE lower(username) = lower($1) AND ${sameAddress}`, [
      name,
      addr(3),
      WINDOW_MS + 1000,
    ]);
    assert.equal((await tryLogin(addr(3), name, PASSWORD)).status, 200);
  });

  test('parallel guesses from one pair cannot slip past the limit', async () => {
    const name = `burst-${rand()}`;
    await createUser(name);
    const addr = addressBlock()(1);
    const results = await guessInParallel(addr, name, 2 * PAIR_MAX_FAILURES + 5);
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, PAIR_MAX_FAILURES, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, PAIR_MAX_FAILURES + 5, statuses.join(','));
    assert.equal((await pairRows(name, addr)).length, PAIR_MAX_FAILURES);
  });

  test(`spraying: one address is refused after ${IP_MAX_FAILURES} failures across accounts; other addresses are not`, async () => {
    const addr = addressBlock();
    const sprayer = addr(1);
    const victim = `victim-${rand()}`;
    await createUser(victim);
    const names = Array.from({ length: IP_MAX_FAILURES }, (_, i) => `spray-${rand()}-${i}`);
    for (let i = 0; i < names.length; i += 10) {
      const batch = await Promise.all(names.slice(i, i + 10).map((n) => tryLogin(sprayer, n, 'Spring2026-password!')));
      assert.deepEqual(
        batch.map((r) => r.status),
        batch.map(() => 401),
      );
    }
    assertRefusedWithoutWhen(await tryLogin(sprayer, victim, PASSWORD), 'a sprayed address, even with a right password');
    assertRefusedWithoutWhen(await tryLogin(sprayer, `spray-more-${rand()}`, 'x-password-1234'), 'a further account from the sprayed address');
    assert.ok((await auditRows('login.locked', victim)).some((r) => r.detail.scope === 'ip'));
    assert.equal((await tryLogin(addr(2), victim, PASSWORD)).status, 200, 'another address is not affected');
  });

  test('the step-up password check counts against the same pair limit as /login', async () => {
    const name = `stepup-${rand()}`;
    await createUser(name);
    const addr = addressBlock();
    const signedIn = await tryLogin(addr(1), name, PASSWORD);
    assert.equal(signedIn.status, 200);
    const token = signedIn.body.token as string;
    const guesses = await Promise.all(
      Array.from({ length: PAIR_MAX_FAILURES }, (_, i) =>
        from(addr(1), 'POST', '/me/password', { token, json: { currentPassword: `wrong-current-${i}`, newPassword: NEW_PASSWORD } }),
      ),
    );
    assert.deepEqual(
      guesses.map((r) => r.status),
      guesses.map(() => 403),
      JSON.stringify(guesses.map((r) => r.body)),
    );
    assertRefusedWithoutWhen(
      await from(addr(1), 'POST', '/me/password', { token, json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }),
      'step-up after guesses',
    );
    assertRefusedWithoutWhen(await tryLogin(addr(1), name, PASSWORD), '/login from the pair that guessed the step-up');
    assert.equal((await tryLogin(addr(2), name, PASSWORD)).status, 200, 'the owner elsewhere is not affected');
  });

  test('an admin lists a lock and clears it (audited); the pair can sign in again; a plain user may do neither', async () => {
    const name = `unlock-${rand()}`;
    await createUser(name);
    const addr = addressBlock()(1);
    await guessInParallel(addr, name, PAIR_MAX_FAILURES);
    assertRefusedWithoutWhen(await tryLogin(addr, name, PASSWORD), 'the locked pair');

    const list = await call(api.url, 'GET', '/login-locks', { token: adminToken });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const pair = list.body.pairs.find((p: any) => p.username === name);
    assert.ok(pair, JSON.stringify(list.body));
    assert.equal(pair.state, 'locked');
    assert.equal(pair.failures, PAIR_MAX_FAILURES);
    assert.ok(pair.address.endsWith(addr), pair.address);
    assert.ok(Date.parse(pair.since) <= Date.parse(pair.lastFailureAt) && Date.parse(pair.since) > Date.now() - WINDOW_MS);

    // A plain user (and an attacker) may neither see nor clear locks.
    const plain = `plain-${rand()}`;
    await createUser(plain);
    const plainToken = await login(api.url, plain, PASSWORD);
    assert.equal((await call(api.url, 'GET', '/login-locks', { token: plainToken })).status, 403);
    const q = `?username=${encodeURIComponent(name)}&address=${encodeURIComponent(pair.address)}`;
    assert.equal((await call(api.url, 'DELETE', `/login-locks${q}`, { token: plainToken })).status, 403);
    assert.equal((await call(api.url, 'GET', '/login-locks')).status, 401);
    // Bad input is a clear 400.
    assert.equal((await call(api.url, 'DELETE', '/login-locks', { token: adminToken })).status, 400);
    assert.equal((await call(api.url, 'DELETE', '/login-locks?username=a%00b', { token: adminToken })).status, 400);

    const cleared = await call(api.url, 'DELETE', `/login-locks${q}`, { token: adminToken });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.cleared, PAIR_MAX_FAILURES);
    const audited = (await auditRows('login.unlock', TEST_ADMIN.username)).filter((r) => r.detail.username === name);
    assert.equal(audited.length, 1);
    assert.equal(audited[0].detail.address, pair.address);
    assert.equal(audited[0].detail.cleared, PAIR_MAX_FAILURES);

    assert.equal((await tryLogin(addr, name, PASSWORD)).status, 200);
    const after = await call(api.url, 'GET', '/login-locks', { token: adminToken });
    assert.ok(!after.body.pairs.some((p: any) => p.username === name));
  });

  test('without TRUST_PROXY, X-Forwarded-For does not choose the throttled address', async () => {
    const name = `xff-${rand()}`;
    const addr = addressBlock()(1);
    const r = await from(addr, 'POST', '/login', { json: { username: name, password: 'wrong-password-1' }, headers: { 'x-forwarded-for': '192.0.2.77' } });
    assert.equal(r.status, 401);
    const rows = await db.query('SELECT ip FROM login_failures WHERE username = $1', [name]);
    assert.equal(rows.rows.length, 1);
    assert.ok(rows.rows[0].ip.endsWith(addr), rows.rows[0].ip);
  });
});
