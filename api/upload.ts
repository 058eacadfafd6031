/**
 * Receiving an upload (`POST /upload`, multipart, field `files`) without keeping anything that breaks
 * a rule: each file is streamed to a private temporary directory (server-side random names, mode 600)
 * while its size is counted, its SHA-256 computed and its first 1024 bytes checked for the PDF
 * signature (the library's own check). A file over the per-file cap, a request over the request cap,
 * too many files, or a file that is not a PDF stops the upload at once (413 / 415): the rest of the
 * body is read and dropped, never stored, and the temporary directory is removed.
 */
import crypto from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { koaBody } from 'koa-body';
import { hasPdfHeader } from '../library/pdf/document.js';
import { safeFilename } from '../services/pipeline-client.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

/** The signature must start within the first 1024 bytes (as PDF readers accept). */
const SIGNATURE_WINDOW = 1024;

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
}

/** The files, in the order sent, and the temporary directory holding them (the caller removes it). */
export type ReceivedFiles = ReceivedFile[] & { dir: string };

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

const notAPdf = (name: string) => new ApiError(415, 'NotAPdf', `"${name}" is not a PDF (no %PDF- signature at its start); nothing was stored`);

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
      return callback(
        this.refuse(new ApiError(413, 'TooLarge', `"${this.filename}" is larger than the ${mb(this.maxBytes)} allowed per file; nothing was stored`)),
      );
    }
    if (!this.signatureOk) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, SIGNATURE_WINDOW - this.head.length)]);
      if (this.head.length >= SIGNATURE_WINDOW) {
        if (!hasPdfHeader(this.head)) return callback(this.refuse(notAPdf(this.filename)));
        this.signatureOk = true;
      }
    }
    this.hash.update(chunk);
    writeAll(this.fh!, chunk).then(
      () => callback(),
      (err: Error) => callback(err),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.signatureOk && !hasPdfHeader(this.head)) return callback(this.refuse(notAPdf(this.filename)));
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
function uploadError(err: Error & { code?: unknown; httpCode?: number }, limits: UploadLimits): Error {
  if (err instanceof ApiError) return err;
  switch (err.code) {
    case 1015: // maxFilesExceeded
      return new ApiError(413, 'TooManyFiles', `at most ${limits.maxFiles} files can be sent in one upload; nothing was stored`);
    case 1009: // biggerThanTotalMaxFileSize
      return new ApiError(413, 'TooLarge', `the files of one upload may total at most ${mb(limits.maxFileBytes * limits.requestFactor)}; nothing was stored`);
    case 1016: // biggerThanMaxFileSize (normally caught first, while streaming, by the file's sink)
      return new ApiError(413, 'TooLarge', `a file is larger than the ${mb(limits.maxFileBytes)} allowed per file; nothing was stored`);
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
export async function receivePdfs(ctx: AppContext, limits: UploadLimits): Promise<ReceivedFiles> {
  if (!ctx.is('multipart/form-data')) {
    throw new ApiError(415, 'UnsupportedMediaType', 'send multipart/form-data with the PDFs in the `files` field');
  }
  const maxFile = limits.maxFileBytes;
  const maxTotal = maxFile * limits.requestFactor;
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
      maxFiles: limits.maxFiles,
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
        const name = safeFilename((file as { originalFilename?: string | null } | undefined)?.originalFilename ?? '');
        const sink = new PdfSink(path.join(dir, `${sinks.length}-${crypto.randomUUID()}`), name, maxFile);
        sinks.push(sink);
        return sink;
      },
    },
  });
  let failure: Error | undefined;
  try {
    await parse(ctx, async () => {});
  } catch (err) {
    failure = uploadError(err as Error, limits);
  }
  // A file refused by its sink is the real reason, even when formidable noticed something else first
  // (it keeps reading a part for a moment after the sink has failed) or finished without noticing.
  const refusal = sinks.find((s) => s.failure)?.failure ?? failure;
  if (refusal) {
    for (const s of sinks) s.destroy();
    await fsp.rm(dir, { recursive: true, force: true });
    discardRestOfBody(ctx, maxTotal);
    throw refusal;
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
