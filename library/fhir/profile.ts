/**
 * Every canonical URL, identifier system and code this export defines or uses, in one place. MedExtract's
 * own URLs live under https://medextract.org/fhir/ (documented in docs/fhir.md); the rest are the
 * standard systems of FHIR R4 (4.0.1) and HL7 Terminology.
 */

/** MedExtract's base for the URLs it defines. */
export const MEDEXTRACT_FHIR_BASE = 'https://medextract.org/fhir';

/**
 * The complex extension that says where one extracted value came from and what people decided about it
 * (page, quote, highlight boxes, confidence, checks, review). It sits on `Provenance.entity` (the source
 * document), once per value of the Provenance's target; its parts are the `EVIDENCE_PART` names.
 */
export const EVIDENCE_EXTENSION_URL = `${MEDEXTRACT_FHIR_BASE}/StructureDefinition/value-evidence`;

/** The sub-extensions of the evidence extension (their `url` is the bare name, as FHIR does for complex extensions). */
export const EVIDENCE_PART = {
  /** JSON Pointer of the value in the extraction, e.g. `/lab_results/3` or `/patient/date_of_birth` (valueString). */
  field: 'field',
  /** Where in the target resource the value went, e.g. `Patient.birthDate` (valueString). */
  element: 'element',
  /** 1-based page of the source document (valuePositiveInt). */
  page: 'page',
  /** Verbatim text of that page that contains the value (valueString). */
  quote: 'quote',
  /** Whether verification found the quote on the page (valueBoolean). */
  quoteFound: 'quoteFound',
  /** One box marking the quote on the page: sub-extensions x, y, w, h (valueDecimal, fractions of the page from its top left). Repeats. */
  box: 'box',
  /** How sure the extraction was, 0–1 (valueDecimal). */
  confidence: 'confidence',
  /** Why a value deserves a second look, one of core/contract's VALUE_CHECKS (valueCode). Repeats. */
  check: 'check',
  /** What the export itself found wrong with the value, one of `VALUE_PROBLEMS` (valueCode). Repeats. */
  problem: 'problem',
  /** What the lab library said about the value in plain words (valueString). Repeats. */
  remark: 'remark',
  /** The value as printed where FHIR cannot carry it exactly: a local time without a time zone (FHIR then gets only its date), an invalid date (valueString). */
  printed: 'printed',
  /** A person's decision: unreviewed, accepted, corrected or added (valueCode). */
  review: 'review',
  /** Username of that person (valueString). */
  reviewedBy: 'reviewedBy',
  /** When they decided (valueDateTime). */
  reviewedAt: 'reviewedAt',
  /** For a corrected value, what the machine had read, as JSON of the changed parts (valueString). */
  original: 'original',
} as const;

/** Identifier systems MedExtract defines. */
export const IDENTIFIER_SYSTEM = {
  /** A MedExtract job (one uploaded document and its extraction). */
  job: `${MEDEXTRACT_FHIR_BASE}/sid/job`,
  /** A version of a job's result: `<job id>/v<version>`. */
  resultVersion: `${MEDEXTRACT_FHIR_BASE}/sid/result-version`,
  /** The SHA-256 of a source file's bytes, lowercase hex. */
  sha256: `${MEDEXTRACT_FHIR_BASE}/sid/sha256`,
  /** A MedExtract username (reviewers). */
  username: `${MEDEXTRACT_FHIR_BASE}/sid/username`,
} as const;

/** Code systems MedExtract defines. */
export const CODE_SYSTEM = {
  /** Where people stand with a result (Bundle.meta.tag): unreviewed, in_review, approved. */
  resultReviewState: `${MEDEXTRACT_FHIR_BASE}/CodeSystem/result-review-state`,
  /** What the export found wrong with a value (the evidence extension's `problem`): the keys of VALUE_PROBLEMS. */
  valueProblem: `${MEDEXTRACT_FHIR_BASE}/CodeSystem/value-problem`,
} as const;

/** What the export found wrong with a value; each leaves the value in, visibly (a note on the resource, a warning from validateBundle). */
export const VALUE_PROBLEMS = {
  'unit-not-ucum': { element: 'valueQuantity.unit', message: 'the printed unit has no UCUM code; it is kept as text' },
  'icd10-not-in-list': { element: 'code', message: 'the printed ICD-10 code is not in the ICD-10-CM list; the condition is left uncoded' },
  'loinc-not-valid': { element: 'code', message: 'the printed LOINC code is not a valid LOINC code; it is not used' },
  'procedure-code-unknown': { element: 'code', message: 'the printed procedure code is neither CPT nor HCPCS; the procedure is left uncoded' },
  'date-not-valid': { element: '', message: 'a date is not a valid ISO-8601 date; it is left out' },
  'period-reversed': { element: 'period', message: 'the discharge date is before the admission date; the discharge date is left out' },
} as const satisfies Record<string, { element: string; message: string }>;
export type ValueProblem = keyof typeof VALUE_PROBLEMS;

/** Standard systems. */
export const SYSTEM = {
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  snomed: 'http://snomed.info/sct',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  diagnosticServiceSection: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  provenanceParticipant: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  dataOperation: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
  dataAbsentReasonExtension: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason',
} as const;

/** The FHIR version every Bundle is written in. */
export const FHIR_VERSION = '4.0.1';
