/**
 * `medextract process <pdf...> [--out DIR]`: submits each PDF as a job through Temporal, shows a live
 * progress bar per document, and writes `<name>.xlsx` and `<name>.json` to DIR. Exits non-zero, with
 * one clear line per document, when any document failed. With no TEMPORAL_ADDRESS it runs (or joins)
 * the embedded stack for the length of the command.
 *
 * `medextract audit verify`: walks the audit log's hash chain (DATABASE_URL, else the embedded database
 * of DATA_DIR, joined when MedExtract runs there); prints `OK: N rows` and exits 0, or names the first
 * broken row and why and exits 1.
 *
 * `medextract keys rotate`: re-encrypts stored documents and workbooks under the first DOCUMENT_KEYS key.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { config } from '../core/config.js';
import { getJob, rotateDocumentKeys, type JobRow } from '../stores/jobs.js';
import { resolveDocumentKeys, setDocumentKeys } from '../stores/document-cipher.js';
import { closePool, initPool } from '../stores/pool.js';
import { verifyAuditChain } from '../stores/audit.js';
import { migrate } from '../stores/migrate.js';
import { startEmbeddedPostgres } from './embedded/postgres.js';
import { prepareDataDir } from './embedded/data-dir.js';
import { connectClient, submitDocument } from '../services/pipeline-client.js';
import { runningStack, startStack } from './stack.js';
import { startWorkers, type RunningWorkers } from '../workers/worker.js';
import { loadJobResult } from '../stores/extractions.js';
import { extractionToJson } from '../library/export/json.js';
import { buildWorkbook } from '../library/export/workbook.js';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

interface Tracked {
  input: string;
  outName: string;
  job?: JobRow;
  problem?: string;
}

async function processCommand(files: string[], opts: { out: string; owner: string }): Promise<number> {
  const cfg = config('cli');
  const outDir = path.resolve(opts.out);
  await fs.mkdir(outDir, { recursive: true });

  const stack = await startStack(cfg, { attach: true });
  let workers: RunningWorkers | undefined;
  try {
    initPool(stack.databaseUrl, 4);
    // Owning the embedded services means nobody else is there to do the work.
    if (stack.embedded) workers = await startWorkers(cfg, stack.temporalAddress);
    const client = await connectClient(cfg, stack.temporalAddress);

    const used = new Set<string>();
    const tracked: Tracked[] = files.map((input) => {
      let outName = path.basename(input).replace(/\.pdf$/i, '');
      for (let i = 2; used.has(outName); i++) outName = `${path.basename(input).replace(/\.pdf$/i, '')}-${i}`;
      used.add(outName);
      return { input, outName };
    });
    for (const t of tracked) {
      try {
        const content = await fs.readFile(t.input);
        if (content.byteLength > cfg.maxUploadBytes) {
          t.problem = `TooLarge: the file is ${(content.byteLength / 1048576).toFixed(1)} MB; the limit is ${cfg.maxUploadBytes / 1048576} MB`;
          continue;
        }
        t.job = await submitDocument(client, cfg, { owner: opts.owner, filename: path.basename(t.input), content });
      } catch (err) {
        t.problem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NotFound: no such file' : `SubmitFailed: ${(err as Error).message}`;
      }
    }

    await follow(tracked);

    let failures = 0;
    for (const t of tracked) {
      if (t.job?.status === 'completed') {
        const source = await loadJobResult(t.job.id);
        await fs.writeFile(path.join(outDir, `${t.outName}.xlsx`), await buildWorkbook(source));
        await fs.writeFile(path.join(outDir, `${t.outName}.json`), JSON.stringify(extractionToJson(source), null, 2));
        const seconds = t.job.finished_at ? ((t.job.finished_at.getTime() - t.job.created_at.getTime()) / 1000).toFixed(1) : '?';
        const pages = `${t.job.pages_total} page${t.job.pages_total === 1 ? '' : 's'}`;
        process.stdout.write(`✓ ${t.input} → ${path.join(outDir, t.outName)}.xlsx, .json  (${pages}, ${seconds} s, job ${t.job.id})\n`);
      } else {
        failures++;
        const reason = t.problem ?? (t.job?.error_code ? `${t.job.error_code}: ${t.job.error_message}` : `job ${t.job?.status}`);
        process.stdout.write(`✗ ${t.input}: ${reason}${t.job ? ` (job ${t.job.id})` : ''}\n`);
      }
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await workers?.shutdown();
    await closePool();
    await stack.stop();
  }
}

/** Polls each job's row until all have finished, drawing a bar per document (or plain lines off a TTY). */
async function follow(tracked: Tracked[]): Promise<void> {
  const live = tracked.filter((t) => t.job);
  const tty = process.stderr.isTTY;
  const bars = tty
    ? new cliProgress.MultiBar(
        { format: ' {bar} {percentage}% | {stage} {value}/{total} pages | {name}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const bar = new Map(live.map((t) => [t, bars?.create(1, 0, { name: path.basename(t.input), stage: 'queued' })]));
  const lastLine = new Map<Tracked, string>();
  while (live.some((t) => !FINISHED.has(t.job!.status))) {
    await new Promise((r) => setTimeout(r, 300));
    for (const t of live) {
      if (FINISHED.has(t.job!.status)) continue;
      t.job = (await getJob(t.job!.id)) ?? t.job;
      const j = t.job!;
      const stage = FINISHED.has(j.status) ? j.status : (j.stage ?? j.status);
      bar.get(t)?.setTotal(Math.max(1, j.pages_total ?? 1));
      bar.get(t)?.update(j.status === 'completed' ? Math.max(1, j.pages_total ?? 1) : j.pages_done, { stage });
      const line = `${path.basename(t.input)}: ${stage} ${j.pages_done}/${j.pages_total ?? '?'} pages`;
      if (!tty && lastLine.get(t) !== line) {
        process.stderr.write(`  ${line}\n`);
        lastLine.set(t, line);
      }
    }
  }
  bars?.stop();
}

/**
 * Runs `work` on the configured database without starting Temporal: DATABASE_URL, else the embedded
 * database of a MedExtract running on DATA_DIR, else the embedded database started for this command.
 */
async function withDatabase(work: () => Promise<number>): Promise<number> {
  const cfg = config('cli');
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

/** Re-encrypts every stored document and workbook not yet under the first of DOCUMENT_KEYS. */
async function keysRotateCommand(opts: { batchSize: string }): Promise<number> {
  const batchSize = Number(opts.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    process.stderr.write('--batch-size must be a whole number from 1 to 10000\n');
    return 2;
  }
  setDocumentKeys(resolveDocumentKeys(config('cli')));
  const r = await rotateDocumentKeys({ batchSize });
  process.stdout.write(
    `rotated ${r.documents} document${r.documents === 1 ? '' : 's'} and ${r.workbooks} workbook${r.workbooks === 1 ? '' : 's'} to key "${r.keyId}"\n`,
  );
  return 0;
}

// The environment is checked before anything else, --help included: a bad value gets the one-line
// configuration report at once instead of surfacing later in the middle of a command.
config('cli');

const program = new Command().name('medextract').description('Turn medical PDFs into structured data and Excel workbooks.').showHelpAfterError();
program
  .command('process')
  .description('process PDFs: one durable job each; writes <name>.xlsx and <name>.json')
  .argument('<pdf...>', 'PDF files')
  .option('-o, --out <dir>', 'output folder', '.')
  .option('--owner <name>', 'job owner recorded with each job', `cli:${os.userInfo().username}`)
  .action(async (files: string[], opts: { out: string; owner: string }) => {
    process.exitCode = await processCommand(files, opts);
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
  .description('re-encrypt every document and workbook under the first key of DOCUMENT_KEYS (safe on a live system, and to rerun)')
  .option('--batch-size <n>', 'rows per transaction', '50')
  .action(async (opts: { batchSize: string }) => {
    process.exitCode = await withDatabase(() => keysRotateCommand(opts));
  });

await program.parseAsync(process.argv);
// Temporal's native connection and pg timers could keep the loop alive a little; we are done.
process.exit(process.exitCode ?? 0);
