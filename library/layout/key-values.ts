/**
 * Key–value pairs by geometry:
 * - inline: "Label: value" in one cell;
 * - right: a cell ending with ':' (or a known label) and the next cell of the same line;
 * - below / below-gap: a label with nothing to its right, and the first cell under it that overlaps
 *   its x-range (on the next line, or after a blank line);
 * - boxed: a label in small type with a value in bigger type just under it, starting near the label's
 *   left edge (a boxed form field: caption at the top left of the box, value inside);
 * - caption: a line of small labels under a line of values (fill-in lines with the caption below).
 * Placeholders (underscores, dots) are not values.
 */
import { box, overlap, union } from './geometry.js';
import type { Box, KeyValue, LayoutCell, LayoutLine, LayoutWord } from './types.js';
import { KNOWN_LABELS } from './vocabulary.js';

export const KV_RULES = {
  maxLabelWords: 7,
  maxLabelChars: 48,
  /** A value below its label: within this many font sizes (beyond `blankGap` it is across a blank line). */
  belowGap: 4.5,
  blankGap: 1.4,
  /** Small type: at most this share of the value's size. */
  smallType: 0.88,
  /** A boxed value or a caption's value: within this many value sizes vertically. */
  boxGap: 1.5,
};

export interface KeyValueOptions {
  /** Labels printed without a colon (compared lowercased, punctuation ignored). */
  labels?: readonly string[];
  /** The document's body font size: lines much bigger than it (titles) are not form values. */
  bodySize?: number;
}

/** No letter or digit: a blank to fill in (underscores, dots) or a drawn check box. */
const PLACEHOLDER = /^[^\p{L}\p{N}]*$/u;

function balanced(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}

function labelShaped(text: string): boolean {
  const t = text.trim();
  if (t === '' || !/^[\p{L}(#]/u.test(t) || t.length > KV_RULES.maxLabelChars) return false;
  if (t.split(/\s+/).length > KV_RULES.maxLabelWords || !balanced(t)) return false;
  const digits = t.replace(/\D/g, '').length;
  return digits <= t.replace(/[^\p{L}]/gu, '').length;
}

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}#]+/gu, ' ')
    .trim();

interface Part {
  line: LayoutLine;
  cell: LayoutCell;
  /** Label words (ending with the colon word) and value words of the segment. */
  label: LayoutWord[];
  value: LayoutWord[];
}

/** Split a cell at '|' separators and find "Label:" at the start of each segment. */
function parts(line: LayoutLine, cell: LayoutCell): Part[] {
  const segments: LayoutWord[][] = [[]];
  for (const w of cell.words) {
    if (/^[|¦]$/.test(w.text)) segments.push([]);
    else segments[segments.length - 1]!.push(w);
  }
  const out: Part[] = [];
  for (const seg of segments) {
    // The first colon that closes a label-shaped phrase ("Haemoglobin (LOINC: 718-7):" skips "(LOINC:").
    for (let k = 0; k < seg.length; k++) {
      if (!/:$/.test(seg[k]!.text)) continue;
      const labelText = seg
        .slice(0, k + 1)
        .map((w) => w.text)
        .join(' ')
        .replace(/:$/, '');
      if (!labelShaped(labelText)) continue;
      out.push({ line, cell, label: seg.slice(0, k + 1), value: seg.slice(k + 1) });
      break;
    }
  }
  return out;
}

const text = (ws: readonly LayoutWord[]) => ws.map((w) => w.text).join(' ');
const labelText = (ws: readonly LayoutWord[]) => text(ws).replace(/\s*:$/, '').trim();

/**
 * Key–value pairs on one page's body lines (reading order; leave table lines and running
 * headers/footers out).
 */
export function findKeyValues(lines: readonly LayoutLine[], opts: KeyValueOptions = {}): KeyValue[] {
  const known = new Set((opts.labels ?? KNOWN_LABELS).map(norm));
  const out: KeyValue[] = [];
  const usedValue = new Set<LayoutCell>();
  const pending: Array<{ line: LayoutLine; label: LayoutWord[]; cell: LayoutCell }> = [];
  const push = (label: LayoutWord[], value: LayoutWord[], placement: KeyValue['placement'], ls: LayoutLine[], after: string[] = []) => {
    const v = text(value);
    if (PLACEHOLDER.test(v)) return;
    const kv: KeyValue = {
      page: ls[0]!.page,
      label: labelText(label),
      value: v,
      labelBox: box(union(label)),
      valueBox: box(union(value)),
      placement,
      lines: [...new Set(ls)],
    };
    if (after.length > 0) kv.after = after;
    out.push(kv);
  };
  // Cells after the value on its line, up to the next label: a unit, a range, a flag.
  const cellsAfter = (line: LayoutLine, from: number): string[] => {
    const rest: string[] = [];
    for (const c of line.cells.slice(from)) {
      if (isLabelCell(c) || parts(line, c).length > 0) break;
      if (!PLACEHOLDER.test(c.text)) rest.push(c.text);
    }
    return rest;
  };
  const isLabelCell = (c: LayoutCell) => (/:$/.test(c.text) && labelShaped(c.text.replace(/:$/, ''))) || known.has(norm(c.text));

  const labelLines = new Set<LayoutLine>();
  // Small-type labels: boxed fields (value below) or captions (value above), decided per page by the
  // first line of small labels.
  const bodySize = opts.bodySize ?? Infinity;
  // A line of small labels: several label-shaped cells, or one that is a known label or ends with ':'.
  // (A single small line under a big one is usually a title's subtitle, not a caption.)
  const smallLabelLine = (l: LayoutLine, ref: LayoutLine) =>
    l.size <= KV_RULES.smallType * ref.size &&
    ref.size <= 1.5 * bodySize &&
    l.cells.length > 0 &&
    l.cells.every((c) => labelShaped(c.text.replace(/:$/, '')) && parts(l, c).length === 0) &&
    (l.cells.length > 1 || isLabelCell(l.cells[0]!));
  let direction: 'boxed' | 'caption' | undefined;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]!;
    const above = lines[k - 1];
    const below = lines[k + 1];
    const hasAbove = above && above.page === l.page && l.y0 - above.y1 <= KV_RULES.boxGap * above.size && smallLabelLine(l, above);
    const hasBelow = below && below.page === l.page && below.y0 - l.y1 <= KV_RULES.boxGap * below.size && smallLabelLine(l, below);
    if (!hasAbove && !hasBelow) continue;
    direction ??= hasAbove ? 'caption' : 'boxed';
    const valueLine = direction === 'caption' ? (hasAbove ? above : undefined) : hasBelow ? below : undefined;
    if (!valueLine) continue;
    for (const lc of l.cells) {
      const candidates = valueLine.cells.filter(
        (c) => !usedValue.has(c) && !PLACEHOLDER.test(c.text) && overlap(c.x0, c.x1, lc.x0 - 0.5 * valueLine.size, lc.x1) > 0,
      );
      // The value nearest the label's left edge.
      const cell = candidates.sort((a, b) => Math.abs(a.x0 - lc.x0) - Math.abs(b.x0 - lc.x0))[0];
      if (!cell || (direction === 'boxed' && cell.x0 < lc.x0 - 1.5 * valueLine.size)) continue;
      push(lc.words, cell.words, direction, [l, valueLine]);
      usedValue.add(cell);
      labelLines.add(l);
    }
  }

  for (const line of lines) {
    if (labelLines.has(line)) continue;
    line.cells.forEach((cell, ci) => {
      const ps = parts(line, cell);
      for (const p of ps) {
        if (p.value.length > 0 && !PLACEHOLDER.test(text(p.value))) {
          push(p.label, p.value, 'inline', [line], ps[ps.length - 1] === p ? cellsAfter(line, ci + 1) : []);
          continue;
        }
        // A label with nothing after it in its cell: the value is the next cell, or below.
        if (p.value.length > 0) continue; // placeholder: a blank to fill in
        const next = line.cells[ci + 1];
        if (ps[ps.length - 1] === p && next && !isLabelCell(next) && parts(line, next).length === 0 && !PLACEHOLDER.test(next.text)) {
          push(p.label, next.words, 'right', [line], cellsAfter(line, ci + 2));
          usedValue.add(next);
        } else if (ps[ps.length - 1] === p && (!next || isLabelCell(next))) pending.push({ line, label: p.label, cell });
      }
      if (ps.length === 0 && known.has(norm(cell.text))) {
        const next = line.cells[ci + 1];
        if (next && !isLabelCell(next) && parts(line, next).length === 0 && !PLACEHOLDER.test(next.text)) {
          push(cell.words, next.words, 'right', [line], cellsAfter(line, ci + 2));
          usedValue.add(next);
        }
      }
    });
  }

  // Values below labels that had nothing to their right.
  for (const p of pending) {
    const lb: Box = union(p.label);
    const at = lines.indexOf(p.line);
    for (let k = at + 1; k < lines.length; k++) {
      const l = lines[k]!;
      if (l.page !== p.line.page) break;
      const gap = l.y0 - lb.y1;
      if (gap > KV_RULES.belowGap * p.line.size) break;
      const cell = l.cells.find((c) => overlap(c.x0, c.x1, lb.x0 - 0.5 * l.size, lb.x1 + 2 * l.size) > 0);
      if (!cell) continue;
      if (!usedValue.has(cell) && !isLabelCell(cell) && parts(l, cell).length === 0 && !PLACEHOLDER.test(cell.text) && cell.x0 >= lb.x0 - 2 * l.size) {
        push(p.label, cell.words, gap > KV_RULES.blankGap * p.line.size ? 'below-gap' : 'below', [p.line, l]);
        usedValue.add(cell);
      }
      break;
    }
  }

  return out;
}
