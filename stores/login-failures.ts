/**
 * The `login_failures` table: failed (and in-flight) sign-in attempts, per username and client address,
 * shared by every API process. The throttling rules themselves live in api/auth/throttle.ts.
 */
import type pg from 'pg';
import { db, inTransaction } from './pool.js';

// Advisory-lock namespaces (first key of the two-int form) for the account and the address.
const LOCK_ACCOUNT = 0x4d58_4101;
const LOCK_IP = 0x4d58_4102;

export type FailureSubject = 'account' | 'ip';

/** What may be done while an attempt's account and address are locked. */
export interface LoginFailureTx {
  /** Time of the `n`-th newest failure (1-based) after `since` for the account (any case) or the address. */
  nthNewestFailure(subject: FailureSubject, value: string, since: Date, n: number): Promise<Date | undefined>;
  /** Records a failure; returns its id. */
  recordFailure(username: string, ip: string, at: Date): Promise<string>;
}

/**
 * Runs `work` in one short transaction holding the advisory locks of the account and the address, so
 * parallel attempts on either are decided one after the other. It commits whatever `work` returns.
 */
export async function underLoginLocks<T>(username: string, ip: string, work: (tx: LoginFailureTx) => Promise<T>): Promise<T> {
  return inTransaction(async (client) => {
    // Always account first, then address: one order, so two attempts can never wait on each other in a cycle.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))', [LOCK_ACCOUNT, username]);
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_IP, ip]);
    return work(lockedTx(client));
  });
}

function lockedTx(client: pg.PoolClient): LoginFailureTx {
  return {
    async nthNewestFailure(subject, value, since, n) {
      const where = subject === 'account' ? 'lower(username) = lower($1)' : 'ip = $1';
      const r = await client.query<{ at: Date }>(`SELECT at FROM login_failures WHERE ${where} AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1`, [
        value,
        since,
        n - 1,
      ]);
      return r.rows[0]?.at;
    },
    async recordFailure(username, ip, at) {
      const r = await client.query<{ id: string }>('INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3) RETURNING id', [username, ip, at]);
      return r.rows[0]!.id;
    },
  };
}

export async function deleteFailure(id: string): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE id = $1', [id]);
}

/** Forgets every failure of the account (any case), from every address. */
export async function deleteAccountFailures(username: string): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE lower(username) = lower($1)', [username]);
}

export async function deleteFailuresBefore(cutoff: Date): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE at < $1', [cutoff]);
}
