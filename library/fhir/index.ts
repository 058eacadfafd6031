/**
 * FHIR R4 (4.0.1) export of one extraction: a Bundle per document (collection or transaction), its
 * offline validation, and a combined Bundle for batch downloads. What each resource carries and the
 * evidence extension are documented in docs/fhir.md.
 */
export { buildBundle, combinedBundle, type BundleInput, type BundleKind, type FhirResultMeta, type FhirSource } from './bundle.js';
export { problemsOutcome, validateBundle, type BundleProblem } from './validate.js';
export { CODE_SYSTEM, EVIDENCE_EXTENSION_URL, EVIDENCE_PART, IDENTIFIER_SYSTEM, MEDEXTRACT_FHIR_BASE, VALUE_PROBLEMS, type ValueProblem } from './profile.js';
export { uuidV5 } from './ids.js';
export { exportBundle, type ExportedBundle } from './export.js';
export { jobBundleInput, type StoredOcrWords } from './job-input.js';
