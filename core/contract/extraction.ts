/**
 * Extraction schema v1 (see DESIGN.md): the shape every provider returns and every exporter reads.
 * Every scalar field and every list item carries evidence `{page, quote}` and a confidence in [0, 1].
 * After extraction, `verifyEvidence` sets `evidence.found` to whether the quote occurs on the cited page.
 */

export const SCHEMA_VERSION = 'v1' as const;

export const DOCUMENT_TYPES = ['lab_report', 'discharge_summary', 'referral', 'prescription', 'clinical_note', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const LAB_FLAGS = ['H', 'L', 'abnormal', 'normal'] as const;
export type LabFlag = (typeof LAB_FLAGS)[number];
export const SEXES = ['M', 'F', 'other'] as const;
export type Sex = (typeof SEXES)[number];

/** Where a value came from: 1-based page number and a verbatim quote from that page. */
export interface Evidence {
  page: number;
  quote: string;
  /** Set by verification, never by the model: the quote was found on the cited page. */
  found?: boolean;
}

export interface Field<T> {
  value: T | null;
  evidence: Evidence | null;
  confidence: number;
}

export interface Sourced {
  evidence: Evidence;
  confidence: number;
}

export interface Diagnosis extends Sourced {
  description: string;
  icd10: string | null;
  status: string | null;
}
export interface Medication extends Sourced {
  name: string;
  dose: string | null;
  route: string | null;
  frequency: string | null;
  status: string | null;
}
export interface LabResult extends Sourced {
  test: string;
  /** A number where the source is numeric ("14,200" → 14200), else the text ("Positive"). */
  value: number | string | null;
  unit: string | null;
  reference_range: string | null;
  flag: LabFlag | null;
  /** ISO-8601 date or date-time. */
  collected_at: string | null;
}
export interface Vital extends Sourced {
  name: string;
  value: number | string | null;
  unit: string | null;
  taken_at: string | null;
}
export interface Procedure extends Sourced {
  name: string;
  date: string | null;
}
export interface Allergy extends Sourced {
  substance: string;
  reaction: string | null;
}

export interface Extraction {
  schema_version: typeof SCHEMA_VERSION;
  document: {
    type: Field<DocumentType>;
    /** ISO-8601 */
    date: Field<string>;
    facility: Field<string>;
    author: Field<string>;
  };
  patient: {
    name: Field<string>;
    /** ISO-8601 date */
    date_of_birth: Field<string>;
    sex: Field<Sex>;
    mrn: Field<string>;
  };
  diagnoses: Diagnosis[];
  medications: Medication[];
  lab_results: LabResult[];
  vitals: Vital[];
  procedures: Procedure[];
  allergies: Allergy[];
}

export type ListSection = 'diagnoses' | 'medications' | 'lab_results' | 'vitals' | 'procedures' | 'allergies';
export const LIST_SECTIONS: readonly ListSection[] = ['diagnoses', 'medications', 'lab_results', 'vitals', 'procedures', 'allergies'];

/** Text of one page as the pipeline stored it (1-based page number). */
export interface PageText {
  page: number;
  text: string;
}

/** An extraction with nothing in it: what a blank page or an unreadable document yields. */
export function emptyExtraction(): Extraction {
  const f = <T>(): Field<T> => ({ value: null, evidence: null, confidence: 0 });
  return {
    schema_version: SCHEMA_VERSION,
    document: { type: f(), date: f(), facility: f(), author: f() },
    patient: { name: f(), date_of_birth: f(), sex: f(), mrn: f() },
    diagnoses: [],
    medications: [],
    lab_results: [],
    vitals: [],
    procedures: [],
    allergies: [],
  };
}

// ---- JSON Schema (OpenAI structured outputs, strict mode: every property required, no extra keys) ----

type JsonSchema = Record<string, unknown>;
const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
const nullableStr = (description?: string): JsonSchema => ({ type: ['string', 'null'], ...(description ? { description } : {}) });
const evidenceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['page', 'quote'],
  properties: {
    page: { type: 'integer', description: '1-based page number the value was read from' },
    quote: str('verbatim text copied from that page that contains the value'),
  },
};
const confidence: JsonSchema = { type: 'number', description: 'how sure you are, from 0 to 1' };
const field = (value: JsonSchema): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required: ['value', 'evidence', 'confidence'],
  properties: { value, evidence: { anyOf: [evidenceSchema, { type: 'null' }] }, confidence },
});
const item = (props: Record<string, JsonSchema>): JsonSchema => ({
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: [...Object.keys(props), 'evidence', 'confidence'],
    properties: { ...props, evidence: evidenceSchema, confidence },
  },
});
const numOrStr: JsonSchema = { type: ['number', 'string', 'null'], description: 'a number when the source value is numeric' };

/** Schema v1 without `schema_version` and `evidence.found`, which are ours to set. */
export const EXTRACTION_JSON_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['document', 'patient', ...LIST_SECTIONS],
  properties: {
    document: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'date', 'facility', 'author'],
      properties: {
        type: field({ type: ['string', 'null'], enum: [...DOCUMENT_TYPES, null] }),
        date: field(nullableStr('ISO-8601 date of the document')),
        facility: field(nullableStr()),
        author: field(nullableStr()),
      },
    },
    patient: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'date_of_birth', 'sex', 'mrn'],
      properties: {
        name: field(nullableStr()),
        date_of_birth: field(nullableStr('ISO-8601 date')),
        sex: field({ type: ['string', 'null'], enum: [...SEXES, null] }),
        mrn: field(nullableStr('medical record number')),
      },
    },
    diagnoses: item({ description: str(), icd10: nullableStr(), status: nullableStr() }),
    medications: item({ name: str(), dose: nullableStr(), route: nullableStr(), frequency: nullableStr(), status: nullableStr() }),
    lab_results: item({
      test: str(),
      value: numOrStr,
      unit: nullableStr(),
      reference_range: nullableStr(),
      flag: { type: ['string', 'null'], enum: [...LAB_FLAGS, null] },
      collected_at: nullableStr('ISO-8601 date or date-time'),
    }),
    vitals: item({ name: str(), value: numOrStr, unit: nullableStr(), taken_at: nullableStr('ISO-8601') }),
    procedures: item({ name: str(), date: nullableStr('ISO-8601 date') }),
    allergies: item({ substance: str(), reaction: nullableStr() }),
  },
};
