/**
 * The pipeline queue's bookkeeping activities (run as local activities by the workflow): parse the
 * document and store its text layer, plan and merge the extraction, export the workbook, record how the
 * job ended. Each takes a job id, reads what it needs from the store, writes its results back and
 * returns only small facts to the workflow; each is idempotent, so a retry never duplicates anything.
 */
import { reviewRequired, type JobError, type ReviewPolicy } from '../core/contract/jobs.js';
import { SCHEMA_VERSION } from '../core/contract/extraction.js';
import { inspectDocument } from '../library/document/index.js';
import { chunkPages, mergeExtractions } from '../library/extraction/chunk.js';
import { countFlagged, verifyEvidence } from '../library/extraction/evidence.js';
import { jobWarnings } from '../library/extraction/warnings.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { reviewedResult } from '../library/review/corrections.js';
import type { ActivityConfig, ActivityLog, BookkeepingStore } from './dependencies.js';
import type { DocumentCache } from './document-bytes.js';
import { typed } from './failures.js';
import { countPages } from './metrics.js';
import { timeStage } from './stage-timing.js';

export interface PreparedDocument {
  pageCount: number;
  /** Pages whose text layer is missing or unusable: they go to OCR. */
  ocrPages: number[];
}

export interface ExtractionPlan {
  parts: number[];
  chunkChars: number;
}

export type ApprovedExport = { outcome: 'exported'; version: number; bytes: number } | { outcome: 'waiting' } | { outcome: 'gone' };

export interface BookkeepingActivities {
  prepareDocument(jobId: string): Promise<PreparedDocument>;
  planExtraction(jobId: string, chunkChars: number): Promise<ExtractionPlan>;
  finishExtraction(jobId: string): Promise<{ flagged: number; warnings: number }>;
  /** The first workbook (version 0); the job is completed, and waits for review when the policy says so. */
  exportWorkbook(jobId: string, reviewPolicy?: ReviewPolicy): Promise<{ bytes: number; reviewRequired?: boolean }>;
  /** The final export, of the approved version: `waiting` while the result is not (or no longer) approved. */
  exportApproved(jobId: string): Promise<ApprovedExport>;
  markFailed(jobId: string, error: JobError): Promise<void>;
  markCancelled(jobId: string): Promise<void>;
}

export interface BookkeepingDependencies {
  cfg: Pick<ActivityConfig, 'maxPages'>;
  store: BookkeepingStore;
  /** The OCR step's cache of document bytes: emptied of a job once its OCR is over. */
  documents: DocumentCache;
  log: ActivityLog;
}

export function createBookkeepingActivities({ cfg, store, documents, log }: BookkeepingDependencies): BookkeepingActivities {
  return {
    async prepareDocument(jobId) {
      return typed(() =>
        timeStage(store, jobId, 'prepare', async () => {
          await store.enterStage(jobId, 'prepare');
          const bytes = await store.getDocumentBytes(jobId);
          const password = await store.documentPassword(jobId);
          const started = performance.now();
          // Text-less pages are looked at by the OCR step, which decodes their images anyway.
          const info = await inspectDocument(bytes, { maxPages: cfg.maxPages, textlessPages: 'defer', password });
          const perPageMs = Math.round((performance.now() - started) / Math.max(1, info.pageCount));
          const ocrPages = info.pages.filter((p) => p.needsOcr).map((p) => p.page);
          await store.savePages(
            jobId,
            info.pages
              .filter((p) => !p.needsOcr)
              .map((p) => ({
                page_no: p.page,
                source: 'text_layer',
                text: p.text,
                ocr_confidence: null,
                words: null,
                width: p.width,
                height: p.height,
                duration_ms: perPageMs,
              })),
          );
          await store.setPagesTotalAndDone(jobId, info.pageCount);
          countPages('text_layer', info.pageCount - ocrPages.length);
          log.info({ jobId, pages: info.pageCount, ocrPages: ocrPages.length }, 'document prepared');
          return { pageCount: info.pageCount, ocrPages };
        }),
      );
    },

    async planExtraction(jobId, chunkChars) {
      return typed(async () => {
        documents.forget(jobId); // OCR is over: the PDF is not needed here any more
        await store.enterStage(jobId, 'extract');
        const parts = chunkPages(await store.pageTexts(jobId), chunkChars);
        return { parts: parts.map((_, i) => i), chunkChars };
      });
    },

    async finishExtraction(jobId) {
      return typed(() =>
        timeStage(store, jobId, 'extract', async () => {
          const parts = await store.listParts(jobId);
          const pages = await store.pageEvidence(jobId);
          const merged = verifyEvidence(mergeExtractions(parts.map((p) => p.result)), pages);
          const flagged = countFlagged(merged);
          const warnings = jobWarnings(pages, merged);
          const needsReview = warnings.length > 0 || flagged > 0;
          const tokensIn = parts.reduce((sum, p) => sum + p.tokensIn, 0);
          const tokensOut = parts.reduce((sum, p) => sum + p.tokensOut, 0);
          await store.saveExtraction(jobId, { schemaVersion: SCHEMA_VERSION, data: merged, flagged, tokensIn, tokensOut, warnings, needsReview });
          // Codes and pages only: the messages are plain words, but a log line needs no more than this.
          if (needsReview) log.info({ jobId, flagged, warnings: warnings.map((w) => (w.page ? `${w.code}@${w.page}` : w.code)) }, 'job needs review');
          return { flagged, warnings: warnings.length };
        }),
      );
    },

    async exportWorkbook(jobId, reviewPolicy = 'none') {
      return typed(() =>
        timeStage(store, jobId, 'export', async () => {
          await store.enterStage(jobId, 'export');
          const result = await store.loadJobResult(jobId);
          const xlsx = await buildWorkbook(result);
          await store.saveWorkbook(jobId, xlsx);
          // Before the job turns completed, so the work queue never sees it completed but not yet waiting.
          const required = reviewRequired(reviewPolicy, result.needsReview);
          await store.setReviewRequired(jobId, required);
          await store.finishJob(jobId, 'completed');
          log.info({ jobId, bytes: xlsx.byteLength, reviewRequired: required }, 'job completed');
          return { bytes: xlsx.byteLength, reviewRequired: required };
        }),
      );
    },

    async exportApproved(jobId) {
      return typed(async () => {
        const review = await store.currentReview(jobId);
        if (!review) return { outcome: 'gone' };
        if (review.state !== 'approved') return { outcome: 'waiting' };
        const machine = await store.loadJobResult(jobId);
        const effects = review.version === 0 ? [] : await store.correctionEffects(jobId, review.version);
        const xlsx = await buildWorkbook(reviewedResult(machine, effects, review));
        await store.saveWorkbook(jobId, xlsx, { version: review.version, reviewState: 'approved', approvedAt: review.approvedAt });
        log.info({ jobId, version: review.version, bytes: xlsx.byteLength }, 'approved result exported');
        return { outcome: 'exported', version: review.version, bytes: xlsx.byteLength };
      });
    },

    async markFailed(jobId, error) {
      documents.forget(jobId);
      await store.finishJob(jobId, 'failed', error);
      log.warn({ jobId, code: error.code }, 'job failed');
    },

    async markCancelled(jobId) {
      documents.forget(jobId);
      await store.finishJob(jobId, 'cancelled');
      log.info({ jobId }, 'job cancelled');
    },
  };
}
