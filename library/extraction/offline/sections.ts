/** Which section each line is in (medications, diagnoses, …), from the headings above it. */
import type { Section } from './lexicon.js';
import { FREQUENCY_PATTERNS, PAGE_FURNITURE, SECTION_HEADERS } from './lexicon.js';
import type { Line } from './lines.js';

/** A line that is only how often ('BID', 'PRN', 'QHS'): the rest of an item wrapped, never a heading. */
const FREQUENCY_ONLY = new RegExp(String.raw`^(?:(?:${FREQUENCY_PATTERNS.join('|')})[\s,]*)+$`, 'i');

/** A short title-cased line without digits: the start of some section we do not read. */
function isGenericHeader(text: string): boolean {
  if (FREQUENCY_ONLY.test(text.trim())) return false;
  if (text.length > 45 || /[\d,;]|[.!?]$/.test(text) || /^[-•*·▪]/.test(text)) return false;
  if (/:\s*\S/.test(text)) return false;
  if (/\S\s{2,}\S/.test(text)) return false; // a table's header row, not a heading
  const words = text.replace(/:$/, '').split(/\s+/);
  if (words.length > 6) return false;
  return words.every((w) => /^[\p{Lu}(&/-]/u.test(w) || /^(and|of|for|the|to|in|on|at|with|or|&)$/i.test(w));
}

/** A page footer or header: page numbers, confidentiality notes, "continued". */
const FOOTER = new RegExp(`^(?:${PAGE_FURNITURE.join('|')})$|\\b(?:${PAGE_FURNITURE.join('|')})\\s*$`, 'i');

/**
 * Running headers and footers: lines printed on several pages (digits aside, for page numbers and dates)
 * at the same place, counted from the top or from the bottom of the page. A table row that recurs on
 * another page (the same test on a later date, at another row) is not one.
 */
export function repeatedLines(pageLines: Line[][]): Set<Line> {
  const where = new Map<string, Line[]>();
  for (const lines of pageLines) {
    lines.forEach((line, i) => {
      const key = line.text.replace(/\d+/g, '#');
      for (const at of [`top ${i}`, `bottom ${lines.length - 1 - i}`]) {
        const k = `${at}|${key}`;
        where.set(k, [...(where.get(k) ?? []), line]);
      }
    });
  }
  const out = new Set<Line>();
  for (const lines of where.values()) if (new Set(lines.map((l) => l.page)).size >= 2) for (const l of lines) out.add(l);
  return out;
}

/** The page's furniture (footer, running header): it ends a section and is never one of its items. */
export function isPageFurniture(line: Line, repeated?: Set<Line>): boolean {
  return FOOTER.test(line.text) || (repeated?.has(line) ?? false);
}

/** Each line's section; a heading line itself is in 'other'; a section ends at the next heading or the page's footer. */
export function sectionOf(pageLines: Line[][]): Map<Line, Section> {
  const out = new Map<Line, Section>();
  const repeated = repeatedLines(pageLines);
  for (const lines of pageLines) {
    let current: Section = 'other';
    for (const line of lines) {
      if (isPageFurniture(line, repeated)) {
        current = 'other';
        out.set(line, 'other');
        continue;
      }
      const text = line.text.replace(/\s{2,}.*$/, '').trim();
      const hit = SECTION_HEADERS.find(([, re]) => re.test(text));
      // A long line is prose that starts with a heading's word, unless the heading stands apart as its own
      // cell in capitals or with a colon (a section heading beside another column's text).
      const apart = text !== line.text && (/^[^\p{Ll}]+$/u.test(text) || text.endsWith(':'));
      if (hit && (line.text.length < 60 || apart)) {
        current = hit[0];
        out.set(line, 'other'); // the header itself
        continue;
      }
      if (isGenericHeader(line.text)) {
        current = 'other';
        out.set(line, 'other');
        continue;
      }
      out.set(line, current);
    }
  }
  return out;
}
