/**
 * The ledger of requests sent to the LLM provider (table `llm_sends`): one row per request, so every
 * worker process sees the same sliding window. Used by activities/extraction/send-window.ts.
 */
import type pg from 'pg';
import { db } from './pool.js';

const LEDGER_LOCK_NAMESPACE = 'medextract.llm-sends';

/**
 * Record a send now if fewer than `limit` sends of `scope` happened in the last `windowMs`, and return
 * 0; otherwise record nothing and return how many milliseconds until the oldest of them leaves the
 * window. One transaction under an advisory lock per scope, so concurrent callers in any process
 * never both take the last place. Times are the database's clock (one clock for every worker).
 */
export async function reserveLlmSend(scope: string, limit: number, windowMs: number, pool: pg.Pool = db()): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [LEDGER_LOCK_NAMESPACE, scope]);
    const window = await client.query<{ n: number; wait_ms: number | null }>(
      `SELECT count(*)::int AS n,
              ceil(extract(epoch FROM (min(sent_at) + $2 * interval '1 millisecond' - clock_timestamp())) * 1000)::int AS wait_ms
         FROM (SELECT sent_at FROM llm_sends
                WHERE scope = $1 AND sent_at > clock_timestamp() - $2 * interval '1 millisecond'
                ORDER BY sent_at DESC LIMIT $3) recent`,
      [scope, windowMs, limit],
    );
    const { n, wait_ms } = window.rows[0] ?? { n: 0, wait_ms: null };
    if (n >= limit) {
      await client.query('COMMIT');
      return Math.max(1, wait_ms ?? 1);
    }
    await client.query('INSERT INTO llm_sends (scope, sent_at) VALUES ($1, clock_timestamp())', [scope]);
    await client.query(`DELETE FROM llm_sends WHERE scope = $1 AND sent_at < clock_timestamp() - interval '2 minutes'`, [scope]);
    await client.query('COMMIT');
    return 0;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
