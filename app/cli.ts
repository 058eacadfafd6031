/**
 * `medextract process <files...> [--out DIR] [--password-stdin | --password P]`: submits each document (PDF, TIFF, PNG,
 * JPEG, WebP) as a job through Temporal, shows a live progress bar per document, and writes
 * `<name>.xlsx` and `<name>.json` to DIR; one line per document, then where the log is (see
 * app/cli-process.ts). With no TEMPORAL_ADDRESS it runs (or joins) the embedded stack for the length of
 * the command.
 *
 * `medextract audit verify`: walks the audit log's hash chain (DATABASE_URL, else the embedded database
 * of DATA_DIR, joined when MedExtract runs there); prints `OK: N rows` and exits 0, or names the first
 * broken row and why and exits 1.
 *
 * `medextract keys rotate`: re-encrypts stored documents, workbooks and the PDF passwords of running jobs
 * (job_secrets) under the first DOCUMENT_KEYS key.
 *
 * `medextract admin reset-password <username>`: a new password for a user who lost theirs (printed once,
 * audited); their sessions and API keys end, as with a reset on the admin screen.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { config } from '../core/config.js';
import { setLogLevel } from '../core/logger.js';
import { rotateDocumentKeys } from '../stores/jobs.js';
import { resolveDocumentKeys, setDocumentKeys } from '../stores/document-cipher.js';
import { closePool, initPool } from '../stores/pool.js';
import { appendAudit, verifyAuditChain } from '../stores/audit.js';
import { migrate } from '../stores/migrate.js';
import { findCredentials, updateUser } from '../stores/users.js';
import { revokeUserSessions } from '../stores/sessions.js';
import { revokeUserApiKeys } from '../stores/api-keys.js';
import { checkPasswordRules, hashPassword } from '../api/auth/passwords.js';
import type { AuditAction } from '../api/contract/audit.js';
import { startEmbeddedPostgres } from './embedded/postgres.js';
import { prepareDataDir } from './embedded/data-dir.js';
import { runningStack } from './stack.js';
import { ENGINE_COMMAND, processCommand, readPasswordStdin, type ProcessOptions } from './cli-process.js';
import { DEFAULT_FORMATS, OUTPUT_FORMATS, parseFormats } from './cli-formats.js';
import type { EngineRequest } from './cli-engine.js';

/**
 * Runs `work` on the configured database without starting Temporal: DATABASE_URL, else the embedded
 * database of a MedExtract running on DATA_DIR, else the embedded database started for this command.
 */
async function withDatabase(work: () => Promise<number>): Promise<number> {
  const cfg = config('cli');
  // The command's answer is one or two lines: the embedded database's start-up notes would bury it.
  if (cfg.logLevel === 'info') setLogLevel('warn');
  let databaseUrl = cfg.databaseUrl ?? runningStack(cfg.dataDir)?.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    prepareDataDir(cfg.dataDir);
    const pg = await startEmbeddedPostgres(cfg.dataDir);
    stopEmbedded = () => pg.stop();
    databaseUrl = pg.url;
    await migrate(databaseUrl); // a database someone else serves was migrated by its API
  }
  try {
    initPool(databaseUrl, 2);
    return await work();
  } finally {
    await closePool();
    await stopEmbedded?.();
  }
}

async function auditVerifyCommand(): Promise<number> {
  const verdict = await verifyAuditChain();
  if (verdict.ok) {
    process.stdout.write(`OK: the audit chain holds (${verdict.rows} row${verdict.rows === 1 ? '' : 's'})\n`);
    return 0;
  }
  process.stdout.write(`BROKEN at audit row ${verdict.id}: ${verdict.reason} (${verdict.rows} rows before it verified)\n`);
  return 1;
}

/** Re-encrypts every stored document, workbook and running job's PDF password not yet under the first of DOCUMENT_KEYS. */
async function keysRotateCommand(opts: { batchSize: string }): Promise<number> {
  const batchSize = Number(opts.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    process.stderr.write('--batch-size must be a whole number from 1 to 10000\n');
    return 2;
  }
  setDocumentKeys(resolveDocumentKeys(config('cli')));
  const r = await rotateDocumentKeys({ batchSize });
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  process.stdout.write(
    `rotated ${count(r.documents, 'document')}, ${count(r.workbooks, 'workbook')}, ${count(r.secrets, 'PDF password of a running job', 'PDF passwords of running jobs')} and ${count(r.vaults, 'de-identification vault')} to key "${r.keyId}"\n`,
  );
  return 0;
}

/** A random password that passes the password rules for `username` (20 characters of base64url, 120 bits). */
export function generatePassword(username: string): string {
  for (;;) {
    const password = crypto.randomBytes(15).toString('base64url');
    try {
      checkPasswordRules(password, username);
      return password;
    } catch {
      // e.g. the random letters happened to contain a short username: draw again
    }
  }
}

/** Sets a new password for `username` the way an administrator's reset does: sessions and API keys end; audited as `user.update`. */
async function resetPasswordCommand(username: string): Promise<number> {
  const user = await findCredentials(username);
  if (!user) {
    process.stdout.write(`no user named "${username}"\n`);
    return 1;
  }
  const password = generatePassword(user.username);
  await updateUser(user.id, { password: { hash: await hashPassword(password), changedAt: new Date() } });
  const sessionsRevoked = await revokeUserSessions(user.id);
  const apiKeysRevoked = await revokeUserApiKeys(user.id);
  const action: AuditAction = 'user.update';
  await appendAudit({
    actorUserId: null,
    actorUsername: `cli:${os.userInfo().username}`,
    action,
    targetType: 'user',
    targetId: user.id,
    ip: null,
    userAgent: null,
    detail: { passwordReset: true, via: 'cli', ...(sessionsRevoked ? { sessionsRevoked } : {}), ...(apiKeysRevoked ? { apiKeysRevoked } : {}) },
  });
  const ended = [
    sessionsRevoked && `${sessionsRevoked} session${sessionsRevoked === 1 ? '' : 's'}`,
    apiKeysRevoked && `${apiKeysRevoked} API key${apiKeysRevoked === 1 ? '' : 's'}`,
  ]
    .filter(Boolean)
    .join(' and ');
  process.stdout.write(
    [
      `New password for ${user.username}: ${password}`,
      `  It is shown only this once.${ended ? ` Ended ${ended} of ${user.username}.` : ''}${user.disabled ? ' The account is disabled: an administrator must enable it before it can sign in.' : ''}`,
      '',
    ].join('\n'),
  );
  return 0;
}

// The environment is checked before anything else, --help included: a bad value gets the one-line
// configuration report at once instead of surfacing later in the middle of a command.
config('cli');

const program = new Command()
  .name('medextract')
  .description('Turn medical documents (PDFs and scans) into structured data and Excel workbooks.')
  .showHelpAfterError();
program
  .command('process')
  .description('process documents (PDF, TIFF, PNG, JPEG, WebP): one durable job each; writes <name>.xlsx and <name>.json (--format adds a FHIR Bundle)')
  .argument('<files...>', 'documents, recognised by their content (not their names)')
  .option('-o, --out <dir>', 'output folder', '.')
  .option(
    '-f, --format <formats>',
    `what to write per document, comma-separated: ${OUTPUT_FORMATS.join(', ')} (fhir: a FHIR R4 Bundle, <name>.fhir.json)`,
    (list: string) => {
      try {
        return parseFormats(list);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    },
    [...DEFAULT_FORMATS],
  )
  .option('--owner <name>', 'job owner recorded with each job', `cli:${os.userInfo().username}`)
  .option(
    '--password-stdin',
    'read the password of the password-protected PDFs among the files from standard input (preferred: unlike --password it is not visible in `ps` or kept in shell history); e.g. `medextract process locked.pdf --password-stdin < pw.txt`',
  )
  .option(
    '--password <password>',
    'the password of the password-protected PDFs among the files; visible to other users of the machine in `ps` and kept in shell history, so prefer --password-stdin. Either way it is kept sealed until each job ends and never logged',
  )
  .action(async (files: string[], opts: ProcessOptions) => {
    if (opts.passwordStdin) {
      if (opts.password !== undefined) {
        process.stderr.write('give the password either with --password or with --password-stdin, not both\n');
        process.exitCode = 2;
        return;
      }
      try {
        opts.password = await readPasswordStdin();
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
    }
    process.exitCode = await processCommand(config('cli'), files, opts);
  });

// The working half of `process`, started by it with its output on the log file (not for direct use).
program.command(ENGINE_COMMAND, { hidden: true }).action(async () => {
  const request = await new Promise<EngineRequest>((resolve) => process.once('message', (m) => resolve(m as EngineRequest)));
  const { runEngine } = await import('./cli-engine.js');
  await runEngine(request);
});

const auditCommand = program.command('audit').description('the audit log');
auditCommand
  .command('verify')
  .description('check that no audit row was changed, removed or inserted out of turn (walks the hash chain)')
  .action(async () => {
    process.exitCode = await withDatabase(auditVerifyCommand);
  });

program
  .command('keys')
  .description('document encryption keys')
  .command('rotate')
  .description(
    're-encrypt every document, workbook and PDF password of a running job under the first key of DOCUMENT_KEYS (safe on a live system, and to rerun)',
  )
  .option('--batch-size <n>', 'rows per transaction', '50')
  .action(async (opts: { batchSize: string }) => {
    process.exitCode = await withDatabase(() => keysRotateCommand(opts));
  });

program
  .command('admin')
  .description('account administration on the database, for when nobody can sign in')
  .command('reset-password')
  .description('give a user a new random password (printed once; their sessions and API keys end; audited)')
  .argument('<username>', 'the account (any case)')
  .action(async (username: string) => {
    process.exitCode = await withDatabase(() => resetPasswordCommand(username));
  });

await program.parseAsync(process.argv);
// Temporal's native connection and pg timers could keep the loop alive a little; we are done.
process.exit(process.exitCode ?? 0);
