/** Lines of page text, the evidence quoted from them, and picking the best of competing candidates. */
import type { Evidence, Field, PageText } from '../../../core/contract/extraction.js';

export interface Line {
  page: number;
  /** Index of this line among the non-empty lines of its page. */
  index: number;
  /** The line, trimmed: a verbatim substring of the page text, used as the evidence quote. */
  text: string;
  /** Where `text` starts in the page text. */
  offset: number;
  /** The whole page text. */
  pageText: string;
}

export function toLines(pages: PageText[]): Line[][] {
  return pages.map((p) => {
    const out: Line[] = [];
    const re = /[^\r\n]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(p.text))) {
      const text = m[0].trim();
      if (text === '') continue;
      const offset = m.index + m[0].indexOf(text);
      out.push({ page: p.page, index: out.length, text, offset, pageText: p.text });
    }
    return out;
  });
}

/** Evidence of one line: its trimmed text, a verbatim substring of the page text. */
export const lineEvidence = (line: Line): Evidence => ({ page: line.page, quote: line.text });
/** Evidence spanning consecutive lines of one page: the verbatim page text from the first to the last. */
export function spanEvidence(first: Line, last: Line): Evidence {
  if (first.page !== last.page || last.offset < first.offset) return lineEvidence(first);
  return { page: first.page, quote: first.pageText.slice(first.offset, last.offset + last.text.length) };
}

/** A value read for a scalar field, before the most confident one is chosen. */
export interface Candidate<T> {
  value: T;
  line: Line;
  confidence: number;
  /** Evidence other than `line` (a quote spanning several lines). */
  evidence?: Evidence;
}

export function best<T>(cands: Array<Candidate<T>>): Field<T> {
  let top: Candidate<T> | null = null;
  for (const c of cands) if (top === null || c.confidence > top.confidence) top = c;
  return top
    ? { value: top.value, evidence: top.evidence ?? lineEvidence(top.line), confidence: round(top.confidence) }
    : { value: null, evidence: null, confidence: 0 };
}

export const round = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;
