/**
 * Reading order for pages set in two columns. A two-column region is a run of consecutive lines that
 * all leave one vertical strip near the middle of the page empty (the gutter), where the text on both
 * sides is running prose (one cell per side, several words, the left side filling up to the gutter).
 * Lines of a region are split at the gutter and read left column first, then right. Full-width lines
 * (titles, tables, footers) keep their place; a table's column gaps are not a gutter because its rows
 * have several cells per side.
 */
import { freeIntervals, intersect, widestOf, type Interval } from '../pdf/columns.js';
import { median } from './geometry.js';
import { cellGapOf, makeLine } from './lines.js';
import type { LayoutLine, LayoutPage, LayoutWord } from './types.js';

export const COLUMN_RULES = {
  /** The gutter lies within this central share of the page width. */
  zone: [0.25, 0.75] as const,
  /** The gutter is at least this many font sizes wide. */
  minGutter: 1.2,
  /** A region has at least this many lines. */
  minLines: 4,
  /** Share of side segments that must read as prose (one cell of at least three words). */
  proseShare: 0.6,
  /** Share of left segments that must reach to within a quarter of the column width of the gutter. */
  fillShare: 0.5,
};

const freeOf = (line: LayoutLine, lo: number, hi: number): Interval[] =>
  freeIntervals(
    line.words.map((w): Interval => [w.x0, w.x1]),
    lo,
    hi,
  );

/** At most one cell on each side of the gutter: running text, not a table row or a label and its value. */
function proseSides(line: LayoutLine, gutter: Interval): boolean {
  const mid = (gutter[0] + gutter[1]) / 2;
  return line.cells.filter((c) => c.x1 <= mid).length <= 1 && line.cells.filter((c) => c.x0 >= mid).length <= 1;
}

function qualifies(run: LayoutLine[], gutter: Interval, page: LayoutPage, cellGap: number): boolean {
  if (run.length < COLUMN_RULES.minLines) return false;
  const mid = (gutter[0] + gutter[1]) / 2;
  const lefts = run.map((l) => l.words.filter((w) => w.x1 <= mid)).filter((ws) => ws.length > 0);
  const rights = run.map((l) => l.words.filter((w) => w.x0 >= mid)).filter((ws) => ws.length > 0);
  if (lefts.length < 3 || rights.length < 3) return false;
  const prose = (ws: LayoutWord[]) => {
    const line = makeLine(page.page, ws, 0, cellGap);
    return line !== undefined && line.cells.length === 1 && ws.length >= 3;
  };
  const segments = [...lefts, ...rights];
  if (segments.filter(prose).length < COLUMN_RULES.proseShare * segments.length) return false;
  const leftStart = median(lefts.map((ws) => Math.min(...ws.map((w) => w.x0))));
  const width = gutter[0] - leftStart;
  const filled = lefts.filter((ws) => gutter[0] - Math.max(...ws.map((w) => w.x1)) <= 0.25 * width).length;
  return filled >= COLUMN_RULES.fillShare * lefts.length;
}

/**
 * The page's lines in reading order: two-column regions split at their gutter and read column by
 * column. Lines keep their page; `column` tells which side a split line came from.
 */
export function orderColumns(page: LayoutPage, lines: readonly LayoutLine[]): LayoutLine[] {
  const lo = COLUMN_RULES.zone[0] * page.width;
  const hi = COLUMN_RULES.zone[1] * page.width;
  const out: LayoutLine[] = [];
  const cellGap = cellGapOf(lines.map((l) => l.words));
  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    if (first.furniture) {
      out.push(first);
      i++;
      continue;
    }
    const minW = COLUMN_RULES.minGutter * first.size;
    let free = freeOf(first, lo, hi).filter(([a, b]) => b - a >= minW);
    if (free.length > 0 && !proseSides(first, widestOf(free))) free = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.furniture) {
      const narrowed = intersect(free, freeOf(lines[j]!, lo, hi), minW);
      if (narrowed.length === 0 || !proseSides(lines[j]!, widestOf(narrowed))) break;
      free = narrowed;
      j++;
    }
    let best: { end: number; gutter: Interval } | undefined;
    if (free.length > 0 && j - i >= COLUMN_RULES.minLines) {
      const widest = widestOf(free);
      if (qualifies(lines.slice(i, j), widest, page, cellGap)) best = { end: j, gutter: widest };
    }
    if (!best) {
      out.push(first);
      i++;
      continue;
    }
    const mid = (best.gutter[0] + best.gutter[1]) / 2;
    const run = lines.slice(i, best.end);
    const left: LayoutLine[] = [];
    const right: LayoutLine[] = [];
    for (const l of run) {
      const a = makeLine(
        l.page,
        l.words.filter((w) => w.x1 <= mid),
        0,
        cellGap,
      );
      const b = makeLine(
        l.page,
        l.words.filter((w) => w.x0 >= mid),
        1,
        cellGap,
      );
      if (a) left.push(a);
      if (b) right.push(b);
    }
    out.push(...left, ...right);
    i = best.end;
  }
  out.forEach((l, k) => (l.index = k));
  return out;
}
