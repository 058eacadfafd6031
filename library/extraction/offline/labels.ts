/** "Label: value" pairs: several per line, split at column gaps, at ' | ' and at known labels. */
import { LABELS } from './lexicon.js';
import type { Line } from './lines.js';
import { plainText } from './text.js';

export interface LabelValue {
  /** Normalised label, e.g. "date of birth". */
  key: string;
  value: string;
  line: Line;
  /** The value was read from the line after a label standing alone. */
  nextLine: boolean;
}

/** Normalised label → the field it names. */
export const LABEL_OF = new Map<string, string>();
for (const [field, keys] of Object.entries(LABELS)) for (const key of keys) if (!LABEL_OF.has(key)) LABEL_OF.set(key, field);

/** "Date of Birth :" → "date of birth", "MRN#" → "mrn #": the form the lexicon lists labels in. */
export function labelKey(label: string): string {
  return plainText(label)
    .toLowerCase()
    .replace(/\./g, '')
    .replace(/\s*\/\s*/g, '/')
    .replace(/\s*#/g, ' #')
    .replace(/\s+/g, ' ')
    .replace(/\s*:$/, '')
    .trim();
}

/** A label we know, possibly preceded by the tail of the previous value ("John Doe Sex"). */
function splitKnownSuffix(candidate: string): { before: string; label: string } | null {
  const words = candidate.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const label = words.slice(i).join(' ');
    if (LABEL_OF.has(labelKey(label))) return { before: words.slice(0, i).join(' '), label };
  }
  return null;
}

/** The labelled values printed on one line. */
function labelValuesOfLine(line: Line): LabelValue[] {
  const out: LabelValue[] = [];
  // Column gaps and ' | ' separate cells; a cell that is only a label takes the next cell as its value.
  const cells = line.text.split(/\s{2,}|\s+\|\s+|\t/).filter((c) => c.trim() !== '');
  const merged: string[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!.trim();
    const next = cells[i + 1]?.trim();
    if (/:$/.test(c) && next !== undefined && !/^[^:]{1,45}:(\s|$)/.test(next)) {
      merged.push(`${c} ${next}`);
      i++;
    } else merged.push(c);
  }
  for (const cell of merged) {
    // Every "label:" in the cell; a label starts at the cell start or after whitespace.
    const re = /(?:^|\s)([A-Za-z][A-Za-z0-9#.'’/ &()-]{0,45}?)\s*:(?=\s|$)/g;
    const found: Array<{ label: string; start: number; end: number }> = [];
    let m: RegExpExecArray | null;
    while ((m = re.exec(cell))) {
      let label = m[1]!;
      let start = m.index + (m[0].length - m[0].trimStart().length);
      if (found.length > 0) {
        // In the middle of a cell, only a known label ends the previous value.
        const split = splitKnownSuffix(label);
        if (!split) continue;
        start += label.length - split.label.length;
        label = split.label;
      }
      found.push({ label, start, end: m.index + m[0].length });
    }
    for (let i = 0; i < found.length; i++) {
      const f = found[i]!;
      const value = cell
        .slice(f.end, found[i + 1]?.start ?? cell.length)
        .trim()
        .replace(/[,;|]$/, '')
        .trim();
      out.push({ key: labelKey(f.label), value, line, nextLine: false });
    }
  }
  return out;
}

/** Every labelled value of the document, in reading order. */
export function collectLabelValues(pageLines: Line[][]): LabelValue[] {
  const out: LabelValue[] = [];
  for (const lines of pageLines) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const kvs = labelValuesOfLine(line);
      out.push(...kvs);
      // "Label:" alone on its line, value on the next line (which must not be a label line itself).
      const only = /^([A-Za-z][A-Za-z0-9#.'’/ &()-]{0,45}?)\s*:$/.exec(line.text);
      const next = lines[i + 1];
      if (only && next && LABEL_OF.has(labelKey(only[1]!)) && !/:/.test(next.text)) {
        out.push({ key: labelKey(only[1]!), value: next.text, line: next, nextLine: true });
      }
    }
  }
  return out;
}
