/**
 * Two columns set side by side on a text-layer page, read one after the other.
 *
 * A region is a run of consecutive visual lines that all leave one vertical strip in the middle of the
 * text free (the gutter). Its lines are split at the gutter and read left column first, then right, so
 * that a section on the left ('PROCEDURES' with its rows) is not interleaved line by line with the
 * section beside it ('PATIENT EDUCATION'). A table whose columns happen to leave the middle free is not
 * a region: at least one side must read as wrapped running text (one cell of several words per line,
 * most lines running up to the column's edge, sentences wrapped onto the next line in lower case), which
 * a table's cells and a list's items do not, or the two sides must be set on baselines of their own (two
 * flows of text, each with its own headings, tables and spacing, drift apart by a fraction of a line,
 * while a table's cells share their row's baseline).
 */
/** What the column reader needs of a placed text item (text-layer.ts's PlacedItem). */
export interface ColumnItem {
  str: string;
  x: number;
  /** Baseline, top down. */
  y: number;
  width: number;
  size: number;
}

export const COLUMN_READING_RULES = {
  /** The gutter lies within this central share of the text's width. */
  zone: [0.3, 0.7] as const,
  /** The gutter is at least this many font sizes wide. */
  minGutter: 1.2,
  /** A region has at least this many lines. */
  minLines: 5,
  /** Each side has text on at least this many of the region's lines. */
  minSideLines: 3,
  /** Lines with text on one side only: at least this many, and this share of the region's lines. */
  minOneSidedLines: 2,
  oneSidedShare: 0.15,
  /** A prose side has text on at least this many of the region's lines (a short table column is no prose). */
  minProseLines: 6,
  /** Share of a side's segments that must be one cell of at least three words for that side to be prose. */
  proseShare: 0.5,
  /** Share of a prose side's segments that must end within this share of the column's width from its edge. */
  fillShare: 0.4,
  fillSlack: 0.25,
  /** Share of a prose side's segments after the first that must begin in lower case (the sentence wrapped). */
  wrapShare: 0.4,
  /**
   * Lines with text on both sides whose two baselines differ by more than this many font sizes: at least
   * `minOffsetLines` of them and `offsetShare` of such lines make the sides two flows.
   */
  baselineOffset: 0.1,
  minOffsetLines: 3,
  offsetShare: 0.6,
};

/** A stretch of x positions, [from, to). */
export type Interval = [number, number];

/** The stretches of [lo, hi) that no span covers (spans as [x0, x1]). */
export function freeIntervals(spans: readonly Interval[], lo: number, hi: number): Interval[] {
  const out: Interval[] = [];
  let at = lo;
  for (const [x0, x1] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (x1 <= at) continue;
    if (x0 >= hi) break;
    if (x0 > at) out.push([at, Math.min(x0, hi)]);
    at = Math.max(at, x1);
  }
  if (at < hi) out.push([at, hi]);
  return out;
}

/** The overlaps of two sets of stretches that are at least `minWidth` wide. */
export function intersect(a: readonly Interval[], b: readonly Interval[], minWidth: number): Interval[] {
  const out: Interval[] = [];
  for (const [a0, a1] of a) for (const [b0, b1] of b) if (Math.min(a1, b1) - Math.max(a0, b0) >= minWidth) out.push([Math.max(a0, b0), Math.min(a1, b1)]);
  return out;
}

export const widestOf = (free: readonly Interval[]): Interval => free.reduce((a, b) => (b[1] - b[0] > a[1] - a[0] ? b : a));

const end = (it: ColumnItem): number => it.x + it.width;
const spansOf = (line: readonly ColumnItem[]): Interval[] => line.map((it) => [it.x, end(it)]);

/** One cell (no column gap inside) of at least three words (of two letters or more: '150 - 400' is no prose). */
function isProseSegment<T extends ColumnItem>(items: readonly T[], isColumnGap: (a: T, b: T) => boolean): boolean {
  const sorted = [...items].sort((a, b) => a.x - b.x);
  for (let i = 1; i < sorted.length; i++) if (isColumnGap(sorted[i - 1]!, sorted[i]!)) return false;
  return (
    sorted
      .map((it) => it.str)
      .join(' ')
      .split(/\s+/)
      .filter((w) => (w.match(/\p{L}/gu)?.length ?? 0) >= 2).length >= 3
  );
}

function proseSide<T extends ColumnItem>(segments: ReadonlyArray<readonly T[]>, edge: number, width: number, isColumnGap: (a: T, b: T) => boolean): boolean {
  const R = COLUMN_READING_RULES;
  const present = segments.filter((s) => s.length > 0);
  if (present.length < R.minProseLines) return false;
  const prose = present.filter((s) => isProseSegment(s, isColumnGap)).length;
  const filled = present.filter((s) => Math.max(...s.map(end)) >= edge - R.fillSlack * width).length;
  // Running text wraps: a line goes on in lower case on the next ('... including blood' / 'tests that ...'),
  // which the items of a list or a table's cells ('Apixaban 5 mg Tablet' / 'HCTZ 12.5 mg Tablet') seldom do.
  const firstWord = (s: readonly ColumnItem[]): string => [...s].sort((a, b) => a.x - b.x)[0]!.str.trim();
  let wraps = 0;
  for (let k = 1; k < present.length; k++) if (/^\p{Ll}{2,}/u.test(firstWord(present[k]!))) wraps++;
  return prose >= R.proseShare * present.length && filled >= R.fillShare * present.length && wraps >= R.wrapShare * (present.length - 1);
}

/** Whether the two sides of the lines are set on baselines of their own (see the file's comment). */
function ownBaselines<T extends ColumnItem>(lefts: ReadonlyArray<readonly T[]>, rights: ReadonlyArray<readonly T[]>): boolean {
  const R = COLUMN_READING_RULES;
  let both = 0;
  let offset = 0;
  lefts.forEach((l, n) => {
    const r = rights[n]!;
    if (l.length === 0 || r.length === 0) return;
    both++;
    const size = Math.min(l[0]!.size, r[0]!.size);
    if (Math.abs(l[0]!.y - r[0]!.y) > R.baselineOffset * size) offset++;
  });
  return offset >= R.minOffsetLines && offset >= R.offsetShare * both;
}

/**
 * The lines of one orientation in reading order: each line's items (sorted by x) as they are, except
 * that the lines of a two-column region come as their left halves, then their right halves.
 */
export function readColumns<T extends ColumnItem>(lines: ReadonlyArray<readonly T[]>, isColumnGap: (a: T, b: T) => boolean): T[][] {
  const R = COLUMN_READING_RULES;
  const all = lines.flat();
  if (lines.length < R.minLines || all.length === 0) return lines.map((l) => [...l]);
  const left = Math.min(...all.map((it) => it.x));
  const right = Math.max(...all.map(end));
  const width = right - left;
  const zone: Interval = [left + R.zone[0] * width, left + R.zone[1] * width];
  const sizes = all.map((it) => it.size).sort((a, b) => a - b);
  const minGutter = R.minGutter * sizes[Math.floor(sizes.length / 2)]!;
  const free = lines.map((l) => freeIntervals(spansOf(l), zone[0], zone[1]));

  const out: T[][] = [];
  let i = 0;
  while (i < lines.length) {
    // The longest run from line i whose lines share a free strip.
    let strip = free[i]!.filter(([a, b]) => b - a >= minGutter);
    let j = i + 1;
    while (j < lines.length) {
      const next = intersect(strip, free[j]!, minGutter);
      if (next.length === 0) break;
      strip = next;
      j++;
    }
    const run = lines.slice(i, j);
    const gutter = strip.length > 0 ? widestOf(strip) : null;
    if (gutter && run.length >= R.minLines) {
      const mid = (gutter[0] + gutter[1]) / 2;
      const lefts = run.map((l) => l.filter((it) => end(it) <= mid));
      const rights = run.map((l) => l.filter((it) => it.x >= mid));
      const twoSided = lefts.filter((s) => s.length > 0).length >= R.minSideLines && rights.filter((s) => s.length > 0).length >= R.minSideLines;
      const leftWidth = gutter[0] - left;
      const rightWidth = right - gutter[1];
      // Two flows of text break at different places (a heading, a paragraph's end on one side only), so some
      // lines have text on one side; a table's rows, header aside, fill both.
      const oneSided = run.filter((_, n) => (lefts[n]!.length === 0) !== (rights[n]!.length === 0)).length;
      const independent = oneSided >= R.minOneSidedLines && oneSided >= R.oneSidedShare * run.length;
      const flows = proseSide(lefts, gutter[0], leftWidth, isColumnGap) || proseSide(rights, right, rightWidth, isColumnGap) || ownBaselines(lefts, rights);
      if (twoSided && independent && flows) {
        out.push(...lefts.filter((s) => s.length > 0), ...rights.filter((s) => s.length > 0));
        i = j;
        continue;
      }
    }
    out.push([...lines[i]!]);
    i++;
  }
  return out;
}
