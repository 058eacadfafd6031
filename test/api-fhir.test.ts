/**
 * FHIR downloads over HTTP on the real stack: a job's Bundle (collection and transaction) validates offline,
 * carries every lab value of the result with its evidence and highlight boxes, follows corrections, and is
 * refused for other users' jobs; several jobs come as one collection of Bundles; each download is audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { Bundle, Observation, Provenance } from '@medplum/fhirtypes';
import { EVIDENCE_EXTENSION_URL, EVIDENCE_PART, validateBundle } from '../library/fhir/index.js';
import { pool, readCorpus, startWorker, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, uploadAndComplete, type ApiProcess, startApiProcess } from './support/api.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const LAB = 'medical/rcn_lab_report.pdf';
const DISCHARGE = 'medical/rcn_discharge_summary.pdf';
const PATCH_TYPE = 'application/json-patch+json';

const resources = <T>(b: Bundle, type: string): T[] => (b.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === type) as T[];
const errorsOf = (b: Bundle) => validateBundle(b).filter((p) => p.severity === 'error');

describe('FHIR downloads', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('fhir'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  const tokens: Record<'alice' | 'bob', string> = {} as never;
  const ids: Record<'lab' | 'discharge' | 'scan', string> = {} as never;

  const get = (path: string, token = tokens.alice) => call(api.url, 'GET', path, { token });

  before(async () => {
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    db = pool();
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const name of ['alice', 'bob'] as const) {
      const username = `fhir_${name}_${Date.now().toString(36)}`;
      const password = `Quiet-harbour-${name}-lantern-84`;
      const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role: 'user' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens[name] = await login(api.url, username, password);
    }
    const scan = new Uint8Array(scannedReportPdf(syntheticReport({ pages: 1, seed: 77, rowsPerPage: 5 })));
    [ids.lab, ids.discharge, ids.scan] = (await uploadAndComplete(api.url, tokens.alice, [
      { name: 'lab.pdf', content: readCorpus(LAB) },
      { name: 'discharge.pdf', content: readCorpus(DISCHARGE) },
      { name: 'scan.pdf', content: scan },
    ])) as [string, string, string];
  });

  after(async () => {
    await db?.end();
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  test('a job as a collection Bundle: FHIR media type, a download name, valid, every lab result an Observation with its LOINC code', async () => {
    const r = await get(`/jobs/${ids.lab}/fhir`);
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.match(r.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    assert.match(r.headers.get('content-disposition') ?? '', /lab\.fhir\.json/);
    assert.equal(r.headers.get('x-validation-errors'), '0');
    const bundle = r.body as Bundle;
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    assert.deepEqual(errorsOf(bundle), []);

    const result = (await get(`/jobs/${ids.lab}/result`)).body;
    const observations = resources<Observation>(bundle, 'Observation').filter((o) => o.category?.[0]?.coding?.[0]?.code === 'laboratory');
    assert.equal(observations.length, result.lab_results.length, 'one Observation per lab result');
    for (const l of result.lab_results) {
      const o = observations.find((x) => x.code.text === l.test);
      assert.ok(o, `an Observation for ${l.test}`);
      if (l.loinc)
        assert.ok(
          o.code.coding?.some((c) => c.system === 'http://loinc.org' && c.code === l.loinc),
          `${l.test} carries its printed LOINC code`,
        );
    }
    const doc = resources<{ masterIdentifier?: { value?: string }; content: Array<{ attachment: { contentType?: string; size?: number } }> }>(
      bundle,
      'DocumentReference',
    )[0]!;
    assert.equal(doc.content[0]!.attachment.contentType, 'application/pdf');
    assert.equal(doc.content[0]!.attachment.size, readCorpus(LAB).byteLength);
  });

  test('a discharge summary and a scanned page validate too; the scan’s values carry highlight boxes from the OCR words', async () => {
    for (const id of [ids.discharge, ids.scan]) {
      const r = await get(`/jobs/${id}/fhir`);
      assert.equal(r.status, 200);
      assert.deepEqual(errorsOf(r.body), [], `job ${id}`);
    }
    const scan = (await get(`/jobs/${ids.scan}/fhir`)).body as Bundle;
    const evidence = resources<Provenance>(scan, 'Provenance')
      .flatMap((p) => p.entity ?? [])
      .flatMap((e) => e.extension ?? [])
      .filter((x) => x.url === EVIDENCE_EXTENSION_URL);
    assert.ok(evidence.length > 0, 'the scan has evidence');
    const boxes = evidence.flatMap((x) => (x.extension ?? []).filter((part) => part.url === EVIDENCE_PART.box));
    assert.ok(boxes.length > 0, 'values of the scanned page carry highlight boxes');
    for (const box of boxes) {
      const n = Object.fromEntries((box.extension ?? []).map((c) => [c.url, c.valueDecimal]));
      assert.ok(
        [n.x, n.y, n.w, n.h].every((v) => typeof v === 'number' && v >= 0 && v <= 1),
        JSON.stringify(n),
      );
    }
  });

  test('a transaction Bundle: every entry is a request, references are urn:uuid, and it validates', async () => {
    const r = await get(`/jobs/${ids.lab}/fhir?type=transaction`);
    assert.equal(r.status, 200);
    const bundle = r.body as Bundle;
    assert.equal(bundle.type, 'transaction');
    assert.ok(bundle.entry!.every((e) => e.request?.method === 'POST' && e.fullUrl?.startsWith('urn:uuid:')));
    assert.deepEqual(errorsOf(bundle), []);
    assert.equal((await get(`/jobs/${ids.lab}/fhir?type=batch`)).status, 400, 'an unknown type is refused');
  });

  test('the Bundle follows the current version: a corrected value is exported corrected, a rejected one is gone', async () => {
    const result = (await get(`/jobs/${ids.lab}/result`)).body;
    const patch = await call(api.url, 'PATCH', `/jobs/${ids.lab}/result`, {
      token: tokens.alice,
      body: JSON.stringify([
        { op: 'replace', path: '/lab_results/0/value', value: 12.3 },
        { op: 'replace', path: '/lab_results/1/review/state', value: 'rejected' },
      ]),
      headers: { 'content-type': PATCH_TYPE, 'if-match': `"${result.version}"` },
    });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const bundle = (await get(`/jobs/${ids.lab}/fhir`)).body as Bundle;
    const labs = resources<Observation>(bundle, 'Observation').filter((o) => o.category?.[0]?.coding?.[0]?.code === 'laboratory');
    assert.equal(labs.length, result.lab_results.length - 1, 'the rejected result is not exported');
    assert.equal(labs.find((o) => o.code.text === result.lab_results[0].test)?.valueQuantity?.value, 12.3);
    assert.ok(!labs.some((o) => o.code.text === result.lab_results[1].test && result.lab_results[1].test !== result.lab_results[0].test));
    assert.deepEqual(errorsOf(bundle), []);
  });

  test('several jobs as one collection of Bundles, one per document, in the order asked', async () => {
    const r = await call(api.url, 'POST', '/download/combined/fhir', { token: tokens.alice, json: { jobIds: [ids.discharge, ids.lab] } });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    const outer = r.body as Bundle;
    assert.equal(outer.type, 'collection');
    const inner = outer.entry!.map((e) => e.resource as Bundle);
    assert.deepEqual(
      inner.map((b) => b.resourceType),
      ['Bundle', 'Bundle'],
    );
    const docTitles = inner.map(
      (b) => resources<{ description?: string; content: Array<{ attachment: { title?: string } }> }>(b, 'DocumentReference')[0]!.content[0]!.attachment.title,
    );
    assert.deepEqual(docTitles, ['discharge.pdf', 'lab.pdf']);
    assert.deepEqual(errorsOf(outer), []);
  });

  test("another user's job answers 404, for one Bundle and in a combined one; every download is audited without values", async () => {
    assert.equal((await get(`/jobs/${ids.lab}/fhir`, tokens.bob)).status, 404);
    assert.equal((await call(api.url, 'POST', '/download/combined/fhir', { token: tokens.bob, json: { jobIds: [ids.lab] } })).status, 404);
    const rows = await db.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_log WHERE action = 'job.download' AND target_id = $1 AND detail->>'format' = 'fhir'",
      [ids.lab],
    );
    assert.ok(rows.rows.length >= 3, `FHIR downloads of the lab job are audited (${rows.rows.length})`);
    const text = JSON.stringify(rows.rows);
    assert.ok(!/Haemoglobin|John|Doe/i.test(text), 'the audit holds no document text');
  });
});
