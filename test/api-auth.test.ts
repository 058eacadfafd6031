/**
 * Accounts and sessions over real HTTP against real API processes (app/api-main.ts) on the run's
 * Postgres and Temporal: login, logout seen by a second process, expiry, signatures, API keys, roles,
 * password changes, audit rows, security headers and closed CORS.
 *
 * Throttling is per client address, so the main process trusts X-Forwarded-For (TRUST_PROXY=true)
 * and every test that fails logins on purpose uses an address of its own; the second process keeps
 * the default (no proxy) and shows that X-Forwarded-For is ignored there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import type pg from 'pg';
import { pool, requireRunEnv } from './support/env.js';
import { call, login, startApiProcess, TEST_ADMIN, TEST_JWT_SECRET, type ApiProcess } from './support/api.js';
import { closePool, initPool } from '../stores/pool.js';
import { issueToken, SESSION_HOURS } from '../api/auth/sessions.js';
import type { AppDeps } from '../api/context.js';

const { databaseUrl } = requireRunEnv();
const PASSWORD = 'correct-horse-battery-9';
const rand = () => crypto.randomBytes(4).toString('hex');
/** A made-up client address (IPv6 documentation range) as the trusted proxy would report it; a new one each time, so throttling tests stay apart. */
const fakeIp = () => `2001:db8::${rand().slice(0, 4)}:${rand().slice(0, 4)}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('accounts and sessions', () => {
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

  test('login returns an 8-hour token for the user; the token opens protected routes', async () => {
    const r = await call(api.url, 'POST', '/login', { json: TEST_ADMIN });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.token, 'string');
    assert.deepEqual(Object.keys(r.body.user).sort(), ['id', 'role', 'username']);
    assert.equal(r.body.user.username, TEST_ADMIN.username);
    assert.equal(r.body.user.role, 'admin');
    const hours = (Date.parse(r.body.expiresAt) - Date.now()) / 3600_000;
    assert.ok(hours > SESSION_HOURS - 0.1 && hours <= SESSION_HOURS, `expiresAt ${r.body.expiresAt}`);
    const me = await call(api.url, 'GET', '/me', { token: r.body.token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, r.body.user);
    // The username is matched regardless of case.
    assert.equal((await call(api.url, 'POST', '/login', { json: { ...TEST_ADMIN, username: 'ADMIN' } })).status, 200);
    const jti = JSON.parse(Buffer.from(r.body.token.split('.')[1], 'base64url').toString()).jti;
    assert.equal((await auditRows('login.success', { targetId: jti })).length, 1);
  });

  test('a wrong password, an unknown user and a disabled account get the same 401', async () => {
    const ip = fakeIp();
    const name = `same401-${rand()}`;
    const id = await createUser(name);
    const wrong = await tryLogin(name, 'not-the-password-1', ip);
    const unknown = await tryLogin(`nobody-${rand()}`, PASSWORD, ip);
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.body, { error: { code: 'InvalidCredentials', message: 'wrong username or password' } });
    assert.deepEqual(unknown.body, wrong.body);
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { disabled: true } })).status, 200);
    const disabled = await tryLogin(name, PASSWORD, ip);
    assert.equal(disabled.status, 401);
    assert.deepEqual(disabled.body, wrong.body);
    const failures = await auditRows('login.failure', { actor: name });
    assert.deepEqual(
      failures.map((a) => a.detail.reason),
      ['wrong_password', 'disabled'],
    );
    assert.equal(failures[0].target_id, id);
    // A password is never written into the audit trail.
    const all = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE detail::text LIKE '%' || $1 || '%'`, [PASSWORD]);
    assert.equal(all.rows[0].n, 0);

    // Measured, not asserted: both paths pay for one bcrypt comparison.
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const wrongMs: number[] = [];
    const unknownMs: number[] = [];
    for (let i = 0; i < 4; i++) {
      wrongMs.push(await time(() => tryLogin(name, `wrong-password-${i}xx`, fakeIp())));
      unknownMs.push(await time(() => tryLogin(`ghost-${rand()}`, `wrong-password-${i}xx`, fakeIp())));
    }
    const avg = (a: number[]) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(0);
    console.log(`# login timing: wrong password ${avg(wrongMs)} ms, unknown user ${avg(unknownMs)} ms (mean of ${wrongMs.length})`);
  });

  test('malformed login requests are 400/415 with the error shape', async () => {
    const missing = await call(api.url, 'POST', '/login', { json: { username: 'admin' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'InvalidRequest');
    const form = await call(api.url, 'POST', '/login', { body: 'username=admin&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    const broken = await call(api.url, 'POST', '/login', { body: '{"username":', headers: { 'content-type': 'application/json' } });
    assert.equal(broken.status, 400);
    assert.ok(broken.body.error.code);
  });

  test('logout revokes the token on every API process; a second process honours it', async () => {
    const token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    assert.equal((await call(api2.url, 'GET', '/me', { token })).status, 200, 'the token works on the other process');
    const out = await call(api.url, 'POST', '/logout', { token });
    assert.equal(out.status, 204);
    for (const base of [api2.url, api.url]) {
      const r = await call(base, 'GET', '/me', { token });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'Unauthorized');
      assert.match(r.body.error.message, /session ended/);
    }
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    assert.equal((await auditRows('logout', { targetId: jti })).length, 1);
    // Other sessions of the same user are untouched.
    assert.equal((await call(api2.url, 'GET', '/me', { token: adminToken })).status, 200);
  });

  test('a token issued by a clock moved past 8 hours is refused: the session ended', async () => {
    const user = (await call(api.url, 'GET', '/me', { token: adminToken })).body;
    const deps = { jwtKey: new TextEncoder().encode(TEST_JWT_SECRET), now: () => new Date(Date.now() - (SESSION_HOURS + 1) * 3600_000) } as unknown as AppDeps;
    const { token } = await issueToken(deps, user);
    const r = await call(api.url, 'GET', '/me', { token });
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /session ended/);
    // The same clock a little less far back: still valid, so it was the expiry that mattered.
    const fresh = await issueToken({ ...deps, now: () => new Date(Date.now() - (SESSION_HOURS - 1) * 3600_000) }, user);
    // Issued 7 hours ago but used just now (else the idle timeout, test/session-idle.test.ts, would end it).
    await db.query('UPDATE sessions SET last_seen_at = now() WHERE jti = $1', [fresh.jti]);
    assert.equal((await call(api.url, 'GET', '/me', { token: fresh.token })).status, 200);
  });

  test('a bad signature, a forged payload, garbage and no credentials are all 401', async () => {
    const user = (await call(api.url, 'GET', '/me', { token: adminToken })).body;
    const otherKey = { jwtKey: new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256!!'), now: () => new Date() } as unknown as AppDeps;
    const { token: foreign } = await issueToken(otherKey, user);
    const [h, p, s] = adminToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, role: 'admin', sub: crypto.randomUUID() })).toString('base64url'), s].join('.');
    const none = [Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'), p, ''].join('.');
    for (const token of [foreign, forged, none, 'garbage']) {
      const r = await call(api.url, 'GET', '/me', { token });
      assert.equal(r.status, 401, token);
      assert.equal(r.body.error.code, 'Unauthorized');
      assert.match(r.body.error.message, /not valid/);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    }
    for (const [method, path] of [
      ['GET', '/me'],
      ['GET', '/users'],
      ['GET', '/me/api-keys'],
      ['POST', '/logout'],
    ] as const) {
      const r = await call(api.url, method, path);
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(r.body.error.code, 'Unauthorized');
    }
  });

  test('API keys: shown once, work as X-API-Key and as bearer, listed without the secret, revocable', async () => {
    const name = `keys-${rand()}`;
    await createUser(name);
    const token = await login(api.url, name, PASSWORD);
    const created = await call(api.url, 'POST', '/me/api-keys', { token, json: { name: 'nightly export' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, key, prefix } = created.body;
    assert.match(key, /^mxk_[\w-]{40,}$/);
    assert.ok(key.startsWith(prefix));
    assert.equal(created.body.name, 'nightly export');

    for (const r of [await call(api.url, 'GET', '/me', { apiKey: key }), await call(api2.url, 'GET', '/me', { token: key })]) {
      assert.equal(r.status, 200);
      assert.equal(r.body.username, name);
    }
    // Listing keys needs a session (a key cannot see or manage keys: test/api-key-scopes.test.ts).
    const list = await call(api.url, 'GET', '/me/api-keys', { token });
    assert.equal(list.status, 200);
    assert.equal(list.body.apiKeys.length, 1);
    const listed = list.body.apiKeys[0];
    assert.equal(listed.id, id);
    assert.equal(listed.prefix, prefix);
    assert.ok(listed.lastUsedAt, 'last use is recorded');
    assert.ok(!JSON.stringify(list.body).includes(key), 'the key is never listed');
    for (const field of ['createdAt', 'id', 'lastUsedAt', 'name', 'prefix']) assert.ok(field in listed, field);
    assert.ok(!('keyHash' in listed) && !('key' in listed), 'neither the key nor its hash is listed');
    const stored = await db.query('SELECT key_hash FROM api_keys WHERE id = $1', [id]);
    assert.notEqual(stored.rows[0].key_hash, key);
    assert.ok(!stored.rows[0].key_hash.includes(key.slice(4)));

    // An admin sees only their own keys; another user cannot revoke this one.
    assert.equal(
      (await call(api.url, 'GET', '/me/api-keys', { token: adminToken })).body.apiKeys.some((k: any) => k.id === id),
      false,
    );
    assert.equal((await call(api.url, 'DELETE', `/me/api-keys/${id}`, { token: adminToken })).status, 404);
    assert.equal((await call(api.url, 'POST', '/me/api-keys', { token, json: { name: '  ' } })).status, 400);
    const minted = await call(api.url, 'POST', '/me/api-keys', { apiKey: key, json: { name: 'from a key' } });
    assert.equal(minted.status, 403, 'an API key cannot mint more keys');
    assert.equal(minted.body.error.code, 'SessionRequired');
    // A key has no session to log out of; it is revoked instead.
    const keyLogout = await call(api.url, 'POST', '/logout', { apiKey: key });
    assert.equal(keyLogout.status, 400);
    assert.equal(keyLogout.body.error.code, 'NoSession');

    assert.equal((await call(api.url, 'DELETE', `/me/api-keys/${id}`, { token })).status, 204);
    assert.equal((await call(api.url, 'DELETE', `/me/api-keys/${id}`, { token })).status, 404);
    assert.equal((await call(api.url, 'DELETE', '/me/api-keys/not-a-uuid', { token })).status, 404);
    for (const r of [await call(api.url, 'GET', '/me', { apiKey: key }), await call(api2.url, 'GET', '/me', { token: key })]) {
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'Unauthorized');
    }
    assert.equal((await call(api.url, 'GET', '/me', { apiKey: 'mxk_made-up-key' })).status, 401);
    assert.equal((await call(api.url, 'GET', '/me/api-keys', { token })).body.apiKeys.length, 0);
    assert.equal((await auditRows('apikey.create', { targetId: id })).length, 1);
    assert.equal((await auditRows('apikey.revoke', { targetId: id })).length, 1);
  });

  test('roles: a user cannot administer; an admin creates, disables and re-enables users', async () => {
    const name = `role-${rand()}`;
    const id = await createUser(name);
    const auditCreate = await auditRows('user.create', { targetId: id });
    assert.equal(auditCreate.length, 1);
    assert.deepEqual(auditCreate[0].detail, { username: name, role: 'user' });
    const userToken = await login(api.url, name, PASSWORD);
    const key = (await call(api.url, 'POST', '/me/api-keys', { token: userToken, json: { name: 'k' } })).body.key as string;
    for (const [method, path, json] of [
      ['GET', '/users', undefined],
      ['POST', '/users', { username: `x-${rand()}`, password: PASSWORD }],
      ['PATCH', `/users/${id}`, { role: 'admin' }],
    ] as const) {
      for (const auth of [{ token: userToken }, { apiKey: key }]) {
        const r = await call(api.url, method, path, { ...auth, json });
        assert.equal(r.status, 403, `${method} ${path}`);
        // A key is refused before its owner's role is looked at: user administration needs a session.
        assert.equal(r.body.error.code, 'token' in auth ? 'Forbidden' : 'SessionRequired');
      }
    }

    const list = await call(api.url, 'GET', '/users', { token: adminToken });
    assert.equal(list.status, 200);
    const row = list.body.users.find((u: any) => u.id === id);
    assert.deepEqual(Object.keys(row).sort(), ['createdAt', 'disabled', 'id', 'mfaEnabled', 'role', 'username']);
    assert.equal(row.mfaEnabled, false);
    assert.equal(row.disabled, false);
    assert.ok(!JSON.stringify(list.body).includes('$2'), 'no password hashes');

    // Disabling ends the sessions (on every process) and stops the API keys.
    const second = await login(api2.url, name, PASSWORD);
    const off = await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { disabled: true } });
    assert.equal(off.status, 200);
    assert.equal(off.body.disabled, true);
    for (const auth of [{ token: userToken }, { token: second }, { apiKey: key }]) {
      assert.equal((await call(api2.url, 'GET', '/me', auth)).status, 401);
    }
    const revoked = await db.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL', [id]);
    assert.equal(revoked.rows[0].n, 0);
    const upd = await auditRows('user.update', { targetId: id });
    assert.equal(upd.at(-1).detail.disabled, true);
    assert.equal(upd.at(-1).detail.sessionsRevoked, 2);
    assert.equal(upd.at(-1).actor_username, TEST_ADMIN.username);

    assert.equal(upd.at(-1).detail.apiKeysRevoked, 1);

    // Enabled again: a new login works, but the old sessions and the key stay ended (re-enabling revives nothing).
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { disabled: false } })).status, 200);
    assert.equal((await call(api.url, 'GET', '/me', { token: userToken })).status, 401);
    assert.equal((await call(api.url, 'GET', '/me', { apiKey: key })).status, 401);
    await login(api.url, name, PASSWORD);

    // Promotion takes effect on the existing session at once (the role is read from the database).
    const t = await login(api.url, name, PASSWORD);
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { role: 'admin' } })).body.role, 'admin');
    assert.equal((await call(api.url, 'GET', '/users', { token: t })).status, 200);
    assert.equal((await auditRows('user.update', { targetId: id })).at(-1).detail.role, 'admin');
  });

  test('a leaked admin API key cannot take over accounts: no user administration, no password change, no new key', async () => {
    const adminKey = (await call(api.url, 'POST', '/me/api-keys', { token: adminToken, json: { name: `script-${rand()}` } })).body.key as string;
    const victimName = `victim-${rand()}`;
    const victim = await createUser(victimName);
    const intruder = `intruder-${rand()}`;
    const TAKEOVER = 'taken-over-0123456789';
    for (const [method, path, json] of [
      ['GET', '/users', undefined],
      ['POST', '/users', { username: intruder, password: TAKEOVER, role: 'admin' }],
      ['PATCH', `/users/${victim}`, { password: TAKEOVER }],
      ['PATCH', `/users/${victim}`, { role: 'admin' }],
      ['POST', '/me/password', { currentPassword: TEST_ADMIN.password, newPassword: TAKEOVER }],
      ['POST', '/me/api-keys', { name: 'another' }],
    ] as const) {
      const r = await call(api.url, method, path, { apiKey: adminKey, json });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error.code, 'SessionRequired', `${method} ${path}`);
      assert.match(r.body.error.message, /signed-in session, not an API key/);
    }
    // Nothing happened: no new account, the victim keeps password and role, the admin's password is unchanged.
    assert.equal((await db.query('SELECT 1 FROM users WHERE username = $1', [intruder])).rowCount, 0);
    const victimToken = await login(api.url, victimName, PASSWORD);
    assert.equal((await call(api.url, 'GET', '/me', { token: victimToken })).body.role, 'user');
    await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    // The key still does what keys are for.
    assert.equal((await call(api.url, 'GET', '/jobs', { apiKey: adminKey })).status, 200);
  });

  test('an admin changing their own password or role steps up with the current password', async () => {
    const name = `boss-${rand()}`;
    const id = await createUser(name, 'admin');
    const token = await login(api.url, name, PASSWORD);
    const NEW = 'boss-new-password-0123';
    const missing = await call(api.url, 'PATCH', `/users/${id}`, { token, json: { password: NEW } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'CurrentPasswordRequired');
    const wrong = await call(api.url, 'PATCH', `/users/${id}`, { token, json: { password: NEW, currentPassword: 'not-the-password-000' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'WrongPassword');
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token, json: { role: 'admin' } })).body.error.code, 'CurrentPasswordRequired');
    await login(api.url, name, PASSWORD); // still the old password
    const ok = await call(api.url, 'PATCH', `/users/${id}`, { token, json: { password: NEW, currentPassword: PASSWORD } });
    assert.equal(ok.status, 200);
    await login(api.url, name, NEW);
    // Another admin resetting someone else's password needs no step-up (they are not the account's owner).
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { password: PASSWORD } })).status, 200);
  });

  test('API keys end with a password change and an admin reset', async () => {
    const name = `keyed-${rand()}`;
    const id = await createUser(name);
    const token = await login(api.url, name, PASSWORD);
    const mint = async () => (await call(api.url, 'POST', '/me/api-keys', { token, json: { name: `k-${rand()}` } })).body.key as string;
    const first = await mint();
    const NEW = 'keyed-new-password-012';
    assert.equal((await call(api.url, 'POST', '/me/password', { token, json: { currentPassword: PASSWORD, newPassword: NEW } })).status, 204);
    assert.equal((await call(api.url, 'GET', '/me', { apiKey: first })).status, 401, 'the key made before the password change');
    assert.equal((await auditRows('user.password_change', { targetId: id })).at(-1).detail.apiKeysRevoked, 1);
    const second = await mint();
    assert.equal((await call(api.url, 'GET', '/me', { apiKey: second })).status, 200);
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { password: PASSWORD } })).status, 200);
    assert.equal((await call(api.url, 'GET', '/me', { apiKey: second })).status, 401, 'the key made before the admin reset');
  });

  test('hostile input: a NUL or other control character is a 400 at validation, never a 500; TRACE and unknown methods are a 405', async () => {
    const admin = (await call(api.url, 'GET', '/me', { token: adminToken })).body;
    for (const [method, path, json] of [
      ['POST', '/login', { username: 'adm\u0000in', password: TEST_ADMIN.password }],
      ['POST', '/login', { username: TEST_ADMIN.username, password: 'pass\u0007word-0123456' }],
      ['POST', '/me/api-keys', { name: 'key\u0000name' }],
      ['POST', '/users', { username: `nul-${rand()}`, password: 'a-long-password\u0000xyz' }],
      ['GET', '/jobs?owner=%00', undefined],
      ['GET', `/jobs?owner=${admin.id}%1b`, undefined],
    ] as const) {
      const r = await call(api.url, method, path, { token: path === '/login' ? undefined : adminToken, json });
      assert.equal(r.status, 400, `${method} ${path}`);
      assert.equal(r.body.error.code, 'InvalidRequest');
      assert.match(r.body.error.message, /control characters/);
    }

    const raw = (method: string, path: string) =>
      new Promise<{ status: number; allow: string | undefined; body: any }>((resolve, reject) => {
        const req = http.request(`${api.url}${path}`, { method }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const [method, path] of [
      ['TRACE', '/'],
      ['TRACE', '/jobs'],
      ['PUT', '/jobs'],
      ['PROPFIND', '/login'],
    ] as const) {
      const r = await raw(method, path);
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.body.error.code, 'MethodNotAllowed');
      assert.ok(r.allow, 'an Allow header');
    }
    // A known method on a path that lacks it: the router's 405, in the API's error shape.
    const wrong = await raw('PATCH', '/login');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, 'MethodNotAllowed');
    assert.match(wrong.allow ?? '', /POST/);
  });

  test('user creation and updates are validated', async () => {
    const name = `Valid-${rand()}`;
    const id = await createUser(name);
    const dup = await call(api.url, 'POST', '/users', { token: adminToken, json: { username: name.toLowerCase(), password: PASSWORD } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'UsernameTaken');
    for (const username of ['ab', 'a'.repeat(65), 'has space', 'semi;colon', '']) {
      const r = await call(api.url, 'POST', '/users', { token: adminToken, json: { username, password: PASSWORD } });
      assert.equal(r.status, 400, username);
      assert.equal(r.body.error.code, 'InvalidRequest');
    }
    const weak = await call(api.url, 'POST', '/users', { token: adminToken, json: { username: `w-${rand()}`, password: 'short' } });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.code, 'WeakPassword');
    // The finding's weak passwords, over HTTP on each path that sets one (create, admin reset, own change).
    for (const [username, password, why] of [
      [`w-${rand()}`, 'password1234', /commonly used password/],
      [`w-${rand()}`, 'aaaaaaaaaaaa', /repeated characters/],
      ['marguerite', 'Marguerite-sailing-orbit-42', /contain your username/],
    ] as const) {
      const r = await call(api.url, 'POST', '/users', { token: adminToken, json: { username, password } });
      assert.equal(r.status, 400, password);
      assert.equal(r.body.error.code, 'WeakPassword');
      assert.match(r.body.error.message, why);
    }
    const resetToName = await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { password: `${name}-sailing-orbit` } });
    assert.equal(resetToName.status, 400);
    assert.match(resetToName.body.error.message, /contain your username/);
    const own = await call(api.url, 'POST', '/me/password', {
      token: await login(api.url, name, PASSWORD),
      json: { currentPassword: PASSWORD, newPassword: 'password1234' },
    });
    assert.equal(own.status, 400);
    assert.equal(own.body.error.code, 'WeakPassword');
    const badRole = await call(api.url, 'POST', '/users', { token: adminToken, json: { username: `r-${rand()}`, password: PASSWORD, role: 'root' } });
    assert.equal(badRole.status, 400);
    const extra = await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { disable: true } });
    assert.equal(extra.status, 400, 'a misspelt field is an error, not silently ignored');
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: {} })).status, 400);
    assert.equal((await call(api.url, 'PATCH', `/users/${crypto.randomUUID()}`, { token: adminToken, json: { disabled: true } })).status, 404);
    assert.equal((await call(api.url, 'PATCH', '/users/not-a-uuid', { token: adminToken, json: { disabled: true } })).status, 404);

    // An admin cannot lock themselves out.
    const me = (await call(api.url, 'GET', '/me', { token: adminToken })).body;
    for (const json of [{ disabled: true }, { role: 'user' }]) {
      const r = await call(api.url, 'PATCH', `/users/${me.id}`, { token: adminToken, json });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'CannotChangeSelf');
    }
    assert.equal((await call(api.url, 'GET', '/users', { token: adminToken })).status, 200, 'still an admin');
  });

  test('passwords over 72 bytes are refused clearly on create, reset and change', async () => {
    const long = 'é'.repeat(37); // 37 characters, 74 bytes
    const c = await call(api.url, 'POST', '/users', { token: adminToken, json: { username: `long-${rand()}`, password: long } });
    assert.equal(c.status, 400);
    assert.equal(c.body.error.code, 'PasswordTooLong');
    assert.match(c.body.error.message, /72 bytes/);
    const name = `long-${rand()}`;
    const id = await createUser(name);
    const reset = await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { password: 'x'.repeat(73) } });
    assert.equal(reset.status, 400);
    assert.equal(reset.body.error.code, 'PasswordTooLong');
    const token = await login(api.url, name, PASSWORD);
    const change = await call(api.url, 'POST', '/me/password', { token, json: { currentPassword: PASSWORD, newPassword: 'y'.repeat(80) } });
    assert.equal(change.status, 400);
    assert.equal(change.body.error.code, 'PasswordTooLong');
    // Exactly 72 bytes is fine.
    const p72 = 'velvet-tundra-oboe-58-lantern-quartz-meadow-91-copper-falcon-ridge-'.padEnd(72, '7');
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { password: p72 } })).status, 200);
    await login(api.url, name, p72);
    assert.equal((await call(api.url, 'POST', '/login', { json: { username: name, password: p72 + 'extra' } })).status, 401);
  });

  test('/me/password checks the current password, keeps this session and ends the others', async () => {
    const name = `pw-${rand()}`;
    const id = await createUser(name);
    const t1 = await login(api.url, name, PASSWORD);
    const t2 = await login(api2.url, name, PASSWORD);
    const NEW = 'a-brand-new-password-42';
    const wrong = await call(api.url, 'POST', '/me/password', { token: t1, json: { currentPassword: 'not-my-password', newPassword: NEW } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'WrongPassword');
    assert.equal(
      (await call(api.url, 'POST', '/me/password', { token: t1, json: { currentPassword: PASSWORD, newPassword: 'short' } })).body.error.code,
      'WeakPassword',
    );
    assert.equal(
      (await call(api.url, 'POST', '/me/password', { token: t1, json: { currentPassword: PASSWORD, newPassword: PASSWORD } })).body.error.code,
      'SamePassword',
    );
    const before = (await db.query('SELECT password_changed_at FROM users WHERE id = $1', [id])).rows[0].password_changed_at;

    assert.equal((await call(api.url, 'POST', '/me/password', { token: t1, json: { currentPassword: PASSWORD, newPassword: NEW } })).status, 204);
    assert.equal((await call(api2.url, 'GET', '/me', { token: t1 })).status, 200, 'the current session is kept');
    assert.equal((await call(api.url, 'GET', '/me', { token: t2 })).status, 401, 'other sessions end');
    assert.equal((await tryLogin(name, PASSWORD, fakeIp())).status, 401);
    await login(api.url, name, NEW);
    const after = (await db.query('SELECT password_changed_at FROM users WHERE id = $1', [id])).rows[0].password_changed_at;
    assert.ok(after > before);
    const a = await auditRows('user.password_change', { targetId: id });
    assert.equal(a.length, 1);
    assert.equal(a[0].detail.otherSessionsRevoked, 1);

    // An admin reset ends all of the user's sessions.
    assert.equal((await call(api.url, 'PATCH', `/users/${id}`, { token: adminToken, json: { password: PASSWORD } })).status, 200);
    assert.equal((await call(api.url, 'GET', '/me', { token: t1 })).status, 401);
    const upd = (await auditRows('user.update', { targetId: id })).at(-1);
    assert.equal(upd.detail.passwordReset, true);
    assert.ok(!JSON.stringify(upd.detail).includes(PASSWORD));
    await login(api.url, name, PASSWORD);
  });

  test('security headers on every answer, and CORS closed', async () => {
    const origin = { origin: 'https://evil.example' };
    const answers = [
      await call(api.url, 'POST', '/login', { json: TEST_ADMIN, headers: origin }),
      await call(api.url, 'GET', '/me', { token: adminToken, headers: origin }),
      await call(api.url, 'GET', '/me', { headers: origin }), // 401
      await call(api.url, 'GET', '/no-such-route', { headers: origin }), // 404
    ];
    for (const [i, r] of answers.entries()) {
      const what = `answer ${i} (${r.status})`;
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, what);
      assert.match(csp, /default-src 'self'/, what);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', what);
      assert.equal(r.headers.get('access-control-allow-origin'), null, what);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/, what);
    }
    // Data answers are not stored by any cache.
    for (const r of answers.filter((a) => a.status < 400)) assert.equal(r.headers.get('cache-control'), 'no-store', `a ${r.status} answer`);
    const preflight = await call(api.url, 'OPTIONS', '/login', {
      headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-headers'), null);
  });

  test('error answers (400, 401, 403, 404) are no-store too, like every other API answer', async () => {
    // A thrown error must not skip the Cache-Control header: a 404 is cacheable by default, and a
    // shared cache must not keep anyone's error or Retry-After answer.
    const userName = `cache-${rand()}`;
    await createUser(userName);
    const userToken = await login(api.url, userName, PASSWORD);
    const answers = [
      await call(api.url, 'GET', '/me'),
      await call(api.url, 'GET', '/users', { token: userToken }),
      await call(api.url, 'DELETE', `/me/api-keys/${crypto.randomUUID()}`, { token: userToken }),
      await call(api.url, 'POST', '/login', { json: { username: 'x' } }),
    ];
    assert.deepEqual(
      answers.map((r) => r.status),
      [401, 403, 404, 400],
    );
    for (const r of answers) assert.equal(r.headers.get('cache-control'), 'no-store', `a ${r.status} answer`);
  });
});
