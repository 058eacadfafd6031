/**
 * Review and correction over HTTP, on the real stack (API process, worker process, Temporal, Postgres):
 * accept, correct, reject and add values with a JSON Patch and If-Match; stale versions and bad patches
 * refused with nothing stored; every version rebuilt; downloads of the current version saying so;
 * approval freezing corrections; reviewers; the history and the audit trail (without values).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { pool, readCorpus, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, startApiProcess, uploadAndComplete, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';

const LAB = 'medical/healthfirst_lab_report_3p.pdf';
const PATCH_TYPE = 'application/json-patch+json';

describe('review and correction', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('review'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  const tokens: Record<'alice' | 'bob' | 'rex' | 'admin', string> = {} as never;
  const names: Record<'alice' | 'rex', string> = {} as never;
  let id = '';

  const get = (path: string, token = tokens.alice) => call(api.url, 'GET', path, { token });
  const patch = (ops: unknown, ifMatch: string | undefined, token = tokens.alice, extra: Record<string, string> = {}) =>
    call(api.url, 'PATCH', `/jobs/${id}/result`, {
      token,
      body: JSON.stringify(ops),
      headers: { 'content-type': PATCH_TYPE, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }), ...extra },
    });
  const review = (state: string, token = tokens.alice) => call(api.url, 'POST', `/jobs/${id}/review`, { token, json: { state } });
  const history = async () => (await get(`/jobs/${id}/result/history`)).body;

  before(async () => {
    worker = await startWorker(env);
    api = await startApiProcess(env);
    db = pool();
    tokens.admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const [name, role] of [
      ['alice', 'user'],
      ['bob', 'user'],
      ['rex', 'reviewer'],
    ] as const) {
      const username = `${name}_${Date.now().toString(36)}`;
      const password = `Quiet-harbour-${name.length}-lantern-84`;
      const r = await call(api.url, 'POST', '/users', { token: tokens.admin, json: { username, password, role } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens[name] = await login(api.url, username, password);
      if (name !== 'bob') names[name] = username;
    }
    [id] = (await uploadAndComplete(api.url, tokens.alice, [{ name: 'healthfirst.pdf', content: readCorpus(LAB) }])) as [string];
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  test('the machine result is version 0: every value unreviewed, ETag "0"', async () => {
    const r = await get(`/jobs/${id}/result`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('etag'), '"0"');
    assert.equal(r.body.version, 0);
    assert.equal(r.body.review_state, 'unreviewed');
    assert.ok(r.body.lab_results.length > 10, 'the report has lab rows');
    assert.ok(
      r.body.lab_results.every((l: any) => l.review.state === 'unreviewed'),
      'every row unreviewed',
    );
    assert.equal(r.body.patient.name.review.state, 'unreviewed');
    const status = (await get(`/status/${id}`)).body;
    assert.equal(status.reviewState, 'unreviewed');
    assert.equal(status.version, 0);
  });

  test('a patch needs If-Match with the current version and the JSON Patch media type', async () => {
    const ops = [{ op: 'replace', path: '/patient/name/review/state', value: 'accepted' }];
    const none = await patch(ops, undefined);
    assert.equal(none.status, 428);
    assert.equal(none.body.error.code, 'PreconditionRequired');
    const stale = await patch(ops, '"7"');
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, 'PreconditionFailed');
    const plain = await call(api.url, 'PATCH', `/jobs/${id}/result`, { token: tokens.alice, json: ops, headers: { 'if-match': '"0"' } });
    assert.equal(plain.status, 415);
    assert.equal((await history()).events.length, 0, 'nothing stored');
  });

  test('accept, correct, reject and add in one patch make version 1, with each state, the original and who', async () => {
    const v0 = (await get(`/jobs/${id}/result`)).body;
    const lab = v0.lab_results[0];
    const ops = [
      { op: 'replace', path: '/patient/name/review/state', value: 'accepted' },
      { op: 'test', path: '/lab_results/0/test', value: lab.test },
      { op: 'replace', path: '/lab_results/0/value', value: 999.5 },
      { op: 'replace', path: '/lab_results/1/review/state', value: 'rejected' },
      {
        op: 'add',
        path: '/vitals/-',
        value: { evidence: { page: 2, quote: 'Pulse 72' }, name: 'Pulse', value: 72, unit: 'bpm', taken_at: null },
      },
    ];
    const r = await patch(ops, '"0"', tokens.alice, { 'x-correction-reason': 'checked against the paper copy' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers.get('etag'), '"1"');
    assert.equal(r.body.version, 1);
    assert.equal(r.body.review_state, 'in_review');
    assert.equal(r.body.patient.name.review.state, 'accepted');
    assert.equal(r.body.patient.name.review.by, names.alice);
    assert.equal(r.body.lab_results[0].value, 999.5);
    assert.equal(r.body.lab_results[0].review.state, 'corrected');
    assert.equal(r.body.lab_results[0].review.original.value, lab.value, "the machine's value stays beside the correction");
    assert.equal(r.body.lab_results[1].review.state, 'rejected');
    const pulse = r.body.vitals.at(-1);
    assert.equal(pulse.review.state, 'added');
    assert.equal(pulse.evidence.page, 2);
    assert.equal((await get(`/status/${id}`)).body.reviewState, 'in_review');

    const h = await history();
    assert.equal(h.events.length, 1);
    const [e] = h.events;
    assert.equal(e.kind, 'correction');
    assert.equal(e.version, 1);
    assert.equal(e.by, names.alice);
    assert.equal(e.reason, 'checked against the paper copy');
    assert.deepEqual(e.patch, ops);
    assert.deepEqual(e.changes.map((c: any) => `${c.path} ${c.state}`).sort(), [
      '/lab_results/0 corrected',
      '/lab_results/1 rejected',
      '/patient/name accepted',
      `/vitals/${r.body.vitals.length - 1} added`,
    ]);
    const corrected = e.changes.find((c: any) => c.path === '/lab_results/0');
    assert.deepEqual(corrected.evidenceBefore, lab.evidence);
  });

  test('a patch to a field that does not exist or of the wrong type answers 422, a failed test 409, and nothing is stored', async () => {
    const missing = await patch([{ op: 'replace', path: '/patient/nickname/value', value: 'X' }], '"1"');
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error.code, 'PatchTargetMissing');
    const beyond = await patch([{ op: 'replace', path: '/lab_results/9999/value', value: 1 }], '"1"');
    assert.equal(beyond.status, 422);
    assert.equal(beyond.body.error.code, 'PatchTargetMissing');
    const wrongType = await patch([{ op: 'replace', path: '/lab_results/0/flag', value: 'sky high' }], '"1"');
    assert.equal(wrongType.status, 422);
    assert.equal(wrongType.body.error.code, 'ContractViolation');
    const noPage = await patch([{ op: 'add', path: '/allergies/-', value: { evidence: null, substance: 'latex', reaction: null, severity: null } }], '"1"');
    assert.equal(noPage.status, 422);
    assert.equal(noPage.body.error.code, 'EvidenceRequired');
    const system = await patch([{ op: 'replace', path: '/lab_results/0/review/by', value: 'someone else' }], '"1"');
    assert.equal(system.status, 422);
    assert.equal(system.body.error.code, 'NotCorrectable');
    const failedTest = await patch([{ op: 'test', path: '/lab_results/0/value', value: -1 }], '"1"');
    assert.equal(failedTest.status, 409);
    assert.equal(failedTest.body.error.code, 'PatchTestFailed');
    const notPatch = await patch({ op: 'replace' }, '"1"');
    assert.equal(notPatch.status, 400);
    assert.equal((await history()).events.length, 1, 'nothing stored');
    assert.equal((await get(`/jobs/${id}/result`)).body.version, 1);
  });

  test('two corrections against the same version: one is stored, the other refused', async () => {
    const a = patch([{ op: 'replace', path: '/lab_results/2/review/state', value: 'accepted' }], '"1"');
    const b = patch([{ op: 'replace', path: '/lab_results/3/review/state', value: 'accepted' }], '"1"', tokens.rex);
    const answers = await Promise.all([a, b]);
    const statuses = answers.map((r) => r.status).sort();
    assert.equal(statuses[0], 200, JSON.stringify(answers.map((r) => r.body)));
    assert.ok([409, 412].includes(statuses[1]!), `the loser is refused: ${statuses}`);
    assert.equal((await history()).events.length, 2);
  });

  test('?version=N rebuilds every earlier version exactly', async () => {
    const v0 = (await get(`/jobs/${id}/result?version=0`)).body;
    const v1 = (await get(`/jobs/${id}/result?version=1`)).body;
    const v2 = (await get(`/jobs/${id}/result`)).body;
    assert.equal(v0.version, 0);
    assert.equal(v2.version, 2);
    assert.equal(v0.lab_results[0].review.state, 'unreviewed');
    assert.equal(v1.lab_results[0].value, 999.5);
    const strip = (x: any) => ({ ...x, version: 0, review_state: null });
    const again = (await get(`/jobs/${id}/result?version=1`)).body;
    assert.deepEqual(strip(again), strip(v1));
    assert.notDeepEqual(strip(v1), strip(v2));
    assert.equal((await get(`/jobs/${id}/result?version=3`)).status, 404);
  });

  test('the workbook and JSON downloaded after a correction carry the corrected value, the mark and the version', async () => {
    const res = await fetch(`${api.url}/download/${id}`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    assert.equal(res.status, 200);
    const sheets = await readWorkbook(Buffer.from(await res.arrayBuffer()));
    const summary = sheets.get('Summary')![0]!;
    assert.equal(summary['Result version'], 2);
    assert.equal(summary['Review state'], 'In review');
    assert.equal(summary['Corrected values'], 1);
    const labs = sheets.get('Lab Results')!;
    const row = labs.find((r) => r.Value === 999.5);
    assert.ok(row, 'the corrected value is in the workbook');
    assert.match(String(row.Review), new RegExp(`^corrected by ${names.alice}; machine read`));
    assert.ok(
      labs.some((r) => String(r.Review).startsWith('rejected')),
      'the rejected row is marked',
    );
    const vitals = sheets.get('Vitals')!;
    assert.ok(vitals.some((r) => r.Name === 'Pulse' && String(r.Review).startsWith('added')));
  });

  test('approval freezes corrections and says who; reopening lets them in again', async () => {
    const ok = await review('approved');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.reviewState, 'approved');
    assert.equal(ok.body.approvedBy, names.alice);
    const frozen = await patch([{ op: 'replace', path: '/lab_results/4/review/state', value: 'accepted' }], '"2"');
    assert.equal(frozen.status, 409);
    assert.equal(frozen.body.error.code, 'ReviewApproved');
    const json = (await get(`/jobs/${id}/result`)).body;
    assert.equal(json.review_state, 'approved');
    assert.equal(json.approved_by, names.alice);
    const res = await fetch(`${api.url}/download/${id}`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    const summary = (await readWorkbook(Buffer.from(await res.arrayBuffer()))).get('Summary')![0]!;
    assert.equal(summary['Review state'], 'Approved');
    assert.equal(summary['Approved by'], names.alice);

    const reopened = await review('in_review', tokens.rex);
    assert.equal(reopened.status, 200);
    assert.equal(reopened.body.approvedBy, null);
    const again = await patch([{ op: 'replace', path: '/lab_results/4/review/state', value: 'accepted' }], '"2"', tokens.rex);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.lab_results[4].review.by, names.rex);
    const kinds = (await history()).events.map((e: any) => `${e.kind}:${e.reviewState ?? e.version}`);
    assert.deepEqual(kinds, ['correction:1', 'correction:2', 'review:approved', 'review:in_review', 'correction:3']);
  });

  test("another user's job answers 404; a reviewer sees and reviews everyone's jobs but administers no users", async () => {
    for (const r of [
      await get(`/jobs/${id}/result`, tokens.bob),
      await get(`/jobs/${id}/result/history`, tokens.bob),
      await patch([{ op: 'replace', path: '/patient/name/review/state', value: 'accepted' }], '"3"', tokens.bob),
      await review('approved', tokens.bob),
    ]) {
      assert.equal(r.status, 404, JSON.stringify(r.body));
    }
    const listed = await get('/jobs?limit=100', tokens.rex);
    assert.ok(
      listed.body.jobs.some((j: any) => j.id === id),
      "a reviewer lists other users' jobs",
    );
    const users = await call(api.url, 'POST', '/users', {
      token: tokens.rex,
      json: { username: `nope_${Date.now()}`, password: 'Quiet-harbour-9-lantern-84', role: 'admin' },
    });
    assert.equal(users.status, 403);
    assert.equal((await get('/users', tokens.rex)).status, 403);
  });

  test('an API key needs the review scope to correct', async () => {
    const key = async (scopes: string[]) =>
      (await call(api.url, 'POST', '/me/api-keys', { token: tokens.alice, json: { name: `k-${scopes.join('-')}`, scopes } })).body.key as string;
    const reader = await key(['jobs:read']);
    const ops = JSON.stringify([{ op: 'replace', path: '/lab_results/5/review/state', value: 'accepted' }]);
    const headers = { 'content-type': PATCH_TYPE, 'if-match': '"3"' };
    const refused = await call(api.url, 'PATCH', `/jobs/${id}/result`, { apiKey: reader, body: ops, headers });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'ScopeRequired');
    const reviewer = await key(['jobs:read', 'review']);
    const ok = await call(api.url, 'PATCH', `/jobs/${id}/result`, { apiKey: reviewer, body: ops, headers });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('every correction and review is audited with version and paths, never the values', async () => {
    const rows = await db.query<{ action: string; detail: Record<string, unknown> }>(
      `SELECT action, detail FROM audit_log WHERE target_id = $1 AND action IN ('job.correct', 'job.review') ORDER BY id`,
      [id],
    );
    assert.deepEqual(
      rows.rows.map((r) => r.action),
      ['job.correct', 'job.correct', 'job.review', 'job.review', 'job.correct', 'job.correct'],
    );
    const first = rows.rows[0]!.detail;
    assert.equal(first.version, 1);
    assert.equal(first.operations, 5);
    assert.match(String(first.paths), /\/lab_results\/0/);
    const text = JSON.stringify(rows.rows);
    for (const value of ['999.5', 'Pulse', 'paper copy']) assert.ok(!text.includes(value), `the audit trail does not hold "${value}"`);
  });
});
