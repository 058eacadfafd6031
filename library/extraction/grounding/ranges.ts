/**
 * Reference ranges as labs print them ("3.5-5.0", "3.5 – 5.0 mmol/L", "10 to 20", "<200", ">= 60", "≤ 5",
 * "up to 40") and whether a lab's H/L/normal flag contradicts its value against that range. Deliberately
 * conservative: a range that states several intervals (by sex, by age) is not read, and a value on a bound
 * never contradicts a flag (labs differ on whether bounds are inclusive).
 */
import { numbersIn, readPrintedNumber } from './numbers.js';

export interface ReferenceRange {
  low: number | null;
  high: number | null;
}

const NUM = "(-?\\d[\\d.,']*)";
const FORMS: ReadonlyArray<{ re: RegExp; read: (a: number, b?: number) => ReferenceRange }> = [
  { re: new RegExp(`^${NUM}\\s*(?:-|–|—|to|\\.\\.)\\s*${NUM}$`, 'i'), read: (a, b) => ({ low: a, high: b ?? null }) },
  { re: new RegExp(`^(?:<=?|≤|up\\s+to|less\\s+than|below)\\s*${NUM}$`, 'i'), read: (a) => ({ low: null, high: a }) },
  { re: new RegExp(`^(?:>=?|≥|more\\s+than|greater\\s+than|above|over)\\s*${NUM}$`, 'i'), read: (a) => ({ low: a, high: null }) },
];

/** Reads a printed reference range; null when it is not exactly one interval. */
export function parseReferenceRange(printed: string): ReferenceRange | null {
  // A unit after the interval ("10 - 20 mg/dL") and brackets around it are not part of the interval.
  const s = printed
    .trim()
    .replace(/^[([]\s*|\s*[)\]]$/g, '')
    .replace(/\s*(?:[a-zµμ%/^*][\w/^*µμ%.]*\s*)+$/iu, '')
    .replace(/\u2212/g, '-')
    .trim();
  for (const { re, read } of FORMS) {
    const m = re.exec(s);
    if (!m) continue;
    const nums = [m[1], m[2]]
      .filter((x): x is string => x !== undefined)
      .map((x) => (x.startsWith('-') ? -1 : 1) * (readPrintedNumber(x.replace(/^-/, '')) ?? NaN));
    if (nums.some((n) => !Number.isFinite(n))) return null;
    const r = read(nums[0]!, nums[1]);
    if (r.low !== null && r.high !== null && r.low > r.high) return null;
    return r;
  }
  return null;
}

/** The number of a lab value (a number, or text holding exactly one number); null otherwise. */
export function numericValue(value: number | string | null): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const t = value.trim();
  if (!/^[-+]?[\d.,\s]+$/.test(t)) return null; // "<0.5", "120/80", "Positive": no single value to compare
  const found = numbersIn(t);
  if (found.length !== 1) return null;
  return t.startsWith('-') ? -found[0]!.value : found[0]!.value;
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
