/**
 * The working half of `medextract process`, run as a child of the command (see app/cli-process.ts) with
 * its stdout and stderr on the log file: everything this process prints (our logs, the Temporal SDK's
 * and its native core's, libraries') lands there. It receives the documents over IPC (the password
 * too, so it is never in a command line), submits them, follows the jobs, writes the results, and
 * reports progress and one outcome per document back to the command.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { config } from '../core/config.js';
import { logger } from '../core/logger.js';
import { getDocumentBytes, getJob, ocrPageWords, type JobRow } from '../stores/jobs.js';
import { closePool, initPool } from '../stores/pool.js';
import { connectClient, submitDocument } from '../services/pipeline-client.js';
import { startStack } from './stack.js';
import { startWorkers, type RunningWorkers } from '../workers/worker.js';
import { loadJobResult } from '../stores/extractions.js';
import { extractionToJson } from '../library/export/json.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { exportBundle, jobBundleInput } from '../library/fhir/index.js';
import type { JobResult } from '../core/contract/job-result.js';
import type { OutputFormat } from './cli-formats.js';

/** What the command sends: the documents that passed its checks and where their results go. */
export interface EngineRequest {
  documents: Array<{ index: number; input: string; outName: string }>;
  outDir: string;
  formats: readonly OutputFormat[];
  owner: string;
  password?: string;
}

export type EngineMessage =
  | { type: 'progress'; index: number; stage: string; pagesDone: number; pagesTotal: number | null }
  | { type: 'outcome'; index: number; ok: boolean; line: string }
  /** The run as a whole failed (the stack did not start, the database went away). */
  | { type: 'fatal'; message: string };

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

interface Tracked {
  index: number;
  input: string;
  outName: string;
  job?: JobRow;
}

const send = (m: EngineMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));

export async function runEngine(request: EngineRequest): Promise<void> {
  const cfg = config('cli');
  try {
    await runJobs(cfg, request);
  } catch (err) {
    logger.error({ err }, 'the process command failed');
    await send({ type: 'fatal', message: (err as Error).message.split('\n')[0]! });
  }
}

async function runJobs(cfg: Config, request: EngineRequest): Promise<void> {
  const stack = await startStack(cfg, { attach: true });
  let workers: RunningWorkers | undefined;
  try {
    initPool(stack.databaseUrl, 4);
    // Owning the embedded services means nobody else is there to do the work.
    if (stack.embedded) workers = await startWorkers(cfg, stack.temporalAddress);
    const client = await connectClient(cfg, stack.temporalAddress);
    const tracked: Tracked[] = [];
    for (const d of request.documents) {
      try {
        const content = await fs.readFile(d.input);
        const job = await submitDocument(client, cfg, { owner: request.owner, filename: path.basename(d.input), content, password: request.password });
        tracked.push({ ...d, job });
      } catch (err) {
        logger.error({ err, file: path.basename(d.input) }, 'submitting a document failed');
        await send({ type: 'outcome', index: d.index, ok: false, line: `✗ ${d.input}: SubmitFailed: ${(err as Error).message}` });
      }
    }
    await follow(tracked);
    for (const t of tracked) await send(await writeOutcome(t, t.job!, request.outDir, request.formats));
  } finally {
    await workers?.shutdown();
    await closePool();
    await stack.stop();
  }
}

/** Polls each job's row until all have finished, reporting every change of stage or page count. */
async function follow(tracked: Tracked[]): Promise<void> {
  const last = new Map<Tracked, string>();
  while (tracked.some((t) => !FINISHED.has(t.job!.status))) {
    await new Promise((r) => setTimeout(r, 300));
    for (const t of tracked) {
      if (FINISHED.has(t.job!.status)) continue;
      const j = (t.job = (await getJob(t.job!.id)) ?? t.job!);
      const stage = FINISHED.has(j.status) ? j.status : (j.stage ?? j.status);
      const key = `${stage} ${j.pages_done}/${j.pages_total}`;
      if (last.get(t) === key) continue;
      last.set(t, key);
      logger.info({ jobId: j.id, stage, pagesDone: j.pages_done, pagesTotal: j.pages_total }, 'job progress');
      await send({ type: 'progress', index: t.index, stage, pagesDone: j.pages_done, pagesTotal: j.pages_total });
    }
  }
}

const EXTENSIONS: Record<OutputFormat, string> = { xlsx: '.xlsx', json: '.json', fhir: '.fhir.json' };

/** The FHIR Bundle of a job's result; one that fails validation is logged by path (never values) and written all the same. */
async function fhirBundle(job: JobRow, source: JobResult): Promise<string> {
  const input = await jobBundleInput(
    source,
    { bytes: await getDocumentBytes(job.id), uploadedAt: job.created_at, pageCount: job.pages_total ?? 0 },
    await ocrPageWords(job.id),
  );
  const { bundle } = exportBundle(input);
  return JSON.stringify(bundle, null, 2);
}

/** Writes a completed job's results in the asked formats; the document's line either way. */
async function writeOutcome(t: Tracked, job: JobRow, outDir: string, formats: readonly OutputFormat[]): Promise<EngineMessage> {
  const failed = (reason: string): EngineMessage => ({ type: 'outcome', index: t.index, ok: false, line: `✗ ${t.input}: ${reason} (job ${job.id})` });
  if (job.status !== 'completed') return failed(job.error_code ? `${job.error_code}: ${job.error_message}` : `the job ended ${job.status}`);
  try {
    const source = await loadJobResult(job.id);
    const out = (format: OutputFormat) => path.join(outDir, `${t.outName}${EXTENSIONS[format]}`);
    for (const format of formats) {
      if (format === 'xlsx') await fs.writeFile(out(format), await buildWorkbook(source));
      else if (format === 'json') await fs.writeFile(out(format), JSON.stringify(extractionToJson(source), null, 2));
      else await fs.writeFile(out(format), await fhirBundle(job, source));
    }
  } catch (err) {
    logger.error({ err, jobId: job.id }, 'writing the results failed');
    return failed(`WriteFailed: ${(err as Error).message}`);
  }
  const seconds = job.finished_at ? ((job.finished_at.getTime() - job.created_at.getTime()) / 1000).toFixed(1) : '?';
  const pages = `${job.pages_total} page${job.pages_total === 1 ? '' : 's'}`;
  return {
    type: 'outcome',
    index: t.index,
    ok: true,
    line: `✓ ${t.input} → ${path.join(outDir, t.outName)}${formats.map((f) => EXTENSIONS[f]).join(', ')}  (${pages}, ${seconds} s, job ${job.id})`,
  };
}
