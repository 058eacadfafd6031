/**
 * Words → visual lines → cells.
 *
 * A line is built by chaining words left to right: a word joins the line whose last word is to its
 * left and whose baseline, carried forward along the line's own slope, passes within half a line height
 * of the word's centre. Carrying the slope forward follows a slightly skewed scan (a line drifts a few
 * pixels over the page width) without mixing it up with the line above or below.
 *
 * Within a line, words are grouped into cells at gaps wider than CELL_GAP font sizes (an ordinary
 * word space is a third to a half of one), and where two runs overlap (two columns drawn into each
 * other): column values are never glued into one cell.
 */
import { box, centreX, centreY, median, union, wordSize } from './geometry.js';
import type { LayoutCell, LayoutLine, LayoutPage, LayoutWord } from './types.js';

export const LINE_RULES = {
  /** A word's centre within this fraction of the line height from the line's carried baseline joins it. */
  sameLine: 0.5,
  /** A gap wider than this many font sizes starts a new cell. */
  cellGap: 0.9,
  /** Runs overlapping by more than this many font sizes are separate cells. */
  overlapCell: 0.25,
  /** Fragments closer than this many font sizes are one word (a run split by a font change). */
  touch: 0.08,
  /** A cell gap is at least this many of the page's typical word spaces. */
  wordSpaces: 2.4,
  /** The steepest slope followed (about 6°). */
  maxSlope: 0.1,
};

interface Building {
  words: LayoutWord[];
  heights: number[];
  /** Cached for the chaining loop: median height and slope of the line's last words. */
  lineH: number;
  slope: number;
}

function grow(line: Building, w: LayoutWord): void {
  line.words.push(w);
  line.heights.push(w.y1 - w.y0);
  line.lineH = median(line.heights.slice(-15));
  line.slope = slopeOf(line.words.slice(-8));
}

function slopeOf(words: readonly LayoutWord[]): number {
  if (words.length < 2) return 0;
  const xs = words.map(centreX);
  const ys = words.map(centreY);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  const h = median(words.map(wordSize));
  // Too short a baseline to measure a slope from.
  if (den === 0 || xs[xs.length - 1]! - xs[0]! < 3 * h) return 0;
  return Math.max(-LINE_RULES.maxSlope, Math.min(LINE_RULES.maxSlope, num / den));
}

/** Group a page's words into lines (top to bottom), each with its cells. */
export function buildLines(page: LayoutPage): LayoutLine[] {
  const words = page.words.filter((w) => w.text.trim() !== '' && w.x1 >= w.x0 && w.y1 >= w.y0);
  const sorted = [...words].sort((a, b) => a.x0 - b.x0 || centreY(a) - centreY(b));
  const open: Building[] = [];
  for (const w of sorted) {
    const h = w.y1 - w.y0;
    const yc = centreY(w);
    let best: Building | undefined;
    let bestScore = Infinity;
    for (const line of open) {
      const last = line.words[line.words.length - 1]!;
      if (w.x0 < last.x0 + 0.1 * h) continue;
      const lineH = line.lineH;
      const predicted = centreY(last) + line.slope * (centreX(w) - centreX(last));
      const d = Math.abs(yc - predicted);
      if (d > LINE_RULES.sameLine * Math.max(h, lineH)) continue;
      const gap = Math.max(0, w.x0 - last.x1);
      const score = d / Math.max(h, lineH) + 0.02 * (gap / Math.max(h, lineH));
      if (score < bestScore) {
        bestScore = score;
        best = line;
      }
    }
    if (best) grow(best, w);
    else open.push({ words: [w], heights: [h], lineH: h, slope: 0 });
  }
  const gap = cellGapOf(open.map((b) => b.words));
  const lines = open
    .map((b) => makeLine(page.page, b.words, 0, gap))
    .filter((l): l is LayoutLine => l !== undefined)
    .sort((a, b) => centreY(a.words[0]!) - centreY(b.words[0]!) || a.x0 - b.x0);
  lines.forEach((l, i) => (l.index = i));
  return lines;
}

/**
 * The gap (in font sizes) that separates cells on a page: at least CELL_GAP, and for OCR'd words well
 * above the page's own word spacing (WORD_SPACES times its median), so that justified or loosely
 * scanned text whose spaces are wide is not cut into cells while column gaps still are.
 */
export function cellGapOf(lines: ReadonlyArray<readonly LayoutWord[]>): number {
  // A text layer places its runs exactly (its words' spaces are shared out by character count, which
  // would overstate them): only recognised words, whose boxes are loose, set their own cell gap.
  const all = lines.flat();
  if (all.filter((w) => w.size !== undefined).length * 2 > all.length) return LINE_RULES.cellGap;
  const ratios: number[] = [];
  for (const ws of lines) {
    const sorted = [...ws].sort((a, b) => a.x0 - b.x0);
    for (let i = 1; i < sorted.length; i++) {
      const size = Math.max(wordSize(sorted[i]!), wordSize(sorted[i - 1]!));
      const r = (sorted[i]!.x0 - sorted[i - 1]!.x1) / size;
      if (r > LINE_RULES.touch && r < 2) ratios.push(r);
    }
  }
  return Math.max(LINE_RULES.cellGap, LINE_RULES.wordSpaces * median(ratios));
}

/** Merge touching fragments and drop doubly drawn words (fake bold: the same word drawn twice, offset). */
function tidy(words: readonly LayoutWord[]): LayoutWord[] {
  const out: LayoutWord[] = [];
  for (const w of [...words].sort((a, b) => a.x0 - b.x0)) {
    const prev = out[out.length - 1];
    const size = wordSize(w);
    if (prev && prev.text === w.text && Math.abs(prev.x0 - w.x0) < 0.15 * size) {
      out[out.length - 1] = { ...prev, bold: true };
      continue;
    }
    if (prev && w.x0 - prev.x1 < LINE_RULES.touch * size && w.x0 - prev.x1 > -LINE_RULES.touch * size) {
      const merged: LayoutWord = { ...prev, ...union([prev, w]), text: prev.text + w.text };
      if (prev.confidence !== undefined || w.confidence !== undefined) merged.confidence = Math.min(prev.confidence ?? 100, w.confidence ?? 100);
      out[out.length - 1] = merged;
      continue;
    }
    out.push(w);
  }
  return out;
}

/** A line from its words (any order): cells split at wide gaps and at overlapping runs. */
export function makeLine(page: number, words: readonly LayoutWord[], column = 0, cellGap: number = LINE_RULES.cellGap): LayoutLine | undefined {
  const ws = tidy(words);
  if (ws.length === 0) return undefined;
  const size = median(ws.map(wordSize));
  const cells: LayoutCell[] = [];
  let current: LayoutWord[] = [];
  const flush = () => {
    if (current.length === 0) return;
    cells.push({ ...union(current), text: current.map((w) => w.text).join(' '), words: current });
    current = [];
  };
  for (const w of ws) {
    const prev = current[current.length - 1];
    if (prev) {
      const gap = w.x0 - prev.x1;
      const s = Math.max(size, wordSize(w));
      if (gap > cellGap * s || gap < -LINE_RULES.overlapCell * s) flush();
    }
    current.push(w);
  }
  flush();
  const bold = ws.filter((w) => w.bold).length * 2 > ws.length;
  return {
    page,
    index: 0,
    ...box(union(ws)),
    text: cells.map((c) => c.text).join('  '),
    words: ws,
    cells,
    size,
    bold,
    column,
  };
}
