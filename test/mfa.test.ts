/**
 * The TOTP second factor over real HTTP against real API processes (app/api-main.ts) on the run's
 * Postgres, written as the attacks it stops: the password alone no longer signs in, wrong and replayed
 * codes are refused (and audited, and counted by the sign-in throttle), a recovery code works once,
 * turning the factor off needs the password and a code, an administrator can reset a lost factor, and
 * with MFA_REQUIRED_FOR_ADMINS=true an administrator gets no session before enrolling. Codes are
 * computed here with otpauth from the secret the enrolment answered, as an authenticator app would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type pg from 'pg';
import * as OTPAuth from 'otpauth';
import { pool } from './support/env.js';
import { call, login, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';

const PASSWORD = 'correct-horse-battery-9';
const rand = () => crypto.randomBytes(4).toString('hex');
const fakeIp = () => `2001:db8::${rand().slice(0, 4)}:${rand().slice(0, 4)}`;

/** The code an authenticator app shows for `secret`, `stepsAhead` 30-second steps from now. */
const codeFor = (secret: string, stepsAhead = 0) =>
  OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: Date.now() + stepsAhead * 30_000 });
/** A code that is surely wrong: the right one with its last digit changed. */
const wrongCode = (secret: string) => {
  const c = codeFor(secret);
  return c.slice(0, 5) + ((Number(c[5]) + 5) % 10);
};

describe('TOTP second factor', () => {
  let api: ApiProcess; // trusts X-Forwarded-For, so each test can sign in from an address of its own
  let strict: ApiProcess; // MFA_REQUIRED_FOR_ADMINS=true
  let db: pg.Pool;
  let adminToken: string;
  /** Everything secret handed out in this file, to check none of it reaches a log or the audit trail. */
  const secrets: string[] = [];

  async function createUser(role: 'user' | 'admin' = 'user'): Promise<{ id: string; username: string }> {
    const username = `mfa-${rand()}`;
    const r = await call(api.url, 'POST', '/users', { token: adminToken, json: { username, password: PASSWORD, role } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { id: r.body.id, username };
  }
  const auditRows = async (action: string, targetId: string) =>
    (await db.query('SELECT * FROM audit_log WHERE action = $1 AND target_id = $2 ORDER BY id', [action, targetId])).rows;

  /** Signs in, enrols a second factor and confirms it; returns the secret, the recovery codes and the session. */
  async function enrolled(base = api.url): Promise<{ id: string; username: string; secret: string; recoveryCodes: string[]; token: string; ip: string }> {
    const u = await createUser();
    const ip = fakeIp();
    const token = (await call(base, 'POST', '/login', { json: { username: u.username, password: PASSWORD }, headers: { 'x-forwarded-for': ip } })).body.token;
    const e = await call(base, 'POST', '/me/mfa/enrol', { token, json: { currentPassword: PASSWORD } });
    assert.equal(e.status, 200, JSON.stringify(e.body));
    const c = await call(base, 'POST', '/me/mfa/confirm', { token, json: { code: codeFor(e.body.secret) } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    secrets.push(e.body.secret, ...c.body.recoveryCodes);
    return { ...u, secret: e.body.secret, recoveryCodes: c.body.recoveryCodes, token, ip };
  }
  /** POST /login with the password from `ip`: the challenge (asserted to carry no session). */
  async function challenge(username: string, ip: string, base = api.url): Promise<string> {
    const r = await call(base, 'POST', '/login', { json: { username, password: PASSWORD }, headers: { 'x-forwarded-for': ip } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.mfaRequired, true, JSON.stringify(r.body));
    assert.equal(r.body.token, undefined, 'the password alone gives no session');
    secrets.push(r.body.challengeToken);
    return r.body.challengeToken;
  }
  const secondStep = (json: object, ip: string, base = api.url) => call(base, 'POST', '/login/mfa', { json, headers: { 'x-forwarded-for': ip } });

  before(async () => {
    api = await startApiProcess({ TRUST_PROXY: 'true' });
    strict = await startApiProcess({ MFA_REQUIRED_FOR_ADMINS: 'true', TRUST_PROXY: 'true' });
    db = pool();
    adminToken = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
  });
  after(async () => {
    await Promise.all([api?.stop(), strict?.stop()]);
    await db?.end();
  });

  test('enrolment needs the current password, answers a secret, an otpauth URI and a QR code, and is on only after a right code', async () => {
    const u = await createUser();
    const token = await login(api.url, u.username, PASSWORD);
    assert.deepEqual((await call(api.url, 'GET', '/me/mfa', { token })).body, { enabled: false, enabledAt: null, recoveryCodesLeft: 0, required: false });

    const noPassword = await call(api.url, 'POST', '/me/mfa/enrol', { token, json: {} });
    assert.equal(noPassword.status, 400);
    const wrongPassword = await call(api.url, 'POST', '/me/mfa/enrol', { token, json: { currentPassword: 'not-the-password-00' } });
    assert.equal(wrongPassword.status, 403);
    assert.equal(wrongPassword.body.error.code, 'WrongPassword');

    const e = await call(api.url, 'POST', '/me/mfa/enrol', { token, json: { currentPassword: PASSWORD } });
    assert.equal(e.status, 200, JSON.stringify(e.body));
    assert.match(e.body.secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(e.body.otpauthUri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), e.body.secret);
    assert.equal(uri.searchParams.get('issuer'), 'MedExtract');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.match(e.body.qrDataUrl, /^data:image\/png;base64,/);
    secrets.push(e.body.secret);
    // Pending: the password alone still signs in until a code confirms the secret.
    assert.ok((await call(api.url, 'POST', '/login', { json: { username: u.username, password: PASSWORD } })).body.token);

    const bad = await call(api.url, 'POST', '/me/mfa/confirm', { token, json: { code: wrongCode(e.body.secret) } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'InvalidMfaCode');
    const ok = await call(api.url, 'POST', '/me/mfa/confirm', { token, json: { code: codeFor(e.body.secret) } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.recoveryCodes.length, 10);
    assert.equal(new Set(ok.body.recoveryCodes).size, 10);
    secrets.push(...ok.body.recoveryCodes);
    const status = (await call(api.url, 'GET', '/me/mfa', { token })).body;
    assert.equal(status.enabled, true);
    assert.equal(status.recoveryCodesLeft, 10);
    assert.equal((await auditRows('user.mfa_enrol', u.id)).length, 1);
    // Enrolling twice is refused; the secret is not shown again anywhere, nor kept in clear.
    assert.equal((await call(api.url, 'POST', '/me/mfa/enrol', { token, json: { currentPassword: PASSWORD } })).body.error.code, 'MfaAlreadyEnabled');
    const users = await call(api.url, 'GET', '/users', { token: adminToken });
    assert.equal(users.body.users.find((x: { id: string }) => x.id === u.id).mfaEnabled, true);
    assert.ok(!JSON.stringify(users.body).includes(e.body.secret));
    const row = (await db.query('SELECT mfa_secret FROM users WHERE id = $1', [u.id])).rows[0];
    assert.ok(row.mfa_secret && !row.mfa_secret.includes(e.body.secret), 'the secret is stored encrypted');
    const stored = (await db.query('SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1', [u.id])).rows.map((r) => r.code_hash as string);
    assert.equal(stored.length, 10);
    for (const c of ok.body.recoveryCodes) assert.ok(!stored.some((h) => h.includes(c)), 'recovery codes are stored hashed');
    // An API key can never turn a factor on or off.
    const key = (await call(api.url, 'POST', '/me/api-keys', { token, json: { name: 'script' } })).body.key;
    assert.equal(
      (await call(api.url, 'POST', '/me/mfa/disable', { apiKey: key, json: { currentPassword: PASSWORD, code: codeFor(e.body.secret) } })).status,
      403,
    );
  });

  test('with a second factor the password alone gives no session; a wrong code is refused, audited and throttled; a used code cannot be replayed', async () => {
    const u = await enrolled();
    const ip = fakeIp();
    const c = await challenge(u.username, ip);
    // The challenge is no session token.
    assert.equal((await call(api.url, 'GET', '/me', { token: c })).status, 401);

    const failuresBefore = (await db.query('SELECT count(*)::int AS n FROM login_failures WHERE lower(username) = $1', [u.username])).rows[0].n;
    const wrong = await secondStep({ challengeToken: c, code: wrongCode(u.secret) }, ip);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'InvalidMfaCode');
    const failures = await auditRows('login.mfa_failure', u.id);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].detail.reason, 'wrong_code');
    const failuresAfter = (await db.query('SELECT count(*)::int AS n FROM login_failures WHERE lower(username) = $1', [u.username])).rows[0].n;
    assert.ok(failuresAfter > failuresBefore, 'a wrong code counts against the sign-in throttle');

    // The code of the next step (the app's next one) signs in, once.
    const next = codeFor(u.secret, 1);
    const ok = await secondStep({ challengeToken: c, code: next }, ip);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await call(api.url, 'GET', '/me', { token: ok.body.token })).body.username, u.username);
    // The challenge is used up, and the same code with a new challenge is a replay.
    assert.equal((await secondStep({ challengeToken: c, code: codeFor(u.secret, 1) }, ip)).status, 401);
    const replay = await secondStep({ challengeToken: await challenge(u.username, ip), code: next }, ip);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'InvalidMfaCode');
    assert.equal((await auditRows('login.mfa_failure', u.id)).at(-1).detail.reason, 'replayed_code');
    // A made-up or malformed challenge gets nowhere.
    assert.equal((await secondStep({ challengeToken: 'x'.repeat(43), code: codeFor(u.secret, 1) }, ip)).status, 401);
    assert.equal((await secondStep({ challengeToken: c, code: '12345' }, ip)).status, 400);
  });

  test('a recovery code signs in once, and its use is audited', async () => {
    const u = await enrolled();
    const ip = fakeIp();
    const [first] = u.recoveryCodes;
    const r = await secondStep({ challengeToken: await challenge(u.username, ip), recoveryCode: first!.toUpperCase() }, ip);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.token);
    const used = await auditRows('user.recovery_code_used', u.id);
    assert.equal(used.length, 1);
    assert.equal(used[0].detail.remaining, 9);
    const again = await secondStep({ challengeToken: await challenge(u.username, ip), recoveryCode: first! }, ip);
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'InvalidMfaCode');
    assert.equal((await auditRows('login.mfa_failure', u.id)).at(-1).detail.reason, 'wrong_recovery_code');
  });

  test('turning the factor off needs the current password and a right code', async () => {
    const u = await enrolled();
    const { token } = u;
    const code = codeFor(u.secret, 1);
    assert.equal((await call(api.url, 'POST', '/me/mfa/disable', { token, json: { currentPassword: PASSWORD } })).status, 400, 'no code');
    const wrong = await call(api.url, 'POST', '/me/mfa/disable', { token, json: { currentPassword: PASSWORD, code: wrongCode(u.secret) } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'InvalidMfaCode');
    const badPassword = await call(api.url, 'POST', '/me/mfa/disable', { token, json: { currentPassword: 'not-the-password-00', code } });
    assert.equal(badPassword.status, 403);
    assert.equal(badPassword.body.error.code, 'WrongPassword');
    assert.equal((await call(api.url, 'GET', '/me/mfa', { token })).body.enabled, true, 'still on');

    const ok = await call(api.url, 'POST', '/me/mfa/disable', { token, json: { currentPassword: PASSWORD, code } });
    assert.equal(ok.status, 204, JSON.stringify(ok.body));
    assert.equal((await call(api.url, 'GET', '/me/mfa', { token })).body.enabled, false);
    assert.equal((await auditRows('user.mfa_disable', u.id)).length, 1);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1', [u.id])).rows[0].n, 0);
    // The password alone signs in again.
    assert.ok((await call(api.url, 'POST', '/login', { json: { username: u.username, password: PASSWORD } })).body.token);
  });

  test("an administrator resets a user's lost factor: audited, the user's sessions end, the password alone signs in", async () => {
    const u = await enrolled();
    assert.equal((await call(api.url, 'DELETE', `/users/${u.id}/mfa`, { token: u.token })).status, 403, 'not by the user');
    const ownId = (await call(api.url, 'GET', '/me', { token: adminToken })).body.id;
    assert.equal((await call(api.url, 'DELETE', `/users/${ownId}/mfa`, { token: adminToken })).body.error.code, 'CannotChangeSelf');

    const r = await call(api.url, 'DELETE', `/users/${u.id}/mfa`, { token: adminToken });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    const reset = await auditRows('user.mfa_reset', u.id);
    assert.equal(reset.length, 1);
    assert.ok(reset[0].detail.sessionsRevoked >= 1);
    assert.equal((await call(api.url, 'GET', '/me', { token: u.token })).status, 401, 'the old session ended');
    assert.ok((await call(api.url, 'POST', '/login', { json: { username: u.username, password: PASSWORD } })).body.token);
    assert.equal((await call(api.url, 'DELETE', `/users/${u.id}/mfa`, { token: adminToken })).body.error.code, 'MfaNotEnabled');
    const users = await call(api.url, 'GET', '/users', { token: adminToken });
    assert.equal(users.body.users.find((x: { id: string }) => x.id === u.id).mfaEnabled, false);
  });

  test('MFA_REQUIRED_FOR_ADMINS=true: an administrator without a factor gets no session until they enrol', async () => {
    const a = await createUser('admin');
    const ip = fakeIp();
    const first = await call(strict.url, 'POST', '/login', { json: { username: a.username, password: PASSWORD }, headers: { 'x-forwarded-for': ip } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.mfaEnrolmentRequired, true);
    assert.equal(first.body.token, undefined);
    const challengeToken = first.body.challengeToken as string;
    secrets.push(challengeToken);
    assert.equal((await call(strict.url, 'GET', '/me', { token: challengeToken })).status, 401);
    // The enrolment challenge is not a sign-in challenge.
    assert.equal((await secondStep({ challengeToken, code: '123456' }, ip, strict.url)).status, 401);

    const e = await call(strict.url, 'POST', '/login/mfa/enrol', { json: { challengeToken }, headers: { 'x-forwarded-for': ip } });
    assert.equal(e.status, 200, JSON.stringify(e.body));
    secrets.push(e.body.secret);
    const bad = await call(strict.url, 'POST', '/login/mfa/confirm', {
      json: { challengeToken, code: wrongCode(e.body.secret) },
      headers: { 'x-forwarded-for': ip },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'InvalidMfaCode');
    const ok = await call(strict.url, 'POST', '/login/mfa/confirm', {
      json: { challengeToken, code: codeFor(e.body.secret) },
      headers: { 'x-forwarded-for': ip },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.recoveryCodes.length, 10);
    secrets.push(...ok.body.recoveryCodes);
    assert.equal((await call(strict.url, 'GET', '/me', { token: ok.body.token })).body.username, a.username);
    assert.equal((await call(strict.url, 'GET', '/me/mfa', { token: ok.body.token })).body.required, true);
    // The challenge was used up; the next sign-in asks for a code; the factor cannot be turned off.
    assert.equal((await call(strict.url, 'POST', '/login/mfa/enrol', { json: { challengeToken } })).status, 401);
    await challenge(a.username, ip, strict.url);
    const off = await call(strict.url, 'POST', '/me/mfa/disable', {
      token: ok.body.token,
      json: { currentPassword: PASSWORD, code: codeFor(e.body.secret, 1) },
    });
    assert.equal(off.status, 403);
    assert.equal(off.body.error.code, 'MfaRequired');
    // A plain user is not affected by the setting.
    const plain = await createUser();
    assert.ok((await call(strict.url, 'POST', '/login', { json: { username: plain.username, password: PASSWORD } })).body.token);
  });

  test('no secret, recovery code or challenge token reaches the audit trail or the logs', async () => {
    assert.ok(secrets.length > 30);
    const audit = JSON.stringify((await db.query('SELECT * FROM audit_log')).rows);
    const logs = api.output() + strict.output();
    for (const s of secrets) {
      assert.ok(!audit.includes(s), 'a secret in the audit trail');
      assert.ok(!logs.includes(s), 'a secret in the logs');
    }
  });
});
