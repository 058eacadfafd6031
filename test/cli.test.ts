/**
 * The CLI as a user runs it (`bin/medextract.js` in a child process), with no stack running: `process`
 * brings up the embedded stack (Temporal dev server and PGlite under its DATA_DIR) for the length of the
 * command, so one invocation carries several documents — an image, a digital PDF, a GIF it must refuse
 * and a password-protected PDF whose password comes on standard input. The terminal gets one line per
 * document and where the log is; the log file holds the rest. The account and key commands run on a
 * database only (the run's Postgres, given as DATABASE_URL): `admin reset-password` and `keys rotate`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { ROOT, corpus, pool, requireRunEnv } from './support/env.js';
import { gifImage } from './support/image-fixtures.js';
import { readWorkbook } from './support/workbook.js';
import { config } from '../core/config.js';
import { resolveDocumentKeys, setDocumentKeys, type DocumentKey } from '../stores/document-cipher.js';
import { closePool, initPool } from '../stores/pool.js';
import { migrate } from '../stores/migrate.js';
import { createJob, finishJob } from '../stores/jobs.js';
import { documentPassword, keepDocumentPassword } from '../stores/job-secrets.js';
import { createUserIfAbsent, findCredentials } from '../stores/users.js';
import { hashPassword, verifyPassword } from '../api/auth/passwords.js';
import { validateBundle } from '../library/fhir/index.js';

const { databaseUrl, tmp } = requireRunEnv();
const CLI = path.join(ROOT, 'bin/medextract.js');
const ENCRYPTED = corpus('malformed/encrypted_aes128_user_password__pypdf_r4.pdf');
const CORPUS_PASSWORD = 'asdfzxcv';
const ACCEPTED = 'accepted: PDF, TIFF, PNG, JPEG, WebP';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/medextract.js <args>` with the test's environment plus `env`, `stdin` piped in (then closed). */
function medextract(args: string[], env: Record<string, string | undefined>, stdin = ''): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 0), stdout, stderr })));
}

const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-3000)}`;
/** A log line (pino's JSON) or a stack trace: what the terminal must not show. */
const LOG_OR_STACK = /^\s*\{"|^\s+at \S+ \(|^\s+at file:|Error: .*\n\s+at /m;

describe('medextract process, with no stack running', () => {
  const dataDir = path.join(tmp, 'cli-data');
  const dir = path.join(tmp, 'cli-in');
  const out = path.join(tmp, 'cli-out');
  // No TEMPORAL_ADDRESS and no DATABASE_URL: the embedded stack, as a new user meets it. The run's workflow
  // bundle only spares the command a bundling step.
  const embedded = {
    TEMPORAL_ADDRESS: '',
    DATABASE_URL: '',
    TASK_QUEUE_PREFIX: '',
    DATA_DIR: dataDir,
    EXTRACTION_PROVIDER: 'offline',
    OPENAI_API_KEY: '',
    LOG_LEVEL: 'info',
  };
  const files = {
    image: corpus('medical/aws_insurance_card.png'),
    pdf: corpus('medical/rcn_prescription.pdf'),
    gif: path.join(dir, 'photo.gif'),
    locked: path.join(dir, 'locked.pdf'),
  };
  let run: CliRun;

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(files.gif, await gifImage());
    fs.copyFileSync(ENCRYPTED, files.locked);
    run = await medextract(
      ['process', files.image, files.pdf, files.gif, files.locked, '--out', out, '--password-stdin', '--format', 'xlsx,json,fhir'],
      embedded,
      `${CORPUS_PASSWORD}\n`,
    );
  });

  test('an image, a digital PDF and a password-protected PDF (password on stdin) become workbooks, JSON and FHIR Bundles; the GIF is refused on its own line', async () => {
    assert.notEqual(run.code, 0, `one document was refused, so the command fails: ${show(run)}`);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    const lineOf = (file: string) => {
      const mine = lines.filter((l) => l.includes(file));
      assert.equal(mine.length, 1, `one line for ${file}: ${show(run)}`);
      return mine[0]!;
    };
    assert.match(lineOf(files.image), /^✓ .* → .*aws_insurance_card\.xlsx, \.json, \.fhir\.json {2}\(1 page, [\d.]+ s, job [0-9a-f-]{36}\)$/);
    assert.match(lineOf(files.pdf), /^✓ .* → .*rcn_prescription\.xlsx, \.json, \.fhir\.json /);
    assert.match(lineOf(files.locked), /^✓ .* → .*locked\.xlsx, \.json, \.fhir\.json /);
    assert.equal(lineOf(files.gif), `✗ ${files.gif}: not sent: UnsupportedFormat: this file is a GIF image, which is not read; ${ACCEPTED}`);

    for (const name of ['aws_insurance_card', 'rcn_prescription', 'locked']) {
      const sheets = await readWorkbook(path.join(out, `${name}.xlsx`));
      assert.ok(sheets.get('Summary')?.length, `${name}.xlsx has its Summary sheet`);
      const json = JSON.parse(fs.readFileSync(path.join(out, `${name}.json`), 'utf8'));
      assert.equal(typeof json, 'object', `${name}.json is JSON`);
      const bundle = JSON.parse(fs.readFileSync(path.join(out, `${name}.fhir.json`), 'utf8'));
      assert.equal(bundle.resourceType, 'Bundle');
      assert.deepEqual(
        validateBundle(bundle).filter((p) => p.severity === 'error'),
        [],
        `${name}.fhir.json validates`,
      );
    }
    const prescription = JSON.parse(fs.readFileSync(path.join(out, 'rcn_prescription.fhir.json'), 'utf8'));
    assert.ok(
      prescription.entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'MedicationStatement').length >= 3,
      'the prescription’s medications are MedicationStatements',
    );
    const medications = (await readWorkbook(path.join(out, 'rcn_prescription.xlsx'))).get('Medications') ?? [];
    assert.ok(medications.length >= 3, 'the prescription’s medications are in its workbook');
    const card = fs.readFileSync(path.join(out, 'aws_insurance_card.json'), 'utf8');
    assert.ok(!fs.existsSync(path.join(out, 'photo.xlsx')), 'nothing written for the refused GIF');
    assert.ok(card.length > 2);
  });

  test('the terminal shows one line per document and the log file’s place, nothing else; the log file holds the logs', () => {
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 5, `four documents and the log line: ${show(run)}`);
    assert.ok(
      lines.slice(0, 4).every((l) => /^[✓✗] /.test(l)),
      show(run),
    );
    assert.doesNotMatch(run.stdout, LOG_OR_STACK, 'no JSON log line or stack trace on stdout');
    assert.doesNotMatch(run.stderr, LOG_OR_STACK, 'nor on stderr');

    const logLine = /^Log: (.+)$/.exec(lines[4]!);
    assert.ok(logLine, `the last line says where the log is: ${show(run)}`);
    const logFile = logLine[1]!;
    assert.equal(path.dirname(logFile), path.join(dataDir, 'logs'), 'under DATA_DIR/logs');
    const log = fs.readFileSync(logFile, 'utf8');
    assert.match(log, /"msg":"job progress"/, 'the engine’s logs went to the file');
    assert.equal(fs.statSync(logFile).mode & 0o777, 0o600, 'readable by its owner only');

    for (const text of [run.stdout, run.stderr, log]) assert.ok(!text.includes(CORPUS_PASSWORD), 'the password is printed and logged nowhere');
    assert.ok(!fs.existsSync(path.join(dataDir, 'stack.json')), 'the embedded stack is gone with the command');
  });

  test('--format names what it does not know, before anything starts', async () => {
    const r = await medextract(['process', files.pdf, '--format', 'xlsx,docx'], embedded);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown format "docx": choose from xlsx, json, fhir/);
    assert.equal(r.stdout, '');
  });

  test('--password-stdin refuses an empty input and --password beside it, before anything starts', async () => {
    const empty = await medextract(['process', files.locked, '--out', out, '--password-stdin'], embedded, '');
    assert.equal(empty.code, 2, show(empty));
    assert.equal(empty.stderr.trim(), '--password-stdin: standard input held no password');
    assert.equal(empty.stdout, '');
    const both = await medextract(['process', files.locked, '--out', out, '--password', 'x', '--password-stdin'], embedded, `${CORPUS_PASSWORD}\n`);
    assert.equal(both.code, 2, show(both));
    assert.equal(both.stderr.trim(), 'give the password either with --password or with --password-stdin, not both');
    const help = await medextract(['process', '--help'], embedded);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--password <password> .*visible to other users of the machine in `ps`.* prefer --password-stdin/);
  });
});

describe('commands on the database alone', () => {
  const onDatabase = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' };
  let db: pg.Pool;

  before(async () => {
    await migrate(databaseUrl); // the run's database, as another test file may not have migrated it yet
    initPool(databaseUrl, 2);
    db = pool();
  });
  after(async () => {
    await db?.end();
    await closePool();
  });

  test('admin reset-password prints a new password once, which then signs in; the old one no longer does; audited without it', async () => {
    const username = `cli_reset_${crypto.randomBytes(3).toString('hex')}`;
    const oldPassword = 'Quill-harbour-lantern-5830-old';
    const user = await createUserIfAbsent({ username, passwordHash: await hashPassword(oldPassword), role: 'user' });
    assert.ok(user);

    const r = await medextract(['admin', 'reset-password', username.toUpperCase()], onDatabase);
    assert.equal(r.code, 0, show(r));
    const printed = /^New password for (\S+): (\S+)$/m.exec(r.stdout);
    assert.ok(printed, show(r));
    assert.equal(printed[1], username, 'the account, in its own spelling');
    const password = printed[2]!;
    assert.ok(password.length >= 12);
    assert.equal(r.stdout.split(password).length - 1, 1, 'printed exactly once');
    assert.match(r.stdout, /shown only this once/);
    assert.doesNotMatch(r.stdout + r.stderr, LOG_OR_STACK);

    const hash = (await findCredentials(username))!.password_hash;
    assert.equal(await verifyPassword(password, hash), true, 'the new password signs in');
    assert.equal(await verifyPassword(oldPassword, hash), false, 'the old one does not');

    const audit = await db.query<{ action: string; actor_username: string; detail: Record<string, unknown> }>(
      'SELECT action, actor_username, detail FROM audit_log WHERE target_type = $1 AND target_id = $2 ORDER BY id',
      ['user', user.id],
    );
    assert.equal(audit.rows.length, 1, 'one audit row');
    assert.equal(audit.rows[0]!.action, 'user.update');
    assert.match(audit.rows[0]!.actor_username, /^cli:/);
    assert.equal(audit.rows[0]!.detail.passwordReset, true);
    assert.equal(audit.rows[0]!.detail.via, 'cli');
    assert.ok(!JSON.stringify(audit.rows[0]).includes(password), 'the password is not in the audit row');
  });

  test('admin reset-password for a user that does not exist says so and fails', async () => {
    const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    const r = await medextract(['admin', 'reset-password', 'nobody_by_this_name'], onDatabase);
    assert.notEqual(r.code, 0, show(r));
    assert.equal((r.stdout + r.stderr).trim(), 'no user named "nobody_by_this_name"');
    const afterRun = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    assert.equal(afterRun.rows[0]!.n, before.rows[0]!.n, 'nothing audited: nothing changed');
  });

  test('keys rotate re-seals the PDF password of a running job under the first key and says so', async () => {
    const runKeys = resolveDocumentKeys(config());
    const oldKey: DocumentKey = { id: `old-${crypto.randomBytes(2).toString('hex')}`, key: crypto.randomBytes(32) };
    setDocumentKeys([oldKey]);
    const job = await createJob({ owner: 'cli-rotate', filename: 'locked.pdf', content: crypto.randomBytes(64), provider: 'offline', model: null });
    const secret = `pw-${crypto.randomBytes(6).toString('hex')}`;
    assert.equal(await keepDocumentPassword(job.id, secret), true);
    try {
      const keys = [...runKeys, oldKey].map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
      const r = await medextract(['keys', 'rotate'], { ...onDatabase, DOCUMENT_KEYS: keys });
      assert.equal(r.code, 0, show(r));
      const summary =
        /^rotated (\d+) documents?, (\d+) workbooks?, (\d+) PDF passwords? of (?:a )?running jobs? and \d+ de-identification vaults? to key "(.+)"$/.exec(
          r.stdout.trim(),
        );
      assert.ok(summary, show(r));
      assert.ok(Number(summary[1]) >= 1, 'the job’s document');
      assert.ok(Number(summary[3]) >= 1, 'the running job’s password');
      assert.equal(summary[4], runKeys[0]!.id);
      const row = await db.query<{ key_id: string }>('SELECT key_id FROM job_secrets WHERE job_id = $1', [job.id]);
      assert.equal(row.rows[0]?.key_id, runKeys[0]!.id);
      setDocumentKeys(runKeys);
      assert.equal(await documentPassword(job.id), secret, 'it opens without the old key');
    } finally {
      await finishJob(job.id, 'cancelled');
    }
  });
});
