/**
 * A completed job's result at a version: the machine's extraction (version 0, stores/extractions.ts) with
 * the effects of the corrections up to that version replayed (library/review), and the job's review facts.
 * Every reader of a result in the API (JSON, workbook, combined workbook, page highlights) goes through here,
 * so every export is of the reviewed values.
 */
import type { ExtractionDownload } from '../core/contract/extraction.js';
import type { JobResult } from '../core/contract/job-result.js';
import { extractionToJson } from '../library/export/json.js';
import { reviewedResult, withReviewStates } from '../library/review/corrections.js';
import { loadJobResult } from '../stores/extractions.js';
import type { JobRow } from '../stores/jobs.js';
import { correctionEffects, resultReview } from '../stores/reviews.js';

/** The result at `version` (default: the job row's current version). The caller checks that the version exists. */
export async function loadResultVersion(job: JobRow, version = job.result_version): Promise<JobResult> {
  const machine = await loadJobResult(job.id);
  const effects = version === 0 ? [] : await correctionEffects(job.id, version);
  return reviewedResult(machine, effects, resultReview(job, version));
}

/** The JSON the API answers with: every value carries its review state (`unreviewed` when nobody looked). */
export function resultJson(result: JobResult): ExtractionDownload {
  return extractionToJson({ ...result, extraction: withReviewStates(result.extraction) });
}
