/**
 * Values that prove themselves: after the quote check (evidence.ts), every value is checked against its
 * own quote and against the other values, and carries the list of reasons to doubt it (`reasons`, codes in
 * core/contract/extraction.ts). A value with reasons has its confidence lowered; one without has none.
 *
 * Which parts of a value must be supported by its own quote:
 * - document date, facility, author; patient name, date of birth, sex, MRN: each by its own quote.
 * - diagnoses: the description; an ICD-10 code only when the quote prints a code (otherwise the code is
 *   the model's coding of the description); status is a judgement, not a printed value.
 * - medications: name, dose, route and frequency as filled; status is a judgement.
 * - lab results: test, value, unit and reference range as filled. The H/L flag may be derived from the
 *   range, so it is checked against the range instead. Collection dates are often printed once in a
 *   header: checked only when the quote prints a date.
 * - vitals: name, value, unit; the time as for collection dates. Procedures: the name; the date as for
 *   collection dates. Allergies: substance and reaction.
 * - document type: a classification of the whole document, never quoted.
 */
import type { Evidence, Extraction, LabResult, ValueCheck } from '../../../core/contract/extraction.js';
import { LOW_CONFIDENCE, VALUE_CHECKS } from '../../../core/contract/extraction.js';
import { dateInText, dayStamp, isoDay, mentionsDate } from './dates.js';
import { frequencyInQuote, routeInQuote } from './dosing.js';
import { numberInText, numbersIn, sameNumber } from './numbers.js';
import { quoteOcrConfidence, type OcrWord } from './ocr.js';
import { flagContradictsRange, numericValue } from './ranges.js';
import { checkIcd10cm, isLoincCode } from '../../lab/index.js';
import { STAND_IN_SOURCE } from '../../../core/contract/deid.js';
import { identifierInQuote, textInQuote, words } from './text.js';
import { analyteOf, unitInQuote, unitMismatch } from './units.js';

export interface GroundingOptions {
  /** Today, for dates in the future. Default: now. */
  now?: Date;
  /** A value the extractor was less sure of than this is flagged `low_confidence`. Default 0.6. */
  lowConfidence?: number;
  /** Quoted OCR words whose mean confidence (0–100) is below this are flagged `low_ocr_confidence`. Default 70. */
  lowOcrConfidence?: number;
}

export const DEFAULT_LOW_OCR_CONFIDENCE = 70;

/** What a page tells the checks: whether it was read by OCR, and its words' confidences. */
export interface GroundingPage {
  ocr: boolean;
  words: readonly OcrWord[] | null;
}

/** The most confidence a value keeps when a check fails (low OCR confidence also scales it). */
const CONFIDENCE_CAP: Readonly<Record<ValueCheck, number>> = {
  quote_not_on_page: 0.2,
  no_evidence: 0.3,
  value_not_in_quote: 0.3,
  flag_contradicts_range: 0.4,
  implausible_date: 0.3,
  unit_mismatch: 0.4,
  value_fits_other_row: 0.4,
  low_ocr_confidence: 0.5,
  low_confidence: 1,
  icd10_not_in_list: 0.5,
  loinc_not_valid: 0.5,
  deid_unresolved: 0.2,
};

/** A de-identification stand-in the restore could not resolve (an unknown token, or one the prompt never held). */
const STAND_IN = new RegExp(STAND_IN_SOURCE);

// ---------------------------------------------------------------------------------------------------
// Is one part of a value in its quote?

type Kind = 'text' | 'identifier' | 'date' | 'date_if_printed' | 'measured' | 'unit' | 'frequency' | 'route' | 'sex' | 'icd10' | 'lab_test' | 'vital';
type Part = readonly [value: unknown, kind: Kind];

/** Words a frequency or dose value may carry that need not be printed ("1 tablet twice daily and"). */
const FILLER = new Set(['and', 'or', 'then', 'a', 'an', 'per', 'x', 'times', 'time', 'take', 'to', 'by', 'of']);

const SEX_WORDS: Record<string, RegExp> = {
  M: /\b(?:m|male|man|boy|mr|he|him|his)\b/,
  F: /\b(?:f|female|woman|girl|mrs|ms|miss|she|her|hers)\b/,
};

const VITAL_NAMES: ReadonlyArray<RegExp> = [
  /^(?:bp|blood pressure|b p|sbp|dbp|systolic|diastolic)$/,
  /^(?:hr|heart rate|pulse|pulse rate|p)$/,
  /^(?:rr|resp|respiratory rate|respirations|resp rate|respiration rate)$/,
  /^(?:t|temp|temperature|tmax)$/,
  /^(?:spo2|sp o2|o2 sat|o2 saturation|oxygen saturation|sat|sats|pulse ox|pulse oximetry)$/,
  /^(?:wt|weight|body weight)$/,
  /^(?:ht|height|length)$/,
  /^(?:bmi|body mass index)$/,
];

/** Whether some run of 1–4 words of the quote names the same thing as `name`, by the given name table. */
function namedInQuote(name: string, quote: string, groupOf: (s: string) => number | null): boolean {
  const want = groupOf(name);
  if (want === null) return false;
  const q = words(quote);
  for (let i = 0; i < q.length; i++) for (let n = 1; n <= 4 && i + n <= q.length; n++) if (groupOf(q.slice(i, i + n).join(' ')) === want) return true;
  return false;
}
const vitalOf = (s: string): number | null => {
  const i = VITAL_NAMES.findIndex((re) => re.test(words(s).join(' ')));
  return i >= 0 ? i : null;
};

/** A value written as text with numbers in it ("5 mg", "120/80", "<0.5", "2 puffs"): every number and every word or unit. */
function measuredInQuote(value: string, quote: string, ocr: boolean): boolean {
  const nums = numbersIn(value);
  for (const n of nums) if (!numberInText(n.negative ? -n.value : n.value, quote)) return false;
  let last = 0;
  const chunks: string[] = [];
  for (const n of nums) {
    chunks.push(value.slice(last, n.start));
    last = n.end;
  }
  chunks.push(value.slice(last));
  return chunks.every((c) => {
    const rest = words(c).filter((w) => !FILLER.has(w));
    return rest.length === 0 || unitInQuote(c, quote) || textInQuote(rest.join(' '), quote, { ocr });
  });
}

function supported(value: unknown, kind: Kind, quote: string, ocr: boolean): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (typeof value === 'number') return kind === 'measured' ? numberInText(value, quote) : textInQuote(String(value), quote, { ocr });
  if (typeof value !== 'string') return true;
  switch (kind) {
    case 'text':
      return textInQuote(value, quote, { ocr });
    case 'identifier':
      return identifierInQuote(value, quote, { ocr });
    case 'date':
      return isoDay(value) ? dateInText(value, quote) : textInQuote(value, quote, { ocr });
    case 'date_if_printed':
      return !mentionsDate(quote) || (isoDay(value) ? dateInText(value, quote) : textInQuote(value, quote, { ocr }));
    case 'measured':
      return measuredInQuote(value, quote, ocr);
    case 'unit':
      return unitInQuote(value, quote) || textInQuote(value, quote, { ocr });
    case 'frequency': {
      const f = frequencyInQuote(value, quote);
      if (f === null) return textInQuote(value, quote, { ocr });
      const rest = words(f.rest).filter((w) => !FILLER.has(w));
      return f.supported && (rest.length === 0 || measuredInQuote(rest.join(' '), quote, ocr));
    }
    case 'route':
      return routeInQuote(value, quote) ?? textInQuote(value, quote, { ocr });
    case 'sex': {
      const re = SEX_WORDS[value];
      return re ? re.test(words(quote).join(' ')) : true;
    }
    case 'icd10':
      return !/\b[A-TV-Z]\d{2}(?:\.\d{1,4})?[A-Z]?\b/i.test(quote) || identifierInQuote(value, quote, { ocr });
    case 'lab_test':
      return textInQuote(value, quote, { ocr }) || namedInQuote(value, quote, analyteOf);
    case 'vital':
      return textInQuote(value, quote, { ocr }) || namedInQuote(value, quote, vitalOf);
  }
}

// ---------------------------------------------------------------------------------------------------
// One value

interface Checked {
  evidence: Evidence | null;
  confidence: number;
  reasons?: ValueCheck[] | undefined;
}

interface Context {
  pages: ReadonlyMap<number, GroundingPage>;
  lowConfidence: number;
  lowOcrConfidence: number;
}

/** Sets `reasons` on one value from its parts and any cross-field findings, and lowers its confidence. */
function settle(v: Checked, parts: readonly Part[], extra: readonly ValueCheck[], ctx: Context): void {
  const reasons = new Set<ValueCheck>(extra);
  if (parts.some(([value]) => typeof value === 'string' && STAND_IN.test(value))) reasons.add('deid_unresolved');
  const ev = v.evidence;
  let ocrScale = 1;
  if (!ev) reasons.add('no_evidence');
  else {
    if (ev.found === false) reasons.add('quote_not_on_page');
    const page = ctx.pages.get(ev.page);
    const quote = typeof ev.quote === 'string' ? ev.quote : '';
    if (parts.some(([value, kind]) => !supported(value, kind, quote, page?.ocr ?? false))) reasons.add('value_not_in_quote');
    if (page?.words && page.words.length > 0) {
      const c = quoteOcrConfidence(quote, page.words);
      if (c !== null && c < ctx.lowOcrConfidence) {
        reasons.add('low_ocr_confidence');
        ocrScale = Math.max(0, c) / 100;
      }
    }
  }
  // A value doubted for a reason has that reason; "low confidence" is for the extractor's own doubt only.
  if (reasons.size === 0 && v.confidence < ctx.lowConfidence) reasons.add('low_confidence');
  let confidence = v.confidence;
  for (const r of reasons) confidence = Math.min(confidence, CONFIDENCE_CAP[r]);
  if (reasons.has('low_ocr_confidence')) confidence = Math.min(confidence, v.confidence * ocrScale);
  v.confidence = Math.round(confidence * 1000) / 1000;
  v.reasons = VALUE_CHECKS.filter((r) => reasons.has(r));
}

// ---------------------------------------------------------------------------------------------------
// Cross-field checks

const DAY_MS = 86_400_000;
const EARLIEST_BIRTH = Date.UTC(1880, 0, 1);

/** A lab row whose value is printed next to another row's test rather than its own (conservative). */
function fitsOtherRow(row: LabResult, rows: readonly LabResult[]): boolean {
  const v = numericValue(row.value);
  if (v === null || !row.evidence) return false;
  const others = rows.filter((r) => r !== row && r.test && words(r.test).join(' ') !== words(row.test).join(' '));
  const quote = row.evidence.quote ?? '';
  // The value is not in its own quote but is in another row's.
  if (!numberInText(v, quote)) return others.some((o) => o.evidence && o.evidence.quote !== quote && numberInText(v, o.evidence.quote ?? ''));
  // The quote names several tests: the name printed nearest before each occurrence of the value is another row's.
  const lower = quote.toLowerCase();
  const nameAt = (name: string): number[] => {
    const out: number[] = [];
    const n = name.toLowerCase();
    if (n.length < 2) return out;
    for (let i = lower.indexOf(n); i >= 0; i = lower.indexOf(n, i + 1)) out.push(i + n.length);
    return out;
  };
  const own = nameAt(row.test);
  const foreign = others.flatMap((o) =>
    o.test.toLowerCase().includes(row.test.toLowerCase()) || row.test.toLowerCase().includes(o.test.toLowerCase()) ? [] : nameAt(o.test),
  );
  if (foreign.length === 0) return false;
  const at = numbersIn(quote).filter((p) => sameNumber(p.value, Math.abs(v)));
  return (
    at.length > 0 &&
    at.every((p) => {
      const nearestOwn = Math.max(-1, ...own.filter((e) => e <= p.start));
      const nearestForeign = Math.max(-1, ...foreign.filter((e) => e <= p.start));
      return nearestForeign > nearestOwn;
    })
  );
}

/**
 * Checks every value of `x` in place: each field and item gets `reasons` and, when it has any, a lower
 * confidence. `pages` says which pages were read by OCR and how sure the OCR was of their words.
 */
export function groundExtraction(x: Extraction, pages: ReadonlyMap<number, GroundingPage>, opts: GroundingOptions = {}): void {
  const ctx: Context = {
    pages,
    lowConfidence: opts.lowConfidence ?? LOW_CONFIDENCE,
    lowOcrConfidence: opts.lowOcrConfidence ?? DEFAULT_LOW_OCR_CONFIDENCE,
  };
  const tomorrow = (opts.now ?? new Date()).getTime() + DAY_MS;
  const stamp = (v: string | null | undefined): number | null => {
    const d = typeof v === 'string' ? isoDay(v) : null;
    return d ? dayStamp(d) : null;
  };
  const docDate = stamp(x.document.date.value);
  const dob = stamp(x.patient.date_of_birth.value);
  const future = (t: number | null) => t !== null && t > tomorrow;
  /** An event date (collection, procedure) that is in the future or before the patient was born. */
  const implausibleEvent = (v: string | null | undefined): ValueCheck[] => {
    const t = stamp(v);
    return future(t) || (t !== null && dob !== null && t < dob) ? ['implausible_date'] : [];
  };
  const scalar = (f: Checked & { value: unknown }, parts: readonly Part[], extra: readonly ValueCheck[] = []) => {
    if (f.value === null || f.value === undefined || f.value === '') {
      f.reasons = [];
      return;
    }
    settle(f, parts, extra, ctx);
  };

  const d = x.document;
  scalar(d.type, []);
  scalar(d.date, [[d.date.value, 'date']], future(docDate) ? ['implausible_date'] : []);
  scalar(d.facility, [[d.facility.value, 'text']]);
  scalar(d.author, [[d.author.value, 'text']]);
  const p = x.patient;
  const dobImplausible = dob !== null && (future(dob) || dob < EARLIEST_BIRTH || (docDate !== null && dob > docDate));
  scalar(p.name, [[p.name.value, 'text']]);
  scalar(p.date_of_birth, [[p.date_of_birth.value, 'date']], dobImplausible ? ['implausible_date'] : []);
  scalar(p.sex, [[p.sex.value, 'sex']]);
  scalar(p.mrn, [[p.mrn.value, 'identifier']]);

  for (const i of x.diagnoses)
    settle(
      i,
      [
        [i.description, 'text'],
        [i.icd10, 'icd10'],
      ],
      // A printed code that is not in the code list is kept, and a person is asked to look at it.
      i.icd10 && i.icd10.trim() !== '' && !checkIcd10cm(i.icd10).valid ? ['icd10_not_in_list'] : [],
      ctx,
    );
  for (const i of x.medications)
    settle(
      i,
      [
        [i.name, 'text'],
        [i.strength, 'measured'],
        [i.route, 'route'],
        [i.frequency, 'frequency'],
      ],
      [],
      ctx,
    );
  for (const i of x.lab_results) {
    const extra: ValueCheck[] = [...implausibleEvent(i.collected_at)];
    if (flagContradictsRange(i.flag, i.value, i.reference_range)) extra.push('flag_contradicts_range');
    if (unitMismatch(i.test, i.unit)) extra.push('unit_mismatch');
    if (fitsOtherRow(i, x.lab_results)) extra.push('value_fits_other_row');
    if (i.loinc && i.loinc.trim() !== '' && !isLoincCode(i.loinc.trim())) extra.push('loinc_not_valid');
    settle(
      i,
      [
        [i.test, 'lab_test'],
        // A printed code is copied from the row: one the quote does not show was not read from it.
        [i.loinc, 'identifier'],
        [i.value, 'measured'],
        [i.unit, 'unit'],
        [i.reference_range, 'measured'],
        [i.collected_at, 'date_if_printed'],
      ],
      extra,
      ctx,
    );
  }
  for (const i of x.vitals)
    settle(
      i,
      [
        [i.name, 'vital'],
        [i.value, 'measured'],
        [i.unit, 'unit'],
        [i.taken_at, 'date_if_printed'],
      ],
      implausibleEvent(i.taken_at),
      ctx,
    );
  for (const i of x.procedures)
    settle(
      i,
      [
        [i.name, 'text'],
        [i.date, 'date_if_printed'],
      ],
      implausibleEvent(i.date),
      ctx,
    );
  for (const i of x.allergies)
    settle(
      i,
      [
        [i.substance, 'text'],
        [i.reaction, 'text'],
      ],
      [],
      ctx,
    );
}

/**
 * The reasons to doubt a stored value: its `reasons` when verification set them; for an extraction stored
 * before the checks existed, what can still be told (no evidence, quote not found, low confidence).
 */
export function reasonsOf(v: Checked, lowConfidence = LOW_CONFIDENCE): ValueCheck[] {
  const out = new Set<ValueCheck>(v.reasons ?? []);
  if (v.reasons === undefined) {
    if (!v.evidence) out.add('no_evidence');
    else if (v.evidence.found === false) out.add('quote_not_on_page');
  }
  if (out.size === 0 && !(typeof v.confidence === 'number' && v.confidence >= lowConfidence)) out.add('low_confidence');
  return VALUE_CHECKS.filter((r) => out.has(r));
}
