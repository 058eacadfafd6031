/** Uploading documents: what `POST /upload` answers. */
import { z } from 'zod';
import { ErrorCodeSchema } from './common.js';
import { JobStatusSchema } from './jobs.js';

export const UploadedJobSchema = z.object({
  id: z.uuid(),
  filename: z.string(),
  status: JobStatusSchema,
  duplicate: z.boolean().describe('true when the same file was uploaded before by the same owner: the existing job is returned'),
});
export type UploadedJob = z.infer<typeof UploadedJobSchema>;

export const UploadRefusalSchema = z
  .object({
    filename: z.string(),
    code: ErrorCodeSchema.extract(['UnsupportedFormat', 'TooLarge']).describe('UnsupportedFormat: not a kind that is read; TooLarge: over the per-file cap'),
    message: z.string().describe('why, in plain words, naming the file'),
  })
  .meta({ id: 'UploadRefusal' });
export type UploadRefusal = z.infer<typeof UploadRefusalSchema>;

export const UploadResultSchema = z
  .object({
    jobs: z.array(UploadedJobSchema).describe('one per accepted file, in the order sent'),
    refused: z.array(UploadRefusalSchema).describe('one per refused file, in the order sent; nothing of these was stored'),
  })
  .meta({ id: 'UploadResult' });
export type UploadResult = z.infer<typeof UploadResultSchema>;
