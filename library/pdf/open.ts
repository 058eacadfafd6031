/**
 * Open PDFs with pdfjs-dist (legacy build, Node 20): validation, passwords, per-call time limits, and
 * pdfjs failures turned into typed `PipelineError`s with messages a person can act on (never
 * containing document text). Every document opened here is destroyed again.
 *
 * Notes on pdfjs in Node: there is no real worker thread ("fake worker": the parser runs on this
 * thread, in the same event loop), so a timeout can only fire when pdfjs yields; pdfjs yields between
 * its internal messages, so page-level work is interruptible, a single pathological synchronous
 * decode is not. Image-size limits (`maxImageSize`) are checked BEFORE decoding, which is what keeps
 * decompression bombs cheap.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { DocumentInitParameters, PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import { PipelineError } from '../../core/errors.js';
import { withTimeout } from '../../core/with-timeout.js';
import { MAX_IMAGE_PIXELS } from './limits.js';

export type { PDFDocumentProxy, PDFPageProxy };

const require = createRequire(import.meta.url);
const PDFJS_DIR = path.dirname(require.resolve('pdfjs-dist/package.json'));

/** Asset folders of the installed pdfjs-dist (pdfjs wants them as paths ending in '/'). */
export const PDFJS_ASSETS = {
  standardFontDataUrl: path.join(PDFJS_DIR, 'standard_fonts') + path.sep,
  cMapUrl: path.join(PDFJS_DIR, 'cmaps') + path.sep,
  wasmUrl: path.join(PDFJS_DIR, 'wasm') + path.sep,
  iccUrl: path.join(PDFJS_DIR, 'iccs') + path.sep,
} as const;

/** Per-call time limits (ms). Exported so tests/benchmarks can see them; callers may override per call. */
export const TIMEOUTS = {
  openMs: 30_000,
  pageMs: 15_000,
  textContentMs: 30_000,
  operatorListMs: 60_000,
  renderMs: 120_000,
};

export interface OpenPdfOptions {
  password?: string;
  /** Refuse documents with more pages than this (`TooManyPages`). */
  maxPages: number;
  /** Time limit for opening (ms). */
  timeoutMs?: number;
}

/** Does `%PDF-` occur within the first 1024 bytes (where readers accept it)? */
export function hasPdfHeader(bytes: Uint8Array): boolean {
  const sig = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
  const end = Math.min(bytes.length, 1024) - sig.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < sig.length; j++) if (bytes[i + j] !== sig[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * SASLprep (RFC 4013) as needed for AES-256 (R6) passwords: drop "mapped to nothing" characters, map
 * non-ASCII spaces to ' ', then NFKC. pdfjs does not do it itself.
 */
export function saslPrep(password: string): string {
  return password
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
    .replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, ' ')
    .normalize('NFKC');
}

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
}
function errorMessage(err: unknown): string {
  return err instanceof Error
    ? err.message
    : typeof err === 'object' && err !== null && 'message' in err
      ? String((err as { message: unknown }).message)
      : String(err);
}

/** Is this pdfjs error the `maxImageSize` refusal? (pdfjs raises it only with `stopAtErrors`, which we do not use; kept so it maps right if it ever surfaces.) */
export function isImageTooLargeError(err: unknown): boolean {
  return /exceeded maximum allowed size/i.test(errorMessage(err));
}

/** Map any pdfjs failure to a typed PipelineError (messages never include document content). */
export function toPipelineError(err: unknown, context: string): PipelineError {
  if (err instanceof PipelineError) return err;
  const name = errorName(err);
  if (name === 'PasswordException') {
    const code = (err as { code?: number }).code;
    return code === pdfjs.PasswordResponses.INCORRECT_PASSWORD
      ? new PipelineError('PasswordIncorrect', 'the password given does not open this PDF; enter the right one', { cause: err })
      : new PipelineError('PasswordRequired', 'the PDF is encrypted; enter its password to process it', { cause: err });
  }
  if (isImageTooLargeError(err)) {
    return new PipelineError(
      'ImageTooLarge',
      `${context}: the page holds an image larger than ${MAX_IMAGE_PIXELS / 1e6} megapixels, which we refuse to decode.`,
      { cause: err },
    );
  }
  if (name === 'InvalidPDFException') {
    return new PipelineError('InvalidPdf', `${context}: the file is damaged and its structure cannot be read.`, { cause: err });
  }
  return new PipelineError('InvalidPdf', `${context}: the file is damaged or uses features that cannot be read.`, { cause: err });
}

function initParams(data: Uint8Array, password: string | undefined): DocumentInitParameters {
  return {
    data,
    password,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    standardFontDataUrl: PDFJS_ASSETS.standardFontDataUrl,
    cMapUrl: PDFJS_ASSETS.cMapUrl,
    cMapPacked: true,
    wasmUrl: PDFJS_ASSETS.wasmUrl,
    iccUrl: PDFJS_ASSETS.iccUrl,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    maxImageSize: MAX_IMAGE_PIXELS,
    // Intermediate canvases (soft masks, patterns, groups) are capped too: 4 bytes per pixel.
    canvasMaxAreaInBytes: MAX_IMAGE_PIXELS * 4,
    // Skip damaged content rather than failing the page: a partly readable page beats none.
    stopAtErrors: false,
    enableXfa: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
  };
}

async function openOnce(bytes: Uint8Array, password: string | undefined, timeoutMs: number): Promise<PDFDocumentProxy> {
  // pdfjs transfers (detaches) the buffer it is given: always hand it a private copy.
  const task = pdfjs.getDocument(initParams(new Uint8Array(bytes), password));
  try {
    return await withTimeout(task.promise, timeoutMs, 'opening the PDF');
  } catch (err) {
    await withTimeout(task.destroy(), 5_000, 'closing the PDF').catch(() => undefined);
    throw err;
  }
}

/**
 * Open and validate a PDF. The caller owns the returned document and must release it with `closePdf(doc)` (or `doc.destroy()`).
 * Throws `InvalidPdf` (not a PDF / damaged), `PasswordRequired` (encrypted, no password given),
 * `PasswordIncorrect` (the password given does not open it), `EmptyPdf`, `TooManyPages`, `Timeout`.
 * The page count is pdfjs's (it repairs bogus /Count values by walking the page tree when the count
 * is inconsistent); nothing is allocated per claimed page.
 */
export async function openPdf(bytes: Uint8Array, opts: OpenPdfOptions): Promise<PDFDocumentProxy> {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new PipelineError('InvalidPdf', 'The file is empty.');
  }
  if (!hasPdfHeader(bytes)) {
    throw new PipelineError('InvalidPdf', 'This file is not a PDF (no PDF header found).');
  }
  const timeoutMs = opts.timeoutMs ?? TIMEOUTS.openMs;
  let doc: PDFDocumentProxy;
  try {
    try {
      doc = await openOnce(bytes, opts.password, timeoutMs);
    } catch (err) {
      const prepped = opts.password === undefined ? undefined : saslPrep(opts.password);
      const wrongPassword = errorName(err) === 'PasswordException' && (err as { code?: number }).code === pdfjs.PasswordResponses.INCORRECT_PASSWORD;
      if (!wrongPassword || prepped === undefined || prepped === opts.password) throw err;
      doc = await openOnce(bytes, prepped, timeoutMs);
    }
  } catch (err) {
    throw toPipelineError(err, 'The PDF could not be opened');
  }
  const n = doc.numPages;
  if (!Number.isInteger(n) || n <= 0) {
    await closePdf(doc);
    throw new PipelineError('EmptyPdf', 'The PDF has no pages.');
  }
  if (n > opts.maxPages) {
    await closePdf(doc);
    throw new PipelineError('TooManyPages', `The PDF has ${n} pages; the limit is ${opts.maxPages}.`);
  }
  return doc;
}

/** Release a document (and its worker-side state); never throws, never hangs. */
export async function closePdf(doc: PDFDocumentProxy): Promise<void> {
  await withTimeout(doc.destroy(), 5_000, 'closing the PDF').catch(() => undefined);
}

/** Load page `n` (1-based) with a timeout; failures become `InvalidPdf` naming the page. */
export async function getPageChecked(doc: PDFDocumentProxy, n: number): Promise<PDFPageProxy> {
  try {
    return await withTimeout(doc.getPage(n), TIMEOUTS.pageMs, `loading page ${n}`);
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    throw new PipelineError('InvalidPdf', `Page ${n} of the PDF cannot be read: its page structure is damaged.`, { cause: err });
  }
}

/** Open, run `fn`, always destroy. */
export async function withPdf<T>(bytes: Uint8Array, opts: OpenPdfOptions, fn: (doc: PDFDocumentProxy) => Promise<T>): Promise<T> {
  const doc = await openPdf(bytes, opts);
  try {
    return await fn(doc);
  } finally {
    await closePdf(doc);
  }
}
