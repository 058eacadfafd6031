/**
 * The per-document decision: for each page, is its text layer good enough, or does the page go to
 * render + OCR? `decideOcr` is the rule (pure); `inspectPdf` gathers its signals from the PDF.
 */
import { PipelineError } from '../../core/errors.js';
import { analysePageContent, drawsOversizedImage, type PageContent } from './content.js';
import { findOversizedImages, planRender } from './limits.js';
import { closePdf, getPageChecked, openPdf, toPipelineError } from './open.js';
import { readPageText } from './text-layer.js';
import { MIN_TEXT_CHARS, textQuality } from './text-quality.js';

export type OcrReason =
  | 'text-layer' // the text layer is used (needsOcr false)
  | 'blank' // nothing to read: no text, no images, (almost) no drawing (needsOcr false)
  | 'no-text' // no/too little text but images or drawings: scan or outlined text
  | 'garbled-text' // text layer is mojibake / wrongly encoded
  | 'image-with-little-text' // a page-covering image with only a few words of text (scan + stamp/header)
  | 'untrusted-ocr-layer' // invisible text over a scan that does not read like real words (junk OCR)
  | 'image-too-large' // draws an image over MAX_IMAGE_PIXELS: rendering will refuse (ImageTooLarge)
  | 'page-too-large' // the page cannot be rendered even at MIN_RENDER_DPI: rendering will refuse
  | 'image-frame'; // a frame of an image file (TIFF, PNG, JPEG, WebP; library/document): always OCR, never decided here

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
   * which the OCR step would then pay for a second time.
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
