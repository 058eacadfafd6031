/**
 * Activities: all the pipeline's I/O. Each takes a job id, reads what it needs from Postgres, writes
 * its results back, and returns only small facts to the workflow. Each is idempotent, so a retry or a
 * worker crash never duplicates a page, an extraction part or a workbook.
 */
import { Context } from '@temporalio/activity';
import type { JobError, ExtractionProvider } from '../core/contract/jobs.js';
import * as store from '../stores/jobs.js';
import * as results from '../stores/extractions.js';
import { logger } from '../core/logger.js';
import { SCHEMA_VERSION, type Extraction } from '../core/contract/extraction.js';
import { inspectPdf } from '../library/pdf/document.js';
import { pageImagesForOcr } from '../library/pdf/render.js';
import { cachedDocumentBytes, forgetDocumentBytes } from './document-bytes.js';
import { getOcrPool } from '../library/ocr/pool.js';
import { extractOffline } from '../library/extraction/offline-provider.js';
import { extractWithOpenAI } from '../library/extraction/openai-provider.js';
import { chunkPages, mergeExtractions } from '../library/extraction/chunk.js';
import { verifyEvidence } from '../library/extraction/evidence.js';
import { takeLlmSendSlot } from './llm-send-window.js';
import { buildWorkbook } from '../library/export/workbook.js';
import { typed } from './failures.js';
import { PipelineError } from '../core/errors.js';
import { countPages, observeStage } from './metrics.js';

export interface ActivityConfig {
  maxPages: number;
  ocrLang: string;
  openai: { apiKey?: string; baseURL?: string; model: string; timeoutMs: number };
  /** LLM_RPM and whose budget it is (the task-queue prefix): see extraction/send-window.ts. */
  llmRate: { requestsPerMinute: number; scope: string };
}

export interface PreparedDocument {
  pageCount: number;
  /** Pages whose text layer is missing or unusable: they go to OCR. */
  ocrPages: number[];
}

export interface ExtractionPlan {
  parts: number[];
  chunkChars: number;
}

export interface ExtractPartInput {
  jobId: string;
  partNo: number;
  provider: ExtractionProvider;
  chunkChars: number;
}

export interface PipelineActivities {
  prepareDocument(jobId: string): Promise<PreparedDocument>;
  ocrPages(jobId: string, pages: number[]): Promise<{ recognised: number }>;
  planExtraction(jobId: string, chunkChars: number): Promise<ExtractionPlan>;
  finishExtraction(jobId: string): Promise<{ flagged: number }>;
  exportWorkbook(jobId: string): Promise<{ bytes: number }>;
  markFailed(jobId: string, error: JobError): Promise<void>;
  markCancelled(jobId: string): Promise<void>;
}

export interface LlmActivities {
  extractPart(input: ExtractPartInput): Promise<{ tokensIn: number; tokensOut: number }>;
}

/** Keeps the activity visibly alive while a long step runs (and delivers cancellation). */
function heartbeatWhile<T>(work: () => Promise<T>, details?: () => unknown): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details?.());
  const timer = setInterval(() => ctx.heartbeat(details?.()), 5_000);
  return work().finally(() => clearInterval(timer));
}

async function timed<T>(jobId: string, stage: 'prepare' | 'ocr' | 'extract' | 'export', work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const ms = performance.now() - started;
    observeStage(stage, ms);
    await store.addStageTime(jobId, stage, ms);
  }
}

export function createActivities(cfg: ActivityConfig): PipelineActivities & LlmActivities {
  return {
    async prepareDocument(jobId) {
      return typed(() =>
        timed(jobId, 'prepare', async () => {
          await store.enterStage(jobId, 'prepare');
          const bytes = await store.getDocumentBytes(jobId);
          const started = performance.now();
          // Text-less pages are looked at by the OCR step, which decodes their images anyway.
          const info = await inspectPdf(bytes, { maxPages: cfg.maxPages, textlessPages: 'defer' });
          const perPageMs = Math.round((performance.now() - started) / Math.max(1, info.pageCount));
          const ocrPages = info.pages.filter((p) => p.needsOcr).map((p) => p.page);
          await store.savePages(
            jobId,
            info.pages
              .filter((p) => !p.needsOcr)
              .map((p) => ({ page_no: p.page, source: 'text_layer', text: p.text, ocr_confidence: null, words: null, width: p.width, height: p.height, duration_ms: perPageMs })),
          );
          await store.setPagesTotalAndDone(jobId, info.pageCount);
          countPages('text_layer', info.pageCount - ocrPages.length);
          logger.info({ jobId, pages: info.pageCount, ocrPages: ocrPages.length }, 'document prepared');
          return { pageCount: info.pageCount, ocrPages };
        }),
      );
    },

    async ocrPages(jobId, pages) {
      return typed(() =>
        timed(jobId, 'ocr', async () => {
          await store.enterStage(jobId, 'ocr');
          // Resume: pages stored by an earlier attempt (e.g. before a worker crash) are not redone.
          const done = await store.storedPageNumbers(jobId);
          const todo = pages.filter((p) => !done.has(p));
          if (todo.length === 0) return { recognised: 0 };
          const bytes = await cachedDocumentBytes(jobId);
          const pool = await getOcrPool(cfg.ocrLang);
          let lastPage: number | undefined;
          await heartbeatWhile(
            async () => {
              // The document is opened once per batch (one page, unless the workflow asks for more):
              // the worker's extra OCR slot prepares another page's image while the engines read.
              let started = performance.now();
              for await (const input of pageImagesForOcr(bytes, todo, { dpi: 300 })) {
                const pageNo = input.pageNo;
                if (input.kind === 'no-ocr') {
                  // Nothing drawn to read (blank, or a few characters of text): the text layer as it is.
                  await store.savePage(jobId, {
                    page_no: pageNo, source: 'text_layer', text: input.text, ocr_confidence: null, words: null,
                    width: input.widthPt, height: input.heightPt, duration_ms: Math.round(performance.now() - started),
                  });
                  countPages('text_layer');
                } else {
                  const result = await pool.recognize(input.image, input.origin === 'embedded-image' ? { dpi: input.dpi } : {});
                  await store.savePage(jobId, {
                    page_no: pageNo, source: 'ocr', text: result.text, ocr_confidence: result.confidence, words: result.words,
                    width: input.width, height: input.height, duration_ms: Math.round(performance.now() - started),
                  });
                  countPages('ocr');
                }
                await store.refreshPagesDone(jobId);
                lastPage = pageNo;
                Context.current().heartbeat({ lastPage });
                started = performance.now();
              }
            },
            () => ({ lastPage }),
          );
          return { recognised: todo.length };
        }),
      );
    },

    async planExtraction(jobId, chunkChars) {
      return typed(async () => {
        forgetDocumentBytes(jobId); // OCR is over: the PDF is not needed here any more
        await store.enterStage(jobId, 'extract');
        const parts = chunkPages(await store.pageTexts(jobId), chunkChars);
        return { parts: parts.map((_, i) => i), chunkChars };
      });
    },

    async extractPart({ jobId, partNo, provider, chunkChars }) {
      return typed(() =>
        timed(jobId, 'extract', async () => {
          const existing = await results.findPartTokens(jobId, partNo);
          if (existing) return existing;
          const chunk = chunkPages(await store.pageTexts(jobId), chunkChars)[partNo];
          if (!chunk) throw new PipelineError('NotFound', `extraction part ${partNo} does not exist for this document`);
          let result: Extraction;
          let tokensIn = 0;
          let tokensOut = 0;
          if (provider === 'openai') {
            if (!cfg.openai.apiKey) throw new PipelineError('ExtractionFailed', 'the openai provider is selected but no OPENAI_API_KEY is configured on this worker');
            const ctx = Context.current();
            await takeLlmSendSlot({ ...cfg.llmRate, signal: ctx.cancellationSignal, onWait: () => ctx.heartbeat() });
            const r = await extractWithOpenAI(chunk, { apiKey: cfg.openai.apiKey, baseURL: cfg.openai.baseURL, model: cfg.openai.model, timeoutMs: cfg.openai.timeoutMs }, {
              signal: Context.current().cancellationSignal,
            });
            result = { schema_version: SCHEMA_VERSION, ...r.extraction };
            tokensIn = r.tokensIn;
            tokensOut = r.tokensOut;
          } else {
            result = extractOffline(chunk);
          }
          await results.savePart(jobId, partNo, [...new Set(chunk.map((p) => p.page))], { result, tokensIn, tokensOut });
          return { tokensIn, tokensOut };
        }),
      );
    },

    async finishExtraction(jobId) {
      return typed(() =>
        timed(jobId, 'extract', async () => {
          const parts = await results.listParts(jobId);
          const merged = verifyEvidence(mergeExtractions(parts.map((p) => p.result)), await store.pageTexts(jobId));
          const flagged = countFlagged(merged);
          const tokensIn = parts.reduce((sum, p) => sum + p.tokensIn, 0);
          const tokensOut = parts.reduce((sum, p) => sum + p.tokensOut, 0);
          await results.saveExtraction(jobId, { schemaVersion: SCHEMA_VERSION, data: merged, flagged, tokensIn, tokensOut });
          return { flagged };
        }),
      );
    },

    async exportWorkbook(jobId) {
      return typed(() =>
        timed(jobId, 'export', async () => {
          await store.enterStage(jobId, 'export');
          const xlsx = await buildWorkbook(await results.loadJobResult(jobId));
          await results.saveWorkbook(jobId, xlsx);
          await store.finishJob(jobId, 'completed');
          logger.info({ jobId, bytes: xlsx.byteLength }, 'job completed');
          return { bytes: xlsx.byteLength };
        }),
      );
    },

    async markFailed(jobId, error) {
      forgetDocumentBytes(jobId);
      await store.finishJob(jobId, 'failed', error);
      logger.warn({ jobId, code: error.code }, 'job failed');
    },

    async markCancelled(jobId) {
      forgetDocumentBytes(jobId);
      await store.finishJob(jobId, 'cancelled');
      logger.info({ jobId }, 'job cancelled');
    },
  };
}

function countFlagged(x: Extraction): number {
  let n = 0;
  const visit = (v: { evidence: { found?: boolean } | null; confidence: number }) => {
    if (v.evidence?.found === false || v.confidence < 0.6) n++;
  };
  for (const f of [...Object.values(x.document), ...Object.values(x.patient)]) if (f.value !== null) visit(f);
  for (const list of [x.diagnoses, x.medications, x.lab_results, x.vitals, x.procedures, x.allergies]) for (const item of list) visit(item);
  return n;
}
