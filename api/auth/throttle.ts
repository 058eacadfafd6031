/**
 * Login throttling, kept in Postgres (`login_failures`) so it holds across every API process.
 *
 * Policy (sliding window, all times from the app clock `deps.now()`):
 * - An account (username, case-insensitive, whether or not it exists) with ACCOUNT_MAX_FAILURES
 *   failed attempts within the last WINDOW_MS is locked; a client address with IP_MAX_FAILURES
 *   failures within the window is locked too (so one client cannot spray many accounts).
 * - A locked attempt is refused BEFORE the password is checked (even a right password) with a 429
 *   and Retry-After = the time until the oldest counted failure leaves the window.
 * - Refused attempts are not recorded, so hammering a locked account does not extend the lock: it
 *   ends by itself at most WINDOW_MS after the failure that triggered it. A successful login clears
 *   the account's failures. Failures older than the window never count.
 *
 * Every attempt reserves its failure row before the password is checked (under advisory locks, in
 * one short transaction), so parallel guesses cannot slip past the limit while bcrypt runs; a
 * successful login then deletes the account's rows, a failed one leaves its row as the record.
 */
import type pg from 'pg';
import { db } from '../../stores/pool.js';
import { logger } from '../../core/logger.js';

export const WINDOW_MS = 15 * 60_000;
export const ACCOUNT_MAX_FAILURES = 10;
export const IP_MAX_FAILURES = 50;
/** Rows older than this are deleted now and then; they no longer matter for any decision. */
const PRUNE_AFTER_MS = 24 * 3600_000;

// Advisory-lock namespaces (first key of the two-int form) for the account and the address.
const LOCK_ACCOUNT = 0x4d58_4101;
const LOCK_IP = 0x4d58_4102;

export type ThrottleScope = 'account' | 'ip';

export type Reservation = { ok: true; id: string } | { ok: false; scope: ThrottleScope; retryAfterSeconds: number; lockedUntil: Date };

/** When the subject is locked until, if it is: the `max`-th newest failure within the window + WINDOW_MS. */
async function lockedUntil(client: pg.PoolClient, column: 'account' | 'ip', value: string, max: number, now: Date): Promise<Date | undefined> {
  const where = column === 'account' ? 'lower(username) = lower($1)' : 'ip = $1';
  const r = await client.query<{ at: Date }>(`SELECT at FROM login_failures WHERE ${where} AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1`, [
    value,
    new Date(now.getTime() - WINDOW_MS),
    max - 1,
  ]);
  const row = r.rows[0];
  return row ? new Date(row.at.getTime() + WINDOW_MS) : undefined;
}

/**
 * Checks both limits and, when neither is reached, records this attempt as a failure (to be cleared
 * by `loginSucceeded`). Returns the lock otherwise; nothing is recorded for a refused attempt.
 */
export async function reserveAttempt(username: string, ip: string, now: Date): Promise<Reservation> {
  const client = await db().connect();
  try {
    await client.query('BEGIN');
    // Always account first, then address: one order, so two attempts can never wait on each other in a cycle.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))', [LOCK_ACCOUNT, username]);
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_IP, ip]);
    const locks: Array<{ scope: ThrottleScope; until: Date }> = [];
    const account = await lockedUntil(client, 'account', username, ACCOUNT_MAX_FAILURES, now);
    if (account && account > now) locks.push({ scope: 'account', until: account });
    const byIp = await lockedUntil(client, 'ip', ip, IP_MAX_FAILURES, now);
    if (byIp && byIp > now) locks.push({ scope: 'ip', until: byIp });
    if (locks.length) {
      await client.query('COMMIT');
      const lock = locks.reduce((a, b) => (b.until > a.until ? b : a));
      return { ok: false, scope: lock.scope, lockedUntil: lock.until, retryAfterSeconds: Math.max(1, Math.ceil((lock.until.getTime() - now.getTime()) / 1000)) };
    }
    const r = await client.query<{ id: string }>('INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3) RETURNING id', [username, ip, now]);
    await client.query('COMMIT');
    maybePrune(now);
    return { ok: true, id: r.rows[0]!.id };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** An attempt that failed on our side (not a wrong password) is taken back. */
export async function releaseAttempt(id: string): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE id = $1', [id]);
}

/** A successful login: the account starts afresh (its failures from every address are forgotten). */
export async function loginSucceeded(username: string): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE lower(username) = lower($1)', [username]);
}

let lastPrune = 0;
function maybePrune(now: Date): void {
  if (now.getTime() - lastPrune < 60_000) return;
  lastPrune = now.getTime();
  db()
    .query('DELETE FROM login_failures WHERE at < $1', [new Date(now.getTime() - PRUNE_AFTER_MS)])
    .catch((err: Error) => logger.warn({ err: err.message }, 'could not prune old login failures'));
}
