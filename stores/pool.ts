/** One pg Pool per process, shared by activities, the CLI and (later) the API. */
import pg from 'pg';
import { logger } from '../core/logger.js';

let pool: pg.Pool | undefined;

export function initPool(databaseUrl: string, max = 10): pg.Pool {
  if (pool) return pool;
  pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'postgres idle client error'));
  return pool;
}

export function db(): pg.Pool {
  if (!pool) throw new Error('database pool used before initPool()');
  return pool;
}

export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.end();
}

/**
 * Run `fn` on one short-lived connection of its own (creating or dropping a database, which cannot
 * happen inside a pool's transaction-reusing connections or on the database being dropped).
 */
export async function withClient<T>(connectionString: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The cheapest round trip to Postgres: resolves when the database answers. */
export async function ping(): Promise<void> {
  await db().query('SELECT 1');
}

/** A short, self-contained transaction on one pooled connection (nothing else is awaited inside it). */
export async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db().connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
