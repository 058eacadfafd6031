/**
 * How the scorer compares a truth value with an extracted one, per kind of value. Every comparison is
 * general (case, whitespace, punctuation, numbers as numbers, dates as ISO dates, units and dosage forms
 * through the tables in vocabulary.ts); nothing here knows any corpus file.
 */
import { distance } from 'fastest-levenshtein';
import {
  DRUG_NAME_NOISE,
  FLAG_WORDS,
  FORM_WORDS,
  MASS_IN_MG,
  NAME_TITLES,
  NO_ALLERGY,
  PANEL_GENERIC_WORDS,
  UNIT_EQUIVALENTS,
  VITAL_NAMES,
} from './vocabulary.js';

/** The kinds of value the scorer tells apart; each field type is scored as one of them. */
export type ValueKind =
  | 'text' // free text: case, punctuation, word order and a parenthesised aside do not matter
  | 'org' // an organisation or place: as text, or its name before a comma or " - " (the rest is its department/address)
  | 'person' // a person's name: the same words in any order, titles, degrees and initials left out
  | 'identifier' // an ID: letters and digits only, case-insensitive
  | 'code' // a code (ICD-10, CPT): letters and digits only, dots and spaces left out
  | 'number' // a number or an amount: as a number ("14,200" = 14200, "$170.00" = 170)
  | 'value' // a lab value: a number when both are numbers, else as text
  | 'date' // a date: the same calendar day (a date-time's time is not compared)
  | 'unit' // a unit: through the equivalence table
  | 'range' // a reference range: the same bounds and comparison signs, any spacing, a trailing unit left out
  | 'flag' // H, L or abnormal; normal and no flag are both "no flag"
  | 'sex' // M, F or other
  | 'age' // the same number of years (or months, weeks, days when that unit is given)
  | 'doctype' // the schema's document type
  | 'drug' // a drug name: as text, without salt words and dosage-form words after its first word
  | 'strength' // a strength: the same amount in the same unit ("1 g" = "1000 mg"; "625mg" = "625 mg")
  | 'form' // a dosage form: the same canonical form words ("Tab" = "tablet")
  | 'panel' // a lab panel's name: as text, its parenthesised abbreviation, or the words of one within the other, generic words ("panel", "profile") left out
  | 'vital' // a vital sign's name: through the table of spellings ("Wt" = "Weight"), else as text
  | 'tokens' // a list of short codes (modifiers): the same codes in the same order
  | 'contains'; // the truth's words all occur in the extracted value (truth names a product by one word, e.g. its maker)

// ---------------------------------------------------------------------------------------------------
// Text

/** A value as text: strings and numbers as they are, anything else as JSON ('' for null). */
export function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Lower case, NFKC, '×' as "x", '&' as "and", every run of other than letters, digits and % as one space. */
export function normText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return str(v)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\u00d7/g, 'x') // the multiplication sign of "× 5 days" is the letter x of "x 5 days"
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}%]+/gu, ' ')
    .trim();
}

const tokens = (v: unknown): string[] => normText(v).split(' ').filter(Boolean);
const sortedKey = (ws: string[]): string => [...ws].sort().join(' ');

/** The text without its parenthesised asides ("Essential (primary) hypertension" → "Essential hypertension"). */
function withoutAsides(v: string): string {
  return v.replace(/\([^)]*\)|\[[^\]]*\]/g, ' ');
}

function textKeys(v: unknown): string[] {
  const s = str(v);
  const keys = new Set<string>();
  for (const variant of [s, withoutAsides(s)]) {
    const ws = tokens(variant);
    if (ws.length > 0) keys.add(sortedKey(ws));
  }
  return [...keys];
}

function orgKeys(v: unknown): string[] {
  const s = str(v);
  const keys = new Set(textKeys(s));
  for (const head of [s.split(',')[0], s.split(/\s[-\u2013\u2014]\s/)[0]]) for (const k of textKeys(head)) keys.add(k);
  return [...keys];
}

/** A panel name's word sets: its words, and a parenthesised abbreviation ("Complete Blood Count (CBC)" → {cbc}). */
function panelWordSets(v: unknown): string[][] {
  const s = str(v);
  const sets = [tokens(withoutAsides(s)).filter((w) => !PANEL_GENERIC_WORDS.has(w))];
  for (const m of s.matchAll(/\(([^)]*)\)/g)) sets.push(tokens(m[1]).filter((w) => !PANEL_GENERIC_WORDS.has(w)));
  return sets.filter((ws) => ws.length > 0);
}

const subset = (a: string[], b: string[]): boolean => a.every((w) => b.includes(w));

const overlaps = (a: string[], b: string[]): boolean => a.some((x) => b.includes(x));

function personKey(v: unknown): string {
  return sortedKey(tokens(v).filter((w) => w.length > 1 && !NAME_TITLES.has(w)));
}

export function drugKey(v: unknown): string {
  const ws = tokens(withoutAsides(str(v)));
  return ws.filter((w, i) => i === 0 || !DRUG_NAME_NOISE.has(w)).join(' ');
}

/** A drug name's keys: the name, and a name given beside it in parentheses ("metformin (Glucophage)": the brand). */
export function drugKeys(v: unknown): string[] {
  const s = str(v);
  const keys = new Set([drugKey(s)]);
  for (const m of s.matchAll(/\(([^)]*)\)/g)) keys.add(drugKey(m[1]));
  keys.delete('');
  return [...keys];
}

// ---------------------------------------------------------------------------------------------------
// Numbers, dates, units

/** A number from a number or a numeric string ("14,200", "$170.00", "₹ 2,500", "38.0"); null otherwise. */
export function parseNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const s = v
    .normalize('NFKC')
    .trim()
    .replace(/^[^\d\s<>=\u2264\u2265+\-.]{1,3}\s*/, '') // a currency sign or code before the amount (never a "<" or ">": "<0.5" is no number)
    .replace(/\s+/g, '');
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return Number(s.replace(/,/g, ''));
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return Number(s);
  return null;
}

const sameNumber = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function iso(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Two-digit years: 00–(this year + 10) are 20xx, the rest 19xx. */
function fullYear(y: string): number {
  if (y.length === 4) return Number(y);
  const n = Number(y);
  const pivot = (new Date().getUTCFullYear() % 100) + 10;
  return n <= pivot ? 2000 + n : 1900 + n;
}

/**
 * The ISO dates a printed date can mean. Day-month order for all-numeric dates: `order` when known
 * (the truth file's own unambiguous dates tell it), otherwise both readings where both are valid.
 */
export function parseDates(v: unknown, order: 'mdy' | 'dmy' | null = null): string[] {
  if (typeof v !== 'string') return [];
  const s = v.normalize('NFKC').trim().toLowerCase();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[t\s])/.exec(s) ?? /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?:$|\s)/.exec(s);
  if (m) return [iso(Number(m[1]), Number(m[2]), Number(m[3]))].filter((x): x is string => x !== null);
  m = /^(\d{1,2})[\s/.-]+([a-z]{3,9})\.?[\s/.,-]+(\d{2}|\d{4})\b/.exec(s);
  if (m && MONTHS.includes((m[2] as string).slice(0, 3))) {
    return [iso(fullYear(m[3] as string), MONTHS.indexOf((m[2] as string).slice(0, 3)) + 1, Number(m[1]))].filter((x): x is string => x !== null);
  }
  m = /^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/.exec(s);
  if (m && MONTHS.includes((m[1] as string).slice(0, 3))) {
    return [iso(Number(m[3]), MONTHS.indexOf((m[1] as string).slice(0, 3)) + 1, Number(m[2]))].filter((x): x is string => x !== null);
  }
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:$|[\s,t])/.exec(s);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const y = fullYear(m[3] as string);
    const mdy = iso(y, a, b);
    const dmy = iso(y, b, a);
    if (order === 'mdy') return mdy ? [mdy] : dmy ? [dmy] : [];
    if (order === 'dmy') return dmy ? [dmy] : mdy ? [mdy] : [];
    return [...new Set([mdy, dmy].filter((x): x is string => x !== null))];
  }
  return [];
}

/** 'mdy' or 'dmy' when an all-numeric date could only be read one way; null when it tells nothing. */
export function dateOrderOf(v: string): 'mdy' | 'dmy' | null {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:$|[\s,t])/.exec(v.trim().toLowerCase());
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a > 12 && b <= 12) return 'dmy';
  if (b > 12 && a <= 12) return 'mdy';
  return null;
}

/** Lower case, no spaces, µ/μ/mc → u, × → x, "hr" → "h"; then the first member of its equivalence class. */
export function canonicalUnit(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = str(v)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/[µμ]/g, 'u')
    .replace(/mc(?=[gl]\b|[gl]\/|[gl]$)/g, 'u')
    .replace(/×/g, 'x')
    .replace(/hrs?\b|hrs?$/g, 'h')
    .replace(/\.$/, '');
  for (const row of UNIT_EQUIVALENTS) if (row.includes(s)) return row[0] as string;
  return s;
}

/** A reference range as its bounds and signs: spacing, thousands separators and a trailing unit do not matter. */
export function rangeKey(v: unknown): string {
  if (v === null || v === undefined) return '';
  return str(v)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/≥|=>/g, '>=')
    .replace(/≤|=</g, '<=')
    .replace(/\bup to\b/g, '<=')
    .replace(/\bto\b/g, '-')
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/[^\d.<>=()-]+/g, '')
    .replace(/\(\)/g, '');
}

export function flagOf(v: unknown): 'H' | 'L' | 'abnormal' | null {
  if (v === null || v === undefined) return null;
  const s = str(v).normalize('NFKC').trim().toLowerCase();
  for (const [re, flag] of FLAG_WORDS) if (re.test(s)) return flag;
  return 'abnormal';
}

export function sexOf(v: unknown): 'M' | 'F' | 'other' | null {
  const s = normText(v);
  if (s === '') return null;
  if (/^(m|male|man|boy)$/.test(s)) return 'M';
  if (/^(f|female|woman|girl)$/.test(s)) return 'F';
  return 'other';
}

function ageOf(v: unknown): { n: number; unit: string } | null {
  if (typeof v === 'number') return { n: v, unit: 'y' };
  const s = normText(v);
  const m = /(\d+(?:\.\d+)?)\s*([a-z]*)/.exec(s);
  if (!m) return null;
  const u = m[2] ?? '';
  const unit = /^(mo|mos|month|months|m)$/.test(u) ? 'm' : /^(w|wk|wks|week|weeks)$/.test(u) ? 'w' : /^(d|day|days)$/.test(u) ? 'd' : 'y';
  return { n: Number(m[1]), unit };
}

function strengthOf(v: unknown): { amount: number; unit: string; rest: string } | null {
  const s = str(v).normalize('NFKC').toLowerCase().replace(/[µμ]/g, 'u').trim();
  const m = /^(\d+(?:[.,]\d+)?)\s*([a-z%]+)\s*(.*)$/.exec(s);
  if (!m) return null;
  const amount = Number((m[1] as string).replace(',', '.'));
  const unit = m[2] as string;
  const perMg = MASS_IN_MG[unit];
  return perMg !== undefined ? { amount: amount * perMg, unit: 'mg', rest: normText(m[3]) } : { amount, unit: canonicalUnit(unit), rest: normText(m[3]) };
}

function formKey(v: unknown): string {
  return [...new Set(tokens(v).map((w) => FORM_WORDS[w] ?? w))].sort().join(' ');
}

const alnum = (v: unknown): string =>
  str(v)
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');

// ---------------------------------------------------------------------------------------------------
// Emptiness and equality

/** Whether an extracted (or truth) value counts as "no value" for its kind. */
export function isEmpty(kind: ValueKind, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string' && v.trim() === '') return true;
  if (kind === 'flag') return flagOf(v) === null;
  return false;
}

/** Whether extracted value `e` is truth value `t` (both non-empty). */
export function sameValue(kind: ValueKind, t: unknown, e: unknown): boolean {
  switch (kind) {
    case 'text':
      return overlaps(textKeys(t), textKeys(e));
    case 'org':
      return overlaps(orgKeys(t), textKeys(e)) || overlaps(textKeys(t), orgKeys(e));
    case 'person': {
      const a = personKey(t);
      return a !== '' && a === personKey(e);
    }
    case 'identifier':
    case 'code':
      return alnum(t) !== '' && alnum(t) === alnum(e);
    case 'number': {
      const a = parseNumber(t);
      const b = parseNumber(e);
      return a !== null && b !== null && sameNumber(a, b);
    }
    case 'value': {
      const a = parseNumber(t);
      const b = parseNumber(e);
      if (a !== null && b !== null) return sameNumber(a, b);
      if (a !== null || b !== null) return false;
      return overlaps(textKeys(t), textKeys(e));
    }
    case 'date': {
      const a = parseDates(t);
      const b = parseDates(e);
      return a.length > 0 && a.some((x) => b.includes(x));
    }
    case 'unit':
      return canonicalUnit(t) === canonicalUnit(e);
    case 'range':
      return rangeKey(t) !== '' && rangeKey(t) === rangeKey(e);
    case 'flag':
      return flagOf(t) === flagOf(e);
    case 'sex':
      return sexOf(t) === sexOf(e);
    case 'age': {
      const a = ageOf(t);
      const b = ageOf(e);
      return a !== null && b !== null && a.unit === b.unit && sameNumber(a.n, b.n);
    }
    case 'doctype':
      return String(t) === String(e);
    case 'drug':
      return overlaps(drugKeys(t), drugKeys(e)) || overlaps(textKeys(t), textKeys(e));
    case 'strength': {
      const a = strengthOf(t);
      const b = strengthOf(e);
      if (a && b) return a.unit === b.unit && sameNumber(a.amount, b.amount) && a.rest === b.rest;
      return alnum(t) === alnum(e);
    }
    case 'form':
      return formKey(t) !== '' && formKey(t) === formKey(e);
    case 'panel': {
      const a = panelWordSets(t);
      const b = panelWordSets(e);
      return a.some((x) => b.some((y) => subset(x, y) || subset(y, x)));
    }
    case 'vital': {
      const a = VITAL_NAMES[normText(t)];
      return a !== undefined ? a === VITAL_NAMES[normText(e)] : overlaps(textKeys(t), textKeys(e));
    }
    case 'tokens':
      return tokens(t).join(' ') === tokens(e).join(' ');
    case 'contains': {
      const want = tokens(t);
      const have = new Set(tokens(e));
      return want.length > 0 && want.every((w) => have.has(w));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Similarity (for pairing list items)

/** How alike two texts are, 0–1: the better of word overlap (Dice) and character edit similarity. */
export function textSimilarity(a: unknown, b: unknown): number {
  const x = normText(a);
  const y = normText(b);
  if (x === '' || y === '') return 0;
  if (x === y) return 1;
  const wa = new Set(x.split(' '));
  const wb = new Set(y.split(' '));
  let common = 0;
  for (const w of wa) if (wb.has(w)) common++;
  const dice = (2 * common) / (wa.size + wb.size);
  const edit = 1 - distance(x, y) / Math.max(x.length, y.length);
  return Math.max(dice, edit);
}

/** Whether an allergy entry says "no known allergies" rather than naming one. */
export function isNoAllergy(v: unknown): boolean {
  const s = normText(v);
  return NO_ALLERGY.some((re) => re.test(s));
}
