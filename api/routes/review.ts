/**
 * Review and correction of a completed job's result (the result itself is `GET /jobs/:id/result`,
 * api/routes/jobs.ts). Same access rules as the job routes: the owner, reviewers and administrators; any
 * other caller gets the same 404. Every correction and review-state change is audited with its version,
 * the number of operations and the paths it touched — never the values.
 */
import { CorrectionError, applyCorrection } from '../../library/review/corrections.js';
import { appendCorrection, listResultEvents, resultReview, setReviewState, type Actor } from '../../stores/reviews.js';
import { getJob, recordPatientName, type JobRow } from '../../stores/jobs.js';
import { searchablePatientName } from '../../core/contract/patient-name.js';
import { signalReviewApproved } from '../../services/pipeline-client.js';
import { audit } from '../audit.js';
import { currentUser } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { JobIdParams } from '../contract/jobs.js';
import { ExtractionResultSchema } from '../contract/results.js';
import {
  CorrectionHeaders,
  CorrectionPatchSchema,
  ResultHistorySchema,
  ReviewHeaders,
  ReviewRequestSchema,
  ReviewStatusSchema,
  type ResultHistory,
  type ReviewStatus,
} from '../contract/review.js';
import { RouteGroup } from '../route.js';
import { requireCompleted, visibleJob } from './jobs.js';
import { loadResultVersion, resultJson } from '../result-versions.js';

export const reviewRoutes = new RouteGroup('signed-in');

const NO_SUCH_JOB = 'no such job, or not yours';

reviewRoutes.route(
  {
    method: 'patch',
    path: '/jobs/:id/result',
    tag: 'jobs',
    scope: 'review',
    operationId: 'correctJobResult',
    summary: 'Correct, accept, reject or add values: a JSON Patch against the current version',
    description:
      'Send the operations as `application/json-patch+json` with `If-Match: "<version>"` (the ETag of `GET /jobs/{id}/result`). ' +
      'The patched result is checked against the extraction contract; on success it is the next version, answered in full with its ETag. ' +
      'Paths are those of the result as `GET` shows it, e.g. `/patient/name/value`, `/lab_results/2/unit`, `/medications/0/review/state`, `/vitals/-`.',
    params: JobIdParams,
    headers: CorrectionHeaders,
    body: CorrectionPatchSchema,
    bodyType: 'application/json-patch+json',
    answers: { 200: { description: 'the new version', json: ExtractionResultSchema, headers: { ETag: '`"<version>"`' } } },
    errors: {
      404: NO_SUCH_JOB,
      409:
        'the job has not completed (NotReady); the result is approved and frozen until reopened (ReviewApproved); ' +
        'another correction was stored first (VersionConflict); or a `test` operation failed (PatchTestFailed)',
      412: 'If-Match names a version that is not the current one (code PreconditionFailed): GET the result again and redo the change on it',
      422:
        'an operation targets a field or item that does not exist (PatchTargetMissing), writes what only the system keeps (NotCorrectable), ' +
        'adds a value without its page (EvidenceRequired), or the patched result breaks the extraction contract (ContractViolation); nothing is stored',
      428: 'no If-Match header (code PreconditionRequired)',
    },
  },
  async (ctx, { params, headers, body }) => {
    const job = await visibleJob(ctx, params.id);
    requireCompleted(job, 'result');
    if (headers['if-match'] === undefined) {
      throw new ApiError(428, 'PreconditionRequired', 'send If-Match: "<version>" with the version you corrected (the ETag of GET /jobs/{id}/result)');
    }
    const expected = versionTag(headers['if-match']);
    if (job.review_state === 'approved') throw approved(job);
    if (expected !== job.result_version) throw stale(expected, job.result_version);

    const user = currentUser(ctx);
    const at = new Date();
    const current = await loadResultVersion(job);
    let correction;
    try {
      correction = applyCorrection(current.extraction, body, { by: user.username, at, pageCount: job.pages_total ?? 0 });
    } catch (err) {
      if (err instanceof CorrectionError) throw new ApiError(err.code === 'PatchTestFailed' ? 409 : 422, err.code, err.message);
      throw err;
    }
    const actor: Actor = { id: user.id, name: user.username };
    const reason = headers['x-correction-reason']?.trim() || null;
    const stored = await appendCorrection(job.id, expected, { actor, at, reason, patch: body, effect: correction.effect, changes: correction.changes });
    if (!stored.ok) {
      if (stored.why === 'gone') throw notFound('the job');
      if (stored.why === 'approved') throw approved(job);
      throw new ApiError(409, 'VersionConflict', `another correction was stored first (the result is now at version ${stored.current}); GET it and redo yours`);
    }
    await recordPatientName(job.id, searchablePatientName(correction.next));
    await audit(ctx, {
      action: 'job.correct',
      targetType: 'job',
      targetId: job.id,
      detail: {
        version: stored.version,
        operations: body.length,
        values: correction.changes.length,
        states: summarise(correction.changes.map((c) => c.state)),
        paths: correction.changes
          .map((c) => c.path)
          .join(' ')
          .slice(0, 500),
      },
    });
    // The first correction moves an unreviewed job into review (stores/reviews.ts); nothing else changed on the row.
    const now = { ...job, review_state: job.review_state === 'unreviewed' ? ('in_review' as const) : job.review_state };
    ctx.set('ETag', `"${stored.version}"`);
    ctx.body = resultJson({ ...current, extraction: correction.next, review: resultReview(now, stored.version) });
  },
);

reviewRoutes.route(
  {
    method: 'get',
    path: '/jobs/:id/result/history',
    tag: 'jobs',
    operationId: 'getJobResultHistory',
    summary: 'Every correction and review-state change of a result, oldest first',
    params: JobIdParams,
    answers: { 200: { description: 'the history', json: ResultHistorySchema } },
    errors: { 404: NO_SUCH_JOB, 409: 'the job has not completed (code NotReady)' },
  },
  async (ctx, { params }) => {
    const job = await visibleJob(ctx, params.id);
    requireCompleted(job, 'result');
    const events = await listResultEvents(job.id);
    await audit(ctx, { action: 'job.history_view', targetType: 'job', targetId: job.id, detail: { events: events.length } });
    ctx.body = {
      ...status(job),
      events: events.map((e) => ({
        kind: e.kind,
        version: e.version,
        by: e.actor_name,
        at: e.at.toISOString(),
        reason: e.reason,
        patch: e.patch,
        changes: e.changes,
        reviewState: e.review_state,
      })),
    } satisfies ResultHistory;
  },
);

reviewRoutes.route(
  {
    method: 'post',
    path: '/jobs/:id/review',
    tag: 'jobs',
    scope: 'review',
    operationId: 'setJobReviewState',
    summary: 'Approve a result (freezes corrections) or reopen it for review',
    description: 'Approval records who and when; the workbook and JSON then say so. Reopening (`in_review`) lets corrections in again.',
    params: JobIdParams,
    headers: ReviewHeaders,
    body: ReviewRequestSchema,
    answers: { 200: { description: 'the review state now', json: ReviewStatusSchema } },
    errors: {
      404: NO_SUCH_JOB,
      409: 'the job has not completed (code NotReady)',
      412: 'If-Match names a version that is not the current one (code PreconditionFailed)',
    },
  },
  async (ctx, { params, headers, body }) => {
    const job = await visibleJob(ctx, params.id);
    requireCompleted(job, 'result');
    if (headers['if-match'] !== undefined) {
      const expected = versionTag(headers['if-match']);
      if (expected !== job.result_version) throw stale(expected, job.result_version);
    }
    const user = currentUser(ctx);
    const changed = await setReviewState(job.id, body.state, {
      actor: { id: user.id, name: user.username },
      at: new Date(),
      reason: body.reason?.trim() || null,
    });
    if (!changed) throw notFound('the job');
    if (body.state === 'approved' && changed.previous !== 'approved' && job.review_required) await signalReviewApproved(ctx.deps.temporal, job.id);
    const now = (await getJob(job.id)) ?? job;
    await audit(ctx, {
      action: 'job.review',
      targetType: 'job',
      targetId: job.id,
      detail: { state: body.state, from: changed.previous, version: changed.version },
    });
    ctx.body = status(now) satisfies ReviewStatus;
  },
);

function status(job: JobRow): ReviewStatus {
  return {
    jobId: job.id,
    version: job.result_version,
    reviewState: job.review_state,
    approvedBy: job.approved_by,
    approvedAt: job.approved_at ? job.approved_at.toISOString() : null,
  };
}

/** `"3"`, `W/"3"` or a bare `3` → 3. */
function versionTag(tag: string): number {
  const m = /^\s*(?:W\/)?"?(\d{1,6})"?\s*$/.exec(tag);
  if (!m) throw new ApiError(412, 'PreconditionFailed', 'If-Match must be the result\'s version as its ETag gives it, e.g. "3"');
  return Number(m[1]);
}

function stale(expected: number, current: number): ApiError {
  return new ApiError(412, 'PreconditionFailed', `the result is at version ${current}, not ${expected}: GET it again and redo the change on it`);
}

function approved(job: JobRow): ApiError {
  return new ApiError(
    409,
    'ReviewApproved',
    `the result was approved${job.approved_by ? ` by ${job.approved_by}` : ''} and is frozen; reopen it (POST /jobs/${job.id}/review with state in_review) to correct it`,
  );
}

/** `accepted:2 corrected:1` — counts of states, for the audit trail. */
function summarise(states: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}:${n}`).join(' ');
}
