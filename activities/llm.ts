/**
 * The llm queue's activity: one extraction part of a document, by the job's provider. With `openai`,
 * one HTTP request per attempt (more when an answer is cut off or needs repair), each sent only once the
 * shared LLM_RPM window has a place for it — and, with de-identification on (DEID), only text with the
 * document's identifiers replaced, checked against its vault just before it goes (library/deid).
 */
import { Context } from '@temporalio/activity';
import type { ExtractionProvider } from '../core/contract/jobs.js';
import { parseExtraction, SCHEMA_VERSION, type Extraction, type PageText } from '../core/contract/extraction.js';
import { PipelineError } from '../core/errors.js';
import { chunkPages } from '../library/extraction/chunk.js';
import { ocrLayoutPages } from '../library/layout/index.js';
import {
  DeidentificationFailed,
  deidSummary,
  extractThroughGateway,
  Gateway,
  prepareVault,
  type GatewayOptions,
  type GatewaySend,
} from '../library/deid/index.js';
import type { Vault } from '../library/deid/index.js';
import type { ActivityConfig, Extractors, LlmStore } from './dependencies.js';
import { typed } from './failures.js';
import { takeLlmSendSlot } from './llm-send-window.js';
import { countDeidBlocked, countDeidentified, countLlmRequest } from './metrics.js';
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
  cfg: Pick<ActivityConfig, 'openai' | 'llmRate' | 'deid'>;
  store: LlmStore;
  extractors: Extractors;
  /** Waits for a place in the LLM_RPM window (default: the window shared through Postgres). */
  takeSendSlot?: typeof takeLlmSendSlot;
  /** Test hook of the gateway (entities it leaves in the text, to prove the fail-closed check stops them). */
  deidOptions?: GatewayOptions;
}

export function createLlmActivities({ cfg, store, extractors, takeSendSlot = takeLlmSendSlot, deidOptions }: LlmDependencies): LlmActivities {
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
      const llm = { apiKey, baseURL, model, timeoutMs, ...(responseFormat ? { responseFormat } : {}) };
      const ask = async (pages: PageText[], extra: Partial<GatewaySend> = {}) => {
        await sendSlot();
        const r = await extractors.openai(pages, llm, {
          signal: ctx.cancellationSignal,
          onRequestOutcome: countLlmRequest,
          beforeExtraRequest: sendSlot,
          ...extra,
        });
        tokensIn = r.tokensIn;
        tokensOut = r.tokensOut;
        return r.extraction;
      };
      const answer = cfg.deid.enabled ? await throughGateway(jobId, chunk, ask) : await ask(chunk);
      result = { schema_version: SCHEMA_VERSION, ...answer };
    } else {
      const layouts = ocrLayoutPages(await store.ocrPageWords(jobId), new Set(chunk.map((p) => p.page)));
      result = extractors.offline(chunk, { layouts });
    }
    // Whatever the provider, a stored part satisfies the one contract (a violation is a defect, not input).
    result = parseExtraction(result);
    await store.savePart(jobId, partNo, [...new Set(chunk.map((p) => p.page))], { result, tokensIn, tokensOut });
    return { tokensIn, tokensOut };
  }

  async function throughGateway(jobId: string, chunk: PageText[], ask: Parameters<typeof extractThroughGateway>[2]) {
    try {
      return await extractThroughGateway(new Gateway(await documentVault(jobId), deidOptions), chunk, ask);
    } catch (err) {
      if (err instanceof DeidentificationFailed) countDeidBlocked(err.categories);
      throw err;
    }
  }

  /**
   * The document's vault, built once from all its pages (so every part uses the same stand-ins and date
   * offset) and kept sealed; the job records that its text goes out de-identified, with counts per category,
   * and the build that stored the vault writes the audit entry.
   */
  async function documentVault(jobId: string): Promise<Vault> {
    // The store keeps the vault as opaque JSON: what this function gave it.
    const kept = (await store.loadVault(jobId)) as Vault | undefined;
    if (kept) {
      // Again (it is idempotent): an attempt that died between keeping the vault and recording it leaves no gap.
      await store.recordDeidentified(jobId, deidSummary(kept));
      return kept;
    }
    const pages = await store.pageTexts(jobId);
    const layouts = ocrLayoutPages(await store.ocrPageWords(jobId), new Set(pages.map((p) => p.page)));
    const { vault, first } = (await store.keepVault(jobId, prepareVault(pages, { dates: cfg.deid.dates, local: extractors.offline(pages, { layouts }) }))) as {
      vault: Vault;
      first: boolean;
    };
    if (!first) return vault;
    const summary = deidSummary(vault);
    await store.recordDeidentified(jobId, summary);
    countDeidentified(summary.counts);
    await store.appendAudit({
      actorUserId: null,
      actorUsername: null,
      action: 'job.deidentified',
      targetType: 'job',
      targetId: jobId,
      ip: null,
      userAgent: null,
      detail: { dates: summary.dates, ...summary.counts },
    });
    return vault;
  }
}
