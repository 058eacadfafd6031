/** Uploading documents: what `POST /upload` answers. */
import { z } from 'zod';
import { JobStatusSchema } from './jobs.js';

export const UploadedJobSchema = z.object({
  id: z.uuid(),
  filename: z.string(),
  status: JobStatusSchema,
  duplicate: z.boolean().describe('true when the same file was uploaded before by the same owner: the existing job is returned'),
});
export type UploadedJob = z.infer<typeof UploadedJobSchema>;

export const UploadResultSchema = z.object({ jobs: z.array(UploadedJobSchema) }).meta({ id: 'UploadResult' });
export type UploadResult = z.infer<typeof UploadResultSchema>;
