/**
 * The field types the evaluation reports on (schema v2 names), each with the kind of value it is
 * compared as (normalise.ts). Scalar field types are `group.field`; item field types `section.field`.
 */
import type { ValueKind } from './normalise.js';

export const SCALAR_FIELDS = {
  'document.type': 'doctype',
  'document.date': 'date',
  'document.facility': 'org',
  'patient.name': 'person',
  'patient.date_of_birth': 'date',
  'patient.age': 'age',
  'patient.sex': 'sex',
  'patient.mrn': 'identifier',
  'encounter.admission_date': 'date',
  'encounter.discharge_date': 'date',
  'encounter.ward': 'org',
  'insurance.payer': 'org',
  'insurance.member_id': 'identifier',
  'insurance.group_number': 'identifier',
  'claim_totals.total_charge': 'number',
  'claim_totals.amount_paid': 'number',
  'claim_totals.balance_due': 'number',
} as const satisfies Record<string, ValueKind>;
export type ScalarField = keyof typeof SCALAR_FIELDS;

export const SECTION_FIELDS = {
  lab_results: {
    test: 'text',
    loinc: 'code',
    value: 'value',
    unit: 'unit',
    reference_range: 'range',
    flag: 'flag',
    panel: 'panel',
    panel_loinc: 'code',
    collected_at: 'date',
  },
  medications: { name: 'drug', strength: 'strength', form: 'form', instructions: 'text' },
  diagnoses: { description: 'text', icd10: 'code' },
  allergies: { substance: 'text', reaction: 'text', severity: 'text' },
  vitals: { name: 'vital', value: 'value', unit: 'unit' },
  procedures: { name: 'text', code: 'code' },
  claim_lines: { service_date: 'date', code: 'code', modifier: 'tokens', diagnosis_pointer: 'code', units: 'number', charge: 'number' },
  immunizations: { vaccine: 'contains', date: 'date', lot: 'identifier' },
} as const satisfies Record<string, Record<string, ValueKind>>;
export type Section = keyof typeof SECTION_FIELDS;
export const SECTIONS = Object.keys(SECTION_FIELDS) as Section[];

/** Every field type in report order. */
export const FIELD_TYPES: readonly string[] = [
  ...Object.keys(SCALAR_FIELDS),
  ...SECTIONS.flatMap((s) => Object.keys(SECTION_FIELDS[s]).map((f) => `${s}.${f}`)),
];

export function kindOf(fieldType: string): ValueKind {
  if (fieldType in SCALAR_FIELDS) return SCALAR_FIELDS[fieldType as ScalarField];
  const [section, field] = fieldType.split('.') as [Section, string];
  return (SECTION_FIELDS[section] as Record<string, ValueKind>)[field] as ValueKind;
}
