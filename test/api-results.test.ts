/**
 * Looking at results over HTTP, on the real stack (API process, worker process, Temporal, Postgres):
 * a cited page's image and where each quote sits on it (text layer and OCR), and several jobs as one
 * combined workbook. Access rules are the job routes' own: another user's job answers 404.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { pool, readCorpus, readTruth, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { readWorkbook } from './support/workbook.js';
import { digitalReportPdf, scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const DIGITAL = 'medical/rcn_lab_report.pdf';
const ENCRYPTED = 'malformed/encrypted_aes128_user_password__pypdf_r4.pdf';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const FLOOD_PAGES = 16;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
interface PageView {
  page: number;
  pageCount: number;
  source: 'text_layer' | 'ocr';
  aspectRatio: number;
  wordBoxes: boolean;
  highlights: Array<{ quote: string; boxes: Box[] }>;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buf: Buffer): { width: number; height: number } {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('result pages and combined workbooks', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('results'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '' };
  const report = syntheticReport({ pages: 2, seed: 41, rowsPerPage: 5 });
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  const tokens: Record<'alice' | 'bob', string> = {} as never;
  const ids: Record<'digital' | 'scanned' | 'failed' | 'many' | 'bobs', string> = {} as never;

  async function upload(token: string, name: string, content: Uint8Array): Promise<string> {
    const r = await call(api.url, 'POST', '/upload', { token, body: pdfForm([{ name, content }]) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.jobs[0].id as string;
  }
  async function finished(token: string, id: string): Promise<any> {
    return waitUntil(`job ${id} to finish`, async () => {
      const r = await call(api.url, 'GET', `/status/${id}`, { token });
      return FINISHED.has(r.body.status) ? r.body : undefined;
    });
  }
  const pageView = async (id: string, page: number, token = tokens.alice) => call<PageView>(api.url, 'GET', `/jobs/${id}/pages/${page}`, { token });
  const result = async (id: string) => (await call(api.url, 'GET', `/jobs/${id}/result`, { token: tokens.alice })).body;
  /** The highlight boxes of an evidence quote on its page. */
  const boxesOf = (view: PageView, quote: string) => view.highlights.find((h) => h.quote === quote)?.boxes ?? [];

  before(async () => {
    worker = await startWorker(env);
    api = await startApiProcess(env);
    db = pool();
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const name of ['alice', 'bob'] as const) {
      const username = `${name}_${Date.now().toString(36)}`;
      const password = `Quiet-harbour-${name.length}-lantern-84`;
      const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role: 'user' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens[name] = await login(api.url, username, password);
    }
    ids.digital = await upload(tokens.alice, 'rcn_lab_report.pdf', readCorpus(DIGITAL));
    ids.scanned = await upload(tokens.alice, 'scanned-two-pages.pdf', scannedReportPdf(report));
    ids.failed = await upload(tokens.alice, 'locked.pdf', readCorpus(ENCRYPTED));
    // many pages for a flood of distinct page images (a cache hit would not queue), and a job of bob's own
    ids.many = await upload(tokens.alice, 'sixteen-pages.pdf', digitalReportPdf(syntheticReport({ pages: FLOOD_PAGES, seed: 43, rowsPerPage: 3 })));
    ids.bobs = await upload(tokens.bob, 'bobs-report.pdf', digitalReportPdf(syntheticReport({ pages: 1, seed: 44, rowsPerPage: 3 })));
    const [digital, scanned, failed] = await Promise.all([ids.digital, ids.scanned, ids.failed].map((id) => finished(tokens.alice, id)));
    assert.equal((await finished(tokens.alice, ids.many)).status, 'completed');
    assert.equal((await finished(tokens.bob, ids.bobs)).status, 'completed');
    assert.equal(digital.status, 'completed', JSON.stringify(digital));
    assert.equal(scanned.status, 'completed', JSON.stringify(scanned));
    assert.equal(failed.status, 'failed', JSON.stringify(failed));
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  test('a text-layer page: every cited quote is listed, and known values are boxed in reading order', async () => {
    const truth = readTruth(DIGITAL);
    const r = await pageView(ids.digital, 1);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const view = r.body;
    assert.equal(view.source, 'text_layer');
    assert.equal(view.pageCount, 1);
    assert.ok(view.wordBoxes);
    assert.ok(Math.abs(view.aspectRatio - 595 / 842) < 0.01, `A4 portrait: ${view.aspectRatio}`);
    const x = await result(ids.digital);
    const labs = x.lab_results.filter((l: any) => l.evidence?.page === 1);
    const cited = new Set(view.highlights.map((h) => h.quote));
    for (const l of labs) assert.ok(cited.has(l.evidence.quote), `the page lists the quote of ${l.test}`);
    // The truth's tests are printed top to bottom in the truth's order.
    const names = truth.tests.map((t: { name: string }) => t.name) as string[];
    const [first, last] = [names[0]!, names.at(-1)!].map((n) => labs.find((l: any) => l.test === n));
    assert.ok(first && last, 'the first and last tests of the truth were extracted');
    const [a, b] = [boxesOf(view, first.evidence.quote), boxesOf(view, last.evidence.quote)];
    assert.ok(a.length >= 1 && b.length >= 1, `both quotes are located: ${JSON.stringify({ a, b })}`);
    assert.ok(a[0]!.y1 <= b[0]!.y0, `${first.test} is above ${last.test}`);
    for (const box of [...a, ...b]) {
      assert.ok(box.x0 >= 0 && box.x1 <= 1 && box.y0 >= 0 && box.y1 <= 1 && box.x0 < box.x1 && box.y0 < box.y1, JSON.stringify(box));
      // one line of text is a thin strip, never a big block
      assert.ok(box.y1 - box.y0 < 0.05, `a line-high box: ${JSON.stringify(box)}`);
    }
    // The patient's name is in the header, above the results.
    const nameBoxes = boxesOf(view, x.patient.name.evidence.quote);
    assert.ok(nameBoxes.length >= 1 && nameBoxes[0]!.y1 <= a[0]!.y0, JSON.stringify(nameBoxes));
  });

  test('an OCR page: quotes are boxed from the stored word boxes, in the rows where the report prints them', async () => {
    const x = await result(ids.scanned);
    for (const page of [1, 2]) {
      const r = await pageView(ids.scanned, page);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.source, 'ocr');
      assert.equal(r.body.pageCount, 2);
      const rows = report.pages[page - 1]!;
      const labs = rows.map((row) => x.lab_results.find((l: any) => l.test === row.test && l.evidence?.page === page));
      assert.ok(labs.every(Boolean), `every test of page ${page} was extracted with that page`);
      const tops = labs.map((l: any) => boxesOf(r.body, l.evidence.quote)[0]);
      assert.ok(tops.every(Boolean), `every quote of page ${page} is located: ${JSON.stringify(tops)}`);
      for (let i = 1; i < tops.length; i++) assert.ok(tops[i - 1]!.y0 < tops[i]!.y0, `row ${i} of page ${page} is below row ${i - 1}`);
      // The test names are in the left column of the table.
      for (const box of tops) assert.ok(box!.x0 < 0.3, JSON.stringify(box));
    }
  });

  test('the page image is a PNG at screen resolution with the page proportions', async () => {
    for (const [id, page] of [
      [ids.digital, 1],
      [ids.scanned, 2],
    ] as const) {
      const view = (await pageView(id, page)).body;
      const r = await call<Buffer>(api.url, 'GET', `/jobs/${id}/pages/${page}/image`, { token: tokens.alice });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'image/png');
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const { width, height } = pngSize(r.body);
      assert.ok(width >= 700 && width <= 1000, `about 100 dpi: ${width} × ${height}`);
      assert.ok(Math.abs(width / height - view.aspectRatio) < 0.01, `${width}/${height} vs ${view.aspectRatio}`);
    }
  });

  test('pages answer 404 for a page the job lacks or a job the caller cannot see, 409 for a job without a result', async () => {
    for (const p of ['0', '2', '-1', 'x', '1.5', '99999999']) {
      const r = await call(api.url, 'GET', `/jobs/${ids.digital}/pages/${p}`, { token: tokens.alice });
      assert.equal(r.status, 404, p);
      assert.equal(r.body.error.code, 'NotFound', p);
    }
    for (const path of [`/jobs/${ids.digital}/pages/1`, `/jobs/${ids.digital}/pages/1/image`]) {
      const r = await call(api.url, 'GET', path, { token: tokens.bob });
      assert.equal(r.status, 404, path);
      assert.equal(r.body.error.message, 'the job was not found');
    }
    const failed = await call(api.url, 'GET', `/jobs/${ids.failed}/pages/1/image`, { token: tokens.alice });
    assert.equal(failed.status, 409);
    assert.equal(failed.body.error.code, 'NotReady');
    assert.match(failed.body.error.message, /PasswordRequired/);
    assert.equal((await call(api.url, 'GET', `/jobs/${ids.digital}/pages/1`)).status, 401);
  });

  test('viewing a page is audited with the job and page, never the text', async () => {
    const rows = (await db.query(`SELECT detail FROM audit_log WHERE action = 'job.page_view' AND target_id = $1`, [ids.scanned])).rows.map((r) => r.detail);
    assert.ok(
      rows.some((d) => d.page === 2 && d.part === 'image'),
      JSON.stringify(rows),
    );
    assert.ok(
      rows.some((d) => d.page === 1 && d.part === 'words'),
      JSON.stringify(rows),
    );
    assert.ok(!JSON.stringify(rows).includes(report.patientName));
  });

  test('two jobs download as one workbook: a Summary row each, lab results stacked behind a Document column', async () => {
    const r = await call<Buffer>(api.url, 'POST', '/download/combined', { token: tokens.alice, json: { jobIds: [ids.scanned, ids.digital, ids.scanned] } });
    assert.equal(r.status, 200, r.body.toString());
    assert.match(r.headers.get('content-type')!, /spreadsheetml/);
    assert.match(r.headers.get('content-disposition')!, /^attachment; filename="medextract-2-documents-\d{4}-\d{2}-\d{2}\.xlsx"/);
    const wb = await readWorkbook(r.body);
    assert.deepEqual(
      wb.get('Summary')!.map((s) => s['File name']),
      ['scanned-two-pages.pdf', 'rcn_lab_report.pdf'],
    );
    const labs = wb.get('Lab Results')!;
    const perDoc = new Map<unknown, number>();
    for (const row of labs) perDoc.set(row.Document, (perDoc.get(row.Document) ?? 0) + 1);
    const [scanned, digital] = [await result(ids.scanned), await result(ids.digital)];
    assert.deepEqual(
      [...perDoc.entries()].sort(),
      [
        ['rcn_lab_report.pdf', digital.lab_results.length],
        ['scanned-two-pages.pdf', scanned.lab_results.length],
      ].sort(),
    );
    const audited = await db.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'job.download' AND detail->>'combined' = 'true' AND target_id = ANY($1)`,
      [[ids.scanned, ids.digital]],
    );
    assert.equal(audited.rows[0].n, 2);
  });

  test('a combined download refuses an empty list, a bad id, another user’s job, an unfinished job and a non-JSON body', async () => {
    const post = (json: unknown, token = tokens.alice) => call(api.url, 'POST', '/download/combined', { token, json });
    const empty = await post({ jobIds: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'InvalidRequest');
    assert.equal((await post({ jobIds: ['not-an-id'] })).status, 400);
    assert.equal((await post({ jobIds: [ids.digital], extra: 1 })).status, 400);
    const foreign = await post({ jobIds: [ids.digital] }, tokens.bob);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, 'NotFound');
    const unfinished = await post({ jobIds: [ids.digital, ids.failed] });
    assert.equal(unfinished.status, 409);
    assert.match(unfinished.body.error.message, /^"locked\.pdf": the job failed \(PasswordRequired\)/);
    const text = await call(api.url, 'POST', '/download/combined', { token: tokens.alice, body: 'jobIds=1', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
  });

  test("one user's flood of page images does not hold up another user's page image (fair queue; order, not time)", async () => {
    const order: string[] = [];
    const image = (token: string, id: string, page: number, label: string) =>
      call<Buffer>(api.url, 'GET', `/jobs/${id}/pages/${page}/image`, { token }).then((r) => {
        order.push(`${label}:${r.status}`);
        return r;
      });
    // 40 renders from alice across her 16 pages (more than her per-user bound, so some are refused)
    const flood = Array.from({ length: 40 }, (_, i) => image(tokens.alice, ids.many, (i % FLOOD_PAGES) + 1, `alice${i}`));
    // once alice's first answer is back, her flood has reached the queue: then bob asks for one page
    await Promise.race(flood);
    const bob = await image(tokens.bob, ids.bobs, 1, 'bob');
    const answers = await Promise.all(flood);
    assert.equal(bob.status, 200, 'bob gets his page');
    assert.equal(pngSize(bob.body).width > 0, true);
    const statuses = new Set(answers.map((r) => r.status));
    assert.deepEqual(
      [...statuses].filter((s) => s !== 200 && s !== 429),
      [],
      `alice gets pages or 429: ${order.join(' ')}`,
    );
    const refused = answers.find((r) => r.status === 429);
    assert.ok(refused, `alice's backlog is bounded: ${order.join(' ')}`);
    assert.equal((refused.body as any).error.code, 'TooManyAttempts');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'a refused render says when to retry');
    const bobAt = order.indexOf('bob:200');
    const aliceOkAfterBob = order.slice(bobAt + 1).filter((o) => o.startsWith('alice') && o.endsWith(':200')).length;
    assert.ok(aliceOkAfterBob >= 5, `bob's answer came before ${aliceOkAfterBob} of alice's rendered pages: ${order.join(' ')}`);
    // the queue is not left clogged: alice can view a page again afterwards
    assert.equal((await image(tokens.alice, ids.many, 1, 'alice-again')).status, 200);
  });
  test('a result made with schema v1 stays readable and exportable: shown in the current shape, saying which schema made it', async () => {
    const stored = await db.query('SELECT data FROM extractions WHERE job_id = $1', [ids.digital]);
    const current = stored.rows[0].data;
    assert.ok(current.medications.length + current.lab_results.length > 0, 'the report has values to carry over');
    // The same values as a v1 result was stored: medication `dose`, none of v2's sections or fields.
    const item = (x: Record<string, unknown>, drop: string[]) => Object.fromEntries(Object.entries(x).filter(([k]) => !drop.includes(k)));
    const v1 = {
      schema_version: 'v1',
      document: { ...current.document, type: { ...current.document.type, value: current.document.type.value === 'lab_report' ? 'lab_report' : 'other' } },
      patient: item(current.patient, ['age']),
      diagnoses: current.diagnoses,
      medications: current.medications.map((m: any) => ({
        ...item(m, ['strength', 'form', 'instructions', 'duration', 'quantity']),
        dose: m.strength,
        status: null,
      })),
      lab_results: current.lab_results.map((l: any) => item(l, ['panel', 'panel_loinc', 'loinc', 'specimen'])),
      vitals: current.vitals,
      procedures: current.procedures.map((p: any) => item(p, ['code'])),
      allergies: current.allergies.map((a: any) => item(a, ['severity'])),
    };
    await db.query(`UPDATE extractions SET schema_version = 'v1', data = $2 WHERE job_id = $1`, [ids.digital, JSON.stringify(v1)]);

    const r = await call(api.url, 'GET', `/jobs/${ids.digital}/result`, { token: tokens.alice });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.schema_version, 'v2');
    assert.equal(r.body.made_with_schema, 'v1');
    assert.deepEqual(
      r.body.lab_results.map((l: any) => [l.test, l.value, l.panel]),
      current.lab_results.map((l: any) => [l.test, l.value, null]),
    );
    assert.deepEqual(r.body.claim_lines, []);
    assert.equal(r.body.encounter.admission_date.value, null);

    const xlsx = await call<Buffer>(api.url, 'POST', '/download/combined', { token: tokens.alice, json: { jobIds: [ids.digital] } });
    assert.equal(xlsx.status, 200, xlsx.body.toString());
    const wb = await readWorkbook(xlsx.body);
    assert.equal(wb.get('Lab Results')!.length, current.lab_results.length);
    assert.deepEqual(wb.get('Claim Lines'), []);
  });
});
