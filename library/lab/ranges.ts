/**
 * Reference ranges as labs print them, read into numeric bounds that keep their inclusive/exclusive
 * sense: "13.5-17.5" and "13.5 – 17.5" (both bounds inclusive), "4,500-11,000", "< 100" (exclusive) and
 * "≤ 100" / "<=100" / "Up to 40" (inclusive), "> 40", "≥ 60", "60 or more", "between 10 and 20",
 * "-2 to +2", a unit after the interval ("0.2-1.2 mg/dL", "50-70%"), a remark after it
 * ("<100 (<70 DM)"). Ranges by sex ("M: 13.5-17.5 F: 12.0-15.5", "Male 13.5-17.5 / Female 12-15.5") are
 * read part by part and the patient's part is chosen; with the sex unknown, the reading keeps the parts
 * but has no bounds (a bound from the wrong sex would flag a normal value). Any other range with several
 * intervals (by age, by phase) and qualitative ranges ("Negative") have no numeric reading.
 */
import type { Sex } from '../../core/contract/extraction.js';
import { readComparator, readSignedNumber, type LabValue } from './values.js';

/** One interval; a null bound is open (its inclusive flag is then false). */
export interface Interval {
  low: number | null;
  high: number | null;
  lowInclusive: boolean;
  highInclusive: boolean;
}

/** The interval a sex-specific range gives one sex. */
export interface SexInterval extends Interval {
  sex: 'M' | 'F';
}

/** A reference range as numbers; text is what was printed; sex is set when the range chosen was a sex-specific part ("M: 13.5-17.5; F: 12-15.5"). */
export interface RangeReading extends Interval {
  text: string;
  sex: 'M' | 'F' | null;
  /** The parts of a range printed by sex (empty for a single interval), for exporters that state each (FHIR referenceRange.appliesTo). */
  bySex: SexInterval[];
}

const NUM = String.raw`[-+\u2212]?(?:\d[\d.,']*|[.,]\d+)`;
const BETWEEN = new RegExp(String.raw`^(${NUM})\s*(?:-|–|—|~|to|\.\.)\s*(${NUM})$`, 'i');
const BETWEEN_WORDS = new RegExp(String.raw`^(?:between|from)\s+(${NUM})\s+(?:and|to)\s+(${NUM})$`, 'i');
const OR_MORE = new RegExp(String.raw`^(${NUM})\s*(?:or|and)\s+(?:more|above|greater|higher|over)$`, 'i');
const OR_LESS = new RegExp(String.raw`^(${NUM})\s*(?:or|and)\s+(?:less|below|lower|under|fewer)$`, 'i');
const TRAILING_UNIT = /\s*(?:[a-zµμ%/^*°][\w/^*µμ%.°²³⁹]*\s*)+$/iu;
const TRAILING_POWER_UNIT = /\s+(?:[x×*]\s*)?10\s*(?:\^|\*\*?|e)?\s*[\d⁰¹²³⁴⁵⁶⁷⁸⁹]+\s*\/\s*\S+$/iu;
/** "Reference range:", "Ref.", "Normal", "Desirable:", "Adult": words before the interval. */
const LEADING_LABEL =
  /^(?:(?:ref(?:erence)?\.?|normal|biological)(?:\s*(?:range|interval|values?))?|range|desirable|optimal|target|adults?)\s*(?::\s*|=\s*|\s+)/i;
const QUALITATIVE = /^[a-z\s-]+$/i;

const interval = (low: number | null, lowInclusive: boolean, high: number | null, highInclusive: boolean): Interval | null =>
  low !== null && high !== null && low > high ? null : { low, high, lowInclusive: low !== null && lowInclusive, highInclusive: high !== null && highInclusive };

/** Exactly one interval in `s` (already without labels and brackets); null otherwise. */
function readOneInterval(raw: string): Interval | null {
  const s = raw.replace(/\u2212/g, '-').trim();
  const moreOrLess = OR_MORE.exec(s) ?? OR_LESS.exec(s);
  if (moreOrLess) {
    const n = readSignedNumber(moreOrLess[1]!);
    if (n === null) return null;
    return OR_MORE.test(s) ? interval(n, true, null, false) : interval(null, false, n, true);
  }
  const bare = s.replace(TRAILING_POWER_UNIT, '').replace(TRAILING_UNIT, '').trim();
  const between = BETWEEN.exec(bare) ?? BETWEEN_WORDS.exec(bare);
  if (between) {
    const low = readSignedNumber(between[1]!);
    const high = readSignedNumber(between[2]!);
    return low === null || high === null ? null : interval(low, true, high, true);
  }
  const bound = readComparator(bare);
  if (bound) {
    const n = readSignedNumber(bound.rest);
    if (n === null) return null;
    switch (bound.comparator) {
      case '<':
        return interval(null, false, n, false);
      case '<=':
        return interval(null, false, n, true);
      case '>':
        return interval(n, false, null, false);
      case '>=':
        return interval(n, true, null, false);
    }
  }
  return null;
}

/** One interval, also when a label leads it or remarks in brackets follow it ("Desirable: <200", "<100 (<70 DM)"). */
function readInterval(printed: string): Interval | null {
  let s = printed.trim().replace(LEADING_LABEL, '');
  const bracketed = /^[([]\s*(.*?)\s*[)\]]$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  for (let i = 0; i < 3; i++) {
    const read = readOneInterval(s);
    if (read) return read;
    const withoutRemark = s.replace(/\s*[([][^()[\]]*[)\]]\s*$/, '');
    if (withoutRemark === s || withoutRemark === '') return null;
    s = withoutRemark;
  }
  return null;
}

const SEX_LABEL =
  /(?<![\p{L}\d])(males?|men|man|m|females?|women|woman|f)(?![\p{L}])\s*[:=]?\s*(?=[<>≤≥+\-\u2212.\d]|up\s*to|less|more|greater|below|above)/giu;

/** A range printed by sex, part by part; null when `s` is not one (or a part cannot be read). */
function readBySex(s: string): SexInterval[] | null {
  const labels = [...s.matchAll(SEX_LABEL)];
  if (labels.length === 0) return null;
  // Nothing but a label ("Ref:") may come before the first sex.
  if (
    s
      .slice(0, labels[0]!.index)
      .replace(LEADING_LABEL, '')
      .replace(/[\s:;,]+/g, '') !== ''
  )
    return null;
  const parts: SexInterval[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const sex = label[1]!.toLowerCase().startsWith('m') ? 'M' : 'F';
    const end = i + 1 < labels.length ? labels[i + 1]!.index : s.length;
    const part = s
      .slice(label.index + label[0].length, end)
      .replace(/[\s;,/|]+(?:and)?[\s;,/|]*$/i, '')
      .trim();
    const read = readInterval(part);
    if (read === null || parts.some((p) => p.sex === sex)) return null;
    parts.push({ sex, ...read });
  }
  return parts;
}

/** A reference range as numbers; null when it holds no interval that can be read. */
export function readReferenceRange(text: string | null, patientSex?: Sex | null): RangeReading | null {
  if (text === null) return null;
  const printed = text.trim();
  if (printed === '' || QUALITATIVE.test(printed)) return null;
  const bySex = readBySex(printed);
  if (bySex) {
    const chosen = bySex.find((p) => p.sex === patientSex);
    if (chosen) {
      const { sex, ...bounds } = chosen;
      return { ...bounds, text: printed, sex, bySex };
    }
    return { low: null, high: null, lowInclusive: false, highInclusive: false, text: printed, sex: null, bySex };
  }
  const one = readInterval(printed);
  return one ? { ...one, text: printed, sex: null, bySex: [] } : null;
}

// ---------------------------------------------------------------------------------------------------
// Flags

/** An end of an interval: a value, and whether the interval holds it. */
interface End {
  at: number;
  closed: boolean;
}

/**
 * H / L / normal from value and range; null when either is not numeric or a comparator makes it
 * undecidable. A value with a comparator stands for every number it allows: "<5" is normal against
 * "<200", low against "10-20", undecidable against "3-10". A value on an exclusive bound is outside
 * ("< 100" makes 100 high); on an inclusive one, inside.
 */
export function computeFlag(value: LabValue, range: RangeReading | null): 'H' | 'L' | 'normal' | null {
  if (value.number === null || range === null || (range.low === null && range.high === null)) return null;
  const n = value.number;
  // The values the result allows, as an interval.
  const from: End =
    value.comparator === '>' || value.comparator === '>='
      ? { at: n, closed: value.comparator === '>=' }
      : value.comparator === null
        ? { at: n, closed: true }
        : { at: -Infinity, closed: false };
  const to: End =
    value.comparator === '<' || value.comparator === '<='
      ? { at: n, closed: value.comparator === '<=' }
      : value.comparator === null
        ? { at: n, closed: true }
        : { at: Infinity, closed: false };
  const low: End = range.low === null ? { at: -Infinity, closed: false } : { at: range.low, closed: range.lowInclusive };
  const high: End = range.high === null ? { at: Infinity, closed: false } : { at: range.high, closed: range.highInclusive };

  const below = to.at < low.at || (to.at === low.at && !(to.closed && low.closed));
  if (below) return 'L';
  const above = from.at > high.at || (from.at === high.at && !(from.closed && high.closed));
  if (above) return 'H';
  const insideLow = from.at > low.at || (from.at === low.at && (low.closed || !from.closed));
  const insideHigh = to.at < high.at || (to.at === high.at && (high.closed || !to.closed));
  return insideLow && insideHigh ? 'normal' : null;
}

const NEGATIVE = /^(?:neg(?:ative)?|non[\s-]?reactive|not\s+detected|undetected|none\s+detected|absent|nil|none(?:\s+seen)?|not\s+seen|no\s+growth)\.?$/i;
const POSITIVE = /^(?:pos(?:itive)?|reactive|detected|present|seen|[1-4]\+|\+{1,4})\.?$/i;

/**
 * A flag for a qualitative result against a qualitative range: "Negative" against "Negative" is
 * normal, "Positive" (or "2+", "Detected") against it abnormal; anything else (a "Trace", a range that
 * is not a negative word) undecided.
 */
export function computeQualitativeFlag(value: string | null, range: string | null): 'abnormal' | 'normal' | null {
  if (value === null || range === null || !NEGATIVE.test(range.trim())) return null;
  const v = value.trim();
  if (NEGATIVE.test(v)) return 'normal';
  if (POSITIVE.test(v)) return 'abnormal';
  return null;
}
