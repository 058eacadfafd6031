/**
 * `GET /review/figures`: the reviewer figures for administrators and reviewers (the people who see every
 * job); anyone else gets 403. Counts only, never values or patient data; reading them is audited.
 */
import { countValueDecisions, reviewTimes, reviewWaiting, type ValueDecisionCount } from '../../stores/review-figures.js';
import { audit } from '../audit.js';
import { currentUser } from '../context.js';
import { ApiError } from '../errors.js';
import { ReviewFiguresQuerySchema, ReviewFiguresSchema, type FieldTypeFigures, type ReviewFigures } from '../contract/review-figures.js';
import { RouteGroup } from '../route.js';
import { seesAllJobs } from './jobs.js';

export const reviewFigureRoutes = new RouteGroup('signed-in');

reviewFigureRoutes.route(
  {
    method: 'get',
    path: '/review/figures',
    tag: 'jobs',
    scope: 'review',
    operationId: 'getReviewFigures',
    summary: 'Reviewer figures: values accepted, corrected, rejected and added per field type, documents reviewed, waiting, time (admins, reviewers)',
    description:
      'Each value counts once, by the latest decision a person made on it (as `medextract_review_values` on /metrics). ' +
      'The corrected share per field type is what tells the extraction where it is weak. ' +
      '`from`/`to` limit the values to those decided, and the documents to those approved, in that time.',
    query: ReviewFiguresQuerySchema,
    answers: { 200: { description: 'the figures', json: ReviewFiguresSchema } },
    errors: { 403: 'neither an administrator nor a reviewer (code Forbidden)' },
  },
  async (ctx, { query }) => {
    const user = currentUser(ctx);
    if (!seesAllJobs(user.role)) throw new ApiError(403, 'Forbidden', 'the review figures are for administrators and reviewers');
    const window = { from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined };
    const [decisions, times, waiting] = await Promise.all([countValueDecisions(window), reviewTimes(window), reviewWaiting()]);
    const fieldTypes = byFieldType(decisions);
    await audit(ctx, {
      action: 'review.figures_view',
      detail: { ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}), fieldTypes: fieldTypes.length },
    });
    ctx.body = {
      from: query.from ?? null,
      to: query.to ?? null,
      fieldTypes,
      documentsReviewed: times.documents,
      medianSecondsPerDocument: times.medianSeconds,
      waiting,
    } satisfies ReviewFigures;
  },
);

/** One row per field type with its share of corrected values, weakest first. */
export function byFieldType(decisions: readonly ValueDecisionCount[]): FieldTypeFigures[] {
  const rows = new Map<string, FieldTypeFigures>();
  for (const d of decisions) {
    const row = rows.get(d.fieldType) ?? { fieldType: d.fieldType, accepted: 0, corrected: 0, rejected: 0, added: 0, correctedShare: null };
    row[d.state] += d.values;
    rows.set(d.fieldType, row);
  }
  for (const row of rows.values()) {
    // Added values are left out of the share: the machine did not extract them, so they say nothing about its readings.
    const judged = row.accepted + row.corrected + row.rejected;
    row.correctedShare = judged === 0 ? null : row.corrected / judged;
  }
  return [...rows.values()].sort(
    (a, b) => (b.correctedShare ?? -1) - (a.correctedShare ?? -1) || b.corrected - a.corrected || a.fieldType.localeCompare(b.fieldType),
  );
}
