/**
 * The worker's cache of documents' bytes for the OCR step. A document is OCRed in many activities,
 * and every activity needs the whole PDF: without the cache a 300-page, 70 MB scan would be read from
 * Postgres 300 times (21 GB). A stored document never changes, so a cached copy is always right;
 * concurrent first reads of one document share a single query.
 */
import { LRUCache } from 'lru-cache';

/** At most this many bytes of documents are kept per worker process (least recently used go first). */
export const DOCUMENT_CACHE_BYTES = 256 * 1024 * 1024;

export interface DocumentCache {
  /** The PDF of a job: from the cache, else read. Callers must not modify it. */
  get(jobId: string): Promise<Uint8Array>;
  /** Forget a job's document (the job ended, or its OCR is over). */
  forget(jobId: string): void;
}

export function createDocumentCache(read: (jobId: string) => Promise<Uint8Array>, maxBytes = DOCUMENT_CACHE_BYTES): DocumentCache {
  const cache = new LRUCache<string, Uint8Array>({
    maxSize: maxBytes,
    sizeCalculation: (bytes) => Math.max(1, bytes.byteLength),
    // Long enough for one document's OCR; an idle worker does not hold patients' documents for ever.
    ttl: 10 * 60_000,
    fetchMethod: (jobId) => read(jobId),
  });
  return {
    async get(jobId) {
      return (await cache.fetch(jobId)) ?? read(jobId);
    },
    forget(jobId) {
      cache.delete(jobId);
    },
  };
}
