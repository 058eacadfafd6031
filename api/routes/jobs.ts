/**
 * The job side of the API: upload PDFs, follow their jobs, download the results, cancel or delete.
 * Every route sits behind `authenticate`. A user sees only their own jobs; an admin sees all. Any job
 * the caller may not see — another user's, a deleted one, a malformed id — answers the same 404, so
 * nothing leaks about what exists.
 *
 * Upload (`POST /upload`, multipart, field `files`):
 *  - each file is streamed to a private temporary directory (server-side random names, mode 600) while
 *    its size is counted, its SHA-256 computed and its first 1024 bytes checked for `%PDF-`. A file over
 *    MAX_UPLOAD_MB, a request over MAX_REQUEST_FACTOR × MAX_UPLOAD_MB in total, more than
 *    MAX_FILES_PER_UPLOAD files, or a file that is not a PDF stops the upload at once (413 / 415) — the
 *    rest of the body is not stored anywhere — and nothing of the request is kept: all files are
 *    checked before the first job is created, and the temporary directory is removed in every case.
 *  - the same bytes uploaded again by the same owner return the existing job (`duplicate: true`) instead
 *    of a new one, unless that job was deleted or cancelled.
 *  - a file that starts like a PDF but is broken inside is accepted: its job fails with a typed error
 *    (InvalidPdf, PasswordRequired, ...), readable through `GET /status/:id`.
 *
 * Cancel (`DELETE /jobs/:id` on a queued or processing job): the workflow is asked to cancel and the
 * answer is `202 {id, status: 'cancelling'}` at once; the workflow's cancellation handler marks the job
 * `cancelled` moments later (poll `GET /status/:id`). Deleting a finished job (completed, failed or
 * cancelled) removes the document and everything derived from it and answers 204.
 */
import crypto from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import { ServiceError, WorkflowNotFoundError, isGrpcServiceError } from '@temporalio/client';
import { z } from 'zod';
import { deleteFinishedJob, finishJob, getJob, listJobs, type JobListPosition, type JobRow, type ListedJob } from '../../stores/jobs.js';
import { safeFilename, submitDocumentOnce } from '../../services/pipeline-client.js';
import { logger } from '../../core/logger.js';
import { workflowIdForJob, type JobStatus } from '../../core/contract/jobs.js';
import { getWorkbook, loadJobResult } from '../../stores/extractions.js';
import { extractionToJson } from '../../library/export/workbook.js';
import { audit } from '../audit.js';
import { currentUser, type AppContext, type AppContextExtras, type AppState, type AuthUser } from '../context.js';
import { ApiError, notFound } from '../errors.js';

export const MAX_FILES_PER_UPLOAD = 50;
/** One request may carry several files: up to this many times the per-file cap in total. */
export const MAX_REQUEST_FACTOR = 4;
/** The PDF signature must start within the first 1024 bytes (as PDF readers accept). */
const SIGNATURE_WINDOW = 1024;
const PDF_SIGNATURE = Buffer.from('%PDF-', 'latin1');

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];
const FINISHED: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// ---------------------------------------------------------------------------------------------------
// Shapes (also used by the OpenAPI document)

export const JobViewSchema = z
  .object({
    id: z.uuid(),
    owner: z.string().describe('user id of the job owner'),
    filename: z.string(),
    status: z.enum(JOB_STATUSES),
    stage: z.enum(['prepare', 'ocr', 'extract', 'export']).nullable(),
    progress: z.object({ pagesDone: z.int().min(0), pagesTotal: z.int().min(0).nullable() }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    tokens: z.object({ in: z.int().min(0), out: z.int().min(0) }),
  });
export type JobView = z.infer<typeof JobViewSchema>;

export const UploadResultSchema = z
  .object({
    jobs: z.array(
      z.object({
        id: z.uuid(),
        filename: z.string(),
        status: z.enum(JOB_STATUSES),
        duplicate: z.boolean().describe('true when the same file was uploaded before by the same owner: the existing job is returned'),
      }),
    ),
  });

export const JobListQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional().describe('only jobs with this status'),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('page size, 1–100'),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
  owner: z.string().min(1).max(200).optional().describe('admin only: the jobs of this user id'),
});

export const JobListSchema = z
  .object({ jobs: z.array(JobViewSchema), nextCursor: z.string().nullable().describe('null on the last page') });

export const CancelResultSchema = z
  .object({ id: z.uuid(), status: z.enum(['cancelling', 'cancelled']) });

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function jobView(j: JobRow): JobView {
  return {
    id: j.id,
    owner: j.owner,
    filename: j.filename,
    status: j.status,
    stage: j.stage,
    progress: { pagesDone: j.pages_done, pagesTotal: j.pages_total },
    error: j.error_code ? { code: j.error_code, message: j.error_message ?? j.error_code } : null,
    createdAt: j.created_at.toISOString(),
    startedAt: iso(j.started_at),
    finishedAt: iso(j.finished_at),
    tokens: { in: j.tokens_in, out: j.tokens_out },
  };
}

// ---------------------------------------------------------------------------------------------------
// Routes

export const jobRoutes = new Router<AppState, AppContextExtras>();

jobRoutes.post('/upload', async (ctx) => {
  const user = currentUser(ctx);
  const files = await receivePdfs(ctx);
  const out: Array<{ id: string; filename: string; status: JobStatus; duplicate: boolean }> = [];
  try {
    // One at a time: each file is read into memory only while it is being stored.
    for (const f of files) {
      const { job, duplicate } = await storeUpload(ctx, user, f);
      out.push({ id: job.id, filename: job.filename, status: job.status, duplicate });
      await audit(ctx, { action: 'upload', targetType: 'job', targetId: job.id, detail: { size: f.size, pages: null, duplicate } });
    }
  } finally {
    await fsp.rm(files.dir, { recursive: true, force: true });
  }
  ctx.status = 202;
  ctx.body = { jobs: out };
});

jobRoutes.get('/status/:id', async (ctx) => {
  const job = await visibleJob(ctx, ctx.params.id);
  // Only finished jobs are audited, so clients polling a running job do not flood the log.
  if (FINISHED.has(job.status)) await audit(ctx, { action: 'job.status_view', targetType: 'job', targetId: job.id, detail: { status: job.status } });
  ctx.body = jobView(job);
});

jobRoutes.get('/jobs', async (ctx) => {
  const user = currentUser(ctx);
  const q = JobListQuerySchema.parse(ctx.query);
  if (q.owner !== undefined && user.role !== 'admin' && q.owner !== user.id) {
    throw new ApiError(403, 'Forbidden', "only an administrator can list other users' jobs");
  }
  const owner = user.role === 'admin' ? q.owner : user.id;
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await listJobs({ owner, status: q.status, after, limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  ctx.body = { jobs: page.map(jobView), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
});

jobRoutes.get('/download/:id', async (ctx) => {
  const job = await visibleJob(ctx, ctx.params.id);
  requireCompleted(job, 'workbook');
  const xlsx = await getWorkbook(job.id);
  if (!xlsx) throw notReady(job, 'workbook');
  await audit(ctx, { action: 'job.download', targetType: 'job', targetId: job.id, detail: { format: 'xlsx', size: xlsx.byteLength } });
  ctx.type = XLSX_TYPE;
  ctx.set('Content-Disposition', contentDisposition(`${baseName(job.filename)}.xlsx`));
  ctx.body = xlsx;
});

jobRoutes.get('/jobs/:id/result', async (ctx) => {
  const job = await visibleJob(ctx, ctx.params.id);
  requireCompleted(job, 'result');
  const body = extractionToJson(await loadJobResult(job.id));
  await audit(ctx, { action: 'job.result_view', targetType: 'job', targetId: job.id });
  ctx.body = body;
});

jobRoutes.delete('/jobs/:id', async (ctx) => {
  const job = await visibleJob(ctx, ctx.params.id);
  if (!FINISHED.has(job.status)) {
    let status: 'cancelling' | 'cancelled' = 'cancelling';
    try {
      await ctx.deps.temporal.workflow.getHandle(workflowIdForJob(job.id)).cancel();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // No running workflow will ever finish this job (it closed, or never started): finish it here —
      // unless it finished by itself in the meantime, which the caller should hear about.
      await finishJob(job.id, 'cancelled');
      const now = await getJob(job.id);
      if (!now) throw notFound('the job');
      if (now.status !== 'cancelled') {
        throw new ApiError(409, 'AlreadyFinished', `the job finished (${now.status}) before it could be cancelled; delete it to remove it`);
      }
      status = 'cancelled';
    }
    await audit(ctx, { action: 'job.cancel', targetType: 'job', targetId: job.id, detail: { from: job.status } });
    ctx.status = 202;
    ctx.body = { id: job.id, status };
    return;
  }
  // The jobs row cascades from its document, and pages, extraction parts, extraction and workbook from the job.
  if (!(await deleteFinishedJob(job.id))) throw notFound('the job');
  // Its workflow history and search attributes (the file name may name a patient) go too.
  await ctx.deps.temporal.workflowService
    .deleteWorkflowExecution({ namespace: ctx.deps.cfg.temporalNamespace, workflowExecution: { workflowId: workflowIdForJob(job.id) } })
    .catch((err: Error) => logger.warn({ jobId: job.id, err: err.message }, 'could not delete the job workflow history from Temporal'));
  await audit(ctx, { action: 'job.delete', targetType: 'job', targetId: job.id, detail: { status: job.status } });
  ctx.status = 204;
});

// ---------------------------------------------------------------------------------------------------
// Access

/** The job, if the caller may see it; otherwise the same 404 whatever the reason. */
export async function visibleJob(ctx: AppContext, id: string | undefined): Promise<JobRow> {
  const user = currentUser(ctx);
  if (!id || !UUID_RE.test(id)) throw notFound('the job');
  const job = await getJob(id.toLowerCase());
  if (!job || (user.role !== 'admin' && job.owner !== user.id)) throw notFound('the job');
  return job;
}

function notReady(job: JobRow, what: 'workbook' | 'result' | 'page view'): ApiError {
  const why =
    job.status === 'failed'
      ? `the job failed (${job.error_code ?? 'unknown error'}), so there is no ${what}`
      : job.status === 'cancelled'
        ? `the job was cancelled, so there is no ${what}`
        : `the job is ${job.status}; the ${what} is ready once it is completed`;
  return new ApiError(409, 'NotReady', why);
}

export function requireCompleted(job: JobRow, what: 'workbook' | 'result' | 'page view'): void {
  if (job.status !== 'completed') throw notReady(job, what);
}

// ---------------------------------------------------------------------------------------------------
// Download names

/** The stored name without its `.pdf` extension. */
export function baseName(filename: string): string {
  return filename.replace(/\.pdf$/i, '').trim() || 'document';
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 / 8187):
 * no quotes, backslashes, controls or path separators can reach the header.
 */
export function contentDisposition(name: string): string {
  const clean = safeFilename(name);
  const ascii = clean
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

// ---------------------------------------------------------------------------------------------------
// Upload

interface ReceivedFile {
  /** The client's name, cleaned (never used on disk). */
  filename: string;
  tmpPath: string;
  size: number;
  sha256: string;
}

type ReceivedFiles = ReceivedFile[] & { dir: string };

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

function hasPdfSignature(head: Buffer): boolean {
  return head.subarray(0, SIGNATURE_WINDOW).indexOf(PDF_SIGNATURE) !== -1;
}

const notAPdf = (name: string) =>
  new ApiError(415, 'NotAPdf', `"${name}" is not a PDF (no %PDF- signature at its start); nothing was stored`);

/**
 * Where one uploaded file goes while it streams in: a temporary file of our naming. It counts the
 * bytes (failing the upload as soon as the cap is passed), hashes them, and checks the signature as
 * soon as the first 1024 bytes are in. An error here aborts the whole multipart parse.
 */
class PdfSink extends Writable {
  size = 0;
  sha256 = '';
  /** Why this file was refused (set before the stream fails, so the caller can name the real reason). */
  failure: ApiError | undefined;
  private head = Buffer.alloc(0);
  private signatureOk = false;
  private readonly hash = crypto.createHash('sha256');
  private fh: FileHandle | undefined;

  constructor(
    readonly tmpPath: string,
    readonly filename: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    fsp.open(this.tmpPath, 'wx', 0o600).then(
      (fh) => {
        this.fh = fh;
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      return callback(this.refuse(new ApiError(413, 'TooLarge', `"${this.filename}" is larger than the ${mb(this.maxBytes)} allowed per file; nothing was stored`)));
    }
    if (!this.signatureOk) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, SIGNATURE_WINDOW - this.head.length)]);
      if (this.head.length >= SIGNATURE_WINDOW) {
        if (!hasPdfSignature(this.head)) return callback(this.refuse(notAPdf(this.filename)));
        this.signatureOk = true;
      }
    }
    this.hash.update(chunk);
    writeAll(this.fh!, chunk).then(() => callback(), (err: Error) => callback(err));
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.signatureOk && !hasPdfSignature(this.head)) return callback(this.refuse(notAPdf(this.filename)));
    this.signatureOk = true;
    this.sha256 = this.hash.digest('hex');
    callback();
  }

  private refuse(err: ApiError): ApiError {
    this.failure ??= err;
    return err;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return callback(error);
    fh.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** Formidable's own errors, in words a person can act on. */
function uploadError(err: Error & { code?: unknown; httpCode?: number }, maxTotal: number): Error {
  if (err instanceof ApiError) return err;
  switch (err.code) {
    case 1015: // maxFilesExceeded
      return new ApiError(413, 'TooManyFiles', `at most ${MAX_FILES_PER_UPLOAD} files can be sent in one upload; nothing was stored`);
    case 1009: // biggerThanTotalMaxFileSize
      return new ApiError(413, 'TooLarge', `the files of one upload may total at most ${mb(maxTotal)}; nothing was stored`);
    case 1016: // biggerThanMaxFileSize (normally caught first, while streaming, by the file's sink)
      return new ApiError(413, 'TooLarge', `a file is larger than the ${mb(maxTotal / MAX_REQUEST_FACTOR)} allowed per file; nothing was stored`);
    case 1006: // maxFieldsSizeExceeded
    case 1007: // maxFieldsExceeded
      return new ApiError(413, 'TooLarge', 'the upload carries too many or too large form fields; send only PDFs in the `files` field');
    case 1002: // aborted
      return new ApiError(400, 'InvalidRequest', 'the upload was interrupted; nothing was stored');
    default:
      if (typeof err.httpCode === 'number' && err.httpCode >= 400 && err.httpCode < 500) {
        return new ApiError(400, 'InvalidRequest', 'the upload could not be read: send multipart/form-data with the PDFs in the `files` field');
      }
      return err;
  }
}

/**
 * Streams the multipart body into checked temporary files. Any failure removes them and stops
 * reading the request; the client gets the error and the connection is closed.
 */
async function receivePdfs(ctx: AppContext): Promise<ReceivedFiles> {
  if (!ctx.is('multipart/form-data')) {
    throw new ApiError(415, 'UnsupportedMediaType', 'send multipart/form-data with the PDFs in the `files` field');
  }
  const maxFile = ctx.deps.cfg.maxUploadBytes;
  const maxTotal = maxFile * MAX_REQUEST_FACTOR;
  const declared = Number(ctx.get('content-length') || NaN);
  // Multipart framing adds a few hundred bytes per part; a declared length far past the cap is refused unread.
  if (Number.isFinite(declared) && declared > maxTotal + 1024 * 1024) {
    discardRestOfBody(ctx, maxTotal);
    throw new ApiError(413, 'TooLarge', `the upload (${mb(declared)}) is larger than the ${mb(maxTotal)} allowed per request; nothing was stored`);
  }

  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'medextract-upload-'));
  const sinks: PdfSink[] = [];
  const parse = koaBody({
    multipart: true,
    json: false,
    urlencoded: false,
    text: false,
    patchNode: false,
    patchKoa: true,
    formidable: {
      maxFiles: MAX_FILES_PER_UPLOAD,
      maxFileSize: maxFile,
      maxTotalFileSize: maxTotal,
      maxFields: 20,
      maxFieldsSize: 64 * 1024,
      allowEmptyFiles: true, // an empty file is refused below as "not a PDF", with its name
      minFileSize: 0,
      uploadDir: dir,
      // Only the `files` field is read; file parts under any other name are skipped unstored.
      filter: (part) => part.name === 'files',
      fileWriteStreamHandler: (file) => {
        const sink = new PdfSink(path.join(dir, `${sinks.length}-${crypto.randomUUID()}`), safeFilename((file as { originalFilename?: string | null } | undefined)?.originalFilename ?? ''), maxFile);
        sinks.push(sink);
        return sink;
      },
    },
  });
  let failure: Error | undefined;
  try {
    await parse(ctx, async () => {});
  } catch (err) {
    failure = uploadError(err as Error, maxTotal);
  }
  // A file refused by its sink is the real reason, even when formidable noticed something else first
  // (it keeps reading a part for a moment after the sink has failed) or finished without noticing.
  const refused = sinks.find((s) => s.failure)?.failure;
  if (refused || failure) {
    for (const s of sinks) s.destroy();
    await fsp.rm(dir, { recursive: true, force: true });
    discardRestOfBody(ctx, maxTotal);
    throw refused ?? failure;
  }
  const received = sinks.filter((s) => s.sha256).map((s) => ({ filename: s.filename, tmpPath: s.tmpPath, size: s.size, sha256: s.sha256 }));
  if (received.length === 0) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw new ApiError(400, 'NoFiles', 'no PDF was sent: put one or more PDFs in the multipart field `files`');
  }
  return Object.assign(received, { dir });
}

/**
 * After refusing an upload, the rest of its body is read and thrown away (never stored), so that
 * clients which only read the answer once they have sent everything (fetch, most HTTP libraries) get
 * the 413/415 instead of a broken pipe. (`Connection: close` would make Node close the socket right
 * after the answer, while the client is still sending.) A client that goes on sending more than twice
 * the request cap (at least 16 MB) is cut off.
 */
function discardRestOfBody(ctx: AppContext, maxTotal: number): void {
  const req = ctx.req;
  if (req.complete) return;
  const limit = Math.max(2 * maxTotal, 16 * 1024 * 1024);
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit) req.socket.destroy();
  });
  req.resume();
}

/** Stores one received file as a job, or returns the owner's live job for the same bytes (on any replica). */
async function storeUpload(ctx: AppContext, user: AuthUser, f: ReceivedFile): Promise<{ job: JobRow; duplicate: boolean }> {
  const content = new Uint8Array(await fsp.readFile(f.tmpPath));
  const { job, duplicate } = await submitDocumentOnce(ctx.deps.temporal, ctx.deps.cfg, { owner: user.id, filename: f.filename, content }).catch(unavailable);
  if (!duplicate) logger.info({ requestId: ctx.state.requestId, jobId: job.id, bytes: f.size }, 'upload stored, workflow started');
  return { job, duplicate };
}

/** Temporal unreachable while starting a workflow: the job is stored, and uploading again starts it. */
function unavailable(err: unknown): never {
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  if (grpc && (grpc.code === GRPC_UNAVAILABLE || grpc.code === GRPC_DEADLINE_EXCEEDED)) {
    logger.warn({ code: grpc.code }, 'could not start a workflow: Temporal unreachable');
    throw new ApiError(503, 'Unavailable', 'the processing service is not reachable right now; upload the file again in a moment to start it');
  }
  throw err;
}
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

// ---------------------------------------------------------------------------------------------------
// Listing (keyset pagination on (created_at, id), newest first)

function encodeCursor(row: ListedJob): string {
  return Buffer.from(JSON.stringify([row.created_exact, row.id])).toString('base64url');
}

function decodeCursor(s: string): JobListPosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      const [createdAt, id] = v as [string, string];
      if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(createdAt) && UUID_RE.test(id)) return { createdAt, id };
    }
  } catch {
    // fall through
  }
  throw new ApiError(400, 'InvalidRequest', 'cursor: not a cursor returned by this API (use nextCursor as it was given)');
}
