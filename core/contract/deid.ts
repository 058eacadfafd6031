/**
 * De-identification before the LLM (library/deid), as the result, the API, the workbook and the audit log
 * record it: the categories of identifier replaced and how many of each, never a value.
 */
import { z } from 'zod';
import { PHI_CATEGORIES } from './deid-text.js';

export { PHI_CATEGORIES, PHI_CATEGORY_WORDS, STAND_IN_SOURCE, describeDeidCounts, type PhiCategory } from './deid-text.js';

export const DEID_DATE_MODES = ['shift', 'token'] as const;

export const DeidSummarySchema = z
  .object({
    dates: z.enum(DEID_DATE_MODES).describe('shift: every date moved by one hidden per-document offset; token: dates replaced by stand-ins'),
    counts: z
      .partialRecord(z.enum(PHI_CATEGORIES), z.number().int().nonnegative())
      .describe('distinct identifiers replaced per category (a person printed in three forms counts once)'),
  })
  .meta({ id: 'Deidentification' })
  .describe('the page text reached the LLM provider de-identified: what was replaced, counted per category (never a value)');
export type DeidSummary = z.infer<typeof DeidSummarySchema>;
