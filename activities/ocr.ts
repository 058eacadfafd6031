/**
 * The ocr queue's activity: read a batch of a document's text-less pages. Pages are rendered (or their
 * stored scan taken as it is; an image file's frames are decoded), recognised by the OCR engine pool and stored one by one, heartbeating the
 * last stored page, so a retry after a crash resumes after it.
 */
import { Context } from '@temporalio/activity';
import { documentPagesForOcr } from '../library/document/index.js';
import type { OcrEngine, OcrStore } from './dependencies.js';
import { createDocumentCache, type DocumentCache } from './document-bytes.js';
import { typed } from './failures.js';
import { countPages } from './metrics.js';
import { heartbeatWhile, timeStage } from './stage-timing.js';

/** Resolution of the page renders the OCR engine reads. */
const OCR_DPI = 300;

export interface OcrActivities {
  ocrPages(jobId: string, pages: number[]): Promise<{ recognised: number }>;
}

/** What an OCR activity heartbeats: the last page it stored. */
export interface OcrHeartbeat {
  lastPage?: number;
}

export interface OcrDependencies {
  store: OcrStore;
  /** The process's OCR engines, asked for on first use (a worker that never OCRs starts none). */
  ocrPool: () => Promise<OcrEngine>;
  /** Default: a cache of its own over store.getDocumentBytes. */
  documents?: DocumentCache;
}

export function createOcrActivities({
  store,
  ocrPool,
  documents = createDocumentCache((jobId) => store.getDocumentBytes(jobId)),
}: OcrDependencies): OcrActivities {
  return {
    async ocrPages(jobId, pages) {
      return typed(() =>
        timeStage(store, jobId, 'ocr', async () => {
          await store.enterStage(jobId, 'ocr');
          // Resume: pages stored by an earlier attempt (e.g. before a worker crash) are not redone.
          const done = await store.storedPageNumbers(jobId);
          const todo = pages.filter((p) => !done.has(p));
          if (todo.length === 0) return { recognised: 0 };
          const ctx = Context.current();
          const bytes = await documents.get(jobId);
          const password = await store.documentPassword(jobId);
          const engine = await ocrPool();
          let lastPage: number | undefined;
          await heartbeatWhile(
            async () => {
              let started = performance.now();
              for await (const input of documentPagesForOcr(bytes, todo, { dpi: OCR_DPI, password })) {
                ctx.cancellationSignal.throwIfAborted();
                const pageNo = input.pageNo;
                if (input.kind === 'no-ocr') {
                  // Nothing drawn to read (blank, or a few characters of text): the text layer as it is.
                  await store.savePage(jobId, {
                    page_no: pageNo,
                    source: 'text_layer',
                    text: input.text,
                    ocr_confidence: null,
                    words: null,
                    width: input.widthPt,
                    height: input.heightPt,
                    duration_ms: Math.round(performance.now() - started),
                  });
                  countPages('text_layer');
                } else {
                  // A page in the engine cannot be interrupted; a cancelled activity stops waiting for it.
                  // A stored scan or an image file is read at its own resolution (a render is at OCR_DPI).
                  const recognition = engine.recognize(input.image, input.origin === 'render' ? {} : { dpi: input.dpi });
                  const result = await unlessAborted(ctx.cancellationSignal, recognition);
                  await store.savePage(jobId, {
                    page_no: pageNo,
                    source: 'ocr',
                    text: result.text,
                    ocr_confidence: result.confidence,
                    words: result.words,
                    width: input.width,
                    height: input.height,
                    duration_ms: Math.round(performance.now() - started),
                  });
                  countPages('ocr');
                }
                await store.refreshPagesDone(jobId);
                lastPage = pageNo;
                ctx.heartbeat({ lastPage } satisfies OcrHeartbeat);
                started = performance.now();
              }
            },
            (): OcrHeartbeat => ({ lastPage }),
          );
          return { recognised: todo.length };
        }),
      );
    },
  };
}

/** `work`'s outcome, or the abort reason as soon as `signal` aborts (work then finishes unobserved). */
function unlessAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
