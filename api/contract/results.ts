/**
 * Results of completed jobs: the extraction as JSON (its schema is the extraction contract's own), a
 * cited page with the boxes of its quotes, and several jobs as one workbook.
 */
import { z } from 'zod';
import { ExtractionDownloadSchema } from '../../core/contract/extraction.js';
import { resourceId } from './common.js';

export { type ExtractionDownload as ExtractionResult } from '../../core/contract/extraction.js';

/** `GET /jobs/:id/result`: extraction schema v1 with evidence, and the job's facts. */
export const ExtractionResultSchema = ExtractionDownloadSchema.meta({ id: 'ExtractionResult' });

/** At most this many jobs in one combined workbook. */
export const MAX_COMBINED_JOBS = 100;

const BoxSchema = z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() });

export const PageViewSchema = z
  .object({
    page: z.int().min(1),
    pageCount: z.int().min(1),
    source: z.enum(['text_layer', 'ocr']).describe('where the page text came from'),
    ocrConfidence: z.number().min(0).max(1).nullable().describe("mean confidence of the page's OCR words (null for a text-layer page)"),
    aspectRatio: z.number().positive().describe('width / height of the page as displayed'),
    wordBoxes: z.boolean().describe('false when the page has no positioned words (nothing can be highlighted)'),
    highlights: z
      .array(z.object({ quote: z.string(), boxes: z.array(BoxSchema).describe('fractions of the page, origin top left; empty when not located') }))
      .describe('every quote the extraction cites on this page'),
    words: z
      .array(z.object({ text: z.string(), box: BoxSchema.describe('fractions of the page, origin top left') }))
      .describe(
        "every positioned word on the page (OCR word boxes or the text layer's), in reading order; empty when `wordBoxes` is false. " +
          'The review screen lets a person pick words from it into a value being edited.',
      ),
  })
  .meta({ id: 'PageView' });
export type PageView = z.infer<typeof PageViewSchema>;

export const CombinedDownloadRequestSchema = z
  .strictObject({
    jobIds: z
      .array(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a job id'))
      .min(1)
      .max(MAX_COMBINED_JOBS)
      .describe(`completed jobs, 1–${MAX_COMBINED_JOBS}; the workbook keeps this order`),
  })
  .meta({ id: 'CombinedDownloadRequest' });
export type CombinedDownloadRequest = z.input<typeof CombinedDownloadRequestSchema>;

export const JobPageParams = z.object({
  id: resourceId('the job'),
  page: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, 'the page was not found')
    .describe('1-based page number'),
});

/** The resolutions a page image is rendered at: the screen view, and sharper ones to zoom into. */
export const PAGE_IMAGE_DPIS = [100, 200, 300] as const;
export type PageImageDpi = (typeof PAGE_IMAGE_DPIS)[number];

export const PageImageQuery = z.object({
  dpi: z
    .enum(PAGE_IMAGE_DPIS.map(String) as ['100', '200', '300'])
    .default('100')
    .transform(Number)
    .describe(`render resolution in dots per inch, one of ${PAGE_IMAGE_DPIS.join(', ')} (default 100, the screen view; higher to zoom in)`),
});
export type PageImageQueryInput = z.input<typeof PageImageQuery>;
