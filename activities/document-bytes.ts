/**
 * The worker's cache of documents' bytes for the OCR step. A document is OCRed one page per activity,
 * and every activity needs the whole PDF: without the cache a 300-page, 70 MB scan would be read from
 * Postgres 300 times (21 GB). A stored document never changes, so a cached copy is always right;
 * concurrent first reads of one document share a single query.
 */
import { LRUCache } from 'lru-cache';
import * as store from '../stores/jobs.js';

/** At most this many bytes of documents are kept per worker process (least recently used go first). */
export const DOCUMENT_CACHE_BYTES = 256 * 1024 * 1024;

const cache = new LRUCache<string, Uint8Array>({
  maxSize: DOCUMENT_CACHE_BYTES,
  sizeCalculation: (bytes) => Math.max(1, bytes.byteLength),
  // Long enough for one document's OCR; an idle worker does not hold patients' documents for ever.
  ttl: 10 * 60_000,
  fetchMethod: (jobId) => store.getDocumentBytes(jobId),
});

/** The PDF of a job: from this process's cache, else from Postgres. Callers must not modify it. */
export async function cachedDocumentBytes(jobId: string): Promise<Uint8Array> {
  const bytes = await cache.fetch(jobId);
  return bytes ?? store.getDocumentBytes(jobId);
}

/** Forget a job's document (it was deleted, or the job ended). */
export function forgetDocumentBytes(jobId: string): void {
  cache.delete(jobId);
}
