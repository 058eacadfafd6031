/**
 * The API fuzzed from its own OpenAPI document, as an outsider and as a signed-in plain user (never an
 * admin: an admin's fuzzed requests would delete users and jobs of other tests). schemathesis (pinned,
 * installed into .tools/schemathesis/ by `node scripts/setup.mjs --test`) generates requests from each
 * operation's schema, valid and invalid, and fails on any 5xx answer, any answer whose body breaks its
 * documented schema, and any undocumented status code. Separately, every operation the document marks
 * as secured is called without credentials and must answer 401: no protected route is open to anyone.
 * Bounded to a few examples per operation and one worker so the file stays within a few minutes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, type ApiProcess } from './support/api.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMATHESIS = path.join(ROOT, '.tools', 'schemathesis', 'bin', 'schemathesis');
const CHECKS = 'not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance';
/**
 * Operations the plain user's run leaves out because they would end the run's own session or
 * credentials halfway (every later request would just be 401): signing out and changing the password. The unauthenticated run and the 401 loop still cover them.
 */
const SELF_ENDING = /^(logout|changePassword)$/;
/**
 * Operations schemathesis cannot generate requests for (it errors instead of testing them): an upload
 * is a multipart of PDFs (application/pdf has no serializer; test/api-jobs.test.ts attacks uploads).
 * The 401 loop below still covers it.
 */
const UNGENERATABLE = ['upload'];
/** Examples per operation and phase: bounded so each run stays within a minute or two on 2 cores (FUZZ_MAX_EXAMPLES for a longer campaign). */
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '30';

interface OpenApi {
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; parameters?: Array<{ in: string; name: string }> }>>;
  security?: unknown[];
}

/** Run schemathesis against the API; resolves with its exit code and output. */
function schemathesis(base: string, extra: string[]): Promise<{ code: number; output: string }> {
  const cwd = fs.mkdtempSync(path.join(process.env.TEST_TMP ?? os.tmpdir(), 'fuzz-'));
  const args = [
    'run',
    `${base}/openapi.json`,
    '--url',
    base,
    '--checks',
    CHECKS,
    '--phases',
    'examples,fuzzing',
    '--max-examples',
    MAX_EXAMPLES,
    '--workers',
    '1',
    '--seed',
    '12',
    '--generation-database',
    'none',
    '--request-timeout',
    '30',
    '--suppress-health-check',
    'all',
    '--no-color',
    ...UNGENERATABLE.flatMap((id) => ['--exclude-operation-id', id]),
    ...extra,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** schemathesis' own counts (operations, test cases, checks), for the run's log. */
const summary = (output: string) =>
  output
    .split('\n')
    .filter((l) => /operations|test cases|generated|passed|failed|checks/i.test(l) && l.length < 200)
    .slice(-8)
    .join(' | ');

describe('API fuzzing (schemathesis) and unauthenticated access', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('fuzz'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let api: ApiProcess;
  let userToken: string;
  let doc: OpenApi;

  before(async () => {
    assert.ok(fs.existsSync(SCHEMATHESIS), `schemathesis is missing at ${SCHEMATHESIS}: run \`node scripts/setup.mjs --test\``);
    // no worker: fuzzed uploads only need their workflows started, not run
    api = await startApiProcess(env);
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const username = `fuzz_${Date.now().toString(36)}`;
    const password = 'fuzz-plain-user-password-7391';
    const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role: 'user' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    userToken = await login(api.url, username, password);
    doc = (await call<OpenApi>(api.url, 'GET', '/openapi.json')).body;
  });

  after(async () => {
    await api?.stop();
  });

  test('every secured operation answers 401 without credentials', async () => {
    const open: string[] = [];
    let secured = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const security = op.security ?? doc.security ?? [];
        if (security.length === 0) continue;
        secured++;
        // any well-formed value for path parameters: the credentials are checked before the resource
        const url = template.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const r = await call(api.url, method.toUpperCase(), url, method === 'get' || method === 'delete' ? {} : { json: {} });
        if (r.status !== 401) open.push(`${method.toUpperCase()} ${url} → ${r.status}`);
      }
    }
    assert.ok(secured >= 10, `the document marks its protected operations as secured (${secured} found)`);
    assert.deepEqual(open, [], 'secured operations that answered without credentials');
  });

  test('fuzzed as a plain user: no server error, every answer matches its documented schema and status', async (t) => {
    const { code, output } = await schemathesis(api.url, ['-H', `Authorization: Bearer ${userToken}`, '--exclude-operation-id-regex', SELF_ENDING.source]);
    t.diagnostic(summary(output));
    assert.equal(code, 0, output.slice(-12_000));
  });

  test('fuzzed without credentials: no server error, every answer matches its documented schema and status', async (t) => {
    const { code, output } = await schemathesis(api.url, []);
    t.diagnostic(summary(output));
    assert.equal(code, 0, output.slice(-12_000));
  });
});
