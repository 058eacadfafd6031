/**
 * Password-protected PDFs on the real stack (API process, worker process, Temporal, Postgres): a
 * password with the upload, a password given later for a job that failed PasswordRequired (POST
 * /jobs/:id/password, and the same file uploaded again with it), a wrong one failing PasswordIncorrect.
 * Then where the password must not be: the API's and the worker's logs, every run's workflow history,
 * and every row of every table (job_secrets holds only ciphertext, and nothing once the job ended).
 *
 * The corpus file prints its own password on its page, so its page text legitimately holds it; the
 * strict whole-database scan uses a generated report encrypted under a random password instead
 * (test/support/encrypted-pdf.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { pool, readCorpus, requireRunEnv, runCli, startWorker, uniquePrefix, waitUntil, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, call, login, pdfForm, startApiProcess, type ApiProcess } from './support/api.js';
import { encryptPdf } from './support/encrypted-pdf.js';
import { digitalReportPdf, syntheticReport } from './fixtures/generate.js';
import { workflowIdForJob } from '../core/contract/jobs.js';
import { closePool, initPool } from '../stores/pool.js';
import { migrate } from '../stores/migrate.js';
import { createJob, deleteFinishedJob, finishJob } from '../stores/jobs.js';
import { documentPassword, hasJobSecret, jobSecretAad, keepDocumentPassword, requeueWithPassword } from '../stores/job-secrets.js';
import { DocumentUnreadable, open } from '../stores/document-cipher.js';

const { temporalAddress, databaseUrl, tmp } = requireRunEnv();
const { History } = proto.temporal.api.history.v1;

const ENCRYPTED = 'malformed/encrypted_aes128_user_password__pypdf_r4.pdf';
const CORPUS_PASSWORD = 'asdfzxcv';
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

describe('password-protected PDFs', () => {
  const env = { TASK_QUEUE_PREFIX: uniquePrefix('pdfpw'), EXTRACTION_PROVIDER: 'offline', OPENAI_API_KEY: '', LOG_LEVEL: 'debug' };
  // A password nowhere in the document, in the code or in another test.
  const secret = `Tq-${crypto.randomBytes(9).toString('base64url')}`;
  const report = syntheticReport({ pages: 2, seed: 1301, rowsPerPage: 4 });
  const generated = encryptPdf(digitalReportPdf(report), secret);
  let worker: ChildHandle;
  let api: ApiProcess;
  let db: pg.Pool;
  let temporal: Connection;
  const tokens: Record<'alice' | 'bob', string> = {} as never;
  /** Every job of this file, by what it was for: their histories and rows are searched at the end. */
  const jobs: Record<string, string> = {};

  async function upload(token: string, name: string, content: Uint8Array, password?: string) {
    const form = pdfForm([{ name, content }]);
    if (password !== undefined) form.append('password', password);
    const r = await call(api.url, 'POST', '/upload', { token, body: form });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.jobs[0] as { id: string; status: string; duplicate: boolean };
  }
  const finished = (token: string, id: string) =>
    waitUntil(
      `job ${id} to finish`,
      async () => {
        const r = await call(api.url, 'GET', `/status/${id}`, { token });
        return FINISHED.has(r.body.status) ? r.body : undefined;
      },
      120_000,
    );
  const givePassword = (token: string, id: string, password: unknown) => call(api.url, 'POST', `/jobs/${id}/password`, { token, json: { password } });

  before(async () => {
    await migrate(databaseUrl);
    initPool(databaseUrl, 4);
    worker = await startWorker(env);
    api = await startApiProcess(env);
    db = pool();
    temporal = await Connection.connect({ address: temporalAddress });
    const admin = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    for (const name of ['alice', 'bob'] as const) {
      const username = `pw_${name}_${Date.now().toString(36)}`;
      const password = `Amber-lantern-${name.length}-quill-93`;
      const r = await call(api.url, 'POST', '/users', { token: admin, json: { username, password, role: 'user' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens[name] = await login(api.url, username, password);
    }
  });

  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.end();
    await temporal?.close();
    await closePool();
  });

  test('the corpus PDF with its password in the upload field completes', async () => {
    const up = await upload(tokens.alice, 'locked.pdf', readCorpus(ENCRYPTED), CORPUS_PASSWORD);
    jobs.uploadField = up.id;
    const done = await finished(tokens.alice, up.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.deepEqual(done.progress, { pagesDone: 1, pagesTotal: 1 });
    const page = await db.query<{ text: string }>('SELECT text FROM pages WHERE job_id = $1', [up.id]);
    assert.match(page.rows[0]!.text, /pdf encryption test/, 'the text was read through the password');
    assert.equal(await hasJobSecret(up.id), false, 'the password is gone once the job ended');
  });

  test('without a password it fails PasswordRequired; a wrong one given later fails PasswordIncorrect; the right one completes it', async () => {
    const up = await upload(tokens.bob, 'locked.pdf', readCorpus(ENCRYPTED));
    jobs.later = up.id;
    const first = await finished(tokens.bob, up.id);
    assert.equal(first.status, 'failed');
    assert.deepEqual(first.error, { code: 'PasswordRequired', message: 'the PDF is encrypted; enter its password to process it' });

    // Same visibility as every job route, and a body checked before anything happens.
    assert.equal((await givePassword(tokens.alice, up.id, CORPUS_PASSWORD)).status, 404, "another user's job");
    const empty = await givePassword(tokens.bob, up.id, '');
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /password: the password must not be empty/);
    assert.equal((await givePassword(tokens.bob, up.id, 'x'.repeat(1025))).status, 400);

    const wrong = await givePassword(tokens.bob, up.id, 'asdfzxcX');
    assert.equal(wrong.status, 202, JSON.stringify(wrong.body));
    assert.equal(wrong.body.id, up.id);
    assert.equal(wrong.body.status, 'queued');
    assert.equal(wrong.body.error, null);
    const second = await finished(tokens.bob, up.id);
    assert.equal(second.status, 'failed');
    assert.deepEqual(second.error, { code: 'PasswordIncorrect', message: 'the password given does not open this PDF; enter the right one' });

    const right = await givePassword(tokens.bob, up.id, CORPUS_PASSWORD);
    assert.equal(right.status, 202, JSON.stringify(right.body));
    const third = await finished(tokens.bob, up.id);
    assert.equal(third.status, 'completed', JSON.stringify(third));
    assert.equal((await call(api.url, 'GET', `/jobs/${up.id}/result`, { token: tokens.bob })).status, 200);

    const again = await givePassword(tokens.bob, up.id, CORPUS_PASSWORD);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'AlreadyFinished');
    assert.match(again.body.error.message, /completed, so its PDF needs no password/);

    // Each restart is audited as its own action, by whom and after which failure, without the password.
    const audited = await db.query<{ actor_username: string; detail: Record<string, unknown> }>(
      "SELECT actor_username, detail FROM audit_log WHERE target_type = 'job' AND target_id = $1 AND action = 'job.password_restart' ORDER BY id",
      [up.id],
    );
    assert.deepEqual(
      audited.rows.map((r) => r.detail),
      [{ previousError: 'PasswordRequired' }, { previousError: 'PasswordIncorrect' }],
    );
    assert.ok(audited.rows.every((r) => r.actor_username.startsWith('pw_bob_')));
    const asUpload = await db.query("SELECT 1 FROM audit_log WHERE target_id = $1 AND action = 'upload' AND detail ? 'restart'", [up.id]);
    assert.equal(asUpload.rowCount, 0, 'a restart is not recorded as an upload');
    // The administrators' audit view filters by the action.
    const adminToken = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
    const view = await call(api.url, 'GET', `/audit?action=job.password_restart&targetId=${up.id}`, { token: adminToken });
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.equal(view.body.events.length, 2);
    // Three runs of one workflow id: the earlier runs closed failed, the last completed.
    const runs = await runsOf(up.id, 3);
    assert.deepEqual(runs.map((r) => r.status).sort(), ['COMPLETED', 'FAILED', 'FAILED']);
  });

  test('a job still running, or failed for another reason, takes no password (409 in plain words)', async () => {
    const broken = await upload(tokens.alice, 'broken.pdf', Buffer.from('%PDF-1.7\nthis is not really a PDF\n%%EOF\n'));
    jobs.broken = broken.id;
    const failed = await finished(tokens.alice, broken.id);
    assert.equal(failed.error.code, 'InvalidPdf');
    const r = await givePassword(tokens.alice, broken.id, 'anything');
    assert.equal(r.status, 409);
    assert.match(r.body.error.message, /failed with InvalidPdf, which a password cannot cure/);
  });

  test('the same file uploaded again with its password restarts the job that failed for the lack of it', async () => {
    const first = await upload(tokens.alice, 'report-locked.pdf', generated);
    jobs.dedup = first.id;
    assert.equal((await finished(tokens.alice, first.id)).error.code, 'PasswordRequired');
    const second = await upload(tokens.alice, 'report-locked.pdf', generated, secret);
    assert.equal(second.id, first.id, 'the existing job, not a new one');
    assert.equal(second.duplicate, true);
    assert.equal(second.status, 'queued');
    const done = await finished(tokens.alice, first.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.deepEqual(done.progress, { pagesDone: 2, pagesTotal: 2 });
    const result = (await call(api.url, 'GET', `/jobs/${first.id}/result`, { token: tokens.alice })).body;
    const found = new Set((result.lab_results as Array<{ test: string }>).map((l) => l.test));
    for (const row of report.pages.flat()) assert.ok(found.has(row.test), `the value of ${row.test} was extracted through the password`);
    // Uploading once more (with or without it) changes nothing: the job completed.
    const third = await upload(tokens.alice, 'report-locked.pdf', generated, secret);
    assert.equal(third.status, 'completed');
  });

  test("the CLI's --password opens it too", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'pdf-password-cli-'));
    const file = path.join(dir, 'cli-locked.pdf');
    fs.writeFileSync(file, generated);
    const { code, output } = await runCli(['process', file, '--out', dir, '--password', secret], env);
    assert.equal(code, 0, output);
    assert.match(output, /✓ .*cli-locked\.pdf → .*cli-locked\.xlsx/);
    jobs.cli = /job ([0-9a-f-]{36})\)/.exec(output)![1]!;
    assert.ok(fs.statSync(path.join(dir, 'cli-locked.xlsx')).size > 0);
    assert.ok(!output.includes(secret), 'not in what the CLI printed');
  });

  test('a completed job of a password-protected PDF keeps its values and quotes; its pages are refused (4xx), not drawn', async () => {
    const result = await call(api.url, 'GET', `/jobs/${jobs.dedup}/result`, { token: tokens.alice });
    assert.equal(result.status, 200);
    assert.ok(
      result.body.lab_results.every((l: { evidence?: { quote?: string } }) => l.evidence?.quote),
      'every value keeps its quote',
    );
    // The password was deleted when the job ended, so the stored PDF can no longer be opened to draw a
    // page: a refusal with a typed code, never a 5xx.
    for (const route of [`/jobs/${jobs.dedup}/pages/1`, `/jobs/${jobs.dedup}/pages/1/image`]) {
      const r = await call(api.url, 'GET', route, { token: tokens.alice });
      assert.ok(r.status >= 400 && r.status < 500, `${route}: a clear refusal, not ${r.status}`);
      assert.equal(typeof r.body.error?.code, 'string');
    }
  });

  test('the password is in no log line, no workflow history and no database row; no secret outlives its job', async () => {
    const ids = Object.values(jobs);
    assert.equal(ids.length, 5);
    const logDir = path.join(process.env.DATA_DIR!, 'logs');
    const cliLogs = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8'));
    assert.ok(
      cliLogs.some((log) => log.includes(jobs.cli!)),
      'the CLI log was found',
    );
    for (const password of [secret, CORPUS_PASSWORD]) {
      assert.ok(!api.output().includes(password), 'not in the API log');
      assert.ok(!worker.output().includes(password), 'not in the worker log');
      assert.ok(!cliLogs.some((log) => log.includes(password)), 'not in the CLI log');
    }
    assert.match(worker.output(), /"msg":"document prepared"/, 'the worker log was captured');

    const client = new Client({ connection: temporal });
    for (const id of ids) {
      for (const run of await runsOf(id, 1)) {
        const history = await client.workflow.getHandle(workflowIdForJob(id), run.runId).fetchHistory();
        const encoded = Buffer.from(History.encode(History.create(history)).finish());
        const json = JSON.stringify(History.toObject(History.create(history), { longs: String, enums: String, bytes: String }));
        assert.ok(json.includes(id), 'the history was read');
        for (const password of [secret, CORPUS_PASSWORD]) {
          assert.ok(!encoded.includes(Buffer.from(password, 'utf8')), `not in the history of run ${run.runId} of job ${id}`);
          assert.ok(!json.includes(password));
        }
      }
    }

    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM job_secrets WHERE job_id = ANY($1::uuid[])', [ids]);
    assert.equal(r.rows[0]!.n, 0, 'job_secrets keeps nothing of an ended job');

    // Every row of every table as text (bytea as hex), the audit log included. The corpus PDF prints its
    // password on its page: its pages' text is the only place it may be, as the document's own content.
    const tables = await db.query<{ name: string }>("SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'");
    assert.ok(tables.rows.some((t) => t.name === 'job_secrets') && tables.rows.some((t) => t.name === 'audit_log'));
    for (const { name } of tables.rows) {
      for (const password of [secret, CORPUS_PASSWORD]) {
        const hex = Buffer.from(password, 'utf8').toString('hex');
        const pageException = name === 'pages' && password === CORPUS_PASSWORD ? ' AND NOT (t.job_id = ANY($3::uuid[]))' : '';
        const hits = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${name} t WHERE (strpos(t::text, $1) > 0 OR strpos(t::text, $2) > 0)${pageException}`,
          pageException ? [password, hex, [jobs.uploadField, jobs.later]] : [password, hex],
        );
        assert.equal(hits.rows[0]!.n, 0, `${password === secret ? 'the generated' : 'the corpus'} password in ${name}`);
      }
    }
  });

  test('the store: sealed, bound to its job, deleted by the database when the job ends or goes', async () => {
    const make = () =>
      createJob({ owner: 'pw-store-test', filename: 'x.pdf', content: crypto.randomBytes(64), provider: 'offline', model: null }).then((j) => j.id);
    const a = await make();
    assert.equal(await keepDocumentPassword(a, secret), true);
    assert.equal(await documentPassword(a), secret);
    const row = (await db.query<{ sealed: Buffer; key_id: string }>('SELECT sealed, key_id FROM job_secrets WHERE job_id = $1', [a])).rows[0]!;
    assert.ok(!row.sealed.includes(Buffer.from(secret, 'utf8')), 'ciphertext only');
    // The additional data binds the row to its job and purpose: the same bytes do not open as another job's.
    const b = await make();
    assert.throws(() => open(row.key_id, row.sealed, jobSecretAad(b, 'document_password'), 'moved'), DocumentUnreadable);

    await finishJob(a, 'completed');
    assert.equal(await hasJobSecret(a), false, 'deleted when the job completed');
    assert.equal(await keepDocumentPassword(a, secret), false, 'an ended job keeps none');
    assert.equal(await hasJobSecret(a), false);

    await keepDocumentPassword(b, secret);
    await finishJob(b, 'failed', { code: 'InvalidPdf', message: 'damaged' });
    assert.equal(await hasJobSecret(b), false, 'deleted when the job failed');
    assert.equal(await requeueWithPassword(b, secret), undefined, 'InvalidPdf is not cured by a password');

    const c = await make();
    await keepDocumentPassword(c, secret);
    await finishJob(c, 'failed', { code: 'PasswordRequired', message: 'no password' });
    assert.deepEqual(await requeueWithPassword(c, secret), { code: 'PasswordRequired', message: 'no password' });
    assert.equal(await documentPassword(c), secret, 'kept for the new attempt');
    assert.equal(await requeueWithPassword(c, secret), undefined, 'a queued job is not requeued twice');

    await finishJob(c, 'cancelled');
    assert.equal(await deleteFinishedJob(c), true);
    const d = await make();
    await keepDocumentPassword(d, secret);
    await db.query('DELETE FROM documents WHERE id = (SELECT document_id FROM jobs WHERE id = $1)', [d]);
    assert.equal(await hasJobSecret(d), false, 'deleted with its job');
  });

  /** The runs of a job's workflow id (at least `atLeast`, waiting for visibility to catch up). */
  async function runsOf(jobId: string, atLeast: number): Promise<Array<{ runId: string; status: string }>> {
    const client = new Client({ connection: temporal });
    return waitUntil(
      `${atLeast} run(s) of job ${jobId} to be listed`,
      async () => {
        const runs: Array<{ runId: string; status: string }> = [];
        for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowIdForJob(jobId)}'` }))
          runs.push({ runId: w.runId, status: w.status.name });
        return runs.length >= atLeast && runs.every((r) => r.status !== 'RUNNING') ? runs : undefined;
      },
      30_000,
    );
  }
});
