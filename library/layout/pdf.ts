/** A PDF's text layer read into LayoutPages (one per page; a page without text has no words). */
import { PipelineError } from '../../core/errors.js';
import { withTimeout } from '../../core/with-timeout.js';
import { closePdf, getPageChecked, openPdf, TIMEOUTS } from '../pdf/open.js';
import { annotationTextItems, placeItems, type AnnotationLike } from '../pdf/text-layer.js';
import { pageFromPlacedItems } from './adapters.js';
import type { LayoutPage } from './types.js';

/**
 * Read every page's text layer (with form-field and FreeText annotation text, as the page text has it)
 * as positioned words, in points with the origin at the top left of the page as displayed.
 * Validates the file like `openPdf` (typed errors) and always releases the document.
 */
export async function readLayoutPages(bytes: Uint8Array, opts: { password?: string; maxPages?: number } = {}): Promise<LayoutPage[]> {
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
        const items = [...content.items, ...annotationTextItems(annotations as AnnotationLike[])];
        pages.push(pageFromPlacedItems(n, viewport.width, viewport.height, placeItems(items, viewport.transform)));
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
