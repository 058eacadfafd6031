/**
 * The ledger of requests sent to the LLM provider (table `llm_sends`): one row per request, so every
 * worker process sees the same sliding window. Used by activities/llm-send-window.ts.
 */
import type pg from 'pg';
import { db } from './pool.js';

/**
 * Record a send now if fewer than `limit` sends of `scope` happened in the last `windowMs`, and return
 * 0; otherwise record nothing and return how many milliseconds until the oldest of them leaves the
 * window. One statement (the `llm_reserve_send` function, under an advisory lock per scope), so
 * concurrent callers in any process never both take the last place. Times are the database's clock.
 */
export async function reserveLlmSend(scope: string, limit: number, windowMs: number, pool: pg.Pool = db()): Promise<number> {
  const r = await pool.query<{ wait_ms: number }>('SELECT llm_reserve_send($1, $2, $3) AS wait_ms', [scope, limit, windowMs]);
  return r.rows[0]?.wait_ms ?? 0;
}
