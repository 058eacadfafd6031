/**
 * The llm queue's activity: one extraction part of a document, by the job's provider. With `openai`,
 * one HTTP request per attempt (more when an answer is cut off or needs repair), each sent only once the
 * shared LLM_RPM window has a place for it.
 */
import { Context } from '@temporalio/activity';
import type { ExtractionProvider } from '../core/contract/jobs.js';
import { parseExtraction, SCHEMA_VERSION, type Extraction } from '../core/contract/extraction.js';
import { PipelineError } from '../core/errors.js';
import { chunkPages } from '../library/extraction/chunk.js';
import { ocrLayoutPages } from '../library/layout/index.js';
import type { ActivityConfig, Extractors, LlmStore } from './dependencies.js';
import { typed } from './failures.js';
import { takeLlmSendSlot } from './llm-send-window.js';
import { countLlmRequest } from './metrics.js';
import { heartbeatWhile, timeStage } from './stage-timing.js';

export interface ExtractPartInput {
  jobId: string;
  partNo: number;
  provider: ExtractionProvider;
  chunkChars: number;
}

export interface LlmActivities {
  extractPart(input: ExtractPartInput): Promise<{ tokensIn: number; tokensOut: number }>;
}

export interface LlmDependencies {
  cfg: Pick<ActivityConfig, 'openai' | 'llmRate'>;
  store: LlmStore;
  extractors: Extractors;
  /** Waits for a place in the LLM_RPM window (default: the window shared through Postgres). */
  takeSendSlot?: typeof takeLlmSendSlot;
}

export function createLlmActivities({ cfg, store, extractors, takeSendSlot = takeLlmSendSlot }: LlmDependencies): LlmActivities {
  return {
    async extractPart({ jobId, partNo, provider, chunkChars }) {
      return typed(() =>
        timeStage(store, jobId, 'extract', () =>
          // Heartbeats on a timer while the provider's answer is awaited (a request may take minutes):
          // a worker that died is noticed by its heartbeat timeout, not after the whole start-to-close.
          heartbeatWhile(() => extractOnce(jobId, partNo, provider, chunkChars)),
        ),
      );
    },
  };

  async function extractOnce(
    jobId: string,
    partNo: number,
    provider: ExtractionProvider,
    chunkChars: number,
  ): Promise<{ tokensIn: number; tokensOut: number }> {
    const existing = await store.findPartTokens(jobId, partNo);
    if (existing) return existing;
    const chunk = chunkPages(await store.pageTexts(jobId), chunkChars)[partNo];
    if (!chunk) throw new PipelineError('NotFound', `extraction part ${partNo} does not exist for this document`);
    let result: Extraction;
    let tokensIn = 0;
    let tokensOut = 0;
    if (provider === 'openai') {
      const { apiKey, baseURL, model, timeoutMs, responseFormat } = cfg.openai;
      if (!apiKey) throw new PipelineError('ExtractionFailed', 'the openai provider is selected but no OPENAI_API_KEY is configured on this worker');
      const ctx = Context.current();
      // Every request waits for its place in the LLM_RPM window: the first, and any further one the
      // provider sends for this part (the halves of a cut-off answer, a repair).
      const sendSlot = async () => {
        await takeSendSlot({ ...cfg.llmRate, signal: ctx.cancellationSignal, onWait: () => ctx.heartbeat() });
      };
      await sendSlot();
      const r = await extractors.openai(
        chunk,
        { apiKey, baseURL, model, timeoutMs, ...(responseFormat ? { responseFormat } : {}) },
        { signal: ctx.cancellationSignal, onRequestOutcome: countLlmRequest, beforeExtraRequest: sendSlot },
      );
      result = { schema_version: SCHEMA_VERSION, ...r.extraction };
      tokensIn = r.tokensIn;
      tokensOut = r.tokensOut;
    } else {
      const layouts = ocrLayoutPages(await store.ocrPageWords(jobId), new Set(chunk.map((p) => p.page)));
      result = extractors.offline(chunk, { layouts });
    }
    // Whatever the provider, a stored part satisfies the one contract (a violation is a defect, not input).
    result = parseExtraction(result);
    await store.savePart(jobId, partNo, [...new Set(chunk.map((p) => p.page))], { result, tokensIn, tokensOut });
    return { tokensIn, tokensOut };
  }
}
