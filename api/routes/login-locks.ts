/** Sign-in locks, for administrators: which accounts and addresses are throttled, and clearing them (audited). */
import { audit } from '../audit.js';
import { requireAdmin, requireSession } from '../auth/middleware.js';
import { clearThrottle, throttleState } from '../auth/throttle.js';
import { LoginLockClearedSchema, LoginLockClearQuery, LoginLockListSchema, type LoginLockCleared, type LoginLockList } from '../contract/login-locks.js';
import { ApiError } from '../errors.js';
import { RouteGroup } from '../route.js';

const NEEDS_ADMIN = 'needs an administrator in a signed-in session (codes Forbidden, SessionRequired)';

export const loginLockRoutes = new RouteGroup('signed-in');

loginLockRoutes.route(
  {
    method: 'get',
    path: '/login-locks',
    tag: 'audit',
    operationId: 'listLoginLocks',
    summary: 'Sign-in locks and delays now in force (admin)',
    description:
      '(account, address) pairs delayed (after 3 failures in 15 minutes) or locked (after 10), addresses locked across accounts (after 50), and accounts slowed by guesses from many addresses.',
    before: [requireAdmin, requireSession('viewing sign-in locks')],
    answers: { 200: { description: 'what is throttled', json: LoginLockListSchema } },
    errors: { 403: NEEDS_ADMIN },
  },
  async (ctx) => {
    const s = await throttleState(ctx.deps.now());
    ctx.body = {
      pairs: s.pairs.map((p) => ({
        username: p.username,
        address: p.ip,
        failures: p.failures,
        since: p.since.toISOString(),
        lastFailureAt: p.last.toISOString(),
        state: p.locked ? 'locked' : 'delayed',
        lastDelayMs: p.lastDelayMs,
      })),
      addresses: s.ips.map((i) => ({
        address: i.ip,
        failures: i.failures,
        accounts: i.accounts,
        since: i.since.toISOString(),
        lastFailureAt: i.last.toISOString(),
        state: 'locked',
      })),
      accounts: s.accounts.map((a) => ({
        username: a.username,
        failures: a.failures,
        addresses: a.addresses,
        since: a.since.toISOString(),
        lastFailureAt: a.last.toISOString(),
        state: 'delayed',
        delayMs: a.delayMs,
      })),
    } satisfies LoginLockList;
  },
);

loginLockRoutes.route(
  {
    method: 'delete',
    path: '/login-locks',
    tag: 'audit',
    operationId: 'clearLoginLocks',
    summary: 'Clear sign-in failures (admin)',
    description:
      'Forgets the recorded failures of an account (`username`), of an address (`address`), or of one pair (both), so their delays and locks end at once. Audited as `login.unlock`.',
    before: [requireAdmin, requireSession('clearing sign-in locks')],
    query: LoginLockClearQuery,
    answers: { 200: { description: 'cleared', json: LoginLockClearedSchema } },
    errors: { 400: 'neither username nor address given, or one is not valid (code InvalidRequest)', 403: NEEDS_ADMIN },
  },
  async (ctx, { query: { username, address } }) => {
    if (!username && !address) throw new ApiError(400, 'InvalidRequest', 'name a username, an address, or both, to clear');
    const cleared = await clearThrottle({ ...(username ? { username } : {}), ...(address ? { ip: address } : {}) });
    await audit(ctx, {
      action: 'login.unlock',
      detail: { username: username ?? null, address: address ?? null, cleared },
    });
    ctx.body = { cleared } satisfies LoginLockCleared;
  },
);
