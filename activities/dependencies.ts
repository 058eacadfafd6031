/**
 * What the activities are given instead of importing it (as in temporalio/samples-typescript
 * `activities-dependency-injection`): the worker passes the real stores, OCR pool and extraction
 * providers; tests pass fakes. Each queue's activities take only the part of a store they use.
 */
import type * as jobStore from '../stores/jobs.js';
import type * as extractionStore from '../stores/extractions.js';
import type * as jobSecretStore from '../stores/job-secrets.js';
import type * as reviewStore from '../stores/reviews.js';
import type * as deidStore from '../stores/deid-vaults.js';
import type * as auditStore from '../stores/audit.js';
import type { OcrPool } from '../library/ocr/pool.js';
import type { extractOffline } from '../library/extraction/offline/index.js';
import type { extractWithOpenAI } from '../library/extraction/openai-provider.js';
import type { logger } from '../core/logger.js';
import type { LlmResponseFormat } from '../core/config.js';

export interface ActivityConfig {
  maxPages: number;
  openai: { apiKey?: string; baseURL?: string; model: string; timeoutMs: number; responseFormat?: LlmResponseFormat };
  /** LLM_RPM and whose budget it is (the task-queue prefix): see llm-send-window.ts. */
  llmRate: { requestsPerMinute: number; scope: string };
  /** DEID resolved against the endpoint, and DEID_DATES (library/deid). */
  deid: { enabled: boolean; dates: 'shift' | 'token' };
}

type JobStore = typeof jobStore;
type ExtractionStore = typeof extractionStore;
type JobSecretStore = typeof jobSecretStore;
type ReviewStore = typeof reviewStore;
type DeidStore = typeof deidStore;
type AuditStore = typeof auditStore;

export type BookkeepingStore = Pick<
  JobStore,
  'enterStage' | 'addStageTime' | 'getDocumentBytes' | 'savePages' | 'setPagesTotalAndDone' | 'pageTexts' | 'pageEvidence' | 'finishJob'
> &
  Pick<ExtractionStore, 'listParts' | 'saveExtraction' | 'loadJobResult' | 'saveWorkbook'> &
  Pick<JobSecretStore, 'documentPassword'> &
  Pick<ReviewStore, 'setReviewRequired' | 'currentReview' | 'correctionEffects'>;

export type OcrStore = Pick<JobStore, 'enterStage' | 'addStageTime' | 'getDocumentBytes' | 'storedPageNumbers' | 'savePage' | 'refreshPagesDone'> &
  Pick<JobSecretStore, 'documentPassword'>;

export type LlmStore = Pick<JobStore, 'addStageTime' | 'pageTexts' | 'ocrPageWords'> &
  Pick<ExtractionStore, 'findPartTokens' | 'savePart'> &
  Pick<DeidStore, 'loadVault' | 'keepVault' | 'recordDeidentified'> &
  Pick<AuditStore, 'appendAudit'>;

/** Every store function an activity uses (the worker passes stores/jobs.ts, extractions.ts, job-secrets.ts, reviews.ts, deid-vaults.ts and audit.ts). */
export type ActivityStore = BookkeepingStore & OcrStore & LlmStore;

/** What the OCR activity needs of an OCR engine: one page image in, text and word boxes out. */
export type OcrEngine = Pick<OcrPool, 'recognize'>;

/** The extraction providers, selected per job. */
export interface Extractors {
  offline: typeof extractOffline;
  openai: typeof extractWithOpenAI;
}

export type ActivityLog = Pick<typeof logger, 'info' | 'warn'>;
