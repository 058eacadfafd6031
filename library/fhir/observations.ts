/**
 * Lab results and vital signs as Observations, lab panels as DiagnosticReports. The lab library
 * (library/lab) reads values, units, ranges and codes; this module only says them in FHIR.
 */
import type { CodeableConcept, DiagnosticReport, Observation, ObservationComponent, ObservationReferenceRange } from '@medplum/fhirtypes';
import type { LabFlag, LabResult, Vital } from '../../core/contract/extraction.js';
import {
  interpretLabResult,
  isLoincCode,
  loincEntry,
  panelLoincFor,
  readBloodPressure,
  readLabValue,
  readUnit,
  VITAL_SIGN_CODES,
  vitalSignLoinc,
  type LoincMatch,
  type RangeReading,
  type UnitReading,
  type VitalSign,
} from '../lab/index.js';
import type { ValueRecord } from './evidence.js';
import { compact, concept, dateTimeFor, idOf, isLive, notes, quantity, refTo, text, unitWithoutUcum, type Context, type Made } from './context.js';
import { SYSTEM, type ValueProblem } from './profile.js';

const LAB_CATEGORY: CodeableConcept = { coding: [{ system: SYSTEM.observationCategory, code: 'laboratory', display: 'Laboratory' }] };
const VITAL_CATEGORY: CodeableConcept = { coding: [{ system: SYSTEM.observationCategory, code: 'vital-signs', display: 'Vital Signs' }] };
const LAB_SECTION: CodeableConcept = { coding: [{ system: SYSTEM.diagnosticServiceSection, code: 'LAB', display: 'Laboratory' }] };
/** The report code of lab results printed under no panel heading. */
const LAB_REPORT = { system: SYSTEM.loinc, code: '11502-2', display: 'Laboratory report' };

/** The lab's flag in v3-ObservationInterpretation. */
const INTERPRETATION: Record<LabFlag, { code: string; display: string }> = {
  H: { code: 'H', display: 'High' },
  L: { code: 'L', display: 'Low' },
  abnormal: { code: 'A', display: 'Abnormal' },
  normal: { code: 'N', display: 'Normal' },
};

const COMPUTED_FLAG = 'computed by MedExtract from the value and the reference range: the document prints no flag';

/** The lab result's printed LOINC code (absent in results stored before the contract had it). */
const printedLoincOf = (r: LabResult): string | null => text(r.loinc ?? null);

const loincCoding = (m: LoincMatch | null) => (m ? { system: SYSTEM.loinc, code: m.code, display: m.display } : null);

/** Sexes as referenceRange.appliesTo says them (SNOMED CT, the R4 example value set). */
const APPLIES_TO: Record<'M' | 'F', CodeableConcept> = {
  M: { coding: [{ system: SYSTEM.snomed, code: '248153007', display: 'Male' }], text: 'male' },
  F: { coding: [{ system: SYSTEM.snomed, code: '248152002', display: 'Female' }], text: 'female' },
};

/**
 * The range as printed (text) with its numeric bounds. FHIR's low and high are inclusive, so an exclusive
 * bound ("< 200") stays in the text only. A range printed by sex gives one entry per sex.
 */
function referenceRange(printed: string | null, range: RangeReading | null, unit: UnitReading | null): ObservationReferenceRange[] | undefined {
  const words = text(printed);
  if (!words) return undefined;
  const bounds = (i: { low: number | null; high: number | null; lowInclusive: boolean; highInclusive: boolean }): ObservationReferenceRange => {
    const out: ObservationReferenceRange = { text: words };
    if (i.low !== null && i.lowInclusive) out.low = quantity(i.low, unit);
    if (i.high !== null && i.highInclusive) out.high = quantity(i.high, unit);
    return out;
  };
  if (!range) return [{ text: words }];
  if (range.bySex.length > 0) return range.bySex.map((part) => ({ ...bounds(part), appliesTo: [APPLIES_TO[part.sex]] }));
  return [bounds(range)];
}

function labObservation(ctx: Context, r: LabResult, index: number): Made {
  const key = `lab_results/${index}`;
  const printedLoinc = printedLoincOf(r);
  const lab = interpretLabResult(
    { test: r.test, value: r.value, unit: r.unit, reference_range: r.reference_range, flag: r.flag, loinc: printedLoinc, panel: r.panel, specimen: r.specimen },
    ctx.sex,
  );
  const problems: ValueProblem[] = [];
  const record: ValueRecord = { pointer: `/${key}`, element: 'Observation', source: r, problems, remarks: lab.problems };
  if (printedLoinc && lab.loinc?.source !== 'printed') problems.push('loinc-not-valid');

  const obs: Observation = {
    resourceType: 'Observation',
    id: idOf(ctx, key),
    status: 'final',
    category: [LAB_CATEGORY],
    code: concept(r.test, loincCoding(lab.loinc)),
    subject: refTo(ctx, 'patient'),
  };
  if (ctx.hasEncounter) obs.encounter = refTo(ctx, 'encounter');
  const when = dateTimeFor(r.collected_at, record);
  if (when) obs.effectiveDateTime = when;

  let unitNote: string | null = null;
  if (lab.value.number !== null) {
    obs.valueQuantity = quantity(lab.value.number, lab.unit, lab.value.comparator);
    if (unitWithoutUcum(lab.unit)) problems.push('unit-not-ucum');
  } else if (lab.value.text !== null) {
    obs.valueString = lab.value.text;
    // A text value has no unit of its own in FHIR; the printed unit stays readable beside it.
    if (lab.unit && lab.unit.printed.trim() !== '') unitNote = `Unit as printed: ${lab.unit.printed}`;
  } else {
    obs.dataAbsentReason = { coding: [{ system: SYSTEM.dataAbsentReason, code: 'unknown', display: 'Unknown' }] };
  }
  // A flag the document does not print is computed from the value and the range, and says so where a reader looks.
  if (lab.flag.value) {
    const coding = { system: SYSTEM.interpretation, ...INTERPRETATION[lab.flag.value] };
    obs.interpretation = [lab.flag.computed ? { coding: [coding], text: `${coding.display} (${COMPUTED_FLAG})` } : { coding: [coding] }];
    if (lab.flag.computed) record.remarks = [...(record.remarks ?? []), `flag ${COMPUTED_FLAG}`];
  }
  const ranges = referenceRange(r.reference_range, lab.range, lab.value.number !== null ? lab.unit : null);
  if (ranges) obs.referenceRange = ranges;
  if (text(r.specimen)) obs.specimen = { display: r.specimen! };
  const n = notes(problems, [unitNote]);
  if (n) obs.note = n;
  return { key, resource: obs, values: [record] };
}

/** A panel's LOINC code: as printed beside its name when valid, else from the lab library's panel table. */
function panelCode(first: LabResult, panel: string): LoincMatch | null {
  const printed = text(first.panel_loinc ?? null);
  if (printed && isLoincCode(printed)) return { code: printed, display: loincEntry(printed)?.display ?? panel, source: 'printed', confidence: 1 };
  return panelLoincFor(panel);
}

/** One DiagnosticReport per printed panel (in order of appearance), and one for results under no panel. */
function labReports(ctx: Context, observations: Array<{ made: Made; result: LabResult; index: number }>): Made[] {
  const groups = new Map<string, Array<{ made: Made; result: LabResult; index: number }>>();
  for (const o of observations) {
    const panel = text(o.result.panel) ?? '';
    const group = groups.get(panel) ?? [];
    group.push(o);
    groups.set(panel, group);
  }
  const facility = ctx.extraction.document.facility;
  const performer = isLive(facility) && text(facility.value) ? [{ display: facility.value! }] : undefined;
  return [...groups.entries()].map(([panel, members]) => {
    const key = `lab_panels/${members[0]!.index}`;
    const dates = new Set(members.map((m) => (m.made.resource as Observation).effectiveDateTime ?? ''));
    const report: DiagnosticReport = compact({
      resourceType: 'DiagnosticReport',
      id: idOf(ctx, key),
      status: 'final',
      category: [LAB_SECTION],
      code: panel ? concept(panel, loincCoding(panelCode(members[0]!.result, panel))) : concept(LAB_REPORT.display, LAB_REPORT),
      subject: refTo(ctx, 'patient'),
      encounter: ctx.hasEncounter ? refTo(ctx, 'encounter') : undefined,
      effectiveDateTime: dates.size === 1 && !dates.has('') ? [...dates][0] : undefined,
      performer,
      result: members.map((m) => refTo(ctx, m.made.key)),
    } satisfies DiagnosticReport);
    return { key, resource: report, values: [] };
  });
}

export function labResources(ctx: Context): Made[] {
  const observations = ctx.extraction.lab_results.flatMap((result, index) =>
    isLive(result) ? [{ made: labObservation(ctx, result, index), result, index }] : [],
  );
  if (observations.length === 0) return [];
  return [...observations.map((o) => o.made), ...labReports(ctx, observations)];
}

// ---------------------------------------------------------------------------------------------------
// Vital signs

/** A vital sign's standard code from the lab library's table. */
const vitalCode = (vital: VitalSign): LoincMatch | null => {
  const v = VITAL_SIGN_CODES.find((c) => c.vital === vital);
  return v ? { code: v.code, display: v.display, source: 'mapped', confidence: 1 } : null;
};
const MMHG = /^mm\s*\[?hg\]?$/i;

/** The codes of a vital: its own and any the FHIR vital-signs profile asks for beside it (pulse oximetry). */
function vitalConcept(name: string, match: ReturnType<typeof vitalSignLoinc>): CodeableConcept {
  if (!match) return { text: name };
  return {
    coding: [
      { system: SYSTEM.loinc, code: match.code, display: match.display },
      ...match.additional.map((a) => ({ system: SYSTEM.loinc, code: a.code, display: a.display })),
    ],
    text: name,
  };
}

function vitalObservation(ctx: Context, v: Vital, index: number): Made {
  const key = `vitals/${index}`;
  const problems: ValueProblem[] = [];
  const record: ValueRecord = { pointer: `/${key}`, element: 'Observation', source: v, problems };
  const loinc = vitalSignLoinc(v.name);
  const unit = readUnit(v.unit);
  const obs: Observation = {
    resourceType: 'Observation',
    id: idOf(ctx, key),
    status: 'final',
    category: [VITAL_CATEGORY],
    code: vitalConcept(v.name, loinc),
    subject: refTo(ctx, 'patient'),
  };
  if (ctx.hasEncounter) obs.encounter = refTo(ctx, 'encounter');
  const when = dateTimeFor(v.taken_at, record);
  if (when) obs.effectiveDateTime = when;

  const bp = readBloodPressure(v.value);
  const systolic = vitalCode('systolic');
  const diastolic = vitalCode('diastolic');
  if (bp && systolic && diastolic && (loinc?.vital === 'blood_pressure' || (unit !== null && MMHG.test(unit.printed.trim())))) {
    // "120/80" printed as one vital: the blood pressure panel with its systolic and diastolic parts.
    if (loinc?.vital !== 'blood_pressure') obs.code = { text: v.name };
    const component = (m: LoincMatch, value: number): ObservationComponent => ({
      code: concept(m.display, loincCoding(m)),
      valueQuantity: quantity(value, unit),
    });
    obs.component = [component(systolic, bp.systolic), component(diastolic, bp.diastolic)];
    if (unitWithoutUcum(unit)) problems.push('unit-not-ucum');
  } else {
    const value = readLabValue(v.value);
    if (value.number !== null) {
      obs.valueQuantity = quantity(value.number, unit, value.comparator);
      if (unitWithoutUcum(unit)) problems.push('unit-not-ucum');
    } else if (value.text !== null) obs.valueString = value.text;
    else obs.dataAbsentReason = { coding: [{ system: SYSTEM.dataAbsentReason, code: 'unknown', display: 'Unknown' }] };
  }
  const n = notes(problems);
  if (n) obs.note = n;
  return { key, resource: obs, values: [record] };
}

export function vitalResources(ctx: Context): Made[] {
  return ctx.extraction.vitals.flatMap((v, i) => (isLive(v) ? [vitalObservation(ctx, v, i)] : []));
}

/** The patient's printed age as an Observation (LOINC 30525-0), dated by the document. */
export function ageObservation(ctx: Context, age: string): Observation {
  const m = /^(\d{1,3})\s*(?:y|yr|yrs|year|years)?\.?(?:\s+old)?$/i.exec(age.trim());
  const obs: Observation = {
    resourceType: 'Observation',
    id: idOf(ctx, 'patient/age'),
    status: 'final',
    code: concept('Age', { system: SYSTEM.loinc, code: '30525-0', display: 'Age' }),
    subject: refTo(ctx, 'patient'),
  };
  if (ctx.documentDate) obs.effectiveDateTime = ctx.documentDate;
  if (m) obs.valueQuantity = { value: Number(m[1]), unit: 'years', system: SYSTEM.ucum, code: 'a' };
  else obs.valueString = age;
  return obs;
}
