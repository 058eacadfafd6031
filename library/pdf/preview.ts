/**
 * What the result view shows of a cited page: a small rendered image, and where the words are on it.
 *
 * Both are made on demand from the stored PDF (nothing extra is stored per page). The image is rendered
 * at a screen resolution (PREVIEW_DPI, far cheaper than the 300 dpi OCR render) through the same
 * bomb-safe path as OCR. Word boxes come from the text layer for text-layer pages; OCR pages already
 * carry theirs in `pages.words`. All boxes are fractions of the page (0..1, origin top left, page as
 * displayed), so they fit the image at any size.
 */
import { encodePng, renderPageForOcr } from './render.js';
import { TIMEOUTS, getPageChecked, withPdf } from './open.js';
import { withTimeout } from '../../core/with-timeout.js';
import { annotationTextItems, placeItems, type AnnotationLike } from './text-layer.js';
import { PipelineError } from '../../core/errors.js';

/** Screen resolution: a letter page is 850 × 1100 pixels, enough to read and cheap to render. */
export const PREVIEW_DPI = 100;

/** A box as fractions of the page's width and height. */
export interface PageBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PageWord {
  text: string;
  box: PageBox;
}

export interface PagePreview {
  png: Buffer;
  width: number;
  height: number;
}

/** The page as a grayscale PNG at `dpi` (default PREVIEW_DPI; lower for huge pages, as for OCR). */
export async function renderPagePreview(bytes: Uint8Array, pageNo: number, opts: { dpi?: number; password?: string } = {}): Promise<PagePreview> {
  const dpi = opts.dpi ?? PREVIEW_DPI;
  const page = await renderPageForOcr(bytes, pageNo, { dpi, maxDpi: dpi, password: opts.password });
  return { png: await encodePng(page), width: page.width, height: page.height };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * The words of a page's text layer (and of its form fields) with their boxes. Only upright text is
 * placed (rotated runs are rare in these documents and skipped); a run's width is shared among its
 * words by character count, which is close enough to draw a highlight.
 */
export async function textLayerWords(bytes: Uint8Array, pageNo: number): Promise<PageWord[]> {
  return withPdf(bytes, { maxPages: Number.MAX_SAFE_INTEGER }, async (doc) => {
    if (!Number.isInteger(pageNo) || pageNo < 1 || pageNo > doc.numPages) {
      throw new PipelineError('NotFound', `Page ${pageNo} does not exist: the PDF has ${doc.numPages} pages.`);
    }
    const page = await getPageChecked(doc, pageNo);
    try {
      const viewport = page.getViewport({ scale: 1 });
      const what = `reading the words of page ${pageNo}`;
      const [content, annotations] = await Promise.all([
        withTimeout(page.getTextContent(), TIMEOUTS.textContentMs, what),
        withTimeout(page.getAnnotations({ intent: 'display' }), TIMEOUTS.textContentMs, what).catch(() => []),
      ]);
      const items = [...content.items, ...annotationTextItems(annotations as AnnotationLike[])];
      const words: PageWord[] = [];
      for (const item of placeItems(items, viewport.transform)) {
        if (item.orientation !== 0) continue;
        const chars = [...item.str];
        const charW = item.width / Math.max(chars.length, 1);
        const top = item.y - item.size * 0.85;
        const bottom = item.y + item.size * 0.25;
        for (const m of item.str.matchAll(/\S+/g)) {
          const start = [...item.str.slice(0, m.index)].length;
          const len = [...m[0]].length;
          words.push({
            text: m[0],
            box: {
              x0: clamp01((item.x + start * charW) / viewport.width),
              y0: clamp01(top / viewport.height),
              x1: clamp01((item.x + (start + len) * charW) / viewport.width),
              y1: clamp01(bottom / viewport.height),
            },
          });
        }
      }
      return words;
    } finally {
      page.cleanup();
    }
  });
}

/** Stored OCR words (`pages.words`, pixels of the rendered page) as page fractions. */
export function ocrWordsToPageWords(words: unknown, widthPx: number, heightPx: number): PageWord[] {
  if (!Array.isArray(words) || !(widthPx > 0) || !(heightPx > 0)) return [];
  const out: PageWord[] = [];
  for (const w of words as Array<{ text?: unknown; bbox?: { x0?: unknown; y0?: unknown; x1?: unknown; y1?: unknown } }>) {
    const b = w?.bbox;
    if (typeof w?.text !== 'string' || !b) continue;
    const [x0, y0, x1, y1] = [b.x0, b.y0, b.x1, b.y1].map(Number) as [number, number, number, number];
    if (![x0, y0, x1, y1].every(Number.isFinite)) continue;
    out.push({ text: w.text, box: { x0: clamp01(x0 / widthPx), y0: clamp01(y0 / heightPx), x1: clamp01(x1 / widthPx), y1: clamp01(y1 / heightPx) } });
  }
  return out;
}
