/**
 * A completed job's result at a version: the machine's extraction (version 0, stores/extractions.ts) with
 * the effects of the corrections up to that version replayed (library/review), and the job's review facts.
 * Every reader of a result in the API (JSON, workbook, combined workbook, page highlights) goes through here,
 * so every export is of the reviewed values.
 */
import type { ExtractionDownload } from '../core/contract/extraction.js';
import type { JobResult, ResultReview } from '../core/contract/job-result.js';
import { extractionToJson } from '../library/export/json.js';
import { replayCorrections, withReviewStates } from '../library/review/corrections.js';
import { loadJobResult } from '../stores/extractions.js';
import type { JobRow } from '../stores/jobs.js';
import { correctionEffects } from '../stores/reviews.js';

/** The result at `version` (default: the job row's current version). The caller checks that the version exists. */
export async function loadResultVersion(job: JobRow, version = job.result_version): Promise<JobResult> {
  const machine = await loadJobResult(job.id);
  const effects = version === 0 ? [] : await correctionEffects(job.id, version);
  return {
    ...machine,
    extraction: effects.length > 0 ? replayCorrections(machine.extraction, effects) : machine.extraction,
    review: resultReview(job, version),
  };
}

/** The review facts of the job row, said of `version`. */
export function resultReview(job: Pick<JobRow, 'review_state' | 'approved_by' | 'approved_at'>, version: number): ResultReview {
  return { version, state: job.review_state, approvedBy: job.approved_by, approvedAt: job.approved_at };
}

/** The JSON the API answers with: every value carries its review state (`unreviewed` when nobody looked). */
export function resultJson(result: JobResult): ExtractionDownload {
  return extractionToJson({ ...result, extraction: withReviewStates(result.extraction) });
}
