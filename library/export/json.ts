/** The downloadable JSON: the same data as the workbook, with every value's evidence. */
import type { ExtractionDownload } from '../../core/contract/extraction.js';
import { SCHEMA_VERSION } from '../../core/contract/extraction.js';
import type { JobResult } from '../../core/contract/job-result.js';
import { isValidDate } from './cells.js';
import { labSemantics } from '../lab/index.js';

/** The downloadable JSON: the same data as the workbook, with every value's evidence and review. A deep copy. */
export function extractionToJson(doc: JobResult): ExtractionDownload {
  const x = structuredClone(doc.extraction);
  return {
    schema_version: SCHEMA_VERSION,
    made_with_schema: doc.schemaVersion,
    job_id: doc.jobId,
    filename: doc.filename,
    page_count: doc.pageCount,
    page_sources: doc.pageSources ? doc.pageSources.map((p) => ({ page: p.page, source: p.source, ocr_confidence: p.ocrConfidence ?? null })) : null,
    provider: doc.provider,
    model: doc.model ?? null,
    extracted_at: isValidDate(doc.extractedAt) ? doc.extractedAt.toISOString() : null,
    needs_review: doc.needsReview,
    deidentification: doc.deidentification ?? null,
    version: doc.review?.version ?? 0,
    review_state: doc.review?.state ?? 'unreviewed',
    approved_by: doc.review?.approvedBy ?? null,
    approved_at: doc.review?.approvedAt ? doc.review.approvedAt.toISOString() : null,
    warnings: doc.warnings.map((w) => ({ ...w })),
    document: x.document,
    patient: x.patient,
    encounter: x.encounter,
    insurance: x.insurance,
    diagnoses: x.diagnoses,
    medications: x.medications,
    lab_results: x.lab_results,
    vitals: x.vitals,
    procedures: x.procedures,
    allergies: x.allergies,
    immunizations: x.immunizations,
    claim_lines: x.claim_lines,
    claim_totals: x.claim_totals,
    lab_semantics: labSemantics(x),
  };
}
