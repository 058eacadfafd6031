/**
 * Reads and writes of documents, jobs and their results. Every statement is a single, self-contained
 * query or a short transaction (the embedded PGlite serialises sessions, so a transaction must never wait on another connection).
 */
import type { DeidSummary } from '../core/contract/deid.js';
import crypto from 'node:crypto';
import type pg from 'pg';
import type { JobError, JobReviewState, JobStage, JobStatus, JobWarning, ExtractionProvider } from '../core/contract/jobs.js';
import { workflowIdForJob } from '../core/contract/jobs.js';
import type { EvidencePage, Extraction } from '../core/contract/extraction.js';
import { searchablePatientName } from '../core/contract/patient-name.js';
import { currentKeyId, documentAad, open, seal, workbookAad } from './document-cipher.js';
import { db, inTransaction } from './pool.js';
import { rotateVaults } from './deid-vaults.js';
import { rotateJobSecrets } from './job-secrets.js';

export interface JobRow {
  id: string;
  document_id: string;
  owner: string;
  workflow_id: string;
  filename: string;
  status: JobStatus;
  stage: JobStage | null;
  pages_total: number | null;
  pages_done: number;
  error_code: string | null;
  error_message: string | null;
  provider: ExtractionProvider;
  model: string | null;
  tokens_in: number;
  tokens_out: number;
  stage_ms: Record<string, number>;
  /** What a reviewer should know (set when the extraction is stored; empty before). */
  warnings: JobWarning[];
  /** Any warning or any flagged value. */
  needs_review: boolean;
  /** The result's current version (0: the machine's extraction) and where people stand with it. */
  result_version: number;
  review_state: JobReviewState;
  /** The review policy made this job wait for a person's approval before its final export. */
  review_required: boolean;
  approved_by: string | null;
  approved_at: Date | null;
  /** The text went to the LLM de-identified: what was replaced, counted per category (null: it did not). */
  deid: DeidSummary | null;
  /** The owner's username; null when the owner is not a user account (or no longer exists). */
  owner_name: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface NewJob {
  owner: string;
  filename: string;
  content: Uint8Array;
  provider: ExtractionProvider;
  model: string | null;
}

export const sha256Hex = (bytes: Uint8Array): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** Stores the document and a queued job for it, in one transaction. */
export async function createJob(job: NewJob): Promise<JobRow> {
  const jobId = await inTransaction((client) => insertDocumentAndJob(client, job, sha256Hex(job.content)));
  return (await getJob(jobId))!;
}

/**
 * Like createJob, unless the owner already has a live job (not cancelled) for the same bytes: then that
 * job is returned with `duplicate: true` and nothing is stored. Holds across processes (API replicas):
 * a transaction-scoped advisory lock on (owner, sha256) serialises the find-or-insert, so two uploads of
 * the same file at the same moment create one job. Uploads of different files do not wait for each other
 * (apart from a rare hash collision of the lock key, which only serialises them).
 */
export async function createJobOnce(job: NewJob): Promise<{ job: JobRow; duplicate: boolean }> {
  const sha256 = sha256Hex(job.content);
  const { jobId, duplicate } = await inTransaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [UPLOAD_LOCK_NAMESPACE, `${job.owner}\n${sha256}`]);
    const existing = await client.query<{ id: string }>(
      `SELECT j.id FROM documents d JOIN jobs j ON j.document_id = d.id
        WHERE d.owner = $1 AND d.sha256 = $2 AND j.owner = $1 AND j.status <> 'cancelled'
        ORDER BY j.created_at ASC, j.id ASC LIMIT 1`,
      [job.owner, sha256],
    );
    if (existing.rows[0]) return { jobId: existing.rows[0].id, duplicate: true };
    return { jobId: await insertDocumentAndJob(client, job, sha256), duplicate: false };
  });
  return { job: (await getJob(jobId))!, duplicate };
}

/** First key of the upload advisory locks, so they never meet another use of advisory locks. */
const UPLOAD_LOCK_NAMESPACE = 'medextract.upload';

async function insertDocumentAndJob(client: pg.PoolClient, job: NewJob, sha256: string): Promise<string> {
  const documentId = crypto.randomUUID();
  const jobId = crypto.randomUUID();
  const { keyId, sealed } = seal(job.content, documentAad(documentId));
  await client.query('INSERT INTO documents (id, owner, filename, sha256, size_bytes, content, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    documentId,
    job.owner,
    job.filename,
    sha256,
    job.content.byteLength,
    sealed,
    keyId,
  ]);
  await client.query('INSERT INTO jobs (id, document_id, owner, workflow_id, provider, model) VALUES ($1, $2, $3, $4, $5, $6)', [
    jobId,
    documentId,
    job.owner,
    workflowIdForJob(jobId),
    job.provider,
    job.model,
  ]);
  return jobId;
}

const JOB_COLUMNS = `j.id, j.document_id, j.owner, j.workflow_id, d.filename, j.status, j.stage, j.pages_total, j.pages_done,
  j.error_code, j.error_message, j.provider, j.model, j.tokens_in, j.tokens_out, j.stage_ms, j.warnings, j.needs_review,
  j.result_version, j.review_state, j.review_required, j.approved_by, j.approved_at, j.deid, u.username AS owner_name, j.created_at, j.started_at, j.finished_at`;
// The owner is a user id as text (or another principal's name), so the users join compares as text.
const JOB_FROM = 'jobs j JOIN documents d ON d.id = j.document_id LEFT JOIN users u ON u.id::text = j.owner';

export async function getJob(jobId: string): Promise<JobRow | undefined> {
  const r = await db().query<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE j.id = $1`, [jobId]);
  return r.rows[0];
}

export async function getDocumentBytes(jobId: string): Promise<Uint8Array> {
  const r = await db().query<{ id: string; key_id: string | null; content: Buffer }>(
    'SELECT d.id, d.key_id, d.content FROM jobs j JOIN documents d ON d.id = j.document_id WHERE j.id = $1',
    [jobId],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`job ${jobId} has no document`);
  const plain = open(row.key_id, row.content, documentAad(row.id), `document ${row.id} (job ${jobId})`);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}

// ---------------------------------------------------------------------------------------------------
// Key rotation

export interface RotationResult {
  /** The key every row is now sealed under. */
  keyId: string;
  documents: number;
  workbooks: number;
  /** Secrets of running jobs (their PDFs' passwords, stores/job-secrets.ts) re-sealed. */
  secrets: number;
  /** De-identification vaults (stores/deid-vaults.ts) re-sealed. */
  vaults: number;
}

/**
 * Re-seals every document, workbook and job secret (the password of a running job's PDF) not under the
 * current (first) key — older keys and rows stored before encryption — in batches of `batchSize` rows, walking each table once by primary key. Each row
 * is updated only if its key id is still the one read (a concurrent rotation never double-seals), so it
 * is safe to run beside a live installation and to run again after an interruption. A row under a key
 * that is not configured stops it with DocumentKeyMissing.
 */
export async function rotateDocumentKeys(opts: { batchSize?: number } = {}): Promise<RotationResult> {
  const batchSize = opts.batchSize ?? 50;
  const keyId = currentKeyId();
  const documents = await rotateTable('documents', 'id', documentAad, keyId, batchSize);
  const workbooks = await rotateTable('workbooks', 'job_id', workbookAad, keyId, batchSize);
  const secrets = await rotateJobSecrets(keyId, batchSize);
  const vaults = await rotateVaults(keyId, batchSize);
  return { keyId, documents, workbooks, secrets, vaults };
}

async function rotateTable(
  table: 'documents' | 'workbooks',
  idColumn: 'id' | 'job_id',
  aadOf: (id: string) => string,
  keyId: string,
  batchSize: number,
): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let done = 0;
  for (;;) {
    const r = await db().query<{ id: string; key_id: string | null; content: Buffer }>(
      `SELECT ${idColumn} AS id, key_id, content FROM ${table}
        WHERE ${idColumn} > $1 AND key_id IS DISTINCT FROM $2 ORDER BY ${idColumn} LIMIT $3`,
      [after, keyId, batchSize],
    );
    for (const row of r.rows) {
      const plain = open(row.key_id, row.content, aadOf(row.id), `${table === 'documents' ? 'document' : 'the workbook of job'} ${row.id}`);
      const next = seal(plain, aadOf(row.id));
      const u = await db().query(`UPDATE ${table} SET content = $2, key_id = $3 WHERE ${idColumn} = $1 AND key_id IS NOT DISTINCT FROM $4`, [
        row.id,
        next.sealed,
        next.keyId,
        row.key_id,
      ]);
      done += u.rowCount ?? 0;
    }
    if (r.rows.length < batchSize) return done;
    after = r.rows.at(-1)!.id;
  }
}

/** Marks a stage as running; the first call also marks the job as processing. */
export async function enterStage(jobId: string, stage: JobStage): Promise<void> {
  await db().query(
    `UPDATE jobs SET status = 'processing', stage = $2, started_at = coalesce(started_at, now()), updated_at = now()
      WHERE id = $1 AND status IN ('queued', 'processing')`,
    [jobId, stage],
  );
}

/** Adds the milliseconds an activity spent to its stage's total. */
export async function addStageTime(jobId: string, stage: JobStage, ms: number): Promise<void> {
  await db().query(
    `UPDATE jobs SET stage_ms = stage_ms || jsonb_build_object($2::text, coalesce((stage_ms->>$2)::int, 0) + $3::int), updated_at = now()
      WHERE id = $1`,
    [jobId, stage, Math.round(ms)],
  );
}

/** pages_done is derived from stored pages, so a retried batch never counts a page twice. */
export async function refreshPagesDone(jobId: string): Promise<void> {
  await db().query('UPDATE jobs SET pages_done = (SELECT count(*) FROM pages WHERE job_id = $1), updated_at = now() WHERE id = $1', [jobId]);
}

export interface StoredPage {
  page_no: number;
  source: 'text_layer' | 'ocr';
  text: string;
  ocr_confidence: number | null;
  words: unknown;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
}

/** Idempotent: a page already stored (by an earlier attempt) is kept as it is. */
export async function savePage(jobId: string, p: StoredPage): Promise<void> {
  await db().query(
    `INSERT INTO pages (job_id, page_no, source, text, ocr_confidence, words, width, height, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_id, page_no) DO NOTHING`,
    [
      jobId,
      p.page_no,
      p.source,
      p.text,
      p.ocr_confidence,
      p.words === null || p.words === undefined ? null : JSON.stringify(p.words),
      p.width,
      p.height,
      p.duration_ms,
    ],
  );
}

/** savePage for many pages in one statement (a document's text-layer pages after prepare). */
export async function savePages(jobId: string, pages: StoredPage[]): Promise<void> {
  if (pages.length === 0) return;
  await db().query(
    `INSERT INTO pages (job_id, page_no, source, text, ocr_confidence, words, width, height, duration_ms)
     SELECT $1, p.page_no, p.source, p.text, p.ocr_confidence, p.words, p.width, p.height, p.duration_ms
       FROM jsonb_to_recordset($2::jsonb) AS p(page_no int, source text, text text, ocr_confidence real, words jsonb, width real, height real, duration_ms int)
     ON CONFLICT (job_id, page_no) DO NOTHING`,
    [jobId, JSON.stringify(pages.map((p) => ({ ...p, words: p.words ?? null })))],
  );
}

/** After prepare: the page count, and pages_done from the pages stored so far. */
export async function setPagesTotalAndDone(jobId: string, total: number): Promise<void> {
  await db().query('UPDATE jobs SET pages_total = $2, pages_done = (SELECT count(*) FROM pages WHERE job_id = $1), updated_at = now() WHERE id = $1', [
    jobId,
    total,
  ]);
}

export async function storedPageNumbers(jobId: string): Promise<Set<number>> {
  const r = await db().query<{ page_no: number }>('SELECT page_no FROM pages WHERE job_id = $1', [jobId]);
  return new Set(r.rows.map((x) => x.page_no));
}

export async function pageTexts(jobId: string): Promise<Array<{ page: number; text: string }>> {
  const r = await db().query<{ page_no: number; text: string }>('SELECT page_no, text FROM pages WHERE job_id = $1 ORDER BY page_no', [jobId]);
  return r.rows.map((x) => ({ page: x.page_no, text: x.text }));
}

/**
 * Every page's text, where it came from, and the OCR confidence of the page and of each word (for
 * checking evidence and for the job's warnings).
 */
export async function pageEvidence(jobId: string): Promise<Array<EvidencePage & { source: 'text_layer' | 'ocr' }>> {
  const r = await db().query<{
    page_no: number;
    source: 'text_layer' | 'ocr';
    text: string;
    ocr_confidence: number | null;
    words: Array<{ text: string; confidence: number }> | null;
  }>('SELECT page_no, source, text, ocr_confidence, words FROM pages WHERE job_id = $1 ORDER BY page_no', [jobId]);
  return r.rows.map((x) => ({
    page: x.page_no,
    source: x.source,
    text: x.text,
    ocrConfidence: x.ocr_confidence,
    words: x.words ? x.words.map((w) => ({ text: w.text, confidence: w.confidence })) : null,
  }));
}

export async function pageSources(jobId: string): Promise<Array<{ page: number; source: 'text_layer' | 'ocr'; ocrConfidence: number | null }>> {
  const r = await db().query<{ page_no: number; source: 'text_layer' | 'ocr'; ocr_confidence: number | null }>(
    'SELECT page_no, source, ocr_confidence FROM pages WHERE job_id = $1 ORDER BY page_no',
    [jobId],
  );
  return r.rows.map((x) => ({ page: x.page_no, source: x.source, ocrConfidence: x.ocr_confidence }));
}

/** The job's token totals, what a reviewer should know and its searchable patient name, once its extraction is stored. */
export async function recordExtractionFacts(
  jobId: string,
  f: { tokensIn: number; tokensOut: number; warnings: readonly JobWarning[]; needsReview: boolean; data: Pick<Extraction, 'patient'> },
): Promise<void> {
  await db().query(
    'UPDATE jobs SET tokens_in = $2, tokens_out = $3, warnings = $4::jsonb, needs_review = $5, patient_name = $6, updated_at = now() WHERE id = $1',
    [jobId, f.tokensIn, f.tokensOut, JSON.stringify(f.warnings), f.needsReview, searchablePatientName(f.data)],
  );
}

/**
 * The patient name the work queue finds the job by, after a correction changed it: pass
 * `searchablePatientName(current extraction)` (core/contract/patient-name.ts); null when it has none.
 */
export async function recordPatientName(jobId: string, name: string | null): Promise<void> {
  await db().query('UPDATE jobs SET patient_name = $2 WHERE id = $1', [jobId, name]);
}

export async function finishJob(jobId: string, status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>, error?: JobError): Promise<void> {
  await db().query(
    `UPDATE jobs SET status = $2, error_code = $3, error_message = $4, finished_at = now(), updated_at = now()
      WHERE id = $1 AND status NOT IN ('completed', 'failed', 'cancelled')`,
    [jobId, status, error?.code ?? null, error?.message ?? null],
  );
}

// ---------------------------------------------------------------------------------------------------
// Listing and the work queue, with keyset pagination on (created_at, id) in either direction

/** Where the previous page ended: its last job's exact creation time (ISO-8601, microseconds) and id. */
export interface JobListPosition {
  createdAt: string;
  id: string;
}

/** A listed job, with its creation time to the microsecond as stored (a Date keeps only milliseconds). */
export type ListedJob = JobRow & { created_exact: string };

export type JobListSort = 'newest' | 'oldest';

export interface JobListFilter {
  owner?: string;
  /** Any of these statuses. */
  statuses?: readonly JobStatus[];
  needsReview?: boolean;
  reviewState?: JobReviewState;
  /** true: only the jobs that wait for a person's approval; false: every other job. */
  awaitingReview?: boolean;
  /** Case-insensitive substring of the file name or of the searchable patient name (wildcards are literal). */
  search?: string;
  /** Created on or after this UTC day (YYYY-MM-DD). */
  createdFrom?: string;
  /** Created on or before this UTC day (YYYY-MM-DD). */
  createdTo?: string;
}

/** Only a completed job needs review: one whose workbook is still being made, or that failed, does not yet. */
const NEEDS_REVIEW = "(j.needs_review AND j.status = 'completed')";
/** Waits for review: the policy made it wait for a person's approval, and nobody has approved it yet. */
const AWAITING_REVIEW = "(j.status = 'completed' AND j.review_required AND j.review_state <> 'approved')";

/** `%`, `_` and the escape character itself match only themselves. */
export const likeSubstring = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function filterSql(f: JobListFilter, param: (v: unknown) => string): string[] {
  const where: string[] = [];
  if (f.owner !== undefined) where.push(`j.owner = ${param(f.owner)}`);
  if (f.statuses !== undefined && f.statuses.length > 0) where.push(`j.status = ANY(${param(f.statuses)}::text[])`);
  if (f.needsReview !== undefined) where.push(f.needsReview ? NEEDS_REVIEW : `NOT ${NEEDS_REVIEW}`);
  if (f.reviewState !== undefined) where.push(`j.review_state = ${param(f.reviewState)}`);
  if (f.awaitingReview !== undefined) where.push(f.awaitingReview ? AWAITING_REVIEW : `NOT ${AWAITING_REVIEW}`);
  if (f.search !== undefined) {
    const like = param(likeSubstring(f.search));
    where.push(`(d.filename ILIKE ${like} ESCAPE '\\' OR j.patient_name ILIKE ${like} ESCAPE '\\')`);
  }
  // Whole UTC days: from its first microsecond, to before the next day's.
  if (f.createdFrom !== undefined) where.push(`j.created_at >= (${param(f.createdFrom)}::date)::timestamp AT TIME ZONE 'UTC'`);
  if (f.createdTo !== undefined) where.push(`j.created_at < (${param(f.createdTo)}::date + 1)::timestamp AT TIME ZONE 'UTC'`);
  return where;
}

export async function listJobs(q: JobListFilter & { sort?: JobListSort; after?: JobListPosition; limit: number }): Promise<ListedJob[]> {
  const params: unknown[] = [];
  const param = (v: unknown) => `$${params.push(v)}`;
  const where = filterSql(q, param);
  const oldest = q.sort === 'oldest';
  if (q.after) where.push(`(j.created_at, j.id) ${oldest ? '>' : '<'} (${param(q.after.createdAt)}::timestamptz, ${param(q.after.id)}::uuid)`);
  const direction = oldest ? 'ASC' : 'DESC';
  const r = await db().query<ListedJob>(
    `SELECT ${JOB_COLUMNS}, to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_exact
       FROM ${JOB_FROM}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY j.created_at ${direction}, j.id ${direction} LIMIT ${param(q.limit)}`,
    params,
  );
  return r.rows;
}

/** The job that has waited longest for review (since it completed), of this owner or (no owner) of anyone. */
export async function nextJobAwaitingReview(owner?: string): Promise<JobRow | undefined> {
  const params: unknown[] = [];
  const ownerSql = owner === undefined ? '' : `AND j.owner = $${params.push(owner)}`;
  const r = await db().query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE ${AWAITING_REVIEW} ${ownerSql} ORDER BY j.finished_at ASC, j.id ASC LIMIT 1`,
    params,
  );
  return r.rows[0];
}

/**
 * Deletes a finished job's document; the job row cascades from it, and its pages, extraction parts,
 * extraction and workbook from the job. False when there is no such finished job.
 */
export async function deleteFinishedJob(jobId: string): Promise<boolean> {
  const r = await db().query(
    `DELETE FROM documents d USING jobs j
      WHERE j.id = $1 AND d.id = j.document_id AND j.status IN ('completed', 'failed', 'cancelled')`,
    [jobId],
  );
  return (r.rowCount ?? 0) > 0;
}

/** A stored page's positioned words as the pipeline kept them (OCR word boxes), with the page size. */
export async function pageWords(
  jobId: string,
  pageNo: number,
): Promise<{ source: 'text_layer' | 'ocr'; words: unknown; width: number | null; height: number | null; ocr_confidence: number | null } | undefined> {
  const r = await db().query<{ source: 'text_layer' | 'ocr'; words: unknown; width: number | null; height: number | null; ocr_confidence: number | null }>(
    'SELECT source, words, width, height, ocr_confidence FROM pages WHERE job_id = $1 AND page_no = $2',
    [jobId, pageNo],
  );
  return r.rows[0];
}

/** Every OCR page's word boxes and pixel size (text-layer pages keep no boxes), for the extractor's layout rules. */
export async function ocrPageWords(jobId: string): Promise<Array<{ page: number; words: unknown; width: number; height: number }>> {
  const r = await db().query<{ page_no: number; words: unknown; width: number; height: number }>(
    `SELECT page_no, words, width, height FROM pages
      WHERE job_id = $1 AND source = 'ocr' AND words IS NOT NULL AND width IS NOT NULL AND height IS NOT NULL ORDER BY page_no`,
    [jobId],
  );
  return r.rows.map((x) => ({ page: x.page_no, words: x.words, width: x.width, height: x.height }));
}

/** Jobs in the whole database by status (statuses without jobs are absent). */
export async function countJobsByStatus(): Promise<Map<string, number>> {
  return countBy('SELECT status AS key, count(*) AS n FROM jobs GROUP BY status');
}

/** Stored pages in the whole database by where their text came from. */
export async function countPagesBySource(): Promise<Map<string, number>> {
  return countBy('SELECT source AS key, count(*) AS n FROM pages GROUP BY source');
}

async function countBy(sql: string): Promise<Map<string, number>> {
  const r = await db().query<{ key: string; n: string }>(sql);
  return new Map(r.rows.map((row) => [row.key, Number(row.n)]));
}
