/**
 * Units through a small normalisation table ("mcg" = "µg" = "ug", "x10^9/L" = "10*9/l" = "K/uL",
 * "mm Hg" = "mmHg") and a small table of what a few common tests are measured in, by dimension (a
 * haemoglobin is a mass or substance concentration, never a cell count). A unit or a test neither table
 * knows is never judged.
 */
import { normaliseForMatch } from '../match-text.js';
import { words } from './text.js';

/** Spellings folded before comparing (applied in order to a lower-cased, space-free unit). */
const UNIT_FOLDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/[µμ]/g, 'u'],
  [/micrograms?|mcg/g, 'ug'],
  [/milligrams?|mgs/g, 'mg'],
  [/nanograms?/g, 'ng'],
  [/picograms?/g, 'pg'],
  [/kilograms?|kgs/g, 'kg'],
  [/grams?|gm|gr/g, 'g'],
  [/millilit(?:re|er)s?|mls/g, 'ml'],
  [/decilit(?:re|er)s?/g, 'dl'],
  [/lit(?:re|er)s?/g, 'l'],
  [/millimoles?/g, 'mmol'],
  [/micromoles?|mcmol/g, 'umol'],
  [/millimet(?:re|er)s?ofmercury|mmofhg/g, 'mmhg'],
  [/beats?(?:per|\/)min(?:ute)?|bpm|\/min/g, '/min'],
  [/breaths?(?:per|\/)min(?:ute)?|rpm/g, '/min'],
  [/percent|pct/g, '%'],
  [/°|º|deg(?:rees?)?/g, 'deg'],
  [/^(?:deg)?c(?:elsius)?$/g, 'degc'],
  [/^(?:deg)?f(?:ahrenheit)?$/g, 'degf'],
  [/pounds?|lbs/g, 'lb'],
  [/inch(?:es)?|"/g, 'in'],
  [/internationalunits?|iu/g, 'iu'],
  [/units?/g, 'u'],
  [/\*\*|\^|\*|e(?=\d)/g, '^'],
];

/** Units written as counts per volume: all of these mean the same thing. */
const COUNT_PER_NL = new Set([
  'x10^9/l',
  '10^9/l',
  'g/l(count)',
  'k/ul',
  'x10^3/ul',
  '10^3/ul',
  'thou/ul',
  'k/mm3',
  'x10^3/mm3',
  '10^3/mm3',
  'k/cumm',
  'thou/cumm',
]);
const COUNT_PER_PL = new Set(['x10^12/l', '10^12/l', 'm/ul', 'x10^6/ul', '10^6/ul', 'mill/ul', 'mil/ul', 'm/mm3', 'x10^6/mm3', '10^6/mm3', 'mill/cumm']);

/** The canonical spelling of a unit; '' for an empty one. */
export function canonicalUnit(unit: string): string {
  let s = normaliseForMatch(unit)
    .replace(/\s+/g, '')
    .replace(/percent|pct/g, '%')
    .replace(/^per(?=[a-z])/, '/');
  for (const [re, to] of UNIT_FOLDS) s = s.replace(re, to);
  s = s.replace(/×/g, 'x');
  if (COUNT_PER_NL.has(s)) return '10^9/l';
  if (COUNT_PER_PL.has(s)) return '10^12/l';
  if (s === 'iu/l') return 'u/l'; // enzyme activity: IU/L and U/L are used interchangeably
  return s;
}

/** Whether the unit `value` is printed in `quote` (as any spelling of the same unit). */
export function unitInQuote(value: string, quote: string): boolean {
  const want = canonicalUnit(value);
  if (want === '') return true;
  // Candidate spellings: every run of 1–4 space-separated tokens, with a number glued in front taken off.
  const tokens = normaliseForMatch(quote)
    .split(/\s+/)
    .filter((t) => t !== '');
  for (let i = 0; i < tokens.length; i++) {
    for (let n = 1; n <= 4 && i + n <= tokens.length; n++) {
      const raw = tokens.slice(i, i + n).join('');
      const trimmed = raw.replace(/[),;:]+$/, '').replace(/^[(]+/, '');
      for (const c of [trimmed, trimmed.replace(/^(?:[<>≤≥=~\-–]*\d+(?:[.,]\d+)?(?![\d^*]|e\d))+/, '')]) {
        if (c !== '' && canonicalUnit(c) === want) return true;
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Dimensions

type Dimension =
  'mass_concentration' | 'substance_concentration' | 'count_concentration' | 'activity_concentration' | 'fraction' | 'volume' | 'mass' | 'unitless';

const MASS = /^(?:kg|g|mg|ug|ng|pg)$/;
const SUBSTANCE = /^(?:mol|mmol|umol|nmol|pmol|meq|mosm)$/;
const VOLUME = /^(?:l|dl|ml|ul|nl|fl|mm3|cumm)$/;
const ACTIVITY = /^(?:u|iu|mu|miu|uiu|ukat|kat|mkat)$/;

function dimensionOf(unit: string): Dimension | null {
  const u = canonicalUnit(unit);
  if (u === '%' || u === 'l/l' || u === 'ratio' || u === 'fraction') return 'fraction';
  if (u === '10^9/l' || u === '10^12/l' || /^(?:x?10\^\d+|cells)\/(?:l|ul|mm3)$/.test(u)) return 'count_concentration';
  if (u === 'fl') return 'volume';
  if (u === 'pg') return 'mass';
  const m = /^([a-z]+)\/([a-z0-9]+)$/.exec(u);
  if (!m) return null;
  const [, num, den] = m as unknown as [string, string, string];
  if (!VOLUME.test(den)) return null;
  if (MASS.test(num)) return 'mass_concentration';
  if (SUBSTANCE.test(num)) return 'substance_concentration';
  if (ACTIVITY.test(num)) return 'activity_concentration';
  return null;
}

/** A few common tests: how they are named and the dimensions their units may have. */
const ANALYTES: ReadonlyArray<{ names: RegExp; dimensions: readonly Dimension[] }> = [
  { names: /^(?:haemoglobin|hemoglobin|hgb|hb)$/, dimensions: ['mass_concentration', 'substance_concentration'] },
  { names: /^(?:haematocrit|hematocrit|hct|pcv)$/, dimensions: ['fraction'] },
  {
    names: /^(?:wbc|white (?:blood )?(?:cell )?count|wbc count|white blood cells|leukocytes|leucocytes|platelets?|plt|platelet count|neutrophils|lymphocytes)$/,
    dimensions: ['count_concentration'],
  },
  { names: /^(?:rbc|red (?:blood )?(?:cell )?count|red blood cells|erythrocytes)$/, dimensions: ['count_concentration'] },
  { names: /^(?:mcv|mean corpuscular volume)$/, dimensions: ['volume'] },
  { names: /^(?:sodium|na|potassium|k|chloride|cl|bicarbonate|hco3|co2)$/, dimensions: ['substance_concentration'] },
  {
    names:
      /^(?:glucose|fasting glucose|blood glucose|creatinine|urea|bun|blood urea nitrogen|calcium|ca|cholesterol|total cholesterol|ldl|hdl|ldl cholesterol|hdl cholesterol|triglycerides|uric acid|bilirubin|total bilirubin)$/,
    dimensions: ['mass_concentration', 'substance_concentration'],
  },
  { names: /^(?:albumin|total protein|protein)$/, dimensions: ['mass_concentration'] },
  { names: /^(?:alt|ast|alp|alkaline phosphatase|ggt|sgpt|sgot|ld|ldh|ck|creatine kinase|lipase|amylase)$/, dimensions: ['activity_concentration'] },
  { names: /^(?:hba1c|a1c|haemoglobin a1c|hemoglobin a1c|glycated haemoglobin|glycated hemoglobin)$/, dimensions: ['fraction', 'substance_concentration'] },
];

/** The analyte a test name stands for (its table row index), or null when the table does not know it. */
export function analyteOf(test: string): number | null {
  // "Neutrophils %", "Albumin/creatinine ratio": a share or a ratio of the analyte, not the analyte itself.
  if (/%|\bpercent|\bratio\b|\/|\bindex\b/i.test(test)) return null;
  const name = words(test.replace(/\(.*?\)/g, ' ')).join(' ');
  const i = ANALYTES.findIndex((a) => a.names.test(name));
  return i >= 0 ? i : null;
}

/** Whether a test and a unit contradict each other: only when both tables know them. */
export function unitMismatch(test: string, unit: string | null): boolean {
  if (!unit) return false;
  const analyte = analyteOf(test);
  const dim = dimensionOf(unit);
  if (analyte === null || dim === null) return false;
  return !ANALYTES[analyte]!.dimensions.includes(dim);
}
