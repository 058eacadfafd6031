/**
 * Login throttling, kept in Postgres (`login_failures`) so it holds across every API process. It is
 * built so that nobody can use it to lock a user out: failures count per (account, client address)
 * pair and per address, never against the account as a whole.
 *
 * Policy (sliding window of WINDOW_MS, all times from the app clock `deps.now()`; a "failure" is an
 * attempt that did not succeed, counted from the moment it starts, so parallel ones count at once):
 * - Pair: the first PAIR_FREE_FAILURES failures of a pair cost nothing; after that each attempt from
 *   the pair waits PAIR_DELAY_BASE_MS, doubling per failure up to PAIR_DELAY_CAP_MS; with
 *   PAIR_MAX_FAILURES failures the pair is refused (429) before any password is checked, even the
 *   right one. Only that address is refused for that account: the owner elsewhere signs in normally.
 * - Address: an address with IP_MAX_FAILURES failures across all accounts is refused (429) for every
 *   account (password spraying from one client).
 * - Account: guessing one account from many addresses (each staying under its pair limit) is slowed,
 *   never refused: with ACCOUNT_DELAY_AFTER failures from all addresses, every attempt on the account
 *   waits ACCOUNT_DELAY_BASE_MS, doubling per further ten failures, at most ACCOUNT_DELAY_CAP_MS. That
 *   cost also falls on the owner (a second or two), which is the price of slowing a botnet; the real
 *   bound on distributed guessing is PAIR_MAX_FAILURES per address and account plus the address cap,
 *   with long random-looking passwords (api/auth/passwords.ts) making each guess worth little.
 * - A refused attempt is not recorded, so hammering does not extend a lock: it ends by itself when the
 *   pair's (or address's) failures leave the window. The 429 never says when (no Retry-After, a fixed
 *   message): knowing it would tell an attacker when to strike again. A successful sign-in clears its
 *   own pair only; an administrator can clear any pair, account or address (GET/DELETE /login-locks).
 *
 * Every attempt reserves its failure row before the password is checked, under advisory locks on the
 * pair and the address in one short transaction, so parallel guesses cannot slip past the limits while
 * bcrypt runs. The delay is served after that transaction has committed (never while holding a lock or
 * a pooled connection); the row records the delay it was given (`delay_ms`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  clearFailures,
  deleteFailure,
  deleteFailuresBefore,
  deletePairFailures,
  listFailures,
  underLoginLocks,
  type AccountFailures,
  type IpFailures,
  type PairFailures,
} from '../../stores/login-failures.js';
import { logger } from '../../core/logger.js';

export const WINDOW_MS = 15 * 60_000;
export const PAIR_FREE_FAILURES = 3;
export const PAIR_DELAY_BASE_MS = 500;
export const PAIR_DELAY_CAP_MS = 4000;
export const PAIR_MAX_FAILURES = 10;
export const IP_MAX_FAILURES = 50;
export const ACCOUNT_DELAY_AFTER = 10;
export const ACCOUNT_DELAY_BASE_MS = 250;
export const ACCOUNT_DELAY_CAP_MS = 2000;
/** Rows older than this are deleted now and then; they no longer matter for any decision. */
const PRUNE_AFTER_MS = 24 * 3600_000;

/** What refused the attempt: the (account, address) pair, or the address across accounts. */
export type ThrottleScope = 'pair' | 'ip';

export type Reservation = { ok: true; id: string } | { ok: false; scope: ThrottleScope };

/** The wait for an attempt from a pair that already has `n` failures. */
export function pairDelayMs(n: number): number {
  if (n < PAIR_FREE_FAILURES) return 0;
  return Math.min(PAIR_DELAY_CAP_MS, PAIR_DELAY_BASE_MS * 2 ** (n - PAIR_FREE_FAILURES));
}

/** The wait for any attempt on an account that already has `n` failures from all addresses. */
export function accountDelayMs(n: number): number {
  if (n < ACCOUNT_DELAY_AFTER) return 0;
  return Math.min(ACCOUNT_DELAY_CAP_MS, ACCOUNT_DELAY_BASE_MS * 2 ** Math.floor((n - ACCOUNT_DELAY_AFTER) / 10));
}

/**
 * Checks the pair and address limits and, when neither is reached, records this attempt as a failure
 * (to be cleared by `loginSucceeded`), then waits the delay it earned. Nothing is recorded for a
 * refused attempt.
 */
export async function reserveAttempt(username: string, ip: string, now: Date): Promise<Reservation> {
  const since = new Date(now.getTime() - WINDOW_MS);
  const decision = await underLoginLocks(username, ip, async (tx): Promise<Reservation & { delayMs?: number }> => {
    const pair = await tx.pairFailures(username, ip, since);
    if (pair >= PAIR_MAX_FAILURES) return { ok: false, scope: 'pair' };
    if ((await tx.ipFailures(ip, since)) >= IP_MAX_FAILURES) return { ok: false, scope: 'ip' };
    const delayMs = Math.max(pairDelayMs(pair), accountDelayMs(await tx.accountFailures(username, since)));
    return { ok: true, id: await tx.recordFailure(username, ip, now, delayMs), delayMs };
  });
  if (!decision.ok) return { ok: false, scope: decision.scope };
  maybePrune(now);
  if (decision.delayMs) await sleep(decision.delayMs);
  return { ok: true, id: decision.id };
}

/** An attempt that failed on our side (not a wrong password) is taken back. */
export async function releaseAttempt(id: string): Promise<void> {
  await deleteFailure(id);
}

/** A successful sign-in: this pair starts afresh; other addresses' failures on the account stay. */
export async function loginSucceeded(username: string, ip: string): Promise<void> {
  await deletePairFailures(username, ip);
}

export interface ThrottleState {
  /** Pairs being delayed or refused. */
  pairs: Array<PairFailures & { locked: boolean }>;
  /** Addresses refused for every account. */
  ips: IpFailures[];
  /** Accounts whose every attempt is delayed. */
  accounts: Array<AccountFailures & { delayMs: number }>;
}

/** What is throttled now, for the admin view. */
export async function throttleState(now: Date): Promise<ThrottleState> {
  const f = await listFailures(new Date(now.getTime() - WINDOW_MS), { pair: PAIR_FREE_FAILURES, ip: IP_MAX_FAILURES, account: ACCOUNT_DELAY_AFTER });
  return {
    pairs: f.pairs.map((p) => ({ ...p, locked: p.failures >= PAIR_MAX_FAILURES })),
    ips: f.ips,
    accounts: f.accounts.map((a) => ({ ...a, delayMs: accountDelayMs(a.failures) })),
  };
}

/** An administrator clears an account's failures, an address's, or one pair's (both given); returns how many. */
export async function clearThrottle(which: { username?: string; ip?: string }): Promise<number> {
  return clearFailures(which);
}

let lastPrune = 0;
function maybePrune(now: Date): void {
  if (now.getTime() - lastPrune < 60_000) return;
  lastPrune = now.getTime();
  deleteFailuresBefore(new Date(now.getTime() - PRUNE_AFTER_MS)).catch((err: Error) => logger.warn({ err: err.message }, 'could not prune old login failures'));
}
