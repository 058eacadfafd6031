/** Jobs: upload, follow, list, cancel and delete — request and response shapes. */
import { DeidSummarySchema } from '../../core/contract/deid.js';
import { z } from 'zod';
import { JOB_REVIEW_STATES, JOB_WARNING_CODES, type JobStage, type JobStatus, type JobWarning } from '../../core/contract/jobs.js';
import { IsoDateTime, resourceId } from './common.js';

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];
const JOB_STAGES = ['prepare', 'ocr', 'extract', 'export'] as const satisfies readonly JobStage[];
export const JobStatusSchema = z.enum(JOB_STATUSES);

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const JobWarningSchema = z
  .object({
    code: z
      .enum(JOB_WARNING_CODES)
      .describe(
        'nothing_extracted: no value came from the document; page_without_values: a page with text yielded no value; ' +
          'low_ocr_confidence: an OCR page was read with a low mean word confidence; unrecognised_layout: the kind of document was not recognised',
      ),
    message: z.string().describe('plain words, never document text'),
    page: z.int().min(1).optional().describe('the page it is about, when it is about one'),
  })
  .meta({ id: 'JobWarning' }) satisfies z.ZodType<JobWarning>;

export const JobViewSchema = z
  .object({
    id: z.uuid(),
    owner: z.string().describe('user id of the job owner'),
    ownerName: z.string().nullable().describe("the owner's username (null when the owner is no longer a user)"),
    filename: z.string(),
    status: JobStatusSchema,
    needsReview: z
      .boolean()
      .describe('a completed job a person should look at before trusting its values: it has warnings or flagged values (false until completed)'),
    warnings: z.array(JobWarningSchema).describe('why, in plain words (empty when nothing is wrong, and until the extraction is done)'),
    stage: z.enum(JOB_STAGES).nullable(),
    progress: z.object({ pagesDone: z.int().min(0), pagesTotal: z.int().min(0).nullable() }),
    error: z.object({ code: z.string().describe('the typed failure, e.g. InvalidPdf, PasswordRequired, Timeout'), message: z.string() }).nullable(),
    createdAt: IsoDateTime,
    startedAt: IsoDateTime.nullable(),
    finishedAt: IsoDateTime.nullable(),
    tokens: z.object({ in: z.int().min(0), out: z.int().min(0) }),
    version: z.int().min(0).describe("the result's current version (0: the machine's extraction; each correction adds one)"),
    reviewState: z
      .enum(JOB_REVIEW_STATES)
      .describe('unreviewed, in_review (a person is correcting it) or approved; the status says where the pipeline is, this where people are'),
    awaitingReview: z
      .boolean()
      .describe("the review policy makes this completed job wait for a person's approval, and nobody has approved it yet (its wait began at finishedAt)"),
    deidentification: DeidSummarySchema.nullable().describe(
      'the page text reached the LLM provider de-identified (what was replaced, counted per category); null when it went as it is or to no LLM',
    ),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobViewSchema>;

/** A calendar day, YYYY-MM-DD, that exists. */
const IsoDay = (what: string) =>
  z.string().refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), {
    error: `${what} must be a date as YYYY-MM-DD, e.g. 2024-03-31`,
  });

export const JOB_LIST_SORTS = ['newest', 'oldest'] as const;

export const JobListQuerySchema = z
  .object({
    status: z
      .string()
      .max(100)
      .transform((s, ctx) => {
        const parts = [...new Set(s.split(',').map((p) => p.trim()))];
        const bad = parts.find((p) => !(JOB_STATUSES as readonly string[]).includes(p));
        if (bad !== undefined) {
          ctx.addIssue({ code: 'custom', message: `status must be one or more of ${JOB_STATUSES.join(', ')}, separated by commas` });
          return z.NEVER;
        }
        return parts as JobStatus[];
      })
      .optional()
      .describe('only jobs with this status, or any of several separated by commas (e.g. `queued,processing`)'),
    needsReview: z.enum(['true', 'false']).optional().describe('true: only completed jobs that need review; false: every other job (combines with status)'),
    reviewState: z.enum(JOB_REVIEW_STATES).optional().describe('only jobs where people stand here: unreviewed, in_review or approved'),
    awaitingReview: z
      .enum(['true', 'false'])
      .optional()
      .describe("true: only completed jobs the review policy holds for a person's approval, not yet approved; false: every other job"),
    q: z
      .string()
      .trim()
      .min(1, 'q must not be empty')
      .max(200, 'q is too long (200 characters at most)')
      .optional()
      .describe("search: part of the file name or of the patient name of the job's current result (corrections included), any case"),
    from: IsoDay('from').optional().describe('only jobs created on or after this day (YYYY-MM-DD, UTC)'),
    to: IsoDay('to').optional().describe('only jobs created on or before this day (YYYY-MM-DD, UTC)'),
    sort: z.enum(JOB_LIST_SORTS).default('newest').describe('newest (default) or oldest first, by creation time'),
    limit: z.coerce.number().int().min(1).max(100).default(50).describe('page size, 1–100'),
    cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page, with the same sort (and the same filters)'),
    owner: z.string().min(1).max(200).optional().describe('administrators and reviewers only: the jobs of this user id'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'from must not be after to', path: ['to'] });
export type JobListQuery = z.input<typeof JobListQuerySchema>;

export const NextReviewSchema = z
  .object({ job: JobViewSchema.describe('the job that has waited longest for review, since it completed') })
  .meta({ id: 'NextReview' });
export type NextReview = z.infer<typeof NextReviewSchema>;

export const JobListSchema = z
  .object({ jobs: z.array(JobViewSchema), nextCursor: z.string().nullable().describe('null on the last page') })
  .meta({ id: 'JobList' });
export type JobList = z.infer<typeof JobListSchema>;

export const CancelResultSchema = z.object({ id: z.uuid(), status: z.enum(['cancelling', 'cancelled']) }).meta({ id: 'CancelResult' });
export type CancelResult = z.infer<typeof CancelResultSchema>;

export const JobIdParams = z.object({ id: resourceId('the job') });
