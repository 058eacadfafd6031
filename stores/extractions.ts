/**
 * Extraction results and workbooks: the per-chunk parts the LLM activities write, the merged and
 * verified extraction, the job's token totals, the exported workbook, and a finished job's result as the
 * exporters read it. Single statements only (see stores/jobs.ts on the embedded PGlite).
 */
import { parseStoredExtraction, storedSchemaVersion, type Extraction } from '../core/contract/extraction.js';
import type { JobResult } from '../core/contract/job-result.js';
import type { JobReviewState, JobWarning } from '../core/contract/jobs.js';
import { PipelineError } from '../core/errors.js';
import { open, seal, workbookAad } from './document-cipher.js';
import { getJob, pageSources, recordExtractionFacts, sha256Hex } from './jobs.js';
import { db } from './pool.js';

export interface StoredPart {
  result: Extraction;
  tokensIn: number;
  tokensOut: number;
}

/** The stored part's token counts, if an earlier attempt already wrote it. */
export async function findPartTokens(jobId: string, partNo: number): Promise<{ tokensIn: number; tokensOut: number } | undefined> {
  const r = await db().query<{ tokens_in: number; tokens_out: number }>(
    'SELECT tokens_in, tokens_out FROM extraction_parts WHERE job_id = $1 AND part_no = $2',
    [jobId, partNo],
  );
  const row = r.rows[0];
  return row ? { tokensIn: row.tokens_in, tokensOut: row.tokens_out } : undefined;
}

/** First write wins: a retried attempt never replaces a stored part. */
export async function savePart(jobId: string, partNo: number, pages: number[], part: StoredPart): Promise<void> {
  await db().query(
    `INSERT INTO extraction_parts (job_id, part_no, pages, result, tokens_in, tokens_out)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id, part_no) DO NOTHING`,
    [jobId, partNo, pages, JSON.stringify(part.result), part.tokensIn, part.tokensOut],
  );
}

export async function listParts(jobId: string): Promise<StoredPart[]> {
  const r = await db().query<{ result: unknown; tokens_in: number; tokens_out: number }>(
    'SELECT result, tokens_in, tokens_out FROM extraction_parts WHERE job_id = $1 ORDER BY part_no',
    [jobId],
  );
  // A part written before an upgrade (a job in flight across it) is read in the current shape.
  return r.rows.map((row) => ({ result: parseStoredExtraction(row.result), tokensIn: row.tokens_in, tokensOut: row.tokens_out }));
}

/** Stores the job's merged extraction, its token totals, its warnings and whether it needs review. */
export async function saveExtraction(
  jobId: string,
  e: {
    schemaVersion: string;
    data: Extraction;
    flagged: number;
    tokensIn: number;
    tokensOut: number;
    warnings: readonly JobWarning[];
    needsReview: boolean;
  },
): Promise<void> {
  await db().query(
    `INSERT INTO extractions (job_id, schema_version, data, flagged_count) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id) DO UPDATE SET data = EXCLUDED.data, flagged_count = EXCLUDED.flagged_count`,
    [jobId, e.schemaVersion, JSON.stringify(e.data), e.flagged],
  );
  await recordExtractionFacts(jobId, e);
}

/**
 * The workbook holds the extracted patient data: sealed like the document (stores/document-cipher.ts).
 * It is stamped with the version and review state it was built of (the first export: version 0, unreviewed).
 */
export async function saveWorkbook(
  jobId: string,
  xlsx: Buffer,
  of: WorkbookStamp = { version: 0, reviewState: 'unreviewed', approvedAt: null },
): Promise<void> {
  const { keyId, sealed } = seal(xlsx, workbookAad(jobId));
  await db().query(
    `INSERT INTO workbooks (job_id, content, size_bytes, sha256, key_id, result_version, review_state, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (job_id) DO UPDATE SET content = EXCLUDED.content, size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256,
       key_id = EXCLUDED.key_id, result_version = EXCLUDED.result_version, review_state = EXCLUDED.review_state, approved_at = EXCLUDED.approved_at`,
    [jobId, sealed, xlsx.byteLength, sha256Hex(xlsx), keyId, of.version, of.reviewState, of.approvedAt],
  );
}

export interface WorkbookStamp {
  version: number;
  reviewState: JobReviewState;
  approvedAt: Date | null;
}

/** The stored workbook; with `of`, only if it was built of exactly that version in that review state. */
export async function getWorkbook(jobId: string, of?: WorkbookStamp): Promise<Buffer | undefined> {
  const r = await db().query<{ key_id: string | null; content: Buffer }>(
    `SELECT key_id, content FROM workbooks
      WHERE job_id = $1 AND ($2::int IS NULL OR (result_version = $2 AND review_state = $3 AND approved_at IS NOT DISTINCT FROM $4::timestamptz))`,
    [jobId, of?.version ?? null, of?.reviewState ?? null, of?.approvedAt ?? null],
  );
  const row = r.rows[0];
  return row ? open(row.key_id, row.content, workbookAad(jobId), `the workbook of job ${jobId}`) : undefined;
}

/** Everything the exporters need about one finished job. */
export async function loadJobResult(jobId: string): Promise<JobResult> {
  const job = await getJob(jobId);
  if (!job) throw new PipelineError('NotFound', 'the job no longer exists');
  const stored = await db().query<{ data: unknown; created_at: Date }>('SELECT data, created_at FROM extractions WHERE job_id = $1', [jobId]);
  const row = stored.rows[0];
  if (!row) throw new PipelineError('NotFound', 'the job has no extraction yet');
  return {
    jobId,
    filename: job.filename,
    pageCount: job.pages_total ?? 0,
    pageSources: await pageSources(jobId),
    provider: job.provider,
    model: job.provider === 'openai' ? job.model : null,
    extractedAt: row.created_at,
    extraction: parseStoredExtraction(row.data),
    schemaVersion: storedSchemaVersion(row.data),
    warnings: job.warnings,
    needsReview: job.needs_review,
    deidentification: job.deid,
  };
}
