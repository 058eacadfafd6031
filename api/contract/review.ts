/**
 * Review and correction of a completed job's result: the version query, the correction (a JSON Patch with
 * `If-Match`), the history and the job's review state. The patch and event shapes are the review
 * contract's own (core/contract/review.ts).
 */
import { z } from 'zod';
import { JOB_REVIEW_STATES } from '../../core/contract/jobs.js';
import { JsonPatchSchema, ResultEventSchema } from '../../core/contract/review.js';
import { IsoDateTime } from './common.js';

export { type PatchOperation, type ResultEvent } from '../../core/contract/review.js';

export const JobReviewStateSchema = z
  .enum(JOB_REVIEW_STATES)
  .describe('unreviewed: nobody has corrected or approved it; in_review: a person is on it; approved: signed off, corrections frozen until reopened')
  .meta({ id: 'JobReviewState' });

export const ResultVersionQuery = z.object({
  version: z
    .string()
    .regex(/^\d{1,6}$/, 'not a version number')
    .transform(Number)
    .optional()
    .describe("an earlier version, rebuilt from the history (0: the machine's extraction); default the current one"),
});

export const CorrectionPatchSchema = JsonPatchSchema.meta({ id: 'CorrectionPatch' });

const versionTag = z.string().max(40).describe('`"<version>"` as the result\'s ETag gave it');

export const CorrectionHeaders = z.object({
  'if-match': versionTag.optional().describe('required: the version the patch was written against (`"3"`); a stale one answers 412'),
  'x-correction-reason': z.string().max(500).optional().describe('why, in a few words (kept in the history; not in the audit log)'),
});

export const ReviewHeaders = z.object({
  'if-match': versionTag.optional().describe('optional: approve only if the result is still at this version'),
});

export const ReviewRequestSchema = z
  .strictObject({
    state: z.enum(['approved', 'in_review']).describe('approved: sign off (freezes corrections); in_review: reopen'),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'ReviewRequest' });
export type ReviewRequest = z.input<typeof ReviewRequestSchema>;

export const ReviewStatusSchema = z
  .object({
    jobId: z.uuid(),
    version: z.int().min(0),
    reviewState: JobReviewStateSchema,
    approvedBy: z.string().nullable(),
    approvedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'ReviewStatus' });
export type ReviewStatus = z.infer<typeof ReviewStatusSchema>;

export const ResultHistorySchema = ReviewStatusSchema.extend({
  events: z.array(ResultEventSchema.meta({ id: 'ResultEvent' })).describe('oldest first'),
}).meta({ id: 'ResultHistory' });
export type ResultHistory = z.infer<typeof ResultHistorySchema>;
