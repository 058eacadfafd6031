/**
 * A completed job's result at a version: the machine's extraction (version 0, stores/extractions.ts) with
 * the effects of the corrections up to that version replayed (library/review), and the job's review facts.
 * Every reader of a result in the API (JSON, workbook, combined workbook, page highlights) goes through here,
 * so every export is of the reviewed values.
 */
import type { JobResult } from '../core/contract/job-result.js';
import { replayCorrections } from '../library/review/corrections.js';
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
    review: { version, state: job.review_state, approvedBy: job.approved_by, approvedAt: job.approved_at },
  };
}
