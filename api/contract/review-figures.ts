/**
 * Reviewer figures for administrators and reviewers (`GET /review/figures`): per field type how many
 * values people accepted, corrected, rejected or added (by the latest decision on each value, as
 * `medextract_review_values` on /metrics counts them) and the corrected share, plus documents
 * reviewed, jobs waiting now and time per document.
 */
import { z } from 'zod';
import { IsoDateTime } from './common.js';

export const ReviewFiguresQuerySchema = z
  .object({
    from: IsoDateTime.optional().describe('decisions and approvals at or after this time'),
    to: IsoDateTime.optional().describe('decisions and approvals before this time'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['to'] });
export type ReviewFiguresQuery = z.input<typeof ReviewFiguresQuerySchema>;

const values = z.int().min(0);

export const FieldTypeFiguresSchema = z
  .object({
    fieldType: z.string().describe('`patient.name` for a field, `lab_results` for a list item'),
    accepted: values,
    corrected: values,
    rejected: values,
    added: values.describe('values a person added that the machine missed'),
    correctedShare: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('corrected / (accepted + corrected + rejected): how often the machine got a value of this type wrong; null when none was decided'),
  })
  .meta({ id: 'FieldTypeFigures' });
export type FieldTypeFigures = z.infer<typeof FieldTypeFiguresSchema>;

export const ReviewFiguresSchema = z
  .object({
    from: IsoDateTime.nullable(),
    to: IsoDateTime.nullable(),
    fieldTypes: z.array(FieldTypeFiguresSchema).describe('highest corrected share first; field types without a share last'),
    documentsReviewed: values.describe('jobs approved now (with from/to: approved in that time)'),
    medianSecondsPerDocument: z
      .number()
      .min(0)
      .nullable()
      .describe('median seconds from the first review event of an approved job to its approval; null when none'),
    waiting: z
      .object({
        unreviewed: values,
        inReview: values,
        oldestSeconds: z.number().min(0).describe('seconds since the oldest waiting job completed; 0 when none waits'),
      })
      .describe("completed jobs the review policy holds for a person's approval, now (from/to do not apply)"),
  })
  .meta({ id: 'ReviewFigures' });
export type ReviewFigures = z.infer<typeof ReviewFiguresSchema>;
