/**
 * Numbers as printed: "14,200" and "14200" are one number, "5.0" is 5, "3,5" (a decimal comma) is 3.5.
 * A comma followed by exactly three digits is read as a thousands separator ("14,200" = 14200) unless a
 * point follows later in the same number; a comma followed by one, two or four-plus digits is a decimal
 * comma. Spaces and apostrophes group thousands only in the "12 345" / "12'345" pattern.
 */

export interface PrintedNumber {
  value: number;
  /** Offsets of the printed number in the text it was read from. */
  start: number;
  end: number;
  /** A minus sign stands right before it (and not after a digit, as in a range "3-5"). */
  negative: boolean;
}

// Spaces are not taken as group separators here ("Sodium 140 135-145" is two numbers); see numberInText.
const NUMBER_RE = /\d{1,3}(?:[,.']\d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?|[.,]\d+/g;

/** Reads one printed number (without sign); null when it is not one. */
export function readPrintedNumber(printed: string): number | null {
  let s = printed.trim();
  if (s === '') return null;
  // Group separators: space-likes and apostrophes between groups of three.
  s = s.replace(/(\d)[\u00A0\u202F ']((?:\d{3}))/g, '$1$2');
  const comma = s.lastIndexOf(',');
  const point = s.lastIndexOf('.');
  if (comma >= 0 && point >= 0) {
    // Both: the one that comes last is the decimal separator ("1,234.5" / "1.234,5").
    s = comma > point ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  } else if (comma >= 0) {
    const groups = s.split(',');
    const thousands = groups.length > 1 && groups.slice(1).every((g) => g.length === 3) && (groups[0] ?? '').length <= 3;
    s = thousands ? groups.join('') : groups.length === 2 ? s.replace(',', '.') : '';
  } else if (point >= 0 && s.split('.').length > 2) {
    // "1.234.567": points grouping thousands.
    s = s.split('.').every((g, i) => i === 0 || g.length === 3) ? s.replace(/\./g, '') : '';
  }
  if (!/^\d*\.?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Every number printed in `text`, in order. */
export function numbersIn(text: string): PrintedNumber[] {
  const out: PrintedNumber[] = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const start = m.index;
    const value = readPrintedNumber(m[0]);
    if (value === null) continue;
    // A minus right before the digits, not after a digit ("3.5-5.0" is a range, "BE -2" is negative).
    const negative = /(?:^|[^\d\s.,])\s*[-\u2212]$/.test(text.slice(Math.max(0, start - 8), start));
    out.push({ value, start, end: start + m[0].length, negative });
  }
  return out;
}

export function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Whether the number `n` is printed in `text` (as a number, in any of the printed forms above). */
export function numberInText(n: number, text: string): boolean {
  const abs = Math.abs(n);
  const printed = numbersIn(text);
  if (printed.some((p) => sameNumber(p.value, abs) && (n >= 0 || p.negative))) return true;
  // "12 345.6": a number grouped by spaces is several printed numbers, each after the first of three digits.
  for (let i = 0; i < printed.length; i++) {
    const first = printed[i]!;
    if (!/^\d{1,3}$/.test(text.slice(first.start, first.end))) continue;
    let acc = first.value;
    for (let j = i + 1; j < printed.length; j++) {
      const [prev, next] = [printed[j - 1]!, printed[j]!];
      const group = text.slice(next.start, next.end);
      if (!/^[\u00A0\u202F ]$/.test(text.slice(prev.end, next.start)) || !/^\d{3}(?:[.,]\d+)?$/.test(group)) break;
      acc = acc * 1000 + next.value;
      if (sameNumber(acc, abs)) return true;
      if (!/^\d{3}$/.test(group)) break;
    }
  }
  return false;
}

/** The numbers of a value written as text ("120/80", "<0.5", "1,5"), or null when it holds none. */
export function numbersOfValue(value: string): number[] | null {
  const found = numbersIn(value);
  if (found.length === 0) return null;
  return found.map((p) => (p.negative ? -p.value : p.value));
}
