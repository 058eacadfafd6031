/** A PDF's text layer read into LayoutPages (one per page; a page without text has no words). */
import { PipelineError } from '../../core/errors.js';
import { withTimeout } from '../../core/with-timeout.js';
import { closePdf, getPageChecked, openPdf, TIMEOUTS, type PDFPageProxy } from '../pdf/open.js';
import { annotationTextItems, placeItems, type AnnotationLike } from '../pdf/text-layer.js';
import { wordsFromPlacedItems } from './adapters.js';
import type { LayoutPage, LayoutWord } from './types.js';
import { BOLD_FONT_NAMES } from './vocabulary.js';

export interface ReadLayoutOptions {
  password?: string;
  maxPages?: number;
  /**
   * Tell bold type from the fonts' names (default true). This costs pdf.js an operator list per page
   * with text (tens of milliseconds for a text page); a page where it fails or times out is read
   * without bold.
   */
  fonts?: boolean;
}

const BOLD = new RegExp(BOLD_FONT_NAMES.join('|'), 'i');

/** Which of the page's fonts are bold, by their names (pdf.js loads fonts while building the operator list). */
async function boldFonts(page: PDFPageProxy, items: readonly unknown[], what: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  try {
    await withTimeout(page.getOperatorList(), TIMEOUTS.textContentMs, what);
  } catch {
    return out;
  }
  for (const item of items) {
    const name = (item as { fontName?: unknown }).fontName;
    if (typeof name !== 'string' || out.has(name)) continue;
    try {
      const font = page.commonObjs.get(name) as { name?: unknown } | undefined;
      out.set(name, typeof font?.name === 'string' && BOLD.test(font.name));
    } catch {
      out.set(name, false);
    }
  }
  return out;
}

/**
 * Read every page's text layer (with form-field and FreeText annotation text, as the page text has it)
 * as positioned words, in points with the origin at the top left of the page as displayed.
 * Validates the file like `openPdf` (typed errors) and always releases the document.
 */
export async function readLayoutPages(bytes: Uint8Array, opts: ReadLayoutOptions = {}): Promise<LayoutPage[]> {
  const doc = await openPdf(bytes, { password: opts.password, maxPages: opts.maxPages ?? Number.MAX_SAFE_INTEGER });
  try {
    const pages: LayoutPage[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await getPageChecked(doc, n);
      try {
        const viewport = page.getViewport({ scale: 1 });
        const what = `reading the words of page ${n}`;
        const [content, annotations] = await Promise.all([
          withTimeout(page.getTextContent(), TIMEOUTS.textContentMs, what),
          withTimeout(page.getAnnotations({ intent: 'display' }), TIMEOUTS.textContentMs, what).catch((err: unknown) => {
            if (err instanceof PipelineError) throw err;
            return [];
          }),
        ]);
        const bold = opts.fonts === false || content.items.length === 0 ? new Map<string, boolean>() : await boldFonts(page, content.items, what);
        const items = [...content.items, ...annotationTextItems(annotations as AnnotationLike[])];
        const words: LayoutWord[] = [];
        for (const item of items) {
          const fontName = 'fontName' in item && typeof item.fontName === 'string' ? item.fontName : undefined;
          const isBold = fontName !== undefined && bold.get(fontName) === true;
          words.push(...wordsFromPlacedItems(placeItems([item], viewport.transform), { bold: () => isBold }));
        }
        pages.push({ page: n, width: viewport.width, height: viewport.height, words });
      } finally {
        page.cleanup();
      }
    }
    return pages;
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    throw new PipelineError('InvalidPdf', 'The PDF text could not be read: the file is damaged.', { cause: err });
  } finally {
    await closePdf(doc);
  }
}
