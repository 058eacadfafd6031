/**
 * The activities: thin Temporal adapters (heartbeats, failure mapping, metrics, stage timing) over the
 * document library and the stores, one interface per task queue, all dependencies injected by the
 * worker. Each activity takes a job id, reads what it needs from the store, writes its results back and
 * returns only small facts to the workflow; each is idempotent, so a retry or a worker crash never
 * duplicates a page, an extraction part or a workbook.
 *
 * The workflow imports these interfaces as types only; the activity names and argument shapes are
 * part of recorded histories and must not change.
 */
import { createBookkeepingActivities, type BookkeepingActivities } from './bookkeeping.js';
import type { ActivityConfig, ActivityLog, ActivityStore, Extractors, OcrEngine } from './dependencies.js';
import { createDocumentCache } from './document-bytes.js';
import { createLlmActivities, type LlmActivities } from './llm.js';
import { createOcrActivities, type OcrActivities } from './ocr.js';

export type { BookkeepingActivities, ExtractionPlan, PreparedDocument } from './bookkeeping.js';
export type { OcrActivities, OcrHeartbeat } from './ocr.js';
export type { ExtractPartInput, LlmActivities } from './llm.js';
export type { ActivityConfig, ActivityLog, ActivityStore, Extractors, OcrEngine } from './dependencies.js';

/**
 * What the pipeline queue serves: the bookkeeping (as local activities of its workflows), OCR of
 * workflows started before the ocr queue existed, and extraction by the offline provider.
 */
export type PipelineQueueActivities = BookkeepingActivities & OcrActivities & LlmActivities;

export interface ActivitiesByQueue {
  pipeline: PipelineQueueActivities;
  ocr: OcrActivities;
  llm: LlmActivities;
}

export interface ActivityDependencies {
  cfg: ActivityConfig;
  store: ActivityStore;
  /** The process's OCR engine pool, asked for on first use. */
  ocrPool: () => Promise<OcrEngine>;
  extractors: Extractors;
  log: ActivityLog;
}

export function createActivities({ cfg, store, ocrPool, extractors, log }: ActivityDependencies): ActivitiesByQueue {
  // One cache for the process: OCR fills it, the bookkeeping empties it when a job's OCR is over.
  const documents = createDocumentCache((jobId) => store.getDocumentBytes(jobId));
  const bookkeeping = createBookkeepingActivities({ cfg, store, documents, log });
  const ocr = createOcrActivities({ store, ocrPool, documents });
  const llm = createLlmActivities({ cfg, store, extractors });
  return { pipeline: { ...bookkeeping, ...ocr, ...llm }, ocr, llm };
}
