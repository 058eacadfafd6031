/** The parts of a lab row after the test name: units (and mojibake that is not one), numbers, ranges, flags. */
import type { LabFlag } from '../../../core/contract/extraction.js';
import { MASS_UNITS, PLAIN_UNITS } from './lexicon.js';

/** Units as `unitKey` writes them. */
const PLAIN_UNIT_KEYS = new Set(PLAIN_UNITS);
export const MASS_UNIT_KEYS = new Set(MASS_UNITS);
const UNIT_CHARS = /^[A-Za-z0-9%/.^*×µμ²³_-]+$/;

/** Text that is neither a word, a number nor a unit: mojibake from a broken font encoding. */
export function isGarbage(token: string): boolean {
  return /[^\x20-\x7E]|[;&{}\\~`$#@]/.test(token) && !/^[\p{L}'.-]+$/u.test(token) && !/^[<>≤≥↑↓*]+$/.test(token);
}

/** How units are compared: lower case, µ and μ as u. */
export function unitKey(u: string): string {
  return u.normalize('NFKC').toLowerCase().replace(/[µμ]/g, 'u');
}

/** A token that is a plausible lab unit, or null. */
export function asUnit(token: string, strict: boolean): string | null {
  const t = token.trim().replace(/^\[|\]$/g, '');
  if (t === '' || t.length > 24 || !UNIT_CHARS.test(t)) return null;
  if (!/[A-Za-zµμ%]/.test(t)) return null;
  const key = unitKey(t);
  if (/^(h|l|n|a|hh|ll|high|low|normal|abnormal|ref|range|flag|neg|pos)$/.test(key)) return null;
  if (t.includes('/')) {
    // e.g. mg/dL, /uL, cells/uL, mL/min/1.73m2, x10^3/uL
    if (/^[A-Za-z0-9%.^*×µμ²³_-]*\/[A-Za-z0-9.^µμ²³_-]+(?:\/[A-Za-z0-9.^µμ²³_-]+)*$/.test(t)) return t;
    return null;
  }
  if (PLAIN_UNIT_KEYS.has(key)) {
    // Bare mass/volume units are doses far more often than lab units: accept them only when not strict.
    if (strict && MASS_UNIT_KEYS.has(key)) return null;
    return t;
  }
  if (/^(x\s*)?10\^?\d+(\/[a-z]+)?$/i.test(t) || /^10e\d+/i.test(t)) return t;
  return null;
}

/** A number as printed: a sign, thousands separators, decimals (regular-expression source). */
export const NUM = String.raw`[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+`;
export const RANGE_RE = new RegExp(
  String.raw`(?:\[?\s*(?:ref(?:erence)?(?:\s*(?:range|interval))?|normal(?:\s*range)?|nr|rr)\s*[:=]?\s*)?` +
    String.raw`(?<range>(?:(?:<=|>=|≤|≥|<|>|=<|=>)\s*(?:${NUM})|(?:up\s*to|upto|less\s+than|greater\s+than|below|above)\s+(?:${NUM})|(?:${NUM})\s*(?:-|to)\s*(?:${NUM}))\s*%?)` +
    // a unit right after the range ("0.5-1.2 mg/dL"), but never a flag ("< 100  H")
    String.raw`(?: ?(?!(?:h|l|n|a|hh|ll|high|low|normal|abnormal)\b)[A-Za-zµμ/][A-Za-z0-9.µμ/]*)?\s*\]?`,
  'i',
);

export function toNumber(s: string): number | null {
  const n = Number(s.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

/** The flag printed after a value: words, arrows, "*". */
export function flagFrom(text: string): LabFlag | null {
  const t = ` ${text.replace(/[+]/g, ' ')} `;
  if (/\b(non-?reactive|negative|not detected|within normal limits|wnl)\b/i.test(t)) return 'normal';
  if (/[↑]|\b(critical(ly)?\s+high|hh|high|h|elevated|raised|above)\b/i.test(t)) return 'H';
  if (/[↓]|\b(critical(ly)?\s+low|ll|low|l|decreased|below|reduced)\b/i.test(t)) return 'L';
  if (/\b(abnormal|abn|a|critical|positive|reactive|detected)\b|\*/i.test(t)) return 'abnormal';
  if (/\b(normal|n|wnl|within normal limits|negative|non-?reactive|not detected)\b/i.test(t)) return 'normal';
  return null;
}
