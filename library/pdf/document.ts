/**
 * Open, validate and inspect PDFs with pdfjs-dist (legacy build, Node 20).
 *
 * Everything here turns pdfjs failures into typed `PipelineError`s with messages a person can act on
 * (never containing document text), wraps every pdfjs call in a timeout, and always destroys the
 * documents it opens.
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
import { readPageText } from './text-layer.js';

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

/**
 * Largest single image (pixels = width × height) we let pdfjs decode. Above this the page is refused
 * with `ImageTooLarge` (decompression bombs: an 11 KB file can declare a 35000×35000 image).
 * 100 MP ≈ 300–400 MB of decoded RGB(A); a 300-dpi A4 scan is 8.7 MP, an A0 poster at 300 dpi 140 MP.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** How many characters (non-blank) a page's text layer needs before we consider trusting it. */
export const MIN_TEXT_CHARS = 20;

export interface OpenPdfOptions {
  password?: string;
  /** Refuse documents with more pages than this (`TooManyPages`). */
  maxPages: number;
  /** Time limit for opening (ms). */
  timeoutMs?: number;
}

/** Reject after `ms` with a `Timeout` PipelineError; the timer never keeps the process alive. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PipelineError('Timeout', `Timed out after ${Math.round(ms / 1000)} s while ${what}.`)),
      ms,
    );
    timer.unref?.();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
  return err instanceof Error ? err.message : typeof err === 'object' && err !== null && 'message' in err ? String((err as { message: unknown }).message) : String(err);
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
      ? new PipelineError('PasswordRequired', 'The password given for this PDF is wrong.', { cause: err })
      : new PipelineError('PasswordRequired', 'This PDF is password-protected: provide its password to process it.', { cause: err });
  }
  if (isImageTooLargeError(err)) {
    return new PipelineError('ImageTooLarge', `${context}: the page holds an image larger than ${MAX_IMAGE_PIXELS / 1e6} megapixels, which we refuse to decode.`, { cause: err });
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
 * Throws `InvalidPdf` (not a PDF / damaged), `PasswordRequired`, `EmptyPdf`, `TooManyPages`, `Timeout`.
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

// ---------------------------------------------------------------------------------------------------
// Page content analysis (operator list): images, their coverage and resolution, invisible text.
// ---------------------------------------------------------------------------------------------------

export interface PlacedImage {
  /** Pixel size of the image as stored. */
  pixelWidth: number;
  pixelHeight: number;
  /** Axis-aligned bounds on the page in PDF user space (points), clipped to the page. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Native resolution of the image as placed (pixels per inch along its own axes). */
  dpiX: number;
  dpiY: number;
  /** Transformation (user space) the image was drawn with: the unit square onto the page. */
  matrix: readonly [number, number, number, number, number, number];
  /** pdfjs object id of a `paintImageXObject` image (its decoded pixels are in `page.objs`). */
  objId?: string;
}

export interface PageContent {
  images: PlacedImage[];
  /** Fraction (0–1) of the page area covered by images (union, on a coarse grid). */
  imageCoverage: number;
  /** Glyphs drawn visibly / invisibly (render mode 3 or 7, or fill alpha 0). */
  visibleGlyphs: number;
  invisibleGlyphs: number;
  /** Number of path-painting operations (vector drawing; outlined text shows up here). */
  pathOps: number;
  /** Other painting: shadings, image-mask groups, solid-colour masks (anything not counted above). */
  otherDrawOps: number;
  /**
   * `q … cm … Q` blocks that end up drawing nothing: what pdfjs leaves behind when it drops an image
   * over `maxImageSize` (it removes the `Do` silently). Used to attribute an oversized image to a page.
   */
  emptyPlacements: number;
}

type M6 = [number, number, number, number, number, number];
const IDENTITY: M6 = [1, 0, 0, 1, 0, 0];
function mul(m: M6, n: M6): M6 {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}
function toM6(v: unknown): M6 | null {
  if (v === null || typeof v !== 'object') return null;
  const a = Array.from({ length: 6 }, (_, i) => Number((v as Record<number, unknown>)[i]));
  return a.every(Number.isFinite) ? (a as M6) : null;
}

const GRID = 64;

/**
 * Walk a pdfjs operator list and summarise what the page draws. Pure (exported for tests).
 * @param view the page's view box [x0, y0, x1, y1] in user space
 */
export function summariseOperatorList(fnArray: readonly number[], argsArray: readonly unknown[], view: readonly number[]): PageContent {
  const OPS = pdfjs.OPS;
  const [vx0 = 0, vy0 = 0, vx1 = 0, vy1 = 0] = view;
  const vw = Math.max(vx1 - vx0, 1e-6);
  const vh = Math.max(vy1 - vy0, 1e-6);
  const grid = new Uint8Array(GRID * GRID);
  const images: PlacedImage[] = [];
  let ctm: M6 = IDENTITY;
  let renderMode = 0;
  let fillAlpha = 1;
  const stack: Array<{ ctm: M6; renderMode: number; fillAlpha: number }> = [];
  // Per open save/restore block: [placed (a transform happened), drew (anything painted)].
  const blocks: Array<{ placed: boolean; drew: boolean }> = [];
  const markDrawn = (): void => {
    for (const b of blocks) b.drew = true;
  };
  let emptyPlacements = 0;
  let visibleGlyphs = 0;
  let invisibleGlyphs = 0;
  let pathOps = 0;

  let otherDrawOps = 0;
  const addImage = (pw: number, ph: number, objId?: string): void => {
    if (!(pw > 0 && ph > 0)) return;
    const corners = [
      [ctm[4], ctm[5]],
      [ctm[0] + ctm[4], ctm[1] + ctm[5]],
      [ctm[2] + ctm[4], ctm[3] + ctm[5]],
      [ctm[0] + ctm[2] + ctm[4], ctm[1] + ctm[3] + ctm[5]],
    ] as const;
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const x0 = Math.max(Math.min(...xs), vx0);
    const x1 = Math.min(Math.max(...xs), vx1);
    const y0 = Math.max(Math.min(...ys), vy0);
    const y1 = Math.min(Math.max(...ys), vy1);
    const sideX = Math.hypot(ctm[0], ctm[1]) / 72; // inches along the image's x axis
    const sideY = Math.hypot(ctm[2], ctm[3]) / 72;
    images.push({
      pixelWidth: pw,
      pixelHeight: ph,
      x0,
      y0,
      x1,
      y1,
      dpiX: sideX > 0 ? pw / sideX : 0,
      dpiY: sideY > 0 ? ph / sideY : 0,
      matrix: [...ctm],
      ...(objId === undefined ? {} : { objId }),
    });
    if (x1 <= x0 || y1 <= y0) return;
    const gx0 = Math.floor(((x0 - vx0) / vw) * GRID);
    const gx1 = Math.ceil(((x1 - vx0) / vw) * GRID);
    const gy0 = Math.floor(((y0 - vy0) / vh) * GRID);
    const gy1 = Math.ceil(((y1 - vy0) / vh) * GRID);
    for (let gy = Math.max(gy0, 0); gy < Math.min(gy1, GRID); gy++)
      for (let gx = Math.max(gx0, 0); gx < Math.min(gx1, GRID); gx++) grid[gy * GRID + gx] = 1;
  };
  const countGlyphs = (glyphs: unknown): number => {
    if (!Array.isArray(glyphs)) return 0;
    let n = 0;
    for (const g of glyphs) {
      if (g && typeof g === 'object' && !(g as { isSpace?: boolean }).isSpace && typeof (g as { unicode?: unknown }).unicode === 'string' && (g as { unicode: string }).unicode.trim() !== '') n++;
    }
    return n;
  };

  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i];
    const args = argsArray[i] as unknown[] | null | undefined;
    switch (fn) {
      case OPS.save:
        stack.push({ ctm, renderMode, fillAlpha });
        blocks.push({ placed: false, drew: false });
        break;
      case OPS.restore: {
        const s = stack.pop();
        if (s) ({ ctm, renderMode, fillAlpha } = s);
        const b = blocks.pop();
        if (b && b.placed && !b.drew) emptyPlacements++;
        break;
      }
      case OPS.transform: {
        const m = toM6(args);
        if (m) ctm = mul(ctm, m);
        const top = blocks[blocks.length - 1];
        if (top) top.placed = true;
        break;
      }
      case OPS.paintFormXObjectBegin: {
        markDrawn();
        stack.push({ ctm, renderMode, fillAlpha });
        const m = toM6(args?.[0]);
        if (m) ctm = mul(ctm, m);
        break;
      }
      case OPS.paintFormXObjectEnd: {
        const s = stack.pop();
        if (s) ({ ctm, renderMode, fillAlpha } = s);
        break;
      }
      case OPS.setTextRenderingMode:
        renderMode = Number(args?.[0]) || 0;
        break;
      case OPS.setGState: {
        const entries = args?.[0];
        if (Array.isArray(entries)) {
          for (const e of entries) if (Array.isArray(e) && e[0] === 'ca' && typeof e[1] === 'number') fillAlpha = e[1];
        }
        break;
      }
      case OPS.showText:
      case OPS.showSpacedText: {
        const n = countGlyphs(args?.[0]);
        markDrawn();
        if (renderMode === 3 || renderMode === 7 || fillAlpha === 0) invisibleGlyphs += n;
        else visibleGlyphs += n;
        break;
      }
      case OPS.paintImageXObject:
      case OPS.paintImageXObjectRepeat:
        markDrawn();
        addImage(Number(args?.[1]), Number(args?.[2]), fn === OPS.paintImageXObject && typeof args?.[0] === 'string' ? args[0] : undefined);
        break;
      case OPS.paintInlineImageXObject:
      case OPS.paintImageMaskXObject: {
        markDrawn();
        const img = args?.[0] as { width?: number; height?: number } | undefined;
        addImage(Number(img?.width), Number(img?.height));
        break;
      }
      case OPS.paintInlineImageXObjectGroup:
      case OPS.paintImageMaskXObjectGroup:
      case OPS.paintImageMaskXObjectRepeat:
      case OPS.paintSolidColorImageMask:
      case OPS.shadingFill:
        markDrawn();
        otherDrawOps++;
        break;
      case OPS.constructPath:
      case OPS.fill:
      case OPS.eoFill:
      case OPS.stroke:
      case OPS.fillStroke:
      case OPS.eoFillStroke:
        markDrawn();
        pathOps++;
        break;
      default:
        break;
    }
  }
  let covered = 0;
  for (const c of grid) covered += c;
  return { images, imageCoverage: covered / grid.length, visibleGlyphs, invisibleGlyphs, pathOps, otherDrawOps, emptyPlacements };
}

/**
 * Analyse what a page draws. Decodes the page's images (pdfjs has no way to list them otherwise),
 * except those over MAX_IMAGE_PIXELS, which pdfjs drops unseen (see `emptyPlacements`).
 * `annotations: 'all'` includes every annotation's appearance, as `render` with
 * `AnnotationMode.ENABLE` draws them; pdfjs then keeps the operator list and the decoded images for
 * a render of the same page (nothing is decoded twice).
 */
export async function analysePageContent(page: PDFPageProxy, opts: { annotations?: 'forms-excluded' | 'all' } = {}): Promise<PageContent> {
  const annotationMode = opts.annotations === 'all' ? pdfjs.AnnotationMode.ENABLE : pdfjs.AnnotationMode.ENABLE_FORMS;
  const ol = await withTimeout(page.getOperatorList({ annotationMode }), TIMEOUTS.operatorListMs, `analysing page ${page.pageNumber}`);
  return summariseOperatorList(ol.fnArray, ol.argsArray, page.view);
}

// ---------------------------------------------------------------------------------------------------
// Text quality
// ---------------------------------------------------------------------------------------------------

const COMMON_WORDS = new Set(
  (
    'a an and are as at be been but by can did do does for from had has have he her him his how i if in into is it its ' +
    'may me more my no not of on one or our out she so than that the their them then there these they this those to ' +
    'up us was we were what when where which while who will with would you your all any also after before each per ' +
    'patient name date birth dob sex male female age mrn id report test result results value unit units range ' +
    'reference normal high low flag dr md doctor physician hospital clinic medical health lab laboratory blood ' +
    'mg ml dl ul mmol g l tablet daily twice once oral po bid tid prn history diagnosis medication medications ' +
    'allergies allergy discharge admission summary note notes phone address page total'
  ).split(' '),
);

export interface TextQuality {
  /** Non-blank characters. */
  chars: number;
  /** Fraction of characters that are replacement/private-use/control/unexpected symbols (mojibake). */
  badRatio: number;
  /** Alphabetic tokens (2+ letters) considered. */
  wordTokens: number;
  /** Fraction of those with plausible shape (casing, vowels, no long consonant runs). */
  plausibleRatio: number;
  /** Fraction of those that are very common English / clinical words. */
  commonRatio: number;
}

function plausibleWord(w: string): boolean {
  if (w.length > 25) return false;
  // Casing: lower, UPPER, Capitalised, or at most one internal capital (camelCase / McName).
  const internalCaps = (w.slice(1).match(/\p{Lu}/gu) ?? []).length;
  const isUpper = w === w.toUpperCase();
  if (!isUpper && internalCaps > 1) return false;
  if (/\p{Ll}\p{Lu}\p{Lu}/u.test(w) && !isUpper) return false;
  if (!/^[\p{Script=Latin}]+$/u.test(w)) return true; // other scripts: don't judge
  const lower = w.toLowerCase();
  if (w.length >= 4 && !/[aeiouy]/.test(lower)) return isUpper; // abbreviations are upper case
  if (/[bcdfghjklmnpqrstvwxz]{5,}/.test(lower)) return false;
  if (/[aeiou]{4,}/.test(lower)) return false;
  if (/(.)\1\1/.test(lower)) return false;
  return true;
}

/** Cheap, language-light measures of whether a text layer is real text. */
export function textQuality(text: string): TextQuality {
  const nonBlank = [...text.replace(/\s+/g, '')];
  let bad = 0;
  for (const ch of nonBlank) {
    if (/[\uFFFD\p{Co}\p{Cc}\p{Cs}\p{Cn}]/u.test(ch)) bad++;
    else if (/[\u0080-\u009F]/.test(ch)) bad++;
    // Latin-1/Latin-Extended symbols that show up when a font's encoding is wrong.
    else if (/[¹²³¤¦¨¯´¸¼½¾ÃÂ]/.test(ch)) bad += 0.5;
  }
  const tokens = text.split(/\s+/).map((t) => t.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '')).filter((t) => /^\p{L}{2,}$/u.test(t));
  const plausible = tokens.filter(plausibleWord).length;
  const common = tokens.filter((t) => COMMON_WORDS.has(t.toLowerCase())).length;
  return {
    chars: nonBlank.length,
    badRatio: nonBlank.length ? bad / nonBlank.length : 0,
    wordTokens: tokens.length,
    plausibleRatio: tokens.length ? plausible / tokens.length : 1,
    commonRatio: tokens.length ? common / tokens.length : 0,
  };
}

// ---------------------------------------------------------------------------------------------------
// Resource limits: oversized images and pages
// ---------------------------------------------------------------------------------------------------

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Image XObjects in the file whose declared size exceeds `maxPixels`, found by scanning the raw bytes.
 *
 * pdfjs refuses such images BEFORE decoding them (`maxImageSize`), which keeps us safe, but it drops
 * them silently (no error reaches the API, even with `stopAtErrors`), so a decompression bomb would
 * look like a blank page. Image XObjects are streams, and streams are never inside object streams,
 * so their dictionaries are always present uncompressed in the file (also in encrypted files: only
 * strings and stream data are encrypted). Inline images (inside content streams) are not seen here;
 * pdfjs still refuses to decode them.
 */
export function findOversizedImages(bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): ImageSize[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const found: ImageSize[] = [];
  const re = /\/Subtype\s*\/Image\b/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // The enclosing dictionary: from the preceding "obj" to the following "stream" (bounded windows).
    const objAt = text.lastIndexOf('obj', m.index);
    const start = objAt >= 0 && m.index - objAt < 4096 ? objAt : Math.max(0, m.index - 4096);
    const streamAt = text.indexOf('stream', m.index);
    const end = streamAt >= 0 && streamAt - m.index < 4096 ? streamAt : Math.min(text.length, m.index + 4096);
    const dict = text.slice(start, end);
    const w = /\/Width\s+(\d{1,12})(?!\s+\d+\s+R)/.exec(dict);
    const h = /\/Height\s+(\d{1,12})(?!\s+\d+\s+R)/.exec(dict);
    if (!w?.[1] || !h?.[1]) continue;
    const width = Number(w[1]);
    const height = Number(h[1]);
    if (width * height > maxPixels) found.push({ width, height });
  }
  return found;
}

/** Target pixel budget of a render for OCR; bigger pages are rendered at a lower resolution. */
export const MAX_RENDER_PIXELS = 40_000_000;
/** Longest side of a render (canvas limits, and no OCR use for longer strips). */
export const MAX_RENDER_SIDE = 20_000;
/** Below this resolution OCR is pointless: pages that only fit lower are refused (`ImageTooLarge`). */
export const MIN_RENDER_DPI = 50;

export interface RenderPlan {
  dpi: number;
  width: number;
  height: number;
}

/**
 * Resolution and pixel size for rendering a page of `widthPt` × `heightPt` points at `dpi`, scaled
 * down to fit MAX_RENDER_PIXELS / MAX_RENDER_SIDE. Returns null when even MIN_RENDER_DPI does not fit
 * (or the size is absurd), i.e. the page must be refused.
 */
export function planRender(widthPt: number, heightPt: number, dpi: number): RenderPlan | null {
  if (!(widthPt > 0 && heightPt > 0 && Number.isFinite(widthPt) && Number.isFinite(heightPt))) return null;
  const inW = widthPt / 72;
  const inH = heightPt / 72;
  let d = dpi;
  d = Math.min(d, Math.sqrt(MAX_RENDER_PIXELS / (inW * inH)));
  d = Math.min(d, MAX_RENDER_SIDE / Math.max(inW, inH));
  if (!(d >= MIN_RENDER_DPI)) return null;
  // The canvas is the viewport rounded up: make sure the rounded size still fits the budget.
  while (Math.ceil(inW * d) * Math.ceil(inH * d) > MAX_RENDER_PIXELS || Math.max(Math.ceil(inW * d), Math.ceil(inH * d)) > MAX_RENDER_SIDE) d *= 0.999;
  return { dpi: d, width: Math.max(1, Math.ceil(inW * d)), height: Math.max(1, Math.ceil(inH * d)) };
}

// ---------------------------------------------------------------------------------------------------
// Inspection: per page, is the text layer good enough, or does the page need OCR?
// ---------------------------------------------------------------------------------------------------

export type OcrReason =
  | 'text-layer' // the text layer is used (needsOcr false)
  | 'blank' // nothing to read: no text, no images, (almost) no drawing (needsOcr false)
  | 'no-text' // no/too little text but images or drawings: scan or outlined text
  | 'garbled-text' // text layer is mojibake / wrongly encoded
  | 'image-with-little-text' // a page-covering image with only a few words of text (scan + stamp/header)
  | 'untrusted-ocr-layer' // invisible text over a scan that does not read like real words (junk OCR)
  | 'image-too-large' // draws an image over MAX_IMAGE_PIXELS: rendering will refuse (ImageTooLarge)
  | 'page-too-large'; // the page cannot be rendered even at MIN_RENDER_DPI: rendering will refuse

export interface PageInspection {
  /** 1-based page number. */
  page: number;
  /** Text layer per the text-layer.ts format contract ('' if none). */
  text: string;
  /** Non-blank characters in `text`. */
  chars: number;
  /** The page goes to render + OCR. */
  needsOcr: boolean;
  /** Why `needsOcr` was decided (stable code, for logs and the UI). */
  reason: OcrReason;
  /** Page size as displayed (after /Rotate), in points (1/72 inch). */
  width: number;
  height: number;
  /** /Rotate of the page (0, 90, 180, 270). */
  rotation: number;
  /** Fraction of the page covered by images; null when not analysed (`textlessPages: 'defer'`). */
  imageCoverage: number | null;
}

export interface InspectResult {
  pageCount: number;
  pages: PageInspection[];
}

export interface PageSignals {
  text: string;
  /** What the page draws; null if the analysis failed (then only the text decides). */
  content: PageContent | null;
  /** The document holds an image over MAX_IMAGE_PIXELS (pdfjs drops it silently). */
  docHasOversizedImage: boolean;
  /** The page is too large to render (see planRender). */
  pageTooLarge: boolean;
}

/** Does this page (probably) draw one of the document's oversized images? */
export function drawsOversizedImage(content: PageContent | null, docHasOversizedImage: boolean): boolean {
  if (!docHasOversizedImage || content === null) return false;
  const drawsNothing = content.images.length === 0 && content.visibleGlyphs + content.invisibleGlyphs === 0 && content.pathOps === 0;
  return content.emptyPlacements > 0 || drawsNothing;
}

/** The OCR decision, from signals gathered for one page. Pure (exported for tests). */
export function decideOcr(s: PageSignals): { needsOcr: boolean; reason: OcrReason } {
  const c = s.content;
  if (drawsOversizedImage(c, s.docHasOversizedImage)) return { needsOcr: true, reason: 'image-too-large' };
  const q = textQuality(s.text);
  const coverage = c?.imageCoverage ?? 0;
  if (q.chars < MIN_TEXT_CHARS) {
    // Nothing (or a few characters) of text. Images or many vector paths (text drawn as outlines)
    // may hold the content; otherwise there is nothing more to read than what the text layer has.
    if (c && coverage < 0.05 && c.pathOps < 100) return { needsOcr: false, reason: q.chars > 0 ? 'text-layer' : 'blank' };
    return s.pageTooLarge ? { needsOcr: true, reason: 'page-too-large' } : { needsOcr: true, reason: 'no-text' };
  }
  // From here on there is real text; a page we cannot render keeps its text layer.
  const ocr = (reason: OcrReason): { needsOcr: boolean; reason: OcrReason } =>
    s.pageTooLarge ? { needsOcr: false, reason: 'text-layer' } : { needsOcr: true, reason };
  if (q.badRatio > 0.2) return ocr('garbled-text');
  if (q.wordTokens >= 8 && q.plausibleRatio < 0.6) return ocr('garbled-text');
  if (c) {
    const glyphs = c.visibleGlyphs + c.invisibleGlyphs;
    const invisibleShare = glyphs > 0 ? c.invisibleGlyphs / glyphs : 0;
    if (coverage >= 0.5 && invisibleShare >= 0.5) {
      // Someone else's OCR layer over a scan: keep it only if it reads like real text.
      const trusted = q.chars >= 100 && q.wordTokens >= 15 && q.plausibleRatio >= 0.85 && q.commonRatio >= 0.15;
      if (!trusted) return ocr('untrusted-ocr-layer');
    } else if (coverage >= 0.7 && q.chars < 200) {
      return ocr('image-with-little-text');
    }
  }
  return { needsOcr: false, reason: 'text-layer' };
}

export interface InspectOptions {
  password?: string;
  maxPages: number;
  /**
   * Pages with (almost) no text: 'analyse' (default) looks at their drawing here to tell a blank page
   * from a scan; 'defer' marks them `no-text` without looking (`imageCoverage` null), for a caller
   * whose OCR step analyses the page anyway (`pageImagesForOcr`). Looking decodes the page's images,
   * about a quarter of a second for a 300-dpi scan, which the OCR step would then pay a second time.
   */
  textlessPages?: 'analyse' | 'defer';
}

/**
 * Open a PDF and decide, per page, whether its text layer is good enough or the page needs OCR.
 * Throws like `openPdf`; a page that cannot be loaded makes the whole document `InvalidPdf` (we do
 * not silently drop pages of a medical document).
 */
export async function inspectPdf(bytes: Uint8Array, opts: InspectOptions): Promise<InspectResult> {
  const doc = await openPdf(bytes, opts);
  try {
    const docHasOversizedImage = findOversizedImages(bytes).length > 0;
    const pages: PageInspection[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await getPageChecked(doc, n);
      try {
        const viewport = page.getViewport({ scale: 1 });
        let text: string;
        try {
          text = await readPageText(page);
        } catch (err) {
          throw toPipelineError(err, `The text of page ${n} could not be read`);
        }
        const chars = textQuality(text).chars;
        const pageTooLarge = planRender(viewport.width, viewport.height, 300) === null;
        const defer = opts.textlessPages === 'defer' && chars < MIN_TEXT_CHARS && !docHasOversizedImage;
        let content: PageContent | null = null;
        if (!defer) {
          try {
            content = await analysePageContent(page);
          } catch (err) {
            if (err instanceof PipelineError && err.type === 'Timeout') throw err;
            content = null; // undecidable drawing: the text alone decides
          }
        }
        const decision: { needsOcr: boolean; reason: OcrReason } = defer
          ? { needsOcr: true, reason: pageTooLarge ? 'page-too-large' : 'no-text' }
          : decideOcr({ text, content, docHasOversizedImage, pageTooLarge });
        pages.push({
          page: n,
          text,
          chars,
          needsOcr: decision.needsOcr,
          reason: decision.reason,
          width: viewport.width,
          height: viewport.height,
          rotation: page.rotate,
          imageCoverage: defer ? null : (content?.imageCoverage ?? 0),
        });
      } finally {
        page.cleanup();
      }
    }
    return { pageCount: doc.numPages, pages };
  } finally {
    await closePdf(doc);
  }
}
