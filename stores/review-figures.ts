/**
 * Reviewer figures, installation-wide: values by their latest decision per field type (table
 * `review_value_decisions`, kept by a trigger on result_events — migrations/1733600002000_review-figures.sql),
 * jobs waiting for a person's approval, and the time people took per approved document. Each is one
 * indexed query over small rows, cheap enough for every Prometheus scrape.
 */
import { db } from './pool.js';

/** The decisions a person makes on a value; `unreviewed` is the absence of one. */
export const DECIDED_STATES = ['accepted', 'corrected', 'rejected', 'added'] as const;
export type DecidedState = (typeof DECIDED_STATES)[number];

/** Optional bounds: at or after `from`, before `to`. */
export interface FigureWindow {
  from?: Date;
  to?: Date;
}

export interface ValueDecisionCount {
  /** `patient.name` for a field, `lab_results` for a list item. */
  fieldType: string;
  state: DecidedState;
  values: number;
}

/**
 * Values by field type and the latest decision on them, over every result; with a window, the values
 * whose latest decision fell in it.
 */
export async function countValueDecisions(window: FigureWindow = {}): Promise<ValueDecisionCount[]> {
  const r = await db().query<{ field_type: string; state: DecidedState; values: number }>(
    `SELECT field_type, state, count(*)::int AS values
       FROM review_value_decisions
      WHERE ($1::timestamptz IS NULL OR decided_at >= $1) AND ($2::timestamptz IS NULL OR decided_at < $2)
      GROUP BY field_type, state
      ORDER BY field_type, state`,
    [window.from ?? null, window.to ?? null],
  );
  return r.rows.map((row) => ({ fieldType: row.field_type, state: row.state, values: row.values }));
}

export interface ReviewWaiting {
  unreviewed: number;
  inReview: number;
  /** Seconds since the oldest waiting job finished; 0 when none waits. */
  oldestSeconds: number;
}

/** Jobs that wait for a person's approval now: completed, required by the review policy, not approved. */
export async function reviewWaiting(): Promise<ReviewWaiting> {
  const r = await db().query<{ review_state: 'unreviewed' | 'in_review'; jobs: number; oldest_seconds: number | null }>(
    `SELECT review_state, count(*)::int AS jobs, extract(epoch FROM now() - min(finished_at))::float8 AS oldest_seconds
       FROM jobs
      WHERE status = 'completed' AND review_required AND review_state <> 'approved'
      GROUP BY review_state`,
  );
  const of = (state: string) => r.rows.find((row) => row.review_state === state);
  return {
    unreviewed: of('unreviewed')?.jobs ?? 0,
    inReview: of('in_review')?.jobs ?? 0,
    oldestSeconds: Math.max(0, ...r.rows.map((row) => row.oldest_seconds ?? 0)),
  };
}

export interface ReviewTimes {
  /** Jobs approved now (with a window: approved in it). */
  documents: number;
  /** Over those jobs, the seconds from their first review event to their approval. */
  totalSeconds: number;
  medianSeconds: number | null;
}

/**
 * Time people took per approved document: from its first review event (seq 1: the first correction, or
 * the approval itself when nothing was corrected) to its latest approval.
 */
export async function reviewTimes(window: FigureWindow = {}): Promise<ReviewTimes> {
  const r = await db().query<{ documents: number; total_seconds: number | null; median_seconds: number | null }>(
    `SELECT count(*)::int AS documents, sum(seconds)::float8 AS total_seconds,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::float8 AS median_seconds
       FROM (SELECT GREATEST(0, extract(epoch FROM j.approved_at - e.at)) AS seconds
               FROM jobs j
               JOIN result_events e ON e.job_id = j.id AND e.seq = 1
              WHERE j.review_state = 'approved'
                AND ($1::timestamptz IS NULL OR j.approved_at >= $1) AND ($2::timestamptz IS NULL OR j.approved_at < $2)) AS approved`,
    [window.from ?? null, window.to ?? null],
  );
  const row = r.rows[0]!;
  return { documents: row.documents, totalSeconds: row.total_seconds ?? 0, medianSeconds: row.median_seconds };
}
