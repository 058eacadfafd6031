/** A finished job's result as every exporter reads it (workbook, JSON, later FHIR). */
import type { DeidSummary } from './deid.js';
import type { Extraction, SchemaVersion } from './extraction.js';
import type { ExtractionProvider, JobReviewState, JobWarning } from './jobs.js';

export interface PageSource {
  page: number;
  source: 'text_layer' | 'ocr';
  ocrConfidence?: number | null;
}

export interface JobResult {
  jobId: string;
  filename: string;
  pageCount: number;
  pageSources?: PageSource[];
  provider: ExtractionProvider;
  model?: string | null;
  extractedAt: Date;
  /** The current-schema view of the result (a result made with an older schema is upgraded on reading). */
  extraction: Extraction;
  /** The schema version the result was made with. */
  schemaVersion: SchemaVersion;
  /** What a reviewer should know before trusting the result (empty when nothing is wrong). */
  warnings: JobWarning[];
  needsReview: boolean;
  /** The page text went to the LLM de-identified: what was replaced, per category (null or absent: it did not). */
  deidentification?: DeidSummary | null;
  /** Which version this is and where people stand with it; absent (a CLI run): version 0, nobody reviewed it. */
  review?: ResultReview;
}

export interface ResultReview {
  /** 0 is the machine's extraction; each correction adds one. */
  version: number;
  state: JobReviewState;
  approvedBy: string | null;
  approvedAt: Date | null;
}
