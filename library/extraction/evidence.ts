/**
 * Evidence verification: every value an extractor returns cites `{page, quote}`; here we check that the
 * quote really occurs on that page and record the answer in `evidence.found`, then that the value itself
 * is supported by its quote and fits the other values (grounding/), recorded in each value's `reasons`.
 *
 * Matching is deliberately tolerant of presentation differences (case, runs of whitespace and line
 * breaks, Unicode compatibility forms such as the "ﬁ" ligature or full-width digits, typographic quotes
 * and dashes), and strict about content: the normalised quote must be a substring of the normalised page.
 */
import type { Evidence, EvidencePage, Extraction } from '../../core/contract/extraction.js';
import { LIST_SECTIONS } from '../../core/contract/extraction.js';
import { groundExtraction, reasonsOf, type GroundingOptions, type GroundingPage } from './grounding/index.js';

import { normaliseForMatch } from './match-text.js';

export { normaliseForMatch };

/**
 * Returns a copy of `extraction` in which every evidence carries `found`, every value its `reasons`, and
 * every confidence is a number in [0, 1] (lowered for a value with reasons). A quote that is not on the
 * cited page but on exactly one other page has its page corrected (and counts as found); a quote on no
 * page, or on several other pages, is `found: false`. Fields without evidence keep `evidence: null`.
 */
export function verifyEvidence(extraction: Extraction, pages: EvidencePage[], opts?: GroundingOptions): Extraction {
  const out = structuredClone(extraction);
  // Several PageText entries may carry the same page number (a long page split into chunks).
  const byPage = new Map<number, string>();
  for (const p of pages) {
    const prev = byPage.get(p.page);
    byPage.set(p.page, prev === undefined ? p.text : `${prev}\n${p.text}`);
  }
  const normalised = new Map<number, string>();
  for (const [page, text] of byPage) normalised.set(page, normaliseForMatch(text));

  const check = (ev: Evidence): Evidence => {
    const quote = typeof ev.quote === 'string' ? normaliseForMatch(ev.quote) : '';
    if (quote === '') return { ...ev, found: false };
    const cited = normalised.get(ev.page);
    if (cited !== undefined && cited.includes(quote)) return { ...ev, found: true };
    const elsewhere: number[] = [];
    for (const [page, text] of normalised) if (page !== ev.page && text.includes(quote)) elsewhere.push(page);
    if (elsewhere.length === 1) return { ...ev, page: elsewhere[0] as number, found: true };
    return { ...ev, found: false };
  };

  for (const group of [out.document, out.patient] as const) {
    for (const field of Object.values(group)) {
      field.confidence = clamp01(field.confidence);
      if (field.evidence) field.evidence = check(field.evidence);
    }
  }
  for (const section of LIST_SECTIONS) {
    for (const item of out[section]) {
      item.confidence = clamp01(item.confidence);
      if (item.evidence) item.evidence = check(item.evidence);
    }
  }
  const grounding = new Map<number, GroundingPage>();
  for (const p of pages) {
    const prev = grounding.get(p.page);
    const words = p.words ?? null;
    const ocr = (words !== null && words.length > 0) || (p.ocrConfidence !== null && p.ocrConfidence !== undefined);
    grounding.set(p.page, {
      ocr: (prev?.ocr ?? false) || ocr,
      words: prev?.words && words ? [...prev.words, ...words] : (words ?? prev?.words ?? null),
    });
  }
  groundExtraction(out, grounding, opts);
  return out;
}

/** Clamps into [0, 1]; anything that is not a finite number becomes 0. */
export function clamp01(x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, x));
}

/** Values a reviewer should look at: those with any reason to doubt them. */
export function countFlagged(x: Extraction): number {
  let n = 0;
  const visit = (v: Parameters<typeof reasonsOf>[0]) => {
    if (reasonsOf(v).length > 0) n++;
  };
  for (const f of [...Object.values(x.document), ...Object.values(x.patient)]) if (f.value !== null) visit(f);
  for (const list of [x.diagnoses, x.medications, x.lab_results, x.vitals, x.procedures, x.allergies]) for (const item of list) visit(item);
  return n;
}
