/** Jobs: upload, follow, list, cancel and delete — request and response shapes. */
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
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobViewSchema>;

export const JobListQuerySchema = z.object({
  status: JobStatusSchema.optional().describe('only jobs with this status'),
  needsReview: z.enum(['true', 'false']).optional().describe('true: only completed jobs that need review; false: every other job (combines with status)'),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('page size, 1–100'),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
  owner: z.string().min(1).max(200).optional().describe('admin only: the jobs of this user id'),
});
export type JobListQuery = z.input<typeof JobListQuerySchema>;

export const JobListSchema = z
  .object({ jobs: z.array(JobViewSchema), nextCursor: z.string().nullable().describe('null on the last page') })
  .meta({ id: 'JobList' });
export type JobList = z.infer<typeof JobListSchema>;

export const CancelResultSchema = z.object({ id: z.uuid(), status: z.enum(['cancelling', 'cancelled']) }).meta({ id: 'CancelResult' });
export type CancelResult = z.infer<typeof CancelResultSchema>;

export const JobIdParams = z.object({ id: resourceId('the job') });
