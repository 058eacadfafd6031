/**
 * The `login_failures` table: failed (and in-flight) sign-in attempts, per username and client address,
 * shared by every API process. The throttling rules themselves live in api/auth/throttle.ts.
 * Usernames are compared case-insensitively (lower()), as the accounts are.
 */
import type pg from 'pg';
import { db, inTransaction } from './pool.js';

// Advisory-lock namespaces (first key of the two-int form) for the (account, address) pair and the address.
const LOCK_PAIR = 0x4d58_4103;
const LOCK_IP = 0x4d58_4102;

/** What may be done while an attempt's pair and address are locked. */
export interface LoginFailureTx {
  /** Failures after `since` for the pair (username in any case, and address). */
  pairFailures(username: string, ip: string, since: Date): Promise<number>;
  /** Failures after `since` from the address, for any account. */
  ipFailures(ip: string, since: Date): Promise<number>;
  /** Failures after `since` for the account, from every address. */
  accountFailures(username: string, since: Date): Promise<number>;
  /** Records a failure (an attempt in flight until it succeeds) and the delay it was given; returns its id. */
  recordFailure(username: string, ip: string, at: Date, delayMs: number): Promise<string>;
}

/**
 * Runs `work` in one short transaction holding the advisory locks of the pair and the address, so
 * parallel attempts on either are decided one after the other. It commits whatever `work` returns.
 */
export async function underLoginLocks<T>(username: string, ip: string, work: (tx: LoginFailureTx) => Promise<T>): Promise<T> {
  return inTransaction(async (client) => {
    // Always pair first, then address: one order, so two attempts can never wait on each other in a cycle.
    await client.query(`SELECT pg_advisory_xact_lock($1, hashtext(lower($2) || ' ' || $3))`, [LOCK_PAIR, username, ip]);
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_IP, ip]);
    return work(lockedTx(client));
  });
}

function lockedTx(client: pg.PoolClient): LoginFailureTx {
  const count = async (where: string, args: unknown[]) =>
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM login_failures WHERE ${where}`, args)).rows[0]!.n;
  return {
    pairFailures: (username, ip, since) => count('lower(username) = lower($1) AND ip = $2 AND at > $3', [username, ip, since]),
    ipFailures: (ip, since) => count('ip = $1 AND at > $2', [ip, since]),
    accountFailures: (username, since) => count('lower(username) = lower($1) AND at > $2', [username, since]),
    async recordFailure(username, ip, at, delayMs) {
      const r = await client.query<{ id: string }>('INSERT INTO login_failures (username, ip, at, delay_ms) VALUES ($1, $2, $3, $4) RETURNING id', [
        username,
        ip,
        at,
        delayMs,
      ]);
      return r.rows[0]!.id;
    },
  };
}

export async function deleteFailure(id: string): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE id = $1', [id]);
}

/** Forgets the failures of one (account, address) pair; other addresses' failures stay. */
export async function deletePairFailures(username: string, ip: string): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE lower(username) = lower($1) AND ip = $2', [username, ip]);
}

/** Forgets the failures of an account, of an address, or of the pair when both are given; returns how many. */
export async function clearFailures(which: { username?: string; ip?: string }): Promise<number> {
  const r = await db().query(
    'DELETE FROM login_failures WHERE ($1::text IS NULL OR lower(username) = lower($1)) AND ($2::text IS NULL OR ip = $2) AND ($1::text IS NOT NULL OR $2::text IS NOT NULL)',
    [which.username ?? null, which.ip ?? null],
  );
  return r.rowCount ?? 0;
}

export async function deleteFailuresBefore(cutoff: Date): Promise<void> {
  await db().query('DELETE FROM login_failures WHERE at < $1', [cutoff]);
}

export interface PairFailures {
  username: string;
  ip: string;
  failures: number;
  since: Date;
  last: Date;
  lastDelayMs: number;
}
export interface IpFailures {
  ip: string;
  failures: number;
  accounts: number;
  since: Date;
  last: Date;
}
export interface AccountFailures {
  username: string;
  failures: number;
  addresses: number;
  since: Date;
  last: Date;
}

/** Pairs, addresses and accounts with at least the given number of failures after `since`, most failures first. */
export async function listFailures(
  since: Date,
  min: { pair: number; ip: number; account: number },
  limit = 500,
): Promise<{ pairs: PairFailures[]; ips: IpFailures[]; accounts: AccountFailures[] }> {
  const [pairs, ips, accounts] = await Promise.all([
    db().query<PairFailures>(
      `SELECT lower(username) AS username, ip, count(*)::int AS failures, min(at) AS since, max(at) AS last,
              (array_agg(delay_ms ORDER BY at DESC, id DESC))[1] AS "lastDelayMs"
         FROM login_failures WHERE at > $1 GROUP BY lower(username), ip HAVING count(*) >= $2
        ORDER BY failures DESC, last DESC LIMIT $3`,
      [since, min.pair, limit],
    ),
    db().query<IpFailures>(
      `SELECT ip, count(*)::int AS failures, count(DISTINCT lower(username))::int AS accounts, min(at) AS since, max(at) AS last
         FROM login_failures WHERE at > $1 GROUP BY ip HAVING count(*) >= $2
        ORDER BY failures DESC, last DESC LIMIT $3`,
      [since, min.ip, limit],
    ),
    db().query<AccountFailures>(
      `SELECT lower(username) AS username, count(*)::int AS failures, count(DISTINCT ip)::int AS addresses, min(at) AS since, max(at) AS last
         FROM login_failures WHERE at > $1 GROUP BY lower(username) HAVING count(*) >= $2
        ORDER BY failures DESC, last DESC LIMIT $3`,
      [since, min.account, limit],
    ),
  ]);
  return { pairs: pairs.rows, ips: ips.rows, accounts: accounts.rows };
}
