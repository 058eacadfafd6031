/**
 * API key scopes and expiry, over real HTTP against a real API process (app/api-main.ts) on the run's
 * Postgres and Temporal. Each test is an attack with a key: doing what its scopes do not allow,
 * reaching an administrator's powers through an administrator's key, minting itself more power,
 * reading installation-wide metrics, or living past its expiry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type pg from 'pg';
import { pool, uniquePrefix } from './support/env.js';
import { call, login, pdfForm, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';

const PASSWORD = 'correct-horse-battery-9';
const rand = () => crypto.randomBytes(4).toString('hex');
const DAY_MS = 86_400_000;

describe('API key scopes and expiry', () => {
  let api: ApiProcess;
  let db: pg.Pool;
  let adminToken: string;
  let userToken: string;

  async function createUser(username: string, role: 'user' | 'admin' = 'user'): Promise<string> {
    const r = await call(api.url, 'POST', '/users', { token: adminToken, json: { username, password: PASSWORD, role } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  }
  async function createKey(token: string, body: Record<string, unknown>): Promise<{ id: string; key: string; scopes: string[]; expiresAt: string }> {
    const r = await call(api.url, 'POST', '/me/api-keys', { token, json: body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }
  const upload = (apiKey: string) =>
    call(api.url, 'POST', '/upload', { apiKey, body: pdfForm([{ name: 'scope-check.pdf', content: digitalReportPdf(syntheticReport({ pages: 1 })) }]) });

  before(async () => {
    // No worker listens on this task queue: an uploaded job just waits, and the test deletes it.
    api = await startApiProcess({ TASK_QUEUE_PREFIX: uniquePrefix('keyscopes'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' });
    db = pool();
    adminToken = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const name = `scopes-${rand()}`;
    await createUser(name);
    userToken = await login(api.url, name, PASSWORD);
  });
  after(async () => {
    await api?.stop();
    await db?.end();
  });

  test('a jobs:read key lists jobs but cannot upload (403 ScopeRequired naming jobs:write)', async () => {
    const { key, scopes } = await createKey(userToken, { name: 'reader', scopes: ['jobs:read'] });
    assert.deepEqual(scopes, ['jobs:read']);
    const list = await call(api.url, 'GET', '/jobs', { apiKey: key });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const up = await upload(key);
    assert.equal(up.status, 403, JSON.stringify(up.body));
    assert.equal(up.body.error.code, 'ScopeRequired');
    assert.match(up.body.error.message, /jobs:write/);
    // Nothing was stored for the refused upload.
    assert.equal((await call(api.url, 'GET', '/jobs', { apiKey: key })).body.jobs.length, 0);
    // A jobs:write-only key cannot read, and the combined download (a POST) counts as reading.
    const { key: writer } = await createKey(userToken, { name: 'writer', scopes: ['jobs:write'] });
    for (const r of [
      await call(api.url, 'GET', '/jobs', { apiKey: writer }),
      await call(api.url, 'POST', '/download/combined', { apiKey: writer, json: { ids: [crypto.randomUUID()] } }),
    ]) {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'ScopeRequired');
      assert.match(r.body.error.message, /jobs:read/);
    }
  });

  test('a key named without scopes gets jobs:read and jobs:write: it uploads, lists and deletes', async () => {
    const { key, scopes } = await createKey(userToken, { name: 'default' });
    assert.deepEqual(scopes, ['jobs:read', 'jobs:write']);
    const up = await upload(key);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = up.body.jobs[0].id as string;
    const list = await call(api.url, 'GET', '/jobs', { apiKey: key });
    assert.equal(list.status, 200);
    assert.ok(list.body.jobs.some((j: any) => j.id === id));
    // Cancelling a waiting job is accepted (202); its deletion follows once the workflow ends.
    assert.ok([202, 204].includes((await call(api.url, 'DELETE', `/jobs/${id}`, { apiKey: key })).status));
  });

  test("an administrator's key cannot administer users, mint keys, list keys or change a password", async () => {
    const { key } = await createKey(adminToken, { name: 'admin script', scopes: ['jobs:read', 'jobs:write', 'review', 'metrics'] });
    const attempts = [
      await call(api.url, 'POST', '/users', { apiKey: key, json: { username: `evil-${rand()}`, password: PASSWORD, role: 'admin' } }),
      await call(api.url, 'GET', '/users', { apiKey: key }),
      await call(api.url, 'POST', '/me/api-keys', { apiKey: key, json: { name: 'more', scopes: ['metrics'] } }),
      await call(api.url, 'GET', '/me/api-keys', { apiKey: key }),
      await call(api.url, 'POST', '/me/password', { apiKey: key, json: { currentPassword: TEST_ADMIN.password, newPassword: 'another-long-passphrase-7' } }),
    ];
    for (const r of attempts) {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'SessionRequired');
    }
    // Still the same key, still working where it may: GET /me needs no scope.
    assert.equal((await call(api.url, 'GET', '/me', { apiKey: key })).status, 200);
  });

  test('a plain user cannot create a metrics key (403 ScopeNotAllowed); unknown scopes are refused (400)', async () => {
    const r = await call(api.url, 'POST', '/me/api-keys', { token: userToken, json: { name: 'scrape', scopes: ['metrics'] } });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'ScopeNotAllowed');
    for (const scopes of [['admin'], ['users:write'], [], ['jobs:read', 42]]) {
      const bad = await call(api.url, 'POST', '/me/api-keys', { token: userToken, json: { name: 'x', scopes } });
      assert.equal(bad.status, 400, `${JSON.stringify(scopes)}: ${JSON.stringify(bad.body)}`);
      assert.equal(bad.body.error.code, 'InvalidRequest');
    }
    const keys = (await call(api.url, 'GET', '/me/api-keys', { token: userToken })).body.apiKeys;
    assert.ok(!keys.some((k: any) => k.scopes.includes('metrics')));
  });

  test("/metrics: a user's session and key get 403, an admin's key without metrics 403, an admin's metrics key 200", async () => {
    const { key: userKey } = await createKey(userToken, { name: 'all I may', scopes: ['jobs:read', 'jobs:write', 'review'] });
    const { key: adminJobsKey } = await createKey(adminToken, { name: 'admin jobs' });
    const { key: metricsKey } = await createKey(adminToken, { name: 'prometheus', scopes: ['metrics'] });
    const userSession = await call(api.url, 'GET', '/metrics', { token: userToken });
    assert.equal(userSession.status, 403);
    assert.equal(userSession.body.error.code, 'Forbidden');
    const viaUserKey = await call(api.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${userKey}` } });
    assert.equal(viaUserKey.status, 403);
    assert.equal(viaUserKey.body.error.code, 'ScopeRequired');
    assert.equal((await call(api.url, 'GET', '/metrics', { apiKey: adminJobsKey })).body.error.code, 'ScopeRequired');
    // As Prometheus sends it: the key as a bearer token.
    const scrape = await call(api.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${metricsKey}` } });
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(scrape.body.toString('utf8'), /medextract_jobs\{status="queued"\}/);
    assert.equal((await call(api.url, 'GET', '/metrics', { token: adminToken })).status, 200);
    // A metrics key reads metrics only.
    assert.equal((await call(api.url, 'GET', '/jobs', { apiKey: metricsKey })).body.error.code, 'ScopeRequired');
  });

  test('an expired key is refused with 401 naming its expiry, and its last use is not updated', async () => {
    const { id, key } = await createKey(userToken, { name: 'short', expiresInDays: 1 });
    assert.equal((await call(api.url, 'GET', '/jobs', { apiKey: key })).status, 200);
    const used = (await db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id])).rows[0].last_used_at as Date;
    // Move the key's expiry into the past, as time passing would.
    await db.query("UPDATE api_keys SET expires_at = now() - interval '1 minute', last_used_at = now() - interval '1 hour' WHERE id = $1", [id]);
    const before = (await db.query('SELECT last_used_at, expires_at FROM api_keys WHERE id = $1', [id])).rows[0];
    assert.ok(used);
    for (const r of [
      await call(api.url, 'GET', '/jobs', { apiKey: key }),
      await call(api.url, 'GET', '/me', { headers: { authorization: `Bearer ${key}` } }),
    ]) {
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'Unauthorized');
      assert.match(r.body.error.message, /the API key expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC; create a new one/);
    }
    const afterRow = (await db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id])).rows[0];
    assert.equal(afterRow.last_used_at.getTime(), before.last_used_at.getTime(), 'an expired key never records a use');
    const listed = (await call(api.url, 'GET', '/me/api-keys', { token: userToken })).body.apiKeys.find((k: any) => k.id === id);
    assert.equal(listed.expired, true);

    // A revoked key neither works nor records a use.
    const { id: id2, key: key2 } = await createKey(userToken, { name: 'revoked' });
    assert.equal((await call(api.url, 'DELETE', `/me/api-keys/${id2}`, { token: userToken })).status, 204);
    const r = await call(api.url, 'GET', '/jobs', { apiKey: key2 });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.message, 'the API key is not valid');
    assert.equal((await db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id2])).rows[0].last_used_at, null);
  });

  test('expiry: default from API_KEY_DEFAULT_DAYS (90), expiresInDays and expiresAt honoured, a past or too far date refused', async () => {
    const near = (iso: string, days: number) => Math.abs(Date.parse(iso) - Date.now() - days * DAY_MS) < 5 * 60_000;
    assert.ok(near((await createKey(userToken, { name: 'default life' })).expiresAt, 90));
    assert.ok(near((await createKey(userToken, { name: 'month', expiresInDays: 30 })).expiresAt, 30));
    const at = new Date(Date.now() + 7 * DAY_MS).toISOString();
    assert.equal(Date.parse((await createKey(userToken, { name: 'week', expiresAt: at })).expiresAt), Date.parse(at));
    for (const body of [
      { expiresAt: new Date(Date.now() - 60_000).toISOString() },
      { expiresAt: new Date(Date.now() + 3651 * DAY_MS).toISOString() },
      { expiresInDays: 0 },
      { expiresInDays: 3651 },
      { expiresInDays: 1.5 },
      { expiresInDays: 30, expiresAt: at },
      { expiresAt: 'tomorrow' },
    ]) {
      const r = await call(api.url, 'POST', '/me/api-keys', { token: userToken, json: { name: 'bad', ...body } });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'InvalidRequest');
    }
  });

  test('the list shows scopes, creation, expiry, expired and last use, never the key', async () => {
    const name = `lister-${rand()}`;
    await createUser(name);
    const token = await login(api.url, name, PASSWORD);
    const { id, key } = await createKey(token, { name: 'nightly', scopes: ['review', 'jobs:read'], expiresInDays: 365 });
    let listed = (await call(api.url, 'GET', '/me/api-keys', { token })).body.apiKeys;
    assert.equal(listed.length, 1);
    assert.deepEqual(Object.keys(listed[0]).sort(), ['createdAt', 'expired', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'scopes']);
    assert.deepEqual(listed[0].scopes, ['jobs:read', 'review'], 'stored in the vocabulary order');
    assert.equal(listed[0].lastUsedAt, null);
    assert.equal(listed[0].expired, false);
    assert.ok(Math.abs(Date.parse(listed[0].expiresAt) - Date.now() - 365 * DAY_MS) < 5 * 60_000);
    assert.equal((await call(api.url, 'GET', '/jobs', { apiKey: key })).status, 200);
    listed = (await call(api.url, 'GET', '/me/api-keys', { token })).body.apiKeys;
    assert.equal(listed[0].id, id);
    assert.ok(listed[0].lastUsedAt);
    assert.ok(!JSON.stringify(listed).includes(key));
  });

  test('the OpenAPI document names the scope each operation needs', async () => {
    const doc = (await call(api.url, 'GET', '/openapi.json')).body;
    const op = (method: string, p: string) => doc.paths[p][method];
    const expected: Array<[string, string, string]> = [
      ['get', '/jobs', 'jobs:read'],
      ['get', '/jobs/{id}/pages/{page}/image', 'jobs:read'],
      ['post', '/download/combined', 'jobs:read'],
      ['post', '/upload', 'jobs:write'],
      ['delete', '/jobs/{id}', 'jobs:write'],
      ['get', '/metrics', 'metrics'],
      ['post', '/users', 'session'],
      ['post', '/me/api-keys', 'session'],
      ['post', '/me/password', 'session'],
      ['get', '/me', 'any-key'],
    ];
    for (const [m, p, scope] of expected) {
      assert.equal(op(m, p)['x-required-scope'], scope, `${m} ${p}`);
      assert.match(
        op(m, p).description,
        scope === 'session' ? /signed-in session/ : scope === 'any-key' ? /Any valid API key/ : new RegExp(`scope \`${scope}\``),
      );
    }
    assert.equal(op('get', '/healthz')['x-required-scope'], undefined, 'public routes need nothing');
    assert.match(op('post', '/me/api-keys').description, /jobs:read.*jobs:write/s);
    assert.deepEqual(doc.components.schemas.ApiScope.enum, ['jobs:read', 'jobs:write', 'review', 'metrics']);
    // Every protected operation names its scope: none is left open to every key by omission.
    for (const [p, ops] of Object.entries<any>(doc.paths)) {
      for (const [m, o] of Object.entries<any>(ops)) {
        if (!(Array.isArray(o.security) && o.security.length === 0)) assert.ok(o['x-required-scope'], `${m} ${p} names no scope`);
      }
    }
  });
});
