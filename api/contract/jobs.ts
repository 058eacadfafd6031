/** Jobs: upload, follow, list, cancel and delete — request and response shapes. */
import { z } from 'zod';
import type { JobStage, JobStatus } from '../../core/contract/jobs.js';
import { IsoDateTime, resourceId } from './common.js';

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];
const JOB_STAGES = ['prepare', 'ocr', 'extract', 'export'] as const satisfies readonly JobStage[];
export const JobStatusSchema = z.enum(JOB_STATUSES);

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const JobViewSchema = z
  .object({
    id: z.uuid(),
    owner: z.string().describe('user id of the job owner'),
    filename: z.string(),
    status: JobStatusSchema,
    stage: z.enum(JOB_STAGES).nullable(),
    progress: z.object({ pagesDone: z.int().min(0), pagesTotal: z.int().min(0).nullable() }),
    error: z.object({ code: z.string().describe('the typed failure, e.g. InvalidPdf, PasswordRequired, Timeout'), message: z.string() }).nullable(),
    createdAt: IsoDateTime,
    startedAt: IsoDateTime.nullable(),
    finishedAt: IsoDateTime.nullable(),
    tokens: z.object({ in: z.int().min(0), out: z.int().min(0) }),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobViewSchema>;

export const JobListQuerySchema = z.object({
  status: JobStatusSchema.optional().describe('only jobs with this status'),
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
