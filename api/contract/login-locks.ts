/** Sign-in locks, for administrators: what the throttle (api/auth/throttle.ts) delays or refuses now. */
import { z } from 'zod';
import { IsoDateTime } from './common.js';

// Control characters (a NUL above all) are refused for every route before validation (api/route.ts).
const plain = (what: string, max: number) => z.string().trim().min(1, `${what} must not be empty`).max(max, `${what} is too long`);

export const LoginLockPairSchema = z
  .object({
    username: z.string().describe('the account tried (lower case; it need not exist)'),
    address: z.string().describe('the client address the attempts came from'),
    failures: z.int().describe('failed attempts in the last 15 minutes'),
    since: IsoDateTime.describe('the oldest of those failures'),
    lastFailureAt: IsoDateTime,
    state: z.enum(['delayed', 'locked']).describe('delayed: each attempt waits a few seconds; locked: refused (429) until cleared or the failures age out'),
    lastDelayMs: z.int().describe('the wait given to the latest attempt, in milliseconds'),
  })
  .meta({ id: 'LoginLockPair' });

export const LoginLockAddressSchema = z
  .object({
    address: z.string(),
    failures: z.int().describe('failed attempts in the last 15 minutes, across accounts'),
    accounts: z.int().describe('how many accounts they tried'),
    since: IsoDateTime,
    lastFailureAt: IsoDateTime,
    state: z.literal('locked').describe('refused (429) for every account'),
  })
  .meta({ id: 'LoginLockAddress' });

export const LoginLockAccountSchema = z
  .object({
    username: z.string(),
    failures: z.int().describe('failed attempts in the last 15 minutes, from every address'),
    addresses: z.int().describe('how many addresses they came from'),
    since: IsoDateTime,
    lastFailureAt: IsoDateTime,
    state: z.literal('delayed').describe('every attempt on the account waits a little (never refused)'),
    delayMs: z.int().describe('the wait each attempt gets now, in milliseconds'),
  })
  .meta({ id: 'LoginLockAccount' });

export const LoginLockListSchema = z
  .object({
    pairs: z.array(LoginLockPairSchema).describe('(account, address) pairs delayed or locked'),
    addresses: z.array(LoginLockAddressSchema).describe('addresses locked for every account'),
    accounts: z.array(LoginLockAccountSchema).describe('accounts slowed down by guesses from many addresses'),
  })
  .meta({ id: 'LoginLockList' });
export type LoginLockList = z.infer<typeof LoginLockListSchema>;
export type LoginLockPair = z.infer<typeof LoginLockPairSchema>;

export const LoginLockClearQuery = z
  .object({
    username: plain('username', 200).optional().describe("clear this account's failures (from every address, or from `address` only)"),
    address: plain('address', 100).optional().describe("clear this address's failures (for every account, or for `username` only)"),
  })
  .meta({ id: 'LoginLockClearQuery' });
export type LoginLockClear = z.infer<typeof LoginLockClearQuery>;

export const LoginLockClearedSchema = z.object({ cleared: z.int().describe('how many recorded failures were forgotten') }).meta({ id: 'LoginLockCleared' });
export type LoginLockCleared = z.infer<typeof LoginLockClearedSchema>;
