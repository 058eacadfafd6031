/** How a document's OCR pages are cut into activities. Pure: runs inside the workflow bundle. */

/** A document's OCR is split into at most this many activities (see ocrBatches). */
export const MAX_OCR_ACTIVITIES_PER_DOCUMENT = 50;

/**
 * The OCR pages of a document, split into activities: one page each up to
 * MAX_OCR_ACTIVITIES_PER_DOCUMENT pages, so a document's pages spread evenly over every OCR engine;
 * beyond that, equal runs of consecutive pages, because every activity opens the whole PDF (for a
 * 300-page, 70 MB scan ≈ 0.2 s of CPU per opening) and a few hundred pages gain nothing from finer cuts.
 * `pagesPerBatch` overrides the size.
 */
export function ocrBatches(pages: readonly number[], pagesPerBatch?: number): number[][] {
  const size = pagesPerBatch ?? Math.max(1, Math.ceil(pages.length / MAX_OCR_ACTIVITIES_PER_DOCUMENT));
  const batches: number[][] = [];
  for (let i = 0; i < pages.length; i += size) batches.push(pages.slice(i, i + size));
  return batches;
}
