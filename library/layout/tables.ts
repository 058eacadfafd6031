/**
 * Tables rebuilt from column alignment.
 *
 * A header is a line of two or more short text cells (no trailing colons, mostly letters) whose
 * x-ranges line up with the cells of the line after it. Each header cell owns a column band reaching
 * halfway to its neighbours, so centred and right-aligned values (which start left or right of their
 * header) land in their own column. Following lines are rows while their cells each fall in one band
 * (a cell across two bands is split only where its second part starts under the next header; prose
 * across several bands ends the table). A line whose cells fall only in some columns and that sits
 * closer to the line above than rows sit to each other joins the row above (a wrapped cell). A table
 * continues over a page break when the next page's first body line repeats the header or lines up
 * with its columns. Words never move between columns, so two columns are never glued into one.
 */
import { furnitureKey, similarity } from './furniture.js';
import { box, median, union } from './geometry.js';
import { isHeading } from './headings.js';
import { CONTINUED_MARKERS } from './vocabulary.js';
import type { Box, LayoutColumn, LayoutLine, LayoutRow, LayoutTable, LayoutWord } from './types.js';

export const TABLE_RULES = {
  /** Longest header cell. */
  headerCellWords: 5,
  headerCellChars: 32,
  /** A row more than this many row pitches (or font sizes) below the previous one ends the table. */
  maxPitchRows: 2.5,
  maxGapSizes: 3.5,
  /** A line that lacks the first column joins the row above when at most this many row pitches below it. */
  continuationPitch: 1.25,
  /** A line with only the first column joins the row above when closer than this many row pitches. */
  wrapPitch: 0.8,
};

interface Band {
  header: string;
  x0: number;
  x1: number;
  lo: number;
  hi: number;
}

function letterShare(text: string): number {
  const alnum = text.replace(/[^\p{L}\p{N}]/gu, '');
  if (alnum.length === 0) return 0;
  return text.replace(/[^\p{L}]/gu, '').length / alnum.length;
}

/** A line that could head a table: two or more short, mostly-letter cells, none a "Label:". */
export function isHeaderLike(line: LayoutLine): boolean {
  return line.cells.length >= 2 && headerCells(line);
}

function headerCells(line: LayoutLine): boolean {
  return line.cells.every((c) => {
    const t = c.text.trim();
    return c.words.length <= TABLE_RULES.headerCellWords && t.length <= TABLE_RULES.headerCellChars && !/:$/.test(t) && letterShare(t) >= 0.6;
  });
}

function bandsFrom(header: LayoutLine): Band[] {
  const cells = header.cells;
  return cells.map((c, i) => ({
    header: c.text,
    x0: c.x0,
    x1: c.x1,
    lo: i === 0 ? -Infinity : (cells[i - 1]!.x1 + c.x0) / 2,
    hi: i === cells.length - 1 ? Infinity : (c.x1 + cells[i + 1]!.x0) / 2,
  }));
}

function bandOf(x: number, bands: readonly Band[]): number {
  const i = bands.findIndex((b) => x >= b.lo && x < b.hi);
  return i === -1 ? (x < bands[0]!.lo ? 0 : bands.length - 1) : i;
}

/** The line's words by column, or undefined when the line does not sit in the columns. */
function fit(line: LayoutLine, bands: readonly Band[]): Map<number, LayoutWord[]> | undefined {
  const cols = new Map<number, LayoutWord[]>();
  const add = (i: number, ws: LayoutWord[]) => cols.set(i, [...(cols.get(i) ?? []), ...ws]);
  for (const cell of line.cells) {
    const first = bandOf(cell.x0 + 0.01, bands);
    const last = bandOf(cell.x1 - 0.01, bands);
    if (first === last) {
      add(first, cell.words);
      continue;
    }
    if (last - first > 1) return undefined;
    // Across two bands: split only where the second part starts under the next header.
    const start = bands[last]!.x0 - 0.5 * line.size;
    const a = cell.words.filter((w) => w.x0 < start);
    const b = cell.words.filter((w) => w.x0 >= start);
    if (a.length === 0 || b.length === 0) {
      // The whole cell is off its band's centre but belongs to one column: the one holding most of it.
      const inFirst = Math.min(cell.x1, bands[first]!.hi) - cell.x0;
      const inLast = cell.x1 - Math.max(cell.x0, bands[last]!.lo);
      // A cell spread over two columns' headers is prose, not a value.
      if (cell.words.length > 1 && cell.x0 < bands[first]!.x1 && cell.x1 > bands[last]!.x0 + 0.5 * line.size) return undefined;
      add(inFirst >= inLast ? first : last, cell.words);
      continue;
    }
    if (a.some((w) => w.x1 > bands[first]!.hi + 0.5 * line.size)) return undefined;
    add(first, a);
    add(last, b);
  }
  return cols;
}

function sameHeader(a: LayoutLine, b: LayoutLine): boolean {
  if (a.cells.length !== b.cells.length) return false;
  return similarity(furnitureKey(a.text), furnitureKey(b.text)) >= 0.8;
}

interface Building {
  header: LayoutLine;
  bands: Band[];
  headerLines: LayoutLine[];
  rows: Array<{ page: number; lines: LayoutLine[]; words: Map<number, LayoutWord[]> }>;
  pitches: number[];
}

function finish(t: Building, title: LayoutLine | undefined): LayoutTable {
  const columns: LayoutColumn[] = t.bands.map((b) => ({ header: b.header, x0: b.x0, y0: t.header.y0, x1: b.x1, y1: t.header.y1 }));
  const rows: LayoutRow[] = t.rows.map((r) => ({
    page: r.page,
    lines: r.lines,
    box: box(union(r.lines)),
    cells: t.bands.map((b, i) => {
      const ws = r.words.get(i) ?? [];
      if (ws.length === 0) return { column: b.header, text: '' };
      return { column: b.header, text: joinWords(ws), box: box(union(ws)) as Box };
    }),
  }));
  const pages = [...new Set([...t.headerLines.map((l) => l.page), ...rows.map((r) => r.page)])].sort((a, b) => a - b);
  const table: LayoutTable = { columns, headerLines: t.headerLines, rows, pages };
  if (title) table.title = title;
  return table;
}

/** Words of one cell over its lines, in reading order (line by line, left to right). */
function joinWords(ws: readonly LayoutWord[]): string {
  return ws.map((w) => w.text).join(' ');
}

export interface TableContext {
  bodySize: number;
  /** Patterns that mark a title as continued from an earlier page (default CONTINUED_MARKERS). */
  continued?: readonly string[];
}

/**
 * A title over a repeated header on the next page continues the table when it says so ("continued")
 * or repeats the table's own title; any other title starts a new table (the next panel).
 */
function continues(line: LayoutLine, title: LayoutLine | undefined, continued: RegExp): boolean {
  if (continued.test(line.text)) return true;
  if (!title) return false;
  const a = furnitureKey(line.text);
  const b = furnitureKey(title.text);
  return a.includes(b) || similarity(a, b) >= 0.8;
}

/**
 * Find the tables among the body lines of a document (all pages, reading order, running headers and
 * footers already left out).
 */
export function findTables(body: readonly LayoutLine[], ctx: TableContext): LayoutTable[] {
  const tables: LayoutTable[] = [];
  const continued = new RegExp(`(${(ctx.continued ?? CONTINUED_MARKERS).join('|')})`, 'iu');
  let i = 0;
  while (i < body.length) {
    const header = body[i]!;
    const bands = isHeaderLike(header) ? bandsFrom(header) : undefined;
    if (!bands) {
      i++;
      continue;
    }
    // A second header line right under the first (a wrapped header) extends the column names.
    const wrapped: Array<{ line: LayoutLine; cols: Map<number, LayoutWord[]> }> = [];
    for (let k = i + 1; k < body.length; k++) {
      const l = body[k]!;
      const above = wrapped.length > 0 ? wrapped[wrapped.length - 1]!.line : header;
      const cols = l.page === header.page ? fit(l, bands) : undefined;
      if (!cols || !headerCells(l) || cols.has(0) || l.y0 - above.y1 > 0.8 * header.size) break;
      wrapped.push({ line: l, cols });
    }
    const next = body[i + 1 + wrapped.length];
    const firstFit = next && next.page === header.page && next.size >= 0.6 * header.size ? fit(next, bands) : undefined;
    if (!firstFit || firstFit.size < 2 || next!.size > 1.25 * header.size) {
      i++;
      continue;
    }
    for (const w of wrapped) for (const [k, ws] of w.cols) bands[k]!.header = `${bands[k]!.header} ${joinWords(ws)}`;
    const t: Building = { header, bands, headerLines: [header, ...wrapped.map((w) => w.line)], rows: [], pitches: [] };
    let prev = wrapped.length > 0 ? wrapped[wrapped.length - 1]!.line : header;
    let lastRowStart: LayoutLine | undefined;
    let j = i + 1 + wrapped.length;
    const before = body[i - 1];
    const title = before && before.cells.length === 1 && isHeading(before, { bodySize: ctx.bodySize, prev: body[i - 2], next: header }) ? before : undefined;
    for (; j < body.length; j++) {
      const l = body[j]!;
      const pageBreak = l.page !== prev.page;
      if (!pageBreak && sameHeader(l, header) && t.rows.length > 0) {
        // The header printed again without a break: same table.
        t.headerLines.push(l);
        prev = l;
        continue;
      }
      if (pageBreak && sameHeader(l, header)) {
        t.headerLines.push(l);
        prev = l;
        lastRowStart = undefined;
        continue;
      }
      // A title repeated over the header on the next page ("Results (continued)"): the table goes on.
      const after = body[j + 1];
      if (pageBreak && l.cells.length === 1 && after && after.page === l.page && sameHeader(after, header) && continues(l, title, continued)) {
        t.headerLines.push(l, after);
        prev = after;
        lastRowStart = undefined;
        j++;
        continue;
      }
      if (/:$/.test(l.cells[0]?.text ?? '') && l.cells.length <= 2) break;
      if (l.cells.length === 1 && isHeading(l, { bodySize: ctx.bodySize, prev, next: body[j + 1] })) break;
      const cols = fit(l, bands);
      if (!cols || cols.size === 0) break;
      const pitch = pageBreak ? 0 : l.y0 - prev.y0;
      const rowPitch = t.pitches.length > 0 ? median(t.pitches) : lastRowStart ? l.y0 - lastRowStart.y0 : pitch;
      if (!pageBreak && l.y0 - prev.y1 > Math.max(TABLE_RULES.maxGapSizes * l.size, TABLE_RULES.maxPitchRows * rowPitch)) break;
      if (pageBreak && cols.size < 2) break;
      const row = t.rows[t.rows.length - 1];
      const onlyFirst = cols.size === 1 && cols.has(0);
      const continuation =
        row !== undefined &&
        !pageBreak &&
        ((!cols.has(0) && pitch <= TABLE_RULES.continuationPitch * Math.max(rowPitch, l.size * 1.1)) ||
          (onlyFirst && t.bands.length >= 2 && t.pitches.length > 0 && pitch < TABLE_RULES.wrapPitch * rowPitch));
      if (continuation) {
        row.lines.push(l);
        for (const [k, ws] of cols) row.words.set(k, [...(row.words.get(k) ?? []), ...ws]);
      } else {
        if (lastRowStart && lastRowStart.page === l.page) t.pitches.push(l.y0 - lastRowStart.y0);
        t.rows.push({ page: l.page, lines: [l], words: cols });
        lastRowStart = l;
      }
      prev = l;
    }
    const fullRows = t.rows.filter((r) => r.words.size >= 2).length;
    if (fullRows >= (bands.length >= 3 ? 1 : 2)) {
      tables.push(finish(t, title));
      i = j;
    } else i++;
  }
  return tables;
}

/** Which table (index) each table line belongs to: header lines and row lines. */
export function tableLines(tables: readonly LayoutTable[]): Map<LayoutLine, number> {
  const m = new Map<LayoutLine, number>();
  tables.forEach((t, k) => {
    for (const l of t.headerLines) m.set(l, k);
    for (const r of t.rows) for (const l of r.lines) m.set(l, k);
  });
  return m;
}
