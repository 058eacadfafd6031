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
import {
  deleteAccountFailures,
  deleteFailure,
  deleteFailuresBefore,
  underLoginLocks,
  type FailureSubject,
  type LoginFailureTx,
} from '../../stores/login-failures.js';
import { logger } from '../../core/logger.js';

export const WINDOW_MS = 15 * 60_000;
export const ACCOUNT_MAX_FAILURES = 10;
export const IP_MAX_FAILURES = 50;
/** Rows older than this are deleted now and then; they no longer matter for any decision. */
const PRUNE_AFTER_MS = 24 * 3600_000;

export type ThrottleScope = FailureSubject;

export type Reservation = { ok: true; id: string } | { ok: false; scope: ThrottleScope; retryAfterSeconds: number; lockedUntil: Date };

/** When the subject is locked until, if it is: the `max`-th newest failure within the window + WINDOW_MS. */
async function lockedUntil(tx: LoginFailureTx, subject: ThrottleScope, value: string, max: number, now: Date): Promise<Date | undefined> {
  const at = await tx.nthNewestFailure(subject, value, new Date(now.getTime() - WINDOW_MS), max);
  return at ? new Date(at.getTime() + WINDOW_MS) : undefined;
}

/**
 * Checks both limits and, when neither is reached, records this attempt as a failure (to be cleared
 * by `loginSucceeded`). Returns the lock otherwise; nothing is recorded for a refused attempt.
 */
export async function reserveAttempt(username: string, ip: string, now: Date): Promise<Reservation> {
  const reservation = await underLoginLocks(username, ip, async (tx): Promise<Reservation> => {
    const locks: Array<{ scope: ThrottleScope; until: Date }> = [];
    const account = await lockedUntil(tx, 'account', username, ACCOUNT_MAX_FAILURES, now);
    if (account && account > now) locks.push({ scope: 'account', until: account });
    const byIp = await lockedUntil(tx, 'ip', ip, IP_MAX_FAILURES, now);
    if (byIp && byIp > now) locks.push({ scope: 'ip', until: byIp });
    if (locks.length) {
      const lock = locks.reduce((a, b) => (b.until > a.until ? b : a));
      return {
        ok: false,
        scope: lock.scope,
        lockedUntil: lock.until,
        retryAfterSeconds: Math.max(1, Math.ceil((lock.until.getTime() - now.getTime()) / 1000)),
      };
    }
    return { ok: true, id: await tx.recordFailure(username, ip, now) };
  });
  if (reservation.ok) maybePrune(now);
  return reservation;
}

/** An attempt that failed on our side (not a wrong password) is taken back. */
export async function releaseAttempt(id: string): Promise<void> {
  await deleteFailure(id);
}

/** A successful login: the account starts afresh (its failures from every address are forgotten). */
export async function loginSucceeded(username: string, _ip?: string): Promise<void> {
  await deleteAccountFailures(username);
}

let lastPrune = 0;
function maybePrune(now: Date): void {
  if (now.getTime() - lastPrune < 60_000) return;
  lastPrune = now.getTime();
  deleteFailuresBefore(new Date(now.getTime() - PRUNE_AFTER_MS)).catch((err: Error) => logger.warn({ err: err.message }, 'could not prune old login failures'));
}
