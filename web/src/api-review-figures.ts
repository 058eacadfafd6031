/** Reviewer figures (administrators and reviewers), over the API (types from its contract). */
import type { FieldTypeFigures, ReviewFigures } from '../../api/contract/review-figures.js';
import { request } from './api.js';

export type { FieldTypeFigures, ReviewFigures };

/** The figures, optionally of decisions and approvals in [from, to). */
export async function getReviewFigures(window: { from?: Date; to?: Date } = {}): Promise<ReviewFigures> {
  const q = new URLSearchParams();
  if (window.from) q.set('from', window.from.toISOString());
  if (window.to) q.set('to', window.to.toISOString());
  const query = q.toString();
  const res = await request('GET', `/review/figures${query ? `?${query}` : ''}`);
  return (await res.json()) as ReviewFigures;
}
