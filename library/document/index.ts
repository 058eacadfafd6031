/**
 * One face over every document kind the pipeline reads: the kind is detected from the bytes and each
 * call goes to the PDF library or the image library. Callers (activities, the page viewer) never
 * branch on the kind themselves.
 */
import { PipelineError } from '../../core/errors.js';
import { decodeFrame, previewFrame, readImageInfo, type ImageFrame, type ImageInfo } from '../image/decode.js';
import { encodePgm } from '../ocr/gray-image.js';
import { inspectPdf, type InspectOptions, type OcrReason, type PageInspection } from '../pdf/inspect.js';
import { pageImagesForOcr, type OcrPageInput as PdfOcrPageInput, type RenderOptions } from '../pdf/render.js';
import { PREVIEW_DPI, renderPagePreview, type PagePreview } from '../pdf/preview.js';
import { ACCEPTED_FORMATS, detectDocumentKind, type DocumentKind, type ImageKind } from './kind.js';

export { ACCEPTED_FORMATS, detectDocumentKind, type DetectedKind, type DocumentKind } from './kind.js';
export type { PagePreview };

/** Why a page goes to OCR or not: the PDF reasons, and 'image-frame' (a frame of an image file). */
export type DocumentOcrReason = OcrReason | 'image-frame';
export type DocumentPageInspection = Omit<PageInspection, 'reason'> & { reason: DocumentOcrReason };
export interface InspectResult {
  pageCount: number;
  pages: DocumentPageInspection[];
}

/** A frame of an image file, decoded for OCR: upright, square pixels, at the resolution the file declares. */
export interface ImageFramePage {
  kind: 'image';
  pageNo: number;
  /** Binary PGM (P5) bytes: what `OcrPool.recognize` takes. */
  image: Uint8Array;
  format: 'pgm';
  width: number;
  height: number;
  /** Resolution of `image` (tell the OCR engine). */
  dpi: number;
  widthPt: number;
  heightPt: number;
  origin: 'image-file';
}

/** What the OCR step gets for one page. */
export type OcrPageInput = PdfOcrPageInput | ImageFramePage;

/**
 * The kind to process the bytes as. A file that is no recognised format goes to the PDF reader, whose
 * refusal (`InvalidPdf`) says what was expected; a recognised format we do not read is refused here.
 */
export function documentKindOf(bytes: Uint8Array): DocumentKind {
  const detected = detectDocumentKind(bytes.subarray(0, 1024));
  if (detected.kind === 'unsupported') {
    throw new PipelineError('UnsupportedFormat', `This file is a ${detected.format} image, which is not read; accepted: ${ACCEPTED_FORMATS}.`);
  }
  return detected.kind === 'unknown' ? 'pdf' : detected.kind;
}

function frameOf(info: ImageInfo, pageNo: number): ImageFrame {
  const frame = info.frames[pageNo - 1];
  if (!Number.isInteger(pageNo) || !frame) {
    throw new PipelineError('NotFound', `Page ${pageNo} does not exist: the image has ${info.frames.length} page${info.frames.length === 1 ? '' : 's'}.`);
  }
  return frame;
}

/** Per page: its text layer, or that it needs OCR (every frame of an image does). */
export async function inspectDocument(bytes: Uint8Array, opts: InspectOptions): Promise<InspectResult> {
  const kind = documentKindOf(bytes);
  if (kind === 'pdf') return inspectPdf(bytes, opts);
  const info = await readImageInfo(bytes, kind, { maxPages: opts.maxPages });
  return {
    pageCount: info.frames.length,
    pages: info.frames.map((f) => ({
      page: f.pageNo,
      text: '',
      chars: 0,
      needsOcr: true,
      reason: 'image-frame',
      width: f.widthPt,
      height: f.heightPt,
      rotation: 0,
      imageCoverage: 1,
    })),
  };
}

/** Image files have no page limit of their own here: the caller asks for pages it was told exist. */
const ANY_FRAME_COUNT = { maxPages: Number.MAX_SAFE_INTEGER };

/** The OCR step's input for each of `pageNos`, opening the document once. */
export async function* documentPagesForOcr(bytes: Uint8Array, pageNos: readonly number[], opts: RenderOptions = {}): AsyncGenerator<OcrPageInput> {
  const kind = documentKindOf(bytes);
  if (kind === 'pdf') {
    yield* pageImagesForOcr(bytes, pageNos, opts);
    return;
  }
  const info = await readImageInfo(bytes, kind, ANY_FRAME_COUNT);
  yield* decodedAhead(pageNos, (pageNo) => imageFramePage(bytes, kind, frameOf(info, pageNo)));
}

/**
 * Frames decoded ahead of the consumer: while the caller recognises one page the next ones decode, so
 * the OCR threads never wait on libvips. Decodes run one at a time, in page order, at most
 * FRAMES_AHEAD beyond the page handed out (a frame can be large); an error surfaces at its page.
 */
const FRAMES_AHEAD = 2;

async function* decodedAhead<T>(pageNos: readonly number[], decode: (pageNo: number) => Promise<T>): AsyncGenerator<T> {
  const ahead: Array<Promise<T>> = [];
  let last: Promise<unknown> = Promise.resolve();
  let next = 0;
  const schedule = () => {
    while (next < pageNos.length && ahead.length < FRAMES_AHEAD) {
      const pageNo = pageNos[next++]!;
      const frame = last.then(() => decode(pageNo));
      // Seen when its page is reached; unobserved if the caller stops before it.
      last = frame.catch(() => undefined);
      ahead.push(frame);
    }
  };
  schedule();
  while (ahead.length > 0) {
    const frame = ahead.shift()!;
    schedule();
    yield await frame;
  }
}

async function imageFramePage(bytes: Uint8Array, kind: ImageKind, frame: ImageFrame): Promise<ImageFramePage> {
  const gray = await decodeFrame(bytes, kind, frame);
  return {
    kind: 'image',
    pageNo: frame.pageNo,
    image: encodePgm(gray),
    format: 'pgm',
    width: gray.width,
    height: gray.height,
    dpi: frame.dpi,
    widthPt: frame.widthPt,
    heightPt: frame.heightPt,
    origin: 'image-file',
  };
}

/** A page as a grayscale PNG at screen resolution (`dpi`, default PREVIEW_DPI), for the page viewer. */
export async function renderDocumentPagePreview(bytes: Uint8Array, pageNo: number, opts: { dpi?: number; password?: string } = {}): Promise<PagePreview> {
  const kind = documentKindOf(bytes);
  if (kind === 'pdf') return renderPagePreview(bytes, pageNo, opts);
  const info = await readImageInfo(bytes, kind, ANY_FRAME_COUNT);
  return previewFrame(bytes, kind, frameOf(info, pageNo), opts.dpi ?? PREVIEW_DPI);
}
