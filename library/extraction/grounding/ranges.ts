/**
 * Whether a lab's H/L/normal flag contradicts its value against its reference range, for verification.
 * Values and ranges are read by library/lab (the one reader of lab values and ranges). Deliberately
 * conservative: a range printed by sex is not used (verification does not know whose range applies),
 * a value with a comparator ("<0.5") is not compared, and a value on a bound never contradicts a flag
 * (labs differ on whether bounds are inclusive).
 */
import { readReferenceRange } from '../../lab/ranges.js';
import { readLabValue } from '../../lab/values.js';

export interface ReferenceRange {
  low: number | null;
  high: number | null;
}

/** Reads a printed reference range; null when it is not exactly one interval. */
export function parseReferenceRange(printed: string): ReferenceRange | null {
  const r = readReferenceRange(printed, null);
  if (r === null || (r.low === null && r.high === null)) return null;
  return { low: r.low, high: r.high };
}

/** The number of a lab value (a number, or text holding exactly one number); null otherwise. */
export function numericValue(value: number | string | null): number | null {
  const v = readLabValue(value);
  return v.comparator === null ? v.number : null;
}

/**
 * Whether the flag contradicts the value against the range: H on a value that is within the range or
 * below it, L on one within or above it, "normal" on one outside it. Bounds themselves never contradict.
 */
export function flagContradictsRange(flag: string | null, value: number | string | null, range: string | null): boolean {
  if (flag === null || range === null) return false;
  const v = numericValue(value);
  const r = parseReferenceRange(range);
  if (v === null || r === null) return false;
  const below = r.low !== null && v < r.low;
  const above = r.high !== null && v > r.high;
  const inside = (r.low === null || v > r.low) && (r.high === null || v < r.high);
  switch (flag) {
    case 'H':
      return inside || below;
    case 'L':
      return inside || above;
    case 'normal':
      return below || above;
    default:
      return false;
  }
}
