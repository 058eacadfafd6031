/**
 * Does a line look like a heading? Measured from its type (size against the document's body text,
 * bold where known), its letters (ALL CAPS), its shape (a short line on its own, a trailing colon with
 * nothing after it) and its place (closer to what follows than to what precedes it).
 */
import type { LayoutLine } from './types.js';

export const HEADING_RULES = {
  /** Type this much bigger than the body text is heading type. */
  biggerBy: 1.15,
  maxWords: 8,
  maxChars: 60,
  /** Share of upper-case letters for ALL CAPS. */
  capsShare: 0.8,
  /** A short title-case line counts only when shorter than this many words. */
  titleWords: 5,
};

const LIST_MARKER = /^([•·▪◦‣\-–*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s/u;

export interface HeadingContext {
  /** Typical body font size of the document. */
  bodySize: number;
  prev?: LayoutLine;
  next?: LayoutLine;
}

function letters(text: string): string {
  return text.replace(/[^\p{L}]/gu, '');
}

export function isAllCaps(text: string): boolean {
  const l = letters(text);
  if (l.length < 3) return false;
  const upper = [...l].filter((c) => c === c.toUpperCase() && c !== c.toLowerCase()).length;
  return upper / l.length >= HEADING_RULES.capsShare;
}

function isTitleCase(text: string): boolean {
  const words = text.split(/\s+/).filter((w) => /\p{L}/u.test(w));
  if (words.length === 0) return false;
  const small = new Set(['of', 'and', 'or', 'for', 'the', 'to', 'in', 'on', 'a', 'an', 'with', '&']);
  return words.every((w, i) => /^\p{Lu}/u.test(w.replace(/^[^\p{L}]+/u, '')) || (i > 0 && small.has(w.toLowerCase())));
}

/** The heading's text: the line without a trailing colon. */
export function headingTitle(line: LayoutLine): string {
  return line.text.replace(/\s*:\s*$/, '').trim();
}

export function isHeading(line: LayoutLine, ctx: HeadingContext): boolean {
  const text = line.text.trim();
  if (line.cells.length > 1) return false;
  const words = text.split(/\s+/);
  if (words.length > HEADING_RULES.maxWords || text.length > HEADING_RULES.maxChars) return false;
  if (letters(text).length < 2 || LIST_MARKER.test(text)) return false;
  if (/[.,;]$/.test(text)) return false;
  // "Label: value" on one line is a field, not a heading.
  if (/:\s+\S/.test(text.replace(/\([^()]*\)/g, ''))) return false;
  const digits = text.replace(/[^\d]/g, '').length;
  if (digits > letters(text).length / 2) return false;
  const bigger = line.size >= HEADING_RULES.biggerBy * ctx.bodySize;
  const caps = isAllCaps(text);
  const colon = /:$/.test(text);
  if (bigger || (line.bold && words.length <= HEADING_RULES.maxWords) || colon) return true;
  if (caps) return true;
  // A short title-case line standing on its own, closer to the text below it than to the text above.
  if (words.length <= HEADING_RULES.titleWords && isTitleCase(text) && !/[\d,.;]/.test(text) && ctx.next && ctx.next.page === line.page) {
    const below = ctx.next.y0 - line.y1;
    const above = ctx.prev && ctx.prev.page === line.page ? line.y0 - ctx.prev.y1 : Infinity;
    if (below < 2.5 * line.size && above > below + 0.2 * line.size) return true;
  }
  return false;
}
