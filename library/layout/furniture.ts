/**
 * Running page headers and footers: lines near the top or bottom edge that come back on other pages
 * at about the same height with about the same text (page numbers, dates and counters may differ),
 * plus lines there that are only a page number. They are marked, and the other mechanisms leave them out.
 */
import { centreY } from './geometry.js';
import type { LayoutLine, LayoutPage } from './types.js';
import { PAGE_NUMBER_SHAPES } from './vocabulary.js';

export const FURNITURE_RULES = {
  /** Top and bottom bands, as fractions of the page height, where running headers/footers are looked for. */
  band: 0.18,
  /** Similar texts: at least this Dice similarity of their character bigrams (after digits → '#'). */
  similarity: 0.8,
  /** A line repeats when found on at least this fraction of the pages (and on two at least). */
  minPageFraction: 0.5,
  /** Same place: centres within this many line heights (or 2% of the page height). */
  sameHeight: 2,
};

/** Text compared across pages: lowercased, numbers folded to '#', punctuation and spacing dropped. */
export function furnitureKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/\d+/g, '#')
    .replace(/[^\p{L}\p{N}#]+/gu, ' ')
    .trim();
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Dice similarity of two strings' character bigrams (1 = same). */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const A = bigrams(a);
  const B = bigrams(b);
  let common = 0;
  for (const [g, n] of A) common += Math.min(n, B.get(g) ?? 0);
  return (2 * common) / (a.length - 1 + (b.length - 1));
}

export interface FurnitureOptions {
  pageNumberShapes?: readonly string[];
}

/**
 * Mark running headers and footers in place (`line.furniture`). `lines[i]` are the lines of `pages[i]`.
 */
export function markFurniture(pages: readonly LayoutPage[], lines: LayoutLine[][], opts: FurnitureOptions = {}): void {
  const shapes = (opts.pageNumberShapes ?? PAGE_NUMBER_SHAPES).map((s) => new RegExp(s, 'iu'));
  const inBand = (line: LayoutLine, page: LayoutPage): 'header' | 'footer' | undefined => {
    const band = FURNITURE_RULES.band * page.height;
    if (line.y1 <= band) return 'header';
    if (line.y0 >= page.height - band) return 'footer';
    return undefined;
  };
  const candidates = pages.map((page, i) =>
    (lines[i] ?? []).flatMap((line) => {
      const where = inBand(line, page);
      return where ? [{ line, where, key: furnitureKey(line.text), yc: centreY(line), height: page.height }] : [];
    }),
  );
  const need = Math.max(2, Math.ceil(FURNITURE_RULES.minPageFraction * pages.length));
  candidates.forEach((list, i) => {
    for (const c of list) {
      if (shapes.some((re) => re.test(c.line.text.trim()))) {
        c.line.furniture = c.where;
        continue;
      }
      if (pages.length < 2 || c.key === '') continue;
      let found = 1;
      candidates.forEach((other, j) => {
        if (j === i) return;
        const tol = Math.max(FURNITURE_RULES.sameHeight * c.line.size, 0.02 * c.height);
        // Compare positions from the same edge, so pages of different heights still line up.
        const yOf = (o: { yc: number; height: number; where: string }) => (o.where === 'header' ? o.yc : o.height - o.yc);
        if (other.some((o) => o.where === c.where && Math.abs(yOf(o) - yOf(c)) <= tol && similarity(o.key, c.key) >= FURNITURE_RULES.similarity)) found++;
      });
      if (found >= need) c.line.furniture = c.where;
    }
  });
}
