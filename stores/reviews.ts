/**
 * The review history of a job's result (table `result_events`) and its review state on the job row.
 * Append-only: a correction is inserted under the job row's lock after checking that the caller's version
 * is still the current one and the result is not approved, so two reviewers never both write version N.
 */
import type { ResultReview } from '../core/contract/job-result.js';
import type { JobReviewState } from '../core/contract/jobs.js';
import type { PatchOperation, ValueChange } from '../core/contract/review.js';
import { inTransaction, db } from './pool.js';

export interface ResultEventRow {
  seq: number;
  kind: 'correction' | 'review';
  version: number;
  actor_name: string;
  at: Date;
  reason: string | null;
  patch: PatchOperation[] | null;
  effect: PatchOperation[] | null;
  changes: ValueChange[];
  review_state: JobReviewState | null;
}

export interface Actor {
  id: string;
  name: string;
}

/** The events of a job's result, oldest first. */
export async function listResultEvents(jobId: string): Promise<ResultEventRow[]> {
  const r = await db().query<ResultEventRow>(
    `SELECT seq, kind, version, actor_name, at, reason, patch, effect, changes, review_state
       FROM result_events WHERE job_id = $1 ORDER BY seq`,
    [jobId],
  );
  return r.rows;
}

/** The effects of corrections 1..upTo (all when absent), in order. */
export async function correctionEffects(jobId: string, upTo?: number): Promise<PatchOperation[][]> {
  const r = await db().query<{ effect: PatchOperation[] }>(
    `SELECT effect FROM result_events WHERE job_id = $1 AND kind = 'correction' AND ($2::int IS NULL OR version <= $2) ORDER BY version`,
    [jobId, upTo ?? null],
  );
  return r.rows.map((row) => row.effect);
}

export type AppendOutcome = { ok: true; version: number } | { ok: false; why: 'stale' | 'approved' | 'gone'; current?: number };

/**
 * Stores correction `expected + 1` if the result is still at version `expected` and not approved; the job
 * moves from unreviewed to in_review.
 */
export async function appendCorrection(
  jobId: string,
  expected: number,
  e: { actor: Actor; at: Date; reason: string | null; patch: readonly PatchOperation[]; effect: readonly PatchOperation[]; changes: readonly ValueChange[] },
): Promise<AppendOutcome> {
  return inTransaction(async (client) => {
    const job = await client.query<{ result_version: number; review_state: JobReviewState }>(
      'SELECT result_version, review_state FROM jobs WHERE id = $1 FOR UPDATE',
      [jobId],
    );
    const row = job.rows[0];
    if (!row) return { ok: false, why: 'gone' };
    if (row.review_state === 'approved') return { ok: false, why: 'approved', current: row.result_version };
    if (row.result_version !== expected) return { ok: false, why: 'stale', current: row.result_version };
    const version = expected + 1;
    await client.query(
      `INSERT INTO result_events (job_id, seq, kind, version, actor_id, actor_name, at, reason, patch, effect, changes)
       VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM result_events WHERE job_id = $1), 'correction', $2, $3, $4, $5, $6, $7, $8, $9)`,
      [jobId, version, e.actor.id, e.actor.name, e.at, e.reason, JSON.stringify(e.patch), JSON.stringify(e.effect), JSON.stringify(e.changes)],
    );
    await client.query(
      `UPDATE jobs SET result_version = $2, review_state = CASE WHEN review_state = 'unreviewed' THEN 'in_review' ELSE review_state END WHERE id = $1`,
      [jobId, version],
    );
    return { ok: true, version };
  });
}

/**
 * Sets the job's review state (approve, or reopen as in_review) and records it as an event. Returns the
 * state before, or undefined when the job is gone. Setting the state it already has records nothing.
 */
export async function setReviewState(
  jobId: string,
  state: Exclude<JobReviewState, 'unreviewed'>,
  e: { actor: Actor; at: Date; reason: string | null },
): Promise<{ previous: JobReviewState; version: number } | undefined> {
  return inTransaction(async (client) => {
    const job = await client.query<{ result_version: number; review_state: JobReviewState }>(
      'SELECT result_version, review_state FROM jobs WHERE id = $1 FOR UPDATE',
      [jobId],
    );
    const row = job.rows[0];
    if (!row) return undefined;
    if (row.review_state === state) return { previous: row.review_state, version: row.result_version };
    await client.query(
      `INSERT INTO result_events (job_id, seq, kind, version, actor_id, actor_name, at, reason, review_state)
       VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM result_events WHERE job_id = $1), 'review', $2, $3, $4, $5, $6, $7)`,
      [jobId, row.result_version, e.actor.id, e.actor.name, e.at, e.reason, state],
    );
    await client.query(
      state === 'approved'
        ? 'UPDATE jobs SET review_state = $2, approved_by = $3, approved_at = $4 WHERE id = $1'
        : 'UPDATE jobs SET review_state = $2, approved_by = NULL, approved_at = NULL WHERE id = $1',
      state === 'approved' ? [jobId, state, e.actor.name, e.at] : [jobId, state],
    );
    return { previous: row.review_state, version: row.result_version };
  });
}

/** The review facts of a job row, said of `version`. */
export function resultReview(job: { review_state: JobReviewState; approved_by: string | null; approved_at: Date | null }, version: number): ResultReview {
  return { version, state: job.review_state, approvedBy: job.approved_by, approvedAt: job.approved_at };
}

/** Where people stand with a job's result now (its current version); undefined when the job is gone. */
export async function currentReview(jobId: string): Promise<ResultReview | undefined> {
  const r = await db().query<{ result_version: number; review_state: JobReviewState; approved_by: string | null; approved_at: Date | null }>(
    'SELECT result_version, review_state, approved_by, approved_at FROM jobs WHERE id = $1',
    [jobId],
  );
  const row = r.rows[0];
  return row ? resultReview(row, row.result_version) : undefined;
}

/** Records whether the review policy makes the job wait for a person's approval (see REVIEW_POLICY). */
export async function setReviewRequired(jobId: string, required: boolean): Promise<void> {
  await db().query('UPDATE jobs SET review_required = $2 WHERE id = $1', [jobId, required]);
}
