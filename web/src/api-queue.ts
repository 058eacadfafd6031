/** The work queue over the API: a page of jobs searched, filtered and sorted; the next job waiting for review. */
import type { JobList, JobListQuery, JobView, NextReview } from '../../api/contract/jobs.js';
import { ApiError, request } from './api.js';

export type JobSort = NonNullable<JobListQuery['sort']>;
export type JobListFilters = Pick<JobListQuery, 'status' | 'needsReview' | 'reviewState' | 'awaitingReview' | 'q' | 'from' | 'to' | 'owner' | 'sort'>;

/** One page of jobs (100 at most); pass the previous page's `nextCursor` as `cursor` for the next one. */
export async function listJobs(filters: JobListFilters, cursor?: string, limit = 100): Promise<JobList> {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const [k, v] of Object.entries(filters)) if (typeof v === 'string' && v.trim() !== '') q.set(k, v.trim());
  if (cursor) q.set('cursor', cursor);
  const res = await request('GET', `/jobs?${q.toString()}`);
  return (await res.json()) as JobList;
}

/** The job that has waited longest for review among those the signed-in user may see, or null when none waits. */
export async function nextJobToReview(): Promise<JobView | null> {
  try {
    const res = await request('GET', '/jobs/next-review');
    return ((await res.json()) as NextReview).job;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
