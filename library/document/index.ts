/**
 * One face over every document kind the pipeline reads: the kind is detected from the bytes and each
 * call goes to the PDF library or the image library. Callers (activities, the page viewer) never
 * branch on the kind themselves.
 */
import { PipelineError } from '../../core/errors.js';
import { inspectPdf, type InspectOptions, type InspectResult } from '../pdf/inspect.js';
import { pageImagesForOcr, type OcrPageInput, type RenderOptions } from '../pdf/render.js';
import { renderPagePreview, type PagePreview } from '../pdf/preview.js';
import { ACCEPTED_FORMATS, detectDocumentKind, type DocumentKind } from './kind.js';

export { ACCEPTED_FORMATS, detectDocumentKind, type DetectedKind, type DocumentKind } from './kind.js';
export type { InspectResult, OcrPageInput, PagePreview };

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

function notYetReadable(kind: DocumentKind): never {
  throw new PipelineError('UnsupportedFormat', `${kind.toUpperCase()} images are not read yet; accepted: PDF.`);
}

/** Per page: its text layer, or that it needs OCR (every page of an image does). */
export async function inspectDocument(bytes: Uint8Array, opts: InspectOptions): Promise<InspectResult> {
  const kind = documentKindOf(bytes);
  if (kind !== 'pdf') notYetReadable(kind);
  return inspectPdf(bytes, opts);
}

/** The OCR step's input for each of `pageNos`, opening the document once. */
export async function* documentPagesForOcr(bytes: Uint8Array, pageNos: readonly number[], opts: RenderOptions = {}): AsyncGenerator<OcrPageInput> {
  const kind = documentKindOf(bytes);
  if (kind !== 'pdf') notYetReadable(kind);
  yield* pageImagesForOcr(bytes, pageNos, opts);
}

/** A page as a grayscale PNG at screen resolution, for the page viewer. */
export async function renderDocumentPagePreview(bytes: Uint8Array, pageNo: number, opts: { dpi?: number; password?: string } = {}): Promise<PagePreview> {
  const kind = documentKindOf(bytes);
  if (kind !== 'pdf') notYetReadable(kind);
  return renderPagePreview(bytes, pageNo, opts);
}
