/**
 * LLM_RPM as a hard limit. Temporal dispatches the `llm` queue's activities at LLM_RPM/60 per second
 * (workers/worker.ts), which paces them but cannot promise the provider's count: the dispatcher allows a
 * small burst, and a request reaches the provider a varying time after its dispatch. So, just before
 * each request, the activity takes a place in a sliding window shared by every worker (the `llm_sends`
 * ledger in Postgres): at most LLM_RPM sends in any LLM_SEND_WINDOW_MS, else it waits for the oldest
 * send to leave the window. The window is a second longer than the provider's minute, so even requests
 * whose travel time differs by up to a second cannot put LLM_RPM + 1 into one of the provider's minutes;
 * the cost is 1/61 of the rate (98.4 % of LLM_RPM at most).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { reserveLlmSend } from '../stores/llm-sends.js';
import { observeLlmRateWait } from './metrics.js';

export const LLM_SEND_WINDOW_MS = 61_000;
/** A waiting activity wakes at least this often (to heartbeat, which also delivers cancellation). */
const MAX_NAP_MS = 5_000;

export interface SendWindowOptions {
  /** Whose budget: the deployment's task queues (TASK_QUEUE_PREFIX), like Temporal's rate limit. */
  scope: string;
  requestsPerMinute: number;
  signal?: AbortSignal;
  /** Called after each nap while waiting (heartbeat). */
  onWait?: () => void;
  windowMs?: number;
  /** The database holding the ledger (default: this process's pool). */
  pool?: pg.Pool;
}

/** Waits until a request may be sent now and records it as sent; returns the milliseconds waited. */
export async function takeLlmSendSlot(opts: SendWindowOptions): Promise<number> {
  const windowMs = opts.windowMs ?? LLM_SEND_WINDOW_MS;
  const started = performance.now();
  for (;;) {
    opts.signal?.throwIfAborted();
    const waitMs = await reserveLlmSend(opts.scope, opts.requestsPerMinute, windowMs, opts.pool);
    if (waitMs === 0) {
      const waited = performance.now() - started;
      observeLlmRateWait(waited);
      return waited;
    }
    // A little jitter, so waiters woken by the same freed place do not all queue on the lock at once.
    try {
      await sleep(Math.min(waitMs, MAX_NAP_MS) + Math.random() * 20, undefined, { signal: opts.signal });
    } catch (err) {
      // Cancelled while waiting: end with the canceller's reason (as the request itself would).
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw err;
    }
    opts.onWait?.();
  }
}
