/**
 * Documents and workbooks at rest (stores/document-cipher.ts), tested as the attack: someone holding
 * the database — a copied table, a backup, the data directory's files and WAL — looks for a document's
 * bytes. The uploaded PDF carries a marker in its raw bytes (a PDF comment, not page text); it must
 * not appear in the stored column nor in Postgres' files, while the API still renders the document's
 * pages and serves the workbook, and a key rotation moves every row to the new key (the sealed PDF
 * passwords of running jobs included).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { pool, readCorpus, requireRunEnv, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import {
  DocumentKeyMissing,
  DocumentUnreadable,
  documentAad,
  open,
  resolveDocumentKeys,
  seal,
  setDocumentKeys,
  workbookAad,
  type DocumentKey,
} from '../stores/document-cipher.js';
import { closePool, initPool } from '../stores/pool.js';
import { createJob, finishJob, getDocumentBytes, rotateDocumentKeys } from '../stores/jobs.js';
import { documentPassword, keepDocumentPassword } from '../stores/job-secrets.js';
import { getWorkbook } from '../stores/extractions.js';
import { config } from '../core/config.js';

/** The keys this test run's processes use by default (DOCUMENT_KEYS, else the one generated in the run's DATA_DIR). */
const runKeys = (): DocumentKey[] => resolveDocumentKeys(config());
const newKey = (id: string): DocumentKey => ({ id, key: crypto.randomBytes(32) });
const asEnv = (keys: DocumentKey[]): string => keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

/** A corpus PDF with `marker` as a comment line before its final %%EOF: still a valid PDF, and the marker is in no page's text. */
function pdfWithMarker(marker: string): Buffer {
  const pdf = Buffer.from(readCorpus('medical/rcn_lab_report.pdf'));
  const eof = pdf.lastIndexOf('%%EOF');
  assert.ok(eof > 0);
  return Buffer.concat([pdf.subarray(0, eof), Buffer.from(`%${marker}\n`), pdf.subarray(eof)]);
}

describe('seal and open', () => {
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  const aad = documentAad(crypto.randomUUID());

  test('a round trip returns the bytes; the sealed value hides them and differs on every seal (random nonce)', () => {
    setDocumentKeys([k1]);
    const plain = Buffer.from('%PDF-1.7 patient: Jane Roe, MRN 12345678');
    const a = seal(plain, aad);
    const b = seal(plain, aad);
    assert.equal(a.keyId, 'k1');
    assert.equal(a.sealed.byteLength, plain.byteLength + 12 + 16, 'nonce || ciphertext || tag');
    assert.ok(!a.sealed.includes(Buffer.from('MRN 12345678')));
    assert.ok(!a.sealed.equals(b.sealed));
    assert.deepEqual(open(a.keyId, a.sealed, aad, 'document x'), plain);
    assert.deepEqual(open(null, plain, aad, 'document x'), plain, 'a row from before encryption (key_id NULL) reads as it is');
  });

  test('a key id that is not configured fails with a typed, non-retryable error an operator understands', () => {
    setDocumentKeys([k2, k1]);
    const s = seal(Buffer.from('bytes'), aad);
    assert.equal(s.keyId, 'k2', 'the first key encrypts');
    setDocumentKeys([k1]);
    assert.throws(
      () => open(s.keyId, s.sealed, aad, 'document 1234'),
      (err: unknown) =>
        err instanceof DocumentKeyMissing &&
        !err.retryable &&
        err.type === 'DocumentKeyMissing' &&
        err.message === 'document 1234 was encrypted with key "k2", which is not in DOCUMENT_KEYS',
    );
  });

  test('a flipped byte anywhere (nonce, ciphertext, tag) is refused', () => {
    setDocumentKeys([k1]);
    const s = seal(Buffer.from('lab results of one patient'), aad);
    for (const at of [0, 12, s.sealed.byteLength - 1]) {
      const tampered = Buffer.from(s.sealed);
      tampered[at]! ^= 0x01;
      assert.throws(() => open(s.keyId, tampered, aad, 'document t'), DocumentUnreadable, `byte ${at}`);
    }
  });

  test('a ciphertext moved to another row or table does not open (the row id is authenticated)', () => {
    setDocumentKeys([k1]);
    const id = crypto.randomUUID();
    const s = seal(Buffer.from('document of row A'), documentAad(id));
    assert.throws(() => open(s.keyId, s.sealed, documentAad(crypto.randomUUID()), 'document B'), DocumentUnreadable);
    assert.throws(() => open(s.keyId, s.sealed, workbookAad(id), 'workbook'), DocumentUnreadable);
    // The same id under a different key is also refused, not decrypted to garbage.
    setDocumentKeys([{ id: 'k1', key: crypto.randomBytes(32) }]);
    assert.throws(() => open(s.keyId, s.sealed, documentAad(id), 'document A'), DocumentUnreadable);
  });

  test('bad keys are refused at registration; outside production one key is generated once per DATA_DIR, owner-only', () => {
    assert.throws(() => setDocumentKeys([{ id: 'short', key: crypto.randomBytes(16) }]), /32/);
    assert.throws(() => setDocumentKeys([k1, k1]), /twice/);
    const dataDir = fs.mkdtempSync(path.join(requireRunEnv().tmp, 'doc-keys-'));
    const first = resolveDocumentKeys({ nodeEnv: 'development', dataDir });
    const again = resolveDocumentKeys({ nodeEnv: 'development', dataDir });
    assert.equal(first.length, 1);
    assert.ok(first[0]!.key.equals(again[0]!.key), 'the same key every start');
    assert.equal(fs.statSync(path.join(dataDir, 'document-keys')).mode & 0o777, 0o600);
    assert.throws(() => resolveDocumentKeys({ nodeEnv: 'production', dataDir }), /DOCUMENT_KEYS is required in production/);
  });
});

/** Every file of a relation (its segments .1, .2, …) under the data directory. */
function relationFiles(dataDir: string, rel: string): string[] {
  const base = path.join(dataDir, rel);
  const dir = path.dirname(base);
  const name = path.basename(base);
  return fs
    .readdirSync(dir)
    .filter((f) => f === name || f.startsWith(`${name}.`))
    .map((f) => path.join(dir, f));
}

describe('documents at rest on the real pipeline', () => {
  const { databaseUrl } = requireRunEnv();
  const k1 = newKey(`k1-${crypto.randomBytes(2).toString('hex')}`);
  const k2 = newKey(`k2-${crypto.randomBytes(2).toString('hex')}`);
  const marker = `MX-MARKER-${crypto.randomBytes(8).toString('hex')}`;
  const legacyMarker = `MX-LEGACY-${crypto.randomBytes(8).toString('hex')}`;
  const pdf = pdfWithMarker(marker);
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('crypt'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', DOCUMENT_KEYS: asEnv([k1]) };
  const startedAt = Date.now();
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  let token: string;
  let jobId: string;
  let workbook: Buffer;
  const legacy = { documentId: crypto.randomUUID(), jobId: crypto.randomUUID(), bytes: pdfWithMarker(legacyMarker) };

  before(async () => {
    db = pool();
    initPool(databaseUrl, 2);
    [worker, api] = await Promise.all([startWorker(env), startApiProcess(env)]);
    // The admin uploads (creating users is the accounts tests' subject, not this one's).
    token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const up = await call(api.url, 'POST', '/upload', { token, body: pdfForm([{ name: 'marked.pdf', content: pdf }]) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    jobId = up.body.jobs[0].id;
    const done = await waitUntil(`job ${jobId} to finish`, async () => {
      const s = await call(api.url, 'GET', `/status/${jobId}`, { token });
      return ['completed', 'failed', 'cancelled'].includes(s.body.status) ? s.body : undefined;
    });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    // A document stored before encryption existed: plaintext, key_id NULL.
    await db.query('INSERT INTO documents (id, owner, filename, sha256, size_bytes, content) VALUES ($1, $2, $3, $4, $5, $6)', [
      legacy.documentId,
      'crypt-legacy',
      'old.pdf',
      crypto.createHash('sha256').update(legacy.bytes).digest('hex'),
      legacy.bytes.byteLength,
      legacy.bytes,
    ]);
    await db.query(`INSERT INTO jobs (id, document_id, owner, workflow_id, provider, status) VALUES ($1, $2, 'crypt-legacy', $3, 'offline', 'failed')`, [
      legacy.jobId,
      legacy.documentId,
      `crypt-legacy-${legacy.jobId}`,
    ]);
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    // Later test files of this run read their rows with the run's own key (DATA_DIR): put every row back under it.
    setDocumentKeys([...runKeys(), k2, k1]);
    await rotateDocumentKeys().catch(() => {});
    await db?.end();
    await closePool();
  });

  test('the stored document and workbook are ciphertext under the first key; the marker is nowhere in the rows', async () => {
    const doc = await db.query<{ id: string; key_id: string; content: Buffer; size_bytes: number }>(
      'SELECT d.id, d.key_id, d.content, d.size_bytes FROM jobs j JOIN documents d ON d.id = j.document_id WHERE j.id = $1',
      [jobId],
    );
    const row = doc.rows[0]!;
    assert.equal(row.key_id, k1.id);
    assert.equal(row.size_bytes, pdf.byteLength, 'the size shown is the document’s own');
    assert.ok(!row.content.includes(Buffer.from(marker)), 'the marker is not in the stored bytes');
    assert.ok(!row.content.subarray(0, 64).includes(Buffer.from('%PDF')), 'no PDF header either');
    const everywhere = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM documents WHERE position($1::bytea IN content) > 0`, [
      Buffer.from(marker),
    ]);
    assert.equal(everywhere.rows[0]!.n, 0, 'no row of the table holds the marker');

    const wb = await db.query<{ key_id: string; content: Buffer }>('SELECT key_id, content FROM workbooks WHERE job_id = $1', [jobId]);
    assert.equal(wb.rows[0]!.key_id, k1.id);
    const dl = await call(api.url, 'GET', `/download/${jobId}`, { token });
    assert.equal(dl.status, 200);
    workbook = dl.body as Buffer;
    assert.equal(workbook.subarray(0, 4).toString('hex'), '504b0304', 'the download is the xlsx (zip) itself');
    assert.ok(!wb.rows[0]!.content.includes(workbook.subarray(0, 30)), 'the stored workbook is not the xlsx');
  });

  test('the data directory and WAL of the machine’s Postgres do not hold the marker (and do hold the plaintext row’s)', async (t) => {
    // Reading Postgres' files needs a superuser connection and the files' owner (or root); otherwise the row checks above stand alone.
    const dataDir = await db
      .query<{ d: string }>("SELECT current_setting('data_directory') AS d")
      .then((r) => r.rows[0]!.d)
      .catch(() => undefined);
    try {
      fs.readdirSync(dataDir ?? '');
    } catch {
      t.skip(`the Postgres data directory (${dataDir ?? 'not shown to this user'}) is not readable here`);
      return;
    }
    await db.query('CHECKPOINT');
    const rels = await db.query<{ f: string }>(
      `SELECT pg_relation_filepath(c.oid) AS f FROM pg_class c WHERE c.oid IN ('documents'::regclass, 'workbooks'::regclass)
       UNION ALL SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c WHERE c.oid IN ('documents'::regclass, 'workbooks'::regclass)`,
    );
    const files = rels.rows.flatMap((r) => relationFiles(dataDir!, r.f));
    const walDir = path.join(dataDir!, 'pg_wal');
    const wal = fs
      .readdirSync(walDir)
      .filter((f) => /^[0-9A-F]{24}$/.test(f))
      .map((f) => path.join(walDir, f))
      .filter((f) => fs.statSync(f).mtimeMs >= startedAt - 5_000);
    const contains = (files: string[], needle: string) => files.some((f) => fs.readFileSync(f).includes(Buffer.from(needle)));
    // The check can see plaintext: the row stored before encryption is found in the table's files.
    assert.ok(contains(files, legacyMarker), 'the scan finds a plaintext document in the table files');
    assert.ok(!contains(files, marker), 'the encrypted document is not readable in the table files');
    assert.ok(wal.length > 0, 'WAL segments written during the test');
    assert.ok(contains(wal, legacyMarker), 'the scan finds a plaintext document in the WAL');
    assert.ok(!contains(wal, marker), 'nor in the WAL');
  });

  test('the API still reads the document (page image and text-layer boxes) and serves the workbook', async () => {
    const image = await call(api.url, 'GET', `/jobs/${jobId}/pages/1/image`, { token });
    assert.equal(image.status, 200);
    assert.equal((image.body as Buffer).subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
    const page = await call(api.url, 'GET', `/jobs/${jobId}/pages/1`, { token });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.ok(page.body.wordBoxes, 'the text layer was read from the decrypted PDF');
    setDocumentKeys([k1]);
    assert.deepEqual(Buffer.from(await getDocumentBytes(jobId)), pdf, 'the bytes come back exactly');
    assert.deepEqual(Buffer.from(await getDocumentBytes(legacy.jobId)), legacy.bytes, 'a pre-encryption row reads as plaintext');
  });

  test('a process without the row’s key fails clearly; rotation moves every row to the new first key, still readable', async () => {
    setDocumentKeys([k2]);
    await assert.rejects(getDocumentBytes(jobId), (err: Error) => err instanceof DocumentKeyMissing && err.message.includes(`key "${k1.id}"`));

    // Two jobs still running with their PDFs' passwords, sealed under the old key (stores/job-secrets.ts).
    setDocumentKeys([k1]);
    const running: Array<{ id: string; password: string }> = [];
    for (let i = 0; i < 2; i++) {
      const job = await createJob({ owner: 'crypt-running', filename: 'locked.pdf', content: crypto.randomBytes(64), provider: 'offline', model: null });
      const password = `pw-${crypto.randomBytes(6).toString('hex')}`;
      assert.equal(await keepDocumentPassword(job.id, password), true);
      running.push({ id: job.id, password });
    }
    const secretKeys = () =>
      db
        .query<{ key_id: string; sealed: Buffer }>('SELECT key_id, sealed FROM job_secrets WHERE job_id = ANY($1::uuid[]) ORDER BY job_id', [
          running.map((r) => r.id),
        ])
        .then((r) => r.rows);
    const sealedBefore = await secretKeys();
    assert.deepEqual(
      sealedBefore.map((r) => r.key_id),
      [k1.id, k1.id],
    );

    // The run's own key too: rows other test files stored under it are rotated as well, not a DocumentKeyMissing.
    setDocumentKeys([k2, k1, ...runKeys()]);
    const rotated = await rotateDocumentKeys({ batchSize: 1 }); // batches of one: the paging is exercised on a small table
    assert.equal(rotated.keyId, k2.id);
    assert.ok(rotated.documents >= 2 && rotated.workbooks >= 1, JSON.stringify(rotated));
    assert.ok(rotated.secrets >= 2, `the running jobs' passwords were re-sealed: ${JSON.stringify(rotated)}`);
    const sealedAfter = await secretKeys();
    assert.deepEqual(
      sealedAfter.map((r) => r.key_id),
      [k2.id, k2.id],
    );
    for (const [i, row] of sealedAfter.entries()) assert.ok(!row.sealed.equals(sealedBefore[i]!.sealed), 'sealed anew');
    const left = await db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM documents WHERE key_id IS DISTINCT FROM $1) + (SELECT count(*) FROM workbooks WHERE key_id IS DISTINCT FROM $1) AS n`,
      [k2.id],
    );
    assert.equal(Number(left.rows[0]!.n), 0, 'no row is left under another key or in plaintext');
    assert.deepEqual(await rotateDocumentKeys(), { keyId: k2.id, documents: 0, workbooks: 0, secrets: 0, vaults: 0 }, 'running it again changes nothing');

    // Only the new key from now on: the old one can be removed from DOCUMENT_KEYS.
    setDocumentKeys([k2]);
    for (const r of running) assert.equal(await documentPassword(r.id), r.password, 'the password opens under the new key alone');
    for (const r of running) await finishJob(r.id, 'cancelled');
    assert.equal((await secretKeys()).length, 0, 'and is gone once its job ended');
    assert.deepEqual(Buffer.from(await getDocumentBytes(jobId)), pdf);
    assert.deepEqual(Buffer.from(await getDocumentBytes(legacy.jobId)), legacy.bytes);
    assert.deepEqual(await getWorkbook(jobId), workbook);
    const legacyRow = await db.query<{ content: Buffer }>('SELECT content FROM documents WHERE id = $1', [legacy.documentId]);
    assert.ok(!legacyRow.rows[0]!.content.includes(Buffer.from(legacyMarker)), 'the plaintext row is sealed now');

    await api.stop();
    api = await startApiProcess({ ...env, DOCUMENT_KEYS: asEnv([k2]) });
    const image = await call(api.url, 'GET', `/jobs/${jobId}/pages/1/image`, { token });
    assert.equal(image.status, 200);
    const dl = await call(api.url, 'GET', `/download/${jobId}`, { token });
    assert.equal(dl.status, 200);
    assert.deepEqual(dl.body, workbook);
  });
});
