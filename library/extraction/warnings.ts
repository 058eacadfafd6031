/**
 * Why a completed job needs a person's look although nothing failed: what the pages held against what
 * was extracted from them. Pure: pages and the verified extraction in, warnings out.
 *
 * Every message is plain words about the job (page numbers, counts, confidences) and never quotes the
 * document, so a warning is safe in logs, lists and the workbook's Summary.
 */
import type { EvidencePage, Extraction, Field } from '../../core/contract/extraction.js';
import { DOCUMENT_TYPES, LIST_SECTIONS } from '../../core/contract/extraction.js';
import type { JobWarning } from '../../core/contract/jobs.js';

/** A page as the pipeline stored it, with where its text came from. */
export interface WarningPage extends EvidencePage {
  source: 'text_layer' | 'ocr';
}

/** Fewer words than this is a header, footer, stamp or page number: nothing is expected from such a page. */
export const MIN_WORDS_FOR_TEXT = 25;

/** Below this mean word confidence (0–100) the OCR engine misreads a noticeable share of words and digits. */
export const LOW_OCR_CONFIDENCE = 70;

/** A mean over fewer OCR words than this is speckle on a blank page, not a reading of its text. */
export const MIN_WORDS_FOR_OCR_CONFIDENCE = 10;

/** A word: two or more letters or digits in a row (punctuation and OCR speckle are not words). */
const WORD = /[\p{L}\p{N}]{2,}/gu;

export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

/** The kinds of document the extractor knows, in words (for the unrecognised-layout message). */
const KNOWN_TYPES = DOCUMENT_TYPES.filter((t) => t !== 'other').map((t) => t.replace(/_/g, ' '));

/**
 * The job's warnings, in this order: nothing extracted, unrecognised layout, then per page (ascending)
 * a low OCR confidence and a page with text that yielded no value. A document from which nothing was
 * extracted does not also list each of its pages as yielding nothing.
 */
export function jobWarnings(pages: readonly WarningPage[], extraction: Extraction): JobWarning[] {
  const byPage = mergePages(pages);
  const words = new Map([...byPage].map(([page, p]) => [page, countWords(p.text)]));
  const textPages = [...words].filter(([, n]) => n >= MIN_WORDS_FOR_TEXT).map(([page]) => page);
  const cited = citedPages(extraction);
  const values = countValues(extraction);
  const warnings: JobWarning[] = [];

  if (values === 0) {
    warnings.push({
      code: 'nothing_extracted',
      message:
        textPages.length > 0
          ? `nothing was extracted, although ${textPages.length === byPage.size ? (byPage.size === 1 ? 'the page has' : `all ${byPage.size} pages have`) : `${textPages.length} of ${byPage.size} pages have`} text; check that this is a medical document and that its text is readable`
          : `nothing was extracted: no page has enough readable text (${byPage.size === 1 ? 'the page looks' : 'the pages look'} blank or unreadable)`,
    });
  }

  const type = extraction.document.type.value;
  if (textPages.length > 0 && (type === null || type === 'other')) {
    warnings.push({
      code: 'unrecognised_layout',
      message: `the extractor did not recognise the kind of document (it knows ${listInWords(KNOWN_TYPES)}); values laid out in an unfamiliar way may have been missed`,
    });
  }

  for (const [page, p] of [...byPage].sort(([a], [b]) => a - b)) {
    const confidence = meanWordConfidence(p);
    if (confidence !== null && confidence < LOW_OCR_CONFIDENCE) {
      warnings.push({
        code: 'low_ocr_confidence',
        page,
        message: `page ${page} was read by OCR with a mean word confidence of ${Math.round(confidence)}%; values from it may be misread`,
      });
    }
    if (values > 0 && (words.get(page) ?? 0) >= MIN_WORDS_FOR_TEXT && !cited.has(page)) {
      warnings.push({
        code: 'page_without_values',
        page,
        message: `page ${page} has text (${words.get(page)} words) but no value was extracted from it`,
      });
    }
  }
  return warnings;
}

/** Mean confidence (0–100) of an OCR page's words, or null for a text-layer page or too few words. */
export function meanWordConfidence(p: WarningPage): number | null {
  if (p.source !== 'ocr') return null;
  const read = (p.words ?? []).filter((w) => countWords(w.text) > 0 && Number.isFinite(w.confidence));
  if (read.length >= MIN_WORDS_FOR_OCR_CONFIDENCE) return read.reduce((sum, w) => sum + w.confidence, 0) / read.length;
  // Words were not kept: the page's own figure, if its text has enough words for it to mean anything.
  if (p.words == null && typeof p.ocrConfidence === 'number' && countWords(p.text) >= MIN_WORDS_FOR_OCR_CONFIDENCE) return p.ocrConfidence;
  return null;
}

/** One entry per page number (a long page may arrive in several pieces). */
function mergePages(pages: readonly WarningPage[]): Map<number, WarningPage> {
  const out = new Map<number, WarningPage>();
  for (const p of pages) {
    const prev = out.get(p.page);
    out.set(
      p.page,
      prev === undefined
        ? p
        : {
            ...prev,
            text: `${prev.text}\n${p.text}`,
            words: prev.words || p.words ? [...(prev.words ?? []), ...(p.words ?? [])] : null,
            source: prev.source === 'ocr' || p.source === 'ocr' ? 'ocr' : 'text_layer',
          },
    );
  }
  return out;
}

/**
 * Extracted values: every scalar field with a value and every list item. The document type is left out:
 * it is a guess about the whole document (an extractor may answer `other` for any text), not a value read
 * from it.
 */
export function countValues(x: Extraction): number {
  let n = 0;
  for (const f of scalarValues(x)) if (f.value !== null) n++;
  for (const section of LIST_SECTIONS) n += x[section].length;
  return n;
}

/** The scalar fields but the document type. */
function scalarValues(x: Extraction): Array<Field<unknown>> {
  return [...Object.entries(x.document).filter(([key]) => key !== 'type'), ...Object.entries(x.patient)].map(([, f]) => f);
}

/** Pages some value's evidence points at (after verification, which may have corrected the page). */
function citedPages(x: Extraction): Set<number> {
  const pages = new Set<number>();
  for (const f of scalarValues(x)) if (f.value !== null && f.evidence) pages.add(f.evidence.page);
  for (const section of LIST_SECTIONS) for (const item of x[section]) if (item.evidence) pages.add(item.evidence.page);
  return pages;
}

/** "a, b and c" */
function listInWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
