/** Diagnoses, medications, allergies, procedures and immunizations as their FHIR resources. */
import type { AllergyIntolerance, CodeableConcept, Condition, Dosage, Immunization, MedicationStatement, Procedure, Timing } from '@medplum/fhirtypes';
import type { Allergy, Diagnosis, Immunization as ExtractedImmunization, Medication, Procedure as ExtractedProcedure } from '../../core/contract/extraction.js';
import { checkIcd10cm } from '../lab/index.js';
import { compact, concept, dateTimeFor, idOf, isLive, notes, refTo, text, type Context, type Made } from './context.js';
import type { ValueRecord } from './evidence.js';
import { SYSTEM, type ValueProblem } from './profile.js';

const recordOf = (key: string, element: string, source: ValueRecord['source'], problems: ValueProblem[]): ValueRecord => ({
  pointer: `/${key}`,
  element,
  source,
  problems,
});

// ---------------------------------------------------------------------------------------------------
// Condition

/** Printed status words → condition-clinical (the first that matches); anything else stays a note. */
const CLINICAL_STATUS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bresolved\b/i, 'resolved'],
  [/\bremission\b/i, 'remission'],
  [/\brecurr/i, 'recurrence'],
  [/\brelapse/i, 'relapse'],
  [/\binactive\b/i, 'inactive'],
  [/\b(active|ongoing|current|chronic|uncontrolled)\b/i, 'active'],
];

function condition(ctx: Context, d: Diagnosis, index: number): Made {
  const key = `diagnoses/${index}`;
  const problems: ValueProblem[] = [];
  const extra: string[] = [];
  let code: CodeableConcept = { text: d.description };
  const printed = text(d.icd10);
  if (printed) {
    const check = checkIcd10cm(printed);
    if (check.valid) code = concept(d.description, { system: SYSTEM.icd10cm, code: check.code, display: check.display });
    else {
      // Never dropped, never passed off as ICD-10-CM: the printed code is said beside the description.
      problems.push('icd10-not-in-list');
      extra.push(`Printed ICD-10 code: ${printed}`);
    }
  }
  const status = text(d.status);
  const clinical = status ? CLINICAL_STATUS.find(([re]) => re.test(status))?.[1] : undefined;
  if (status && !clinical) extra.push(`Status as printed: ${status}`);
  const resource: Condition = compact({
    resourceType: 'Condition',
    id: idOf(ctx, key),
    clinicalStatus: clinical ? { coding: [{ system: SYSTEM.conditionClinical, code: clinical }], text: status! } : undefined,
    category: ctx.hasEncounter ? [{ coding: [{ system: SYSTEM.conditionCategory, code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }] : undefined,
    code,
    subject: refTo(ctx, 'patient'),
    encounter: ctx.hasEncounter ? refTo(ctx, 'encounter') : undefined,
    recordedDate: ctx.documentDate ?? undefined,
    note: notes(problems, extra),
  } satisfies Condition);
  return { key, resource, values: [recordOf(key, 'Condition', d, problems)] };
}

// ---------------------------------------------------------------------------------------------------
// MedicationStatement

/** Routes as printed → SNOMED CT route codes; any other route stays text. */
const ROUTES: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^(po|p\.o\.|oral(ly)?|by mouth)$/i, '26643006', 'Oral route'],
  [/^(iv|i\.v\.|intravenous(ly)?)$/i, '47625008', 'Intravenous route'],
  [/^(im|i\.m\.|intramuscular(ly)?)$/i, '78421000', 'Intramuscular route'],
  [/^(sc|s\.c\.|sq|subcut|subcutaneous(ly)?)$/i, '34206005', 'Subcutaneous route'],
  [/^(inh|inhalation|inhaled)$/i, '447694001', 'Respiratory tract route'],
  [/^(topical(ly)?)$/i, '6064005', 'Topical route'],
  [/^(sl|sublingual(ly)?)$/i, '37839007', 'Sublingual route'],
  [/^(pr|rectal(ly)?)$/i, '37161004', 'Rectal route'],
];

/** The extraction's normal frequencies (offline vocabulary, model instructions) → Timing. */
function timingOf(frequency: string | null, duration: string | null): { timing?: Timing; asNeeded?: boolean } {
  const f = (frequency ?? '').trim().toLowerCase();
  const perDay: Record<string, number> = { 'once daily': 1, 'twice daily': 2, 'three times daily': 3, 'four times daily': 4 };
  let repeat: Timing['repeat'] | undefined;
  let asNeeded: boolean | undefined;
  const hours = /^every (\d+) hours?$/.exec(f);
  if (perDay[f]) repeat = { frequency: perDay[f], period: 1, periodUnit: 'd' };
  else if (hours) repeat = { frequency: 1, period: Number(hours[1]), periodUnit: 'h' };
  else if (f === 'at bedtime') repeat = { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] };
  else if (f === 'every morning') repeat = { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] };
  else if (f === 'every other day') repeat = { frequency: 1, period: 2, periodUnit: 'd' };
  else if (f === 'weekly') repeat = { frequency: 1, period: 1, periodUnit: 'wk' };
  else if (f === 'monthly') repeat = { frequency: 1, period: 1, periodUnit: 'mo' };
  else if (f === 'once') repeat = { count: 1 };
  else if (f === 'as needed') asNeeded = true;
  const d = /^(\d+)\s*(d|days?|wk|weeks?|mo|months?)$/i.exec((duration ?? '').trim());
  if (d) {
    const unit = d[2]!.toLowerCase();
    const [code, word] = unit.startsWith('d') ? ['d', 'days'] : unit.startsWith('w') ? ['wk', 'weeks'] : ['mo', 'months'];
    repeat = { ...repeat, boundsDuration: { value: Number(d[1]), unit: word, system: SYSTEM.ucum, code } };
  }
  return { ...(repeat ? { timing: { repeat } } : {}), ...(asNeeded ? { asNeeded } : {}) };
}

function medicationStatement(ctx: Context, m: Medication, index: number): Made {
  const key = `medications/${index}`;
  const route = text(m.route);
  const routeCode = route ? ROUTES.find(([re]) => re.test(route)) : undefined;
  const { timing, asNeeded } = timingOf(m.frequency, m.duration);
  const duration = text(m.duration);
  const dosage: Dosage = compact({
    text: text(m.instructions) ?? text(m.frequency) ?? undefined,
    timing,
    asNeededBoolean: asNeeded,
    route: route ? concept(route, routeCode ? { system: SYSTEM.snomed, code: routeCode[1], display: routeCode[2] } : null) : undefined,
  } satisfies Dosage);
  const extra = [
    duration && !timing?.repeat?.boundsDuration ? `Duration as printed: ${duration}` : null,
    text(m.quantity) ? `Quantity as printed: ${m.quantity}` : null,
  ];
  const resource: MedicationStatement = compact({
    resourceType: 'MedicationStatement',
    id: idOf(ctx, key),
    // "changed": still taken, with new instructions.
    status: m.status === 'stopped' ? 'stopped' : m.status === 'active' || m.status === 'changed' ? 'active' : 'unknown',
    statusReason: m.status === 'changed' ? [{ text: 'changed' }] : undefined,
    medicationCodeableConcept: { text: [m.name, text(m.strength), text(m.form)].filter(Boolean).join(' ') },
    subject: refTo(ctx, 'patient'),
    context: ctx.hasEncounter ? refTo(ctx, 'encounter') : undefined,
    dateAsserted: ctx.documentDate ?? undefined,
    dosage: Object.keys(dosage).length ? [dosage] : undefined,
    note: notes([], extra),
  } satisfies MedicationStatement);
  return { key, resource, values: [recordOf(key, 'MedicationStatement', m, [])] };
}

// ---------------------------------------------------------------------------------------------------
// AllergyIntolerance

const SEVERITY: ReadonlyArray<readonly [RegExp, 'mild' | 'moderate' | 'severe']> = [
  [/\bsevere|anaphyla|life[- ]threatening/i, 'severe'],
  [/\bmoderate/i, 'moderate'],
  [/\bmild/i, 'mild'],
];

function allergy(ctx: Context, a: Allergy, index: number): Made {
  const key = `allergies/${index}`;
  const reaction = text(a.reaction);
  const severityText = text(a.severity);
  const severity = severityText ? SEVERITY.find(([re]) => re.test(severityText))?.[1] : undefined;
  const severityNoted = severityText && (!reaction || !severity);
  const resource: AllergyIntolerance = compact({
    resourceType: 'AllergyIntolerance',
    id: idOf(ctx, key),
    // A listed allergy is taken as current (FHIR requires a clinical status unless entered in error).
    clinicalStatus: { coding: [{ system: SYSTEM.allergyClinical, code: 'active', display: 'Active' }] },
    code: { text: a.substance },
    patient: refTo(ctx, 'patient'),
    encounter: ctx.hasEncounter ? refTo(ctx, 'encounter') : undefined,
    recordedDate: ctx.documentDate ?? undefined,
    reaction: reaction ? [compact({ manifestation: [{ text: reaction }], severity: severity ?? undefined })] : undefined,
    note: notes([], [severityNoted ? `Severity as printed: ${severityText}` : null]),
  } satisfies AllergyIntolerance);
  return { key, resource, values: [recordOf(key, 'AllergyIntolerance', a, [])] };
}

// ---------------------------------------------------------------------------------------------------
// Procedure

/** CPT (five digits; category II and III end in F or T, PLA codes in U) or HCPCS level II (a letter A–V and four digits). */
function procedureSystem(code: string): string | null {
  if (/^\d{4}[0-9FTU]$/.test(code)) return SYSTEM.cpt;
  if (/^[A-V]\d{4}$/.test(code)) return SYSTEM.hcpcs;
  return null;
}

function procedure(ctx: Context, p: ExtractedProcedure, index: number): Made {
  const key = `procedures/${index}`;
  const problems: ValueProblem[] = [];
  const extra: string[] = [];
  const printed = text(p.code)?.toUpperCase() ?? null;
  const system = printed ? procedureSystem(printed) : null;
  if (printed && !system) {
    problems.push('procedure-code-unknown');
    extra.push(`Printed procedure code: ${p.code!.trim()}`);
  }
  const rec = recordOf(key, 'Procedure', p, problems);
  const performed = dateTimeFor(p.date, rec);
  const resource: Procedure = compact({
    resourceType: 'Procedure',
    id: idOf(ctx, key),
    // A printed date says it was done; without one the document does not say.
    status: performed ? 'completed' : 'unknown',
    code: concept(p.name, system && printed ? { system, code: printed } : null),
    subject: refTo(ctx, 'patient'),
    encounter: ctx.hasEncounter ? refTo(ctx, 'encounter') : undefined,
    performedDateTime: performed,
    note: notes(problems, extra),
  } satisfies Procedure);
  return { key, resource, values: [rec] };
}

// ---------------------------------------------------------------------------------------------------
// Immunization

function immunization(ctx: Context, i: ExtractedImmunization, index: number): Made {
  const key = `immunizations/${index}`;
  const problems: ValueProblem[] = [];
  const rec = recordOf(key, 'Immunization', i, problems);
  const date = dateTimeFor(i.date, rec);
  const resource: Immunization = compact({
    resourceType: 'Immunization',
    id: idOf(ctx, key),
    status: 'completed',
    vaccineCode: { text: i.vaccine },
    patient: refTo(ctx, 'patient'),
    encounter: ctx.hasEncounter ? refTo(ctx, 'encounter') : undefined,
    // FHIR requires when it was given; a record without a date says so in words.
    occurrenceDateTime: date,
    occurrenceString: date ? undefined : 'date not stated in the document',
    lotNumber: text(i.lot) ?? undefined,
    note: notes(problems),
  } satisfies Immunization);
  return { key, resource, values: [rec] };
}

export function clinicalResources(ctx: Context): Made[] {
  const x = ctx.extraction;
  const each = <T extends ValueRecord['source']>(items: T[], make: (ctx: Context, item: T, i: number) => Made) =>
    items.flatMap((item, i) => (isLive(item) ? [make(ctx, item, i)] : []));
  return [
    ...each(x.diagnoses, condition),
    ...each(x.medications, medicationStatement),
    ...each(x.allergies, allergy),
    ...each(x.procedures, procedure),
    ...each(x.immunizations, immunization),
  ];
}
