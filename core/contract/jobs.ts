/**
 * The job contract: names and shapes shared by the workflow, the workers and every client (CLI, API).
 * Pure data: safe inside the deterministic workflow bundle.
 */
import type { defineSearchAttributeKey } from '@temporalio/common';
import type { defineQuery as DefineQuery } from '@temporalio/workflow';

export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';
export type JobStage = 'prepare' | 'ocr' | 'extract' | 'export';
export type ExtractionProvider = 'openai' | 'offline';

export interface TaskQueues {
  /** prepare, merge, export, job bookkeeping */
  pipeline: string;
  /**
   * only OCR page batches; each worker takes as many as it has OCR engines (OCR_WORKERS), so batches
   * spread over all workers instead of piling up behind one worker's engines. Absent in inputs of
   * workflows started before it existed: they run OCR on `pipeline`.
   */
  ocr?: string;
  /** only the LLM request; rate-limited globally by the server */
  llm: string;
}

export function taskQueues(prefix = ''): Required<TaskQueues> {
  return { pipeline: `${prefix}pipeline`, ocr: `${prefix}ocr`, llm: `${prefix}llm` };
}

export interface ProcessDocumentInput {
  jobId: string;
  provider: ExtractionProvider;
  taskQueues: TaskQueues;
  /** Pages per OCR activity; by default ocrBatches decides from the document's size. */
  ocrBatchPages?: number;
  /** Characters of page text per extraction request (long documents are chunked and merged). */
  extractionChunkChars?: number;
  /** Whether the job waits for a person's approval after its first export; absent (started before it existed): none. */
  reviewPolicy?: ReviewPolicy;
}

/**
 * Which completed jobs wait in their workflow for a person's approval before the final export: none, the
 * ones that need review (a warning or a flagged value), or all.
 */
export const REVIEW_POLICIES = ['none', 'flagged', 'all'] as const;
export type ReviewPolicy = (typeof REVIEW_POLICIES)[number];

/** Signal name: the job's result was approved (the workflow reads the approval from the database). */
export const REVIEW_APPROVED_SIGNAL = 'reviewApproved';

/** Whether the review policy makes a job with this `needsReview` wait for approval. */
export function reviewRequired(policy: ReviewPolicy, needsReview: boolean): boolean {
  return policy === 'all' || (policy === 'flagged' && needsReview);
}

/**
 * Why a completed job needs a person's look although nothing failed (codes are stable; the message is
 * plain words and never quotes the document). A job with any warning is `needsReview`.
 */
export const JOB_WARNING_CODES = ['nothing_extracted', 'page_without_values', 'low_ocr_confidence', 'unrecognised_layout'] as const;
export type JobWarningCode = (typeof JOB_WARNING_CODES)[number];
export interface JobWarning {
  code: JobWarningCode;
  message: string;
  /** The page it is about, when it is about one. */
  page?: number;
}

/** Where a completed job stands with people: nobody has looked, someone is correcting, or signed off (frozen). */
export const JOB_REVIEW_STATES = ['unreviewed', 'in_review', 'approved'] as const;
export type JobReviewState = (typeof JOB_REVIEW_STATES)[number];

export interface JobError {
  code: string;
  message: string;
}

export interface ProcessDocumentResult {
  jobId: string;
  status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;
  error?: JobError;
}

export interface JobProgress {
  status: JobStatus;
  stage: JobStage | null;
  pagesDone: number;
  pagesTotal: number | null;
  error?: JobError;
}

export const workflowIdForJob = (jobId: string): string => `job-${jobId}`;

/** Query name; the definition itself is created in the workflow and by clients with `defineQuery`. */
export const PROGRESS_QUERY = 'progress';
export type ProgressQuery = ReturnType<typeof DefineQuery<JobProgress>>;

// Custom search attributes (registered on the server; see README) that make jobs findable in the UI.
type KeywordKey = ReturnType<typeof defineSearchAttributeKey<'KEYWORD'>>;
const keyword = (name: string): KeywordKey => ({ name, type: 'KEYWORD' });
export const JobIdKey = keyword('JobId');
export const OwnerKey = keyword('Owner');
export const JobStatusKey = keyword('JobStatus');
export const FileNameKey = keyword('FileName');
/** `waiting` while the workflow waits for a person's approval, then `approved`; absent when no review is required. */
export const ReviewStateKey = keyword('ReviewState');
export const SEARCH_ATTRIBUTE_KEYS = [JobIdKey, OwnerKey, JobStatusKey, FileNameKey, ReviewStateKey];

/** The extensions a result's name loses: `scan.tiff` → `scan.xlsx`, `lab.pdf` → `lab.json`. */
export const DOCUMENT_EXTENSION = /\.(pdf|tiff?|png|jpe?g|webp)$/i;

/** The name a document's results are saved under: its file name without the document's extension. */
export function resultBaseName(filename: string): string {
  return filename.replace(DOCUMENT_EXTENSION, '').trim() || 'document';
}
