/**
 * Extraction schema v2, written once as zod: the shape every provider returns and every
 * exporter reads. The TypeScript types, the strict JSON Schema sent to the model, the validation of a
 * provider's output and the downloadable JSON's schema (OpenAPI, web UI) all derive from the schemas here.
 * Every scalar field and every list item carries evidence `{page, quote}` and a confidence in [0, 1].
 * After extraction, `verifyEvidence` sets `evidence.found` to whether the quote occurs on the cited page, and
 * `reasons` on every field and item to the checks it failed (empty: nothing to doubt), lowering its confidence.
 * The model never sets `reasons`; an extraction stored before the checks existed has none.
 * Results keep the version they were made with: a stored v1 result is read through `upgradeExtraction`.
 */
import { DeidSummarySchema } from './deid.js';
import { z } from 'zod';
import { JOB_REVIEW_STATES, JOB_WARNING_CODES } from './jobs.js';

export const SCHEMA_VERSION = 'v2' as const;
/** Every version a stored result may carry; a result keeps the version it was made with. */
export const SCHEMA_VERSIONS = ['v1', 'v2'] as const;
export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

export const DOCUMENT_TYPES_V1 = ['lab_report', 'discharge_summary', 'referral', 'prescription', 'clinical_note', 'other'] as const;
export const DOCUMENT_TYPES = [
  'lab_report',
  'discharge_summary',
  'referral',
  'prescription',
  'clinical_note',
  'claim_form',
  'radiology_report',
  'pathology_report',
  'insurance_card',
  'eob',
  'vaccination_record',
  'other',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const MEDICATION_STATUSES = ['active', 'stopped', 'changed'] as const;
export type MedicationStatus = (typeof MEDICATION_STATUSES)[number];
export const LAB_FLAGS = ['H', 'L', 'abnormal', 'normal'] as const;
export type LabFlag = (typeof LAB_FLAGS)[number];
export const SEXES = ['M', 'F', 'other'] as const;
export type Sex = (typeof SEXES)[number];
export const EXTRACTION_PROVIDERS = ['openai', 'offline'] as const;

/**
 * Why a value deserves a second look, set by verification (library/extraction/grounding), never by the
 * model. Each has a plain-words label for the result view and the workbook's Check column.
 */
export const VALUE_CHECKS = [
  'quote_not_on_page',
  'no_evidence',
  'value_not_in_quote',
  'flag_contradicts_range',
  'implausible_date',
  'unit_mismatch',
  'value_fits_other_row',
  'low_ocr_confidence',
  'low_confidence',
  'icd10_not_in_list',
  'loinc_not_valid',
  'deid_unresolved',
] as const;
export type ValueCheck = (typeof VALUE_CHECKS)[number];

export const VALUE_CHECK_LABELS: Readonly<Record<ValueCheck, string>> = {
  quote_not_on_page: 'quote not found on page',
  no_evidence: 'no page or quote given',
  value_not_in_quote: 'value not in its quote',
  flag_contradicts_range: 'H/L flag contradicts the reference range',
  implausible_date: 'implausible date',
  unit_mismatch: 'unit does not fit the test',
  value_fits_other_row: 'value may belong to another row',
  low_ocr_confidence: 'OCR unsure of the quoted words',
  low_confidence: 'low confidence',
  icd10_not_in_list: 'ICD-10 code not in the ICD-10-CM list',
  loinc_not_valid: 'not a valid LOINC code',
  deid_unresolved: 'holds a de-identification stand-in that could not be restored',
};

/** A value whose confidence is below this is flagged `low_confidence`. */
export const LOW_CONFIDENCE = 0.6;

export const LIST_SECTIONS = ['diagnoses', 'medications', 'lab_results', 'vitals', 'procedures', 'allergies', 'immunizations', 'claim_lines'] as const;
export type ListSection = (typeof LIST_SECTIONS)[number];
/** The groups of single-valued fields. */
export const SCALAR_GROUPS = ['document', 'patient', 'encounter', 'insurance', 'claim_totals'] as const;
export type ScalarGroup = (typeof SCALAR_GROUPS)[number];

/** Text of one page as the pipeline stored it (1-based page number). */
export interface PageText {
  page: number;
  text: string;
}

/** A page as evidence is checked against: its text and, for an OCR page, how sure the OCR was of each word. */
export interface EvidencePage extends PageText {
  /** Mean word confidence of an OCR page, 0–100; null for a text-layer page. */
  ocrConfidence?: number | null;
  /** The OCR words in reading order with their confidence (0–100); null for a text-layer page. */
  words?: Array<{ text: string; confidence: number }> | null;
}

// ---------------------------------------------------------------------------------------------------
// Building blocks. The model's variant and the stored variant differ only in these parts:
//   evidence    the model cites {page, quote}; verification adds `found`
//   confidence  the model's is clamped into [0, 1] on parsing; a stored one must already be in [0, 1]
//   objects     stray keys from the model are dropped; a stored extraction has exactly these keys

const modelEvidence = z.object({
  page: z.number().int().describe('1-based page number the value was read from'),
  quote: z.string().describe('verbatim text copied from that page that contains the value'),
});
const storedEvidence = z.strictObject({
  ...modelEvidence.shape,
  found: z.boolean().optional().describe('the quote was found on the cited page (set by verification)'),
});

const storedReasons = z
  .array(z.enum(VALUE_CHECKS))
  .optional()
  .describe('why the value deserves a second look (set by verification; empty when nothing was found to doubt)');

/** A value's review by a person: none yet, confirmed, fixed, not in the document, or added because it was missed. */
export const VALUE_REVIEW_STATES = ['unreviewed', 'accepted', 'corrected', 'rejected', 'added'] as const;
export type ValueReviewState = (typeof VALUE_REVIEW_STATES)[number];

/**
 * Set by the review service (library/review), never by the model nor by a patch directly except `state`
 * (accepted, rejected, unreviewed). Absent on a value nobody has looked at.
 */
const storedReview = z
  .strictObject({
    state: z.enum(VALUE_REVIEW_STATES),
    by: z.string().optional().describe('username of the person who set the state'),
    at: z.iso.datetime().optional().describe('when the state was set'),
    original: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("the machine's value as extracted (the field or item of version 0, without its review), kept beside a corrected one"),
  })
  .optional()
  .describe('what a person decided about the value; absent or `unreviewed`: nobody has yet');

const CONFIDENCE = 'how sure you are, from 0 to 1';
const modelConfidence = z
  .number()
  .describe(CONFIDENCE)
  .transform((n) => Math.min(1, Math.max(0, n)));
const storedConfidence = z.number().min(0).max(1).describe(CONFIDENCE);

type Shape = z.core.$ZodLooseShape;
type ObjectOf<Closed extends z.core.$strip | z.core.$strict> = <S extends Shape>(shape: S) => z.ZodObject<S, Closed>;
const openObject: ObjectOf<z.core.$strip> = (shape) => z.object(shape);
const closedObject: ObjectOf<z.core.$strict> = (shape) => z.strictObject(shape);

const nullableText = (description?: string) => {
  const s = z.string().nullable();
  return description ? s.describe(description) : s;
};
const numberOrText = () => z.union([z.number(), z.string(), z.null()]).describe('a number when the source value is numeric');

/** A variant's building blocks: a scalar field and a list of items, each with evidence (first, so a model writes the quote before the value), confidence and checks. */
function blocks<E extends z.ZodType, C extends z.ZodType<number, number>, Closed extends z.core.$strip | z.core.$strict, X extends Shape>(
  evidence: E,
  confidence: C,
  object: ObjectOf<Closed>,
  checks: X,
) {
  const field = <V extends z.ZodType>(value: V, description?: string) =>
    object({
      evidence: evidence.nullable(),
      value: description ? value.nullable().describe(description) : value.nullable(),
      confidence,
      ...checks,
    });
  const items = <S extends Shape>(shape: S) => z.array(object({ evidence, ...shape, confidence, ...checks }));
  return { field, items };
}

/** Schema v1's sections (everything but `schema_version`): kept so results made with v1 stay readable. */
function sectionsV1<E extends z.ZodType, C extends z.ZodType<number, number>, Closed extends z.core.$strip | z.core.$strict, X extends Shape>(
  evidence: E,
  confidence: C,
  object: ObjectOf<Closed>,
  checks: X,
) {
  const { field, items } = blocks(evidence, confidence, object, checks);
  return {
    document: object({
      type: field(z.enum(DOCUMENT_TYPES_V1)),
      date: field(z.string(), 'ISO-8601 date of the document'),
      facility: field(z.string()),
      author: field(z.string()),
    }),
    patient: object({
      name: field(z.string()),
      date_of_birth: field(z.string(), 'ISO-8601 date'),
      sex: field(z.enum(SEXES)),
      mrn: field(z.string(), 'medical record number'),
    }),
    diagnoses: items({ description: z.string(), icd10: nullableText(), status: nullableText() }),
    medications: items({
      name: z.string(),
      dose: nullableText(),
      route: nullableText(),
      frequency: nullableText(),
      status: nullableText(),
    }),
    lab_results: items({
      test: z.string(),
      value: numberOrText(),
      unit: nullableText(),
      reference_range: nullableText(),
      flag: z.enum(LAB_FLAGS).nullable(),
      collected_at: nullableText('ISO-8601 date or date-time'),
    }),
    vitals: items({ name: z.string(), value: numberOrText(), unit: nullableText(), taken_at: nullableText('ISO-8601') }),
    procedures: items({ name: z.string(), date: nullableText('ISO-8601 date') }),
    allergies: items({ substance: z.string(), reaction: nullableText() }),
  };
}

/** Schema v2's sections (everything but `schema_version`), built from one variant's building blocks. */
function sections<E extends z.ZodType, C extends z.ZodType<number, number>, Closed extends z.core.$strip | z.core.$strict, X extends Shape>(
  evidence: E,
  confidence: C,
  object: ObjectOf<Closed>,
  checks: X,
) {
  const { field, items } = blocks(evidence, confidence, object, checks);
  const isoDate = (what = 'ISO-8601 date') => nullableText(what);
  const amount = (what: string) => field(z.number(), what);
  return {
    document: object({
      type: field(z.enum(DOCUMENT_TYPES)),
      date: field(z.string(), 'ISO-8601 date of the document'),
      facility: field(z.string()),
      author: field(z.string(), 'who wrote or signed the document'),
    }),
    patient: object({
      name: field(z.string()),
      date_of_birth: field(z.string(), 'ISO-8601 date'),
      age: field(z.string(), 'age as printed, e.g. "49" or "49 y"'),
      sex: field(z.enum(SEXES)),
      mrn: field(z.string(), 'medical record number or patient id'),
    }),
    encounter: object({
      admission_date: field(z.string(), 'ISO-8601 date'),
      discharge_date: field(z.string(), 'ISO-8601 date'),
      attending: field(z.string(), 'attending or admitting physician'),
      ward: field(z.string(), 'ward, unit or department'),
    }),
    insurance: object({
      payer: field(z.string(), 'insurer or health plan'),
      member_id: field(z.string(), 'member, subscriber or policy id'),
      group_number: field(z.string()),
    }),
    diagnoses: items({ description: z.string(), icd10: nullableText(), status: nullableText() }),
    medications: items({
      name: z.string(),
      strength: nullableText('strength as printed, e.g. "500 mg"'),
      form: nullableText('tablet, capsule, inhaler, injection, ...'),
      route: nullableText(),
      frequency: nullableText('normalised, e.g. "twice daily", "every 8 hours", "as needed"'),
      instructions: nullableText('the instruction (sig) as printed'),
      duration: nullableText('e.g. "5 days"'),
      quantity: nullableText(),
      status: z.enum(MEDICATION_STATUSES).nullable(),
    }),
    lab_results: items({
      panel: nullableText('the panel or section the test is listed under'),
      panel_loinc: nullableText('LOINC code as printed beside the panel\'s name, e.g. "58410-2"; null when none is printed'),
      test: z.string(),
      loinc: nullableText('LOINC code as printed for this test, e.g. "718-7"; null when none is printed'),
      /** A number where the source is numeric ("14,200" → 14200), else the text ("Positive"). */
      value: numberOrText(),
      unit: nullableText(),
      reference_range: nullableText(),
      flag: z.enum(LAB_FLAGS).nullable(),
      specimen: nullableText(),
      collected_at: isoDate('ISO-8601 date or date-time this result was collected'),
    }),
    vitals: items({ name: z.string(), value: numberOrText(), unit: nullableText(), taken_at: isoDate('ISO-8601') }),
    procedures: items({ name: z.string(), code: nullableText('CPT or HCPCS code'), date: isoDate() }),
    allergies: items({ substance: z.string(), reaction: nullableText(), severity: nullableText() }),
    immunizations: items({ vaccine: z.string(), date: isoDate(), lot: nullableText() }),
    claim_lines: items({
      service_date: isoDate(),
      code: nullableText('CPT or HCPCS code'),
      modifier: nullableText(),
      diagnosis_pointer: nullableText(),
      units: z.number().nullable(),
      charge: z.number().nullable(),
    }),
    claim_totals: object({
      total_charge: amount('total charge'),
      amount_paid: amount('amount paid'),
      balance_due: amount('balance due'),
    }),
  };
}

const storedSections = sections(storedEvidence, storedConfidence, closedObject, { reasons: storedReasons, review: storedReview });
const storedSectionsV1 = sectionsV1(storedEvidence, storedConfidence, closedObject, { reasons: storedReasons, review: storedReview });

// ---------------------------------------------------------------------------------------------------
// The stored extraction

export const ExtractionSchema = z.strictObject({ schema_version: z.literal(SCHEMA_VERSION), ...storedSections });
export type Extraction = z.infer<typeof ExtractionSchema>;
/** A result made with schema v1, as stored then. */
export const ExtractionV1Schema = z.strictObject({ schema_version: z.literal('v1'), ...storedSectionsV1 });
export type ExtractionV1 = z.infer<typeof ExtractionV1Schema>;

/** Where a value came from: 1-based page number and a verbatim quote from that page. */
export type Evidence = z.infer<typeof storedEvidence>;
/** A person's decision about one value (see `storedReview`). */
export type ValueReview = NonNullable<z.infer<typeof storedReview>>;
/** A single-valued field (of `document`, `patient`, ...): a value (or null) with its evidence and confidence. */
export type Field<T> = Omit<Extraction['patient']['name'], 'value'> & { value: T | null };
export type Diagnosis = Extraction['diagnoses'][number];
export type Medication = Extraction['medications'][number];
export type LabResult = Extraction['lab_results'][number];
export type Vital = Extraction['vitals'][number];
export type Procedure = Extraction['procedures'][number];
export type Allergy = Extraction['allergies'][number];
export type Immunization = Extraction['immunizations'][number];
export type ClaimLine = Extraction['claim_lines'][number];

const emptyField = <T>(): Field<T> => ({ evidence: null, value: null, confidence: 0 });

/** An extraction with nothing in it: what a blank page or an unreadable document yields. */
export function emptyExtraction(): Extraction {
  const f = emptyField;
  return {
    schema_version: SCHEMA_VERSION,
    document: { type: f(), date: f(), facility: f(), author: f() },
    patient: { name: f(), date_of_birth: f(), age: f(), sex: f(), mrn: f() },
    encounter: { admission_date: f(), discharge_date: f(), attending: f(), ward: f() },
    insurance: { payer: f(), member_id: f(), group_number: f() },
    diagnoses: [],
    medications: [],
    lab_results: [],
    vitals: [],
    procedures: [],
    allergies: [],
    immunizations: [],
    claim_lines: [],
    claim_totals: { total_charge: f(), amount_paid: f(), balance_due: f() },
  };
}

/**
 * The words of each medication status, as regular-expression sources matched as whole words: the one list for
 * reading a status column or a dose's instruction (offline extractor) and for upgrading v1's free-text status.
 * "Modified-release" is a dosage form, not a change.
 */
export const MEDICATION_STATUS_WORDS: ReadonlyArray<readonly [MedicationStatus, string]> = [
  ['stopped', String.raw`discontinu\w*|stop(?:ped)?|hold|held|cease[sd]?|d\/c`],
  ['changed', String.raw`chang\w*|increas\w*|decreas\w*|adjust\w*|dose reduced|modifi(?:ed|cation)(?![- ]release)`],
  ['active', String.raw`continu(?:e|ed|ing)|new(?:ly started)?|start(?:ed)?|active|current|ongoing`],
];

const MEDICATION_STATUS_RES = MEDICATION_STATUS_WORDS.map(([s, re]) => [s, new RegExp(String.raw`\b(?:${re})\b`, 'i')] as const);

/** The status a text names (the first of stopped, changed, active that matches), or null: unknown. */
export function medicationStatusIn(text: string | null): MedicationStatus | null {
  if (!text) return null;
  return MEDICATION_STATUS_RES.find(([, re]) => re.test(text))?.[0] ?? null;
}

/**
 * The v2 view of a stored result of either version: what exporters, the result view and the API read.
 * A v1 result gains v2's new fields empty; its medication `dose` is v2's `strength`. The stored row is
 * never rewritten, so a result keeps the version it was made with.
 */
export function upgradeExtraction(x: Extraction | ExtractionV1): Extraction {
  if (x.schema_version === SCHEMA_VERSION) return x;
  const empty = emptyExtraction();
  const item = <T extends object>(i: T) => ({ ...i });
  return {
    ...empty,
    document: { ...x.document },
    patient: { ...x.patient, age: emptyField() },
    diagnoses: x.diagnoses.map(item),
    medications: x.medications.map(({ dose, status, ...m }) => ({
      ...m,
      strength: dose,
      form: null,
      instructions: null,
      duration: null,
      quantity: null,
      status: medicationStatusIn(status),
    })),
    lab_results: x.lab_results.map((l) => ({ ...l, panel: null, panel_loinc: null, loinc: null, specimen: null })),
    vitals: x.vitals.map(item),
    procedures: x.procedures.map((p) => ({ ...p, code: null })),
    allergies: x.allergies.map((a) => ({ ...a, severity: null })),
  };
}

/** The version a stored result was made with (results from before versioning are v1). */
export function storedSchemaVersion(raw: unknown): SchemaVersion {
  const v = raw && typeof raw === 'object' ? (raw as { schema_version?: unknown }).schema_version : undefined;
  return v === SCHEMA_VERSION ? SCHEMA_VERSION : 'v1';
}

// ---------------------------------------------------------------------------------------------------
// What the model returns: the current schema without `schema_version`, `evidence.found` and `reasons`, which are ours to set

export const ModelExtractionSchema = z.object(sections(modelEvidence, modelConfidence, openObject, {}));
export type ModelExtraction = z.output<typeof ModelExtractionSchema>;

/** A provider's output that does not match the contract; the message names each offending path. */
export class ExtractionShapeError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`schema mismatch: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`);
    this.name = 'ExtractionShapeError';
  }
}

// zod issues carry paths and expectations, never the offending input values (no document text).
function shapeError(error: z.ZodError): ExtractionShapeError {
  return new ExtractionShapeError(error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`));
}

/**
 * Keys whose value may be null and that are left out are read as null: a model without strict schema
 * support (json_object or free text) often leaves them out, and a result stored before a nullable key was
 * added to its version has none. Returns a copy; anything else is left for validation to judge.
 */
function withOmittedNullsFilled(raw: unknown, schema: z.ZodType): unknown {
  if (schema instanceof z.ZodArray) {
    return Array.isArray(raw) ? raw.map((r) => withOmittedNullsFilled(r, schema.element as z.ZodType)) : raw;
  }
  if (!(schema instanceof z.ZodObject) || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [key, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (!(key in out)) {
      if (child.safeParse(null).success) out[key] = null;
    } else {
      out[key] = withOmittedNullsFilled(out[key], child);
    }
  }
  return out;
}

/**
 * Validates what a model returned (already JSON-decoded). Keys left out whose value may be null are read as null. Unknown keys (including a model-supplied
 * `evidence.found` or `reasons`, which only verification may set) are dropped; confidences are clamped to [0, 1].
 * Throws `ExtractionShapeError` when the output does not match the current schema.
 */
export function parseModelExtraction(raw: unknown): ModelExtraction {
  const parsed = ModelExtractionSchema.safeParse(withOmittedNullsFilled(raw, ModelExtractionSchema));
  if (!parsed.success) throw shapeError(parsed.error);
  return parsed.data;
}

/** Validates a complete extraction of the current schema (e.g. a provider's finished output). Throws `ExtractionShapeError`. */
export function parseExtraction(raw: unknown): Extraction {
  const parsed = ExtractionSchema.safeParse(raw);
  if (!parsed.success) throw shapeError(parsed.error);
  return parsed.data;
}

/**
 * Validates a stored result of any version and returns its current-schema view. A nullable key the version
 * gained after the result was stored (e.g. a lab result's `loinc`) is read as null; the stored row is never
 * rewritten. Throws `ExtractionShapeError`.
 */
export function parseStoredExtraction(raw: unknown): Extraction {
  if (storedSchemaVersion(raw) === SCHEMA_VERSION) return parseExtraction(withOmittedNullsFilled(raw, ExtractionSchema));
  const parsed = ExtractionV1Schema.safeParse(raw);
  if (!parsed.success) throw shapeError(parsed.error);
  return upgradeExtraction(parsed.data);
}

// ---------------------------------------------------------------------------------------------------
// The JSON Schema sent to the model (OpenAI Structured Outputs, strict mode)

type JsonSchema = { [key: string]: unknown };

/** The keywords strict Structured Outputs accepts; anything else makes the request fail. */
export const STRICT_SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'enum',
  'const',
  'description',
  'title',
  '$defs',
  '$ref',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);

/**
 * Strict mode wants every object closed and every property required (optionality is expressed as a
 * union with null). Throws on a keyword strict mode does not accept, so a schema change that needs one
 * fails in the tests rather than at the provider.
 */
function toStrict(node: unknown, path: string): unknown {
  if (Array.isArray(node)) return node.map((n, i) => toStrict(n, `${path}/${i}`));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if (!STRICT_SCHEMA_KEYWORDS.has(key))
      throw new Error(`the extraction schema uses "${key}" at ${path || '/'}, which strict Structured Outputs does not accept`);
    if (key === 'properties' || key === '$defs') {
      out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, toStrict(v, `${path}/${key}/${k}`)]));
    } else if (key === 'items' || key === 'anyOf' || key === 'additionalProperties') {
      out[key] = toStrict(value, `${path}/${key}`);
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' || out.properties !== undefined) {
    out.additionalProperties = false;
    out.required = Object.keys((out.properties as JsonSchema | undefined) ?? {});
  }
  return out;
}

/** zod writes `int()` as the safe-integer range; to the model that says nothing, so it is left out. */
function dropSafeIntegerBounds(ctx: { jsonSchema: JsonSchema }): void {
  const s = ctx.jsonSchema;
  if (s.type === 'integer' && s.minimum === Number.MIN_SAFE_INTEGER && s.maximum === Number.MAX_SAFE_INTEGER) {
    delete s.minimum;
    delete s.maximum;
  }
}

const modelResponseSchema = toStrict(z.toJSONSchema(ModelExtractionSchema, { io: 'input', override: dropSafeIntegerBounds }), '') as JsonSchema;

/** The strict JSON Schema the model must answer in (a fresh copy: callers may change it). */
export function modelResponseJsonSchema(): JsonSchema {
  return structuredClone(modelResponseSchema);
}

// ---------------------------------------------------------------------------------------------------
// The downloadable JSON (`GET /jobs/:id/result`, the CLI's .json): the extraction with the job's facts

export const PageSourceDownloadSchema = z.strictObject({
  page: z.number().int().min(1),
  source: z.enum(['text_layer', 'ocr']),
  ocr_confidence: z.number().nullable(),
});

/** What MedExtract reads into one lab result beyond the printed text (library/lab), as every export shows it. */
export const LabSemanticsSchema = z.strictObject({
  ucum: z.string().nullable().describe("the unit's UCUM code; null when the printed unit is neither UCUM nor a known lab spelling (kept as printed)"),
  range_low: z.number().nullable().describe("the reference range's lower bound as a number (for the patient's sex when printed by sex)"),
  range_high: z.number().nullable().describe('its upper bound'),
  flag: z.enum(LAB_FLAGS).nullable().describe('the printed flag, or one computed from value and range when none is printed'),
  flag_computed: z.boolean().describe('true when `flag` was computed, not printed'),
  loinc: z.string().nullable().describe('the LOINC code: as printed when valid, else mapped from the test name by a curated table'),
  loinc_display: z.string().nullable(),
  loinc_source: z.enum(['printed', 'mapped']).nullable(),
  loinc_confidence: z.number().min(0).max(1).nullable().describe('1 for a printed code; how closely the name matched for a mapped one'),
  problems: z.array(z.string()).describe('what could not be read, in plain words (never document text)'),
});
export type LabSemantics = z.infer<typeof LabSemanticsSchema>;

export const ExtractionDownloadSchema = z
  .strictObject({
    schema_version: z.literal(SCHEMA_VERSION).describe('the shape of this JSON'),
    made_with_schema: z.enum(SCHEMA_VERSIONS).describe('the schema version the extraction was made with (older results are shown in the current shape)'),
    job_id: z.uuid(),
    filename: z.string(),
    page_count: z.number().int().min(0),
    page_sources: z.array(PageSourceDownloadSchema).nullable(),
    provider: z.enum(EXTRACTION_PROVIDERS),
    model: z.string().nullable(),
    extracted_at: z.iso.datetime().nullable(),
    needs_review: z.boolean().describe('true when a warning says a person should look before trusting the values'),
    deidentification: DeidSummarySchema.nullable().describe(
      'the page text reached the LLM provider de-identified (what was replaced, counted per category); null when it went as it is or to no LLM',
    ),
    version: z.int().min(0).describe("the result's version: 0 is the machine's extraction, each correction adds one"),
    review_state: z.enum(JOB_REVIEW_STATES).describe('unreviewed, in_review (a person is correcting it) or approved (signed off; frozen until reopened)'),
    approved_by: z.string().nullable().describe('who approved the result (null unless approved)'),
    approved_at: z.iso.datetime().nullable(),
    warnings: z.array(
      z.strictObject({
        code: z.enum(JOB_WARNING_CODES),
        message: z.string().describe('plain words, never document text'),
        page: z.number().int().min(1).optional(),
      }),
    ),
    ...storedSections,
    lab_semantics: z
      .array(LabSemanticsSchema)
      .describe(
        'one entry per lab result, in the order of `lab_results`: UCUM unit, numeric range, printed or computed flag, LOINC code (LOINC codes © Regenstrief Institute; see docs/fhir.md)',
      ),
  })
  .describe(`Extraction schema ${SCHEMA_VERSION} with evidence for every value. Document types: ${DOCUMENT_TYPES.join(', ')}.`);
export type ExtractionDownload = z.infer<typeof ExtractionDownloadSchema>;
