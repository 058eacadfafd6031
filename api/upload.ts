/**
 * Receiving an upload (`POST /upload`, multipart, field `files`, optional text field `password`)
 * without keeping anything that breaks a rule. Each file streams to a private temporary directory
 * (server-side random names, mode 600) while its size is counted and its SHA-256 computed; its kind is
 * decided from its first 1024 bytes (never its name) before any byte of it reaches the disk.
 *
 * Each file is judged on its own: one of a kind the pipeline does not read, or over the per-file cap,
 * is refused for itself (its bytes are read and dropped, never stored) while the other files of the
 * request go on streaming. Only what concerns the request as a whole stops it at once (413 / 415 /
 * 400): too many files, the request over its cap, a body that is not multipart. Then the rest of the
 * body is read and dropped and the temporary directory is removed.
 */
import crypto from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { koaBody } from 'koa-body';
import { ACCEPTED_FORMATS, KIND_SIGNATURE_BYTES, detectDocumentKind, type DetectedKind, type DocumentKind } from '../library/document/kind.js';
import { safeFilename } from '../services/pipeline-client.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

export interface UploadLimits {
  maxFileBytes: number;
  maxFiles: number;
  /** One request may carry up to this many times the per-file cap in total. */
  requestFactor: number;
}

export interface ReceivedFile {
  /** The client's name, cleaned (never used on disk). */
  filename: string;
  tmpPath: string;
  size: number;
  sha256: string;
  kind: DocumentKind;
}

/** A file refused for itself; `error` is what the answer says about it (415 UnsupportedFormat / 413 TooLarge). */
export interface RefusedFile {
  filename: string;
  error: ApiError;
}

export interface ReceivedUpload {
  /** The accepted files, in the order sent. */
  files: ReceivedFile[];
  /** The refused files, in the order sent. */
  refused: RefusedFile[];
  /** The `password` field, when one was sent and is not empty (a PDF's password; never logged). */
  password: string | undefined;
  /** The temporary directory holding the accepted files (the caller removes it). */
  dir: string;
}

/** Longer than any PDF password can be (PDF 2.0 takes at most 127 bytes of one). */
export const MAX_PASSWORD_LENGTH = 1024;

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/** "a GIF image", "an SVG image": the article as the format's name is spoken. */
const aFormat = (format: string) => `${/^[AEIOS]/i.test(format) ? 'an' : 'a'} ${format} image`;

function kindRefusal(name: string, size: number, detected: Exclude<DetectedKind, { kind: DocumentKind }>): ApiError {
  const what =
    size === 0 ? 'is empty' : detected.kind === 'unsupported' ? `is ${aFormat(detected.format)}, which is not read` : 'is not a PDF or a supported image';
  return new ApiError(415, 'UnsupportedFormat', `"${name}" ${what}; accepted: ${ACCEPTED_FORMATS}; nothing of it was stored`);
}

const tooLarge = (name: string, maxBytes: number) =>
  new ApiError(413, 'TooLarge', `"${name}" is larger than the ${mb(maxBytes)} allowed per file; nothing of it was stored`);

/**
 * Where one uploaded file goes while it streams in. The first 1024 bytes are held in memory until
 * the kind is known: an accepted kind opens a temporary file of our naming and everything is written
 * there; a refused one is never written. Past the per-file cap the file is refused and what was
 * written is removed. A refused file's sink swallows the rest of its bytes without failing, so the
 * multipart parse goes on with the next file; only a disk error fails the stream (and the request).
 */
class UploadSink extends Writable {
  size = 0;
  sha256 = '';
  kind: DocumentKind | undefined;
  refusal: ApiError | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly hash = crypto.createHash('sha256');
  private fh: FileHandle | undefined;

  constructor(
    readonly tmpPath: string,
    readonly filename: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.refusal) return callback();
    if (this.size > this.maxBytes) return settle(this.refuse(tooLarge(this.filename, this.maxBytes)), callback);
    this.hash.update(chunk);
    if (this.kind === undefined) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < KIND_SIGNATURE_BYTES) return callback();
      return settle(this.decideKind(), callback);
    }
    settle(writeAll(this.fh!, chunk), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.refusal) return callback();
    settle(
      (this.kind === undefined ? this.decideKind() : Promise.resolve()).then(() => {
        if (!this.refusal) this.sha256 = this.hash.digest('hex');
      }),
      callback,
    );
  }

  /** With the first bytes in (or the whole file, when shorter): refuse it, or start writing it to disk. */
  private async decideKind(): Promise<void> {
    const head = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const detected = detectDocumentKind(head.subarray(0, KIND_SIGNATURE_BYTES));
    if (detected.kind === 'unsupported' || detected.kind === 'unknown') {
      await this.refuse(kindRefusal(this.filename, this.size, detected));
      return;
    }
    this.kind = detected.kind;
    this.fh = await fsp.open(this.tmpPath, 'wx', 0o600);
    await writeAll(this.fh, head);
  }

  /** Marks the file refused and removes whatever of it reached the disk. */
  private async refuse(err: ApiError): Promise<void> {
    this.refusal ??= err;
    this.pending = [];
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return;
    await fh.close().catch(() => {});
    await fsp.rm(this.tmpPath, { force: true });
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

function settle(p: Promise<void>, callback: (error?: Error | null) => void): void {
  p.then(
    () => callback(),
    (err: Error) => callback(err),
  );
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

const FORM_HINT = `send multipart/form-data with the documents (${ACCEPTED_FORMATS}) in the \`files\` field`;

/** Formidable's own errors (all about the request as a whole), in words a person can act on. */
function uploadError(err: Error & { code?: unknown; httpCode?: number }, limits: UploadLimits): Error {
  if (err instanceof ApiError) return err;
  switch (err.code) {
    case 1015: // maxFilesExceeded
      return new ApiError(413, 'TooManyFiles', `at most ${limits.maxFiles} files can be sent in one upload; nothing was stored`);
    case 1009: // biggerThanTotalMaxFileSize
    case 1016: // biggerThanMaxFileSize: set to the request cap, so it means the same
      return new ApiError(413, 'TooLarge', `the files of one upload may total at most ${mb(limits.maxFileBytes * limits.requestFactor)}; nothing was stored`);
    case 1006: // maxFieldsSizeExceeded
    case 1007: // maxFieldsExceeded
      return new ApiError(413, 'TooLarge', 'the upload carries too many or too large form fields; send the documents in `files` and at most a `password`');
    case 1002: // aborted
      return new ApiError(400, 'InvalidRequest', 'the upload was interrupted; nothing was stored');
    default:
      if (typeof err.httpCode === 'number' && err.httpCode >= 400 && err.httpCode < 500) {
        return new ApiError(400, 'InvalidRequest', `the upload could not be read: ${FORM_HINT}`);
      }
      return err;
  }
}

/** The `password` field: absent or empty is no password; sent twice is ambiguous. */
function passwordField(fields: unknown): string | undefined {
  const value = (fields as Record<string, unknown> | undefined)?.password;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ApiError(400, 'InvalidRequest', 'password: send the `password` field once, as text');
  if (value.length > MAX_PASSWORD_LENGTH) throw new ApiError(400, 'InvalidRequest', `password: at most ${MAX_PASSWORD_LENGTH} characters`);
  return value;
}

/**
 * Streams the multipart body into checked temporary files. A failure of the request as a whole
 * removes them and stops reading; the client gets the error and the rest of the body is dropped.
 * Otherwise every file sent is either received or refused, and at least one was sent.
 */
export async function receiveUpload(ctx: AppContext, limits: UploadLimits): Promise<ReceivedUpload> {
  if (!ctx.is('multipart/form-data')) throw new ApiError(415, 'UnsupportedMediaType', FORM_HINT);
  const maxFile = limits.maxFileBytes;
  const maxTotal = maxFile * limits.requestFactor;
  const declared = Number(ctx.get('content-length') || NaN);
  // Multipart framing adds a few hundred bytes per part; a declared length far past the cap is refused unread.
  if (Number.isFinite(declared) && declared > maxTotal + 1024 * 1024) {
    discardRestOfBody(ctx, maxTotal);
    throw new ApiError(413, 'TooLarge', `the upload (${mb(declared)}) is larger than the ${mb(maxTotal)} allowed per request; nothing was stored`);
  }

  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'medextract-upload-'));
  const sinks: UploadSink[] = [];
  const parse = koaBody({
    multipart: true,
    json: false,
    urlencoded: false,
    text: false,
    patchNode: false,
    patchKoa: true,
    formidable: {
      maxFiles: limits.maxFiles,
      // The per-file cap is the sink's (it refuses that file alone); formidable's would end the request.
      maxFileSize: maxTotal,
      maxTotalFileSize: maxTotal,
      maxFields: 20,
      maxFieldsSize: 64 * 1024,
      allowEmptyFiles: true, // an empty file is refused by its sink, with its name
      minFileSize: 0,
      uploadDir: dir,
      // Only the `files` field is read; file parts under any other name are skipped unstored.
      filter: (part) => part.name === 'files',
      fileWriteStreamHandler: (file) => {
        const name = safeFilename((file as { originalFilename?: string | null } | undefined)?.originalFilename ?? '');
        const sink = new UploadSink(path.join(dir, `${sinks.length}-${crypto.randomUUID()}`), name, maxFile);
        sinks.push(sink);
        return sink;
      },
    },
  });
  let password: string | undefined;
  try {
    await parse(ctx, async () => {});
    password = passwordField(ctx.request.body);
    if (sinks.length === 0)
      throw new ApiError(400, 'NoFiles', `no file was sent: put one or more documents (${ACCEPTED_FORMATS}) in the multipart field \`files\``);
  } catch (err) {
    for (const s of sinks) s.destroy();
    await fsp.rm(dir, { recursive: true, force: true });
    discardRestOfBody(ctx, maxTotal);
    throw uploadError(err as Error, limits);
  } finally {
    // The fields (the password among them) are not kept on the request any longer than needed.
    ctx.request.body = undefined;
  }
  const files: ReceivedFile[] = [];
  const refused: RefusedFile[] = [];
  for (const s of sinks) {
    if (s.refusal) refused.push({ filename: s.filename, error: s.refusal });
    else if (s.kind && s.sha256) files.push({ filename: s.filename, tmpPath: s.tmpPath, size: s.size, sha256: s.sha256, kind: s.kind });
  }
  return { files, refused, password, dir };
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
