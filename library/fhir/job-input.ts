/**
 * What a Bundle is built from, gathered from a finished job's result and its stored document: the file's
 * facts (media type from its bytes, size, SHA-256), the result's version and review, and the positioned
 * words of the cited pages (stored OCR word boxes, or the PDF's text layer) for highlight boxes.
 */
import crypto from 'node:crypto';
import { LIST_SECTIONS, SCALAR_GROUPS, type Extraction } from '../../core/contract/extraction.js';
import type { JobResult } from '../../core/contract/job-result.js';
import { detectDocumentKind, KIND_SIGNATURE_BYTES, type DocumentKind } from '../document/kind.js';
import { ocrWordsToPageWords, textLayerWords, type PageWord } from '../pdf/preview.js';
import type { BundleInput } from './bundle.js';

const MEDIA_TYPES: Record<DocumentKind, string> = {
  pdf: 'application/pdf',
  tiff: 'image/tiff',
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** A stored OCR page's word boxes as the pipeline kept them, with its size in pixels. */
export interface StoredOcrWords {
  page: number;
  words: unknown;
  width: number;
  height: number;
}

/** The 1-based pages the extraction quotes from. */
function citedPages(x: Extraction): Set<number> {
  const pages = new Set<number>();
  for (const group of SCALAR_GROUPS) for (const field of Object.values(x[group])) if (field.evidence) pages.add(field.evidence.page);
  for (const section of LIST_SECTIONS) for (const item of x[section]) pages.add(item.evidence.page);
  return pages;
}

export async function jobBundleInput(
  result: JobResult,
  document: { bytes: Uint8Array; uploadedAt: Date; pageCount: number },
  ocrWords: readonly StoredOcrWords[],
): Promise<BundleInput> {
  const detected = detectDocumentKind(document.bytes.subarray(0, KIND_SIGNATURE_BYTES));
  const kind: DocumentKind = detected.kind === 'unknown' || detected.kind === 'unsupported' ? 'pdf' : detected.kind;
  const cited = citedPages(result.extraction);
  const pageWords = new Map<number, PageWord[]>();
  for (const p of ocrWords) if (cited.has(p.page)) pageWords.set(p.page, ocrWordsToPageWords(p.words, p.width, p.height));
  if (kind === 'pdf') {
    for (const page of cited) {
      if (pageWords.has(page) || page < 1 || page > document.pageCount) continue;
      try {
        pageWords.set(page, await textLayerWords(document.bytes, page));
      } catch {
        // Boxes are a help, not the data: a PDF that opens only with its password (kept no longer than its
        // job) gives its values without them rather than no Bundle at all.
        break;
      }
    }
  }
  const review = result.review;
  return {
    source: {
      jobId: result.jobId,
      filename: result.filename,
      contentType: MEDIA_TYPES[kind],
      sizeBytes: document.bytes.byteLength,
      sha256: crypto.createHash('sha256').update(document.bytes).digest('hex'),
      createdAt: document.uploadedAt.toISOString(),
    },
    extraction: result.extraction,
    meta: {
      version: review?.version ?? 0,
      reviewState: review?.state ?? 'unreviewed',
      approvedBy: review?.approvedBy ?? null,
      approvedAt: review?.approvedAt?.toISOString() ?? null,
      provider: result.provider,
      model: result.model ?? null,
      extractedAt: result.extractedAt.toISOString(),
    },
    pageWords,
  };
}
