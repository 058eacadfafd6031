/**
 * Lab values as printed: a number where the value is one ("14,200" → 14200, "3,5" → 3.5, "-2" → -2), a
 * bound where it is one ("<5" → 5 with comparator '<', "≥ 60"), else the text ("Positive", "120/80",
 * "1:80"). Printed numbers are read by library/extraction/grounding/numbers.ts (thousands separators,
 * decimal commas).
 */
import { readPrintedNumber } from '../extraction/grounding/numbers.js';

export type Comparator = '<' | '<=' | '>' | '>=';

/** A result's value read as a number where it is one ("14,200" → 14200, "<5" → 5 with comparator '<'), else text ("Positive"). */
export interface LabValue {
  number: number | null;
  comparator: Comparator | null;
  text: string | null;
}

/** Comparators as printed, longest first ("<=" before "<"). Shared with reference ranges. */
export const COMPARATORS: ReadonlyArray<readonly [RegExp, Comparator]> = [
  [/^(?:<=|=<|≤|⩽|<\s*or\s*=|up\s*to|upto|not\s+(?:more|greater|higher)\s+than|at\s+most|max(?:imum)?\.?:?)\s*/i, '<='],
  [/^(?:>=|=>|≥|⩾|>\s*or\s*=|at\s+least|not\s+(?:less|lower)\s+than|min(?:imum)?\.?:?)\s*/i, '>='],
  [/^(?:<|less\s+than|lower\s+than|below|under)\s*/i, '<'],
  [/^(?:>|more\s+than|greater\s+than|higher\s+than|above|over)\s*/i, '>'],
];

/** A printed comparator at the start of `s` and the rest of `s`; null when `s` starts with none. */
export function readComparator(s: string): { comparator: Comparator; rest: string } | null {
  for (const [re, comparator] of COMPARATORS) {
    const m = re.exec(s);
    if (m) return { comparator, rest: s.slice(m[0].length) };
  }
  return null;
}

/** A printed number with an optional sign ("-2", "+3", "−0.5", "14,200"); null when `s` is not exactly one. */
export function readSignedNumber(s: string): number | null {
  const m = /^([-+\u2212])?\s*(\d[\d.,'\u00A0\u202F ]*|[.,]\d+)$/.exec(s.trim());
  if (!m) return null;
  const n = readPrintedNumber(m[2]!.trim().replace(/[.,]$/, ''));
  if (n === null) return null;
  return m[1] === '-' || m[1] === '\u2212' ? -n : n;
}

const EMPTY: LabValue = { number: null, comparator: null, text: null };

export function readLabValue(value: number | string | null): LabValue {
  if (value === null) return EMPTY;
  if (typeof value === 'number') return Number.isFinite(value) ? { number: value, comparator: null, text: null } : EMPTY;
  const text = value.trim();
  if (text === '') return EMPTY;
  const plain = readSignedNumber(text);
  if (plain !== null) return { number: plain, comparator: null, text: null };
  const bound = readComparator(text);
  if (bound) {
    const n = readSignedNumber(bound.rest);
    if (n !== null) return { number: n, comparator: bound.comparator, text: null };
  }
  return { number: null, comparator: null, text };
}

/** A blood pressure printed as one value ("120/80", "120 / 80 mmHg"); null when it is not one. */
export function readBloodPressure(value: number | string | null): { systolic: number; diastolic: number } | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*(?:mm\s*\[?hg\]?)?\s*$/i.exec(value);
  if (!m) return null;
  const systolic = Number(m[1]);
  const diastolic = Number(m[2]);
  return systolic > diastolic ? { systolic, diastolic } : null;
}
