/**
 * Lab semantics shared by every export (the workbook, the JSON download, FHIR): a result's value read as
 * a number or text, its unit as UCUM, its reference range as numbers, a flag computed when the document
 * prints none (marked as computed), and a LOINC code (printed, or mapped from the test name and marked
 * as a mapping). Also ICD-10-CM code checks and the vital signs' LOINC codes.
 *
 * Wherever LOINC codes or names are shipped, LOINC_NOTICE must be shipped with them.
 */
import type { Extraction, LabFlag, LabResult, LabSemantics, Sex } from '../../core/contract/extraction.js';
import { loincFor, type LoincMatch } from './loinc.js';
import { computeFlag, computeQualitativeFlag, readReferenceRange, type RangeReading } from './ranges.js';
import { readUnit, type UnitReading } from './units.js';
import { readLabValue, readSignedNumber, readComparator, type LabValue } from './values.js';

export { checkIcd10cm, type Icd10Check } from './icd10cm.js';
export { isLoincCode, loincEntry, loincFor, panelLoincFor, LOINC_NOTICE, type LoincContext, type LoincMatch } from './loinc.js';
export { LOINC_PANELS, LOINC_TESTS, type LoincEntry } from './loinc-table.js';
export { computeFlag, computeQualitativeFlag, readReferenceRange, type Interval, type RangeReading, type SexInterval } from './ranges.js';
export { isValidUcum, readUnit, unitKind, type UnitKind, type UnitReading } from './units.js';
export { readBloodPressure, readLabValue, type Comparator, type LabValue } from './values.js';
export { VITAL_SIGN_CODES, vitalSignLoinc, type VitalSign, type VitalSignMatch } from './vitals.js';

/** Everything exporters show for one lab result. */
export interface LabInterpretation {
  value: LabValue;
  unit: UnitReading | null;
  range: RangeReading | null;
  /** The printed flag, or a computed one (computed: true) when none was printed. */
  flag: { value: LabFlag | null; computed: boolean };
  loinc: LoincMatch | null;
  /** Plain-words problems for a person (never document text), e.g. 'unit "foo" is not a UCUM unit nor in the table'. */
  problems: string[];
}

/** What interpretLabResult reads of a result: the contract's fields, a printed LOINC code, and where the result was listed. */
export type LabResultInput = Pick<LabResult, 'test' | 'value' | 'unit' | 'reference_range' | 'flag'> & {
  loinc?: string | null;
  panel?: string | null;
  specimen?: string | null;
};

/**
 * A value that carries its unit ("14,200 /uL", "<5 mg/L") when the unit field is empty: the number and the
 * unit apart, when the rest reads as a unit; null otherwise.
 */
function splitValueAndUnit(value: string): { value: LabValue; unit: string } | null {
  const bound = readComparator(value.trim());
  const body = bound ? bound.rest : value.trim();
  const m = /^([-+\u2212]?[\d.,']+)\s*(\S.*)$/.exec(body);
  if (!m) return null;
  const n = readSignedNumber(m[1]!);
  const unit = readUnit(m[2]!);
  if (n === null || unit?.ucum == null) return null;
  return { value: { number: n, comparator: bound?.comparator ?? null, text: null }, unit: m[2]! };
}

/**
 * Everything exporters show for one lab result. The patient's sex chooses between the parts of a range
 * printed by sex; without it such a range has no bounds (and no flag is computed from it).
 */
export function interpretLabResult(result: LabResultInput, patientSex?: Sex | null): LabInterpretation {
  const problems: string[] = [];
  let value = readLabValue(result.value);
  let unitText = result.unit;
  if ((unitText === null || unitText.trim() === '') && value.text !== null) {
    const split = splitValueAndUnit(value.text);
    if (split) ({ value, unit: unitText } = split);
  }

  const unit = readUnit(unitText);
  if (unit && unit.ucum === null) problems.push(`unit "${unit.printed}" is neither a UCUM unit nor one the table of lab spellings knows; kept as printed`);

  const range = readReferenceRange(result.reference_range, patientSex);
  const printedRange = result.reference_range?.trim() ?? '';
  if (range && range.low === null && range.high === null && range.bySex.length > 0) {
    problems.push(
      patientSex === 'M' || patientSex === 'F'
        ? "the reference range is given by sex and has no interval for the patient's sex: no bounds taken"
        : "the reference range is given by sex and the patient's sex is not known: no bounds taken",
    );
  } else if (!range && printedRange !== '' && /\d/.test(printedRange)) {
    problems.push('the reference range could not be read as numbers');
  }

  let flag: LabInterpretation['flag'] = { value: result.flag, computed: false };
  if (result.flag === null) {
    const computed = computeFlag(value, range) ?? computeQualitativeFlag(value.text, result.reference_range);
    if (computed !== null) flag = { value: computed, computed: true };
    else if (value.comparator !== null && range && (range.low !== null || range.high !== null)) {
      problems.push('the value is a bound (such as "<5"), not a number, so no flag can be computed against this range');
    }
  }

  const loinc = loincFor(result.test, result.loinc, unitText, { panel: result.panel, specimen: result.specimen });
  const printedCode = result.loinc?.trim() ?? '';
  if (printedCode !== '' && loinc?.source !== 'printed')
    problems.push(`the printed LOINC code "${printedCode}" is not a valid LOINC code (format or check digit)`);

  return { value, unit, range, flag, loinc, problems };
}

/** Every lab result of an extraction as the exports show it beyond the printed text, in the order of `lab_results`. */
export function labSemantics(x: Extraction): LabSemantics[] {
  const sex = x.patient.sex.review?.state === 'rejected' ? null : x.patient.sex.value;
  return x.lab_results.map((r) => {
    const lab = interpretLabResult(r, sex);
    return {
      ucum: lab.unit?.ucum ?? null,
      range_low: lab.range?.low ?? null,
      range_high: lab.range?.high ?? null,
      flag: lab.flag.value,
      flag_computed: lab.flag.computed,
      loinc: lab.loinc?.code ?? null,
      loinc_display: lab.loinc?.display ?? null,
      loinc_source: lab.loinc?.source ?? null,
      loinc_confidence: lab.loinc ? Math.round(lab.loinc.confidence * 100) / 100 : null,
      problems: lab.problems,
    };
  });
}
