/**
 * Step-up: acts that could take an account over (a new password, a role) need the actor's current
 * password even inside a valid session. Guessing it here counts against the same limits as /login.
 */
import { passwordHashOf } from '../../stores/users.js';
import { clientIp, type AppContext, type AuthUser } from '../context.js';
import { ApiError } from '../errors.js';
import { verifyPassword } from './passwords.js';
import { loginSucceeded, releaseAttempt, reserveAttempt } from './throttle.js';

// No Retry-After: telling an attacker when a lock ends tells them when to strike again.
export const tooManyAttempts = (): ApiError =>
  new ApiError(429, 'TooManyAttempts', 'too many failed sign-in attempts from here; wait a while before trying again');

export const TOO_MANY_ATTEMPTS = 'too many failed sign-ins (code TooManyAttempts): wait a while before trying again';

/**
 * Throws 403 WrongPassword (or 429) unless `password` is the user's current password. A guess here is a
 * sign-in attempt from this address for this account: it counts against the same pair and address limits.
 */
export async function requireCurrentPassword(ctx: AppContext, user: AuthUser, password: string): Promise<void> {
  const ip = clientIp(ctx);
  const reservation = await reserveAttempt(user.username, ip, ctx.deps.now());
  if (!reservation.ok) throw tooManyAttempts();
  let ok: boolean;
  try {
    ok = await verifyPassword(password, await passwordHashOf(user.id));
  } catch (err) {
    // Broken on our side, not a wrong password: it must not count towards a lock.
    await releaseAttempt(reservation.id).catch(() => {});
    throw err;
  }
  if (!ok) throw new ApiError(403, 'WrongPassword', 'the current password is not correct');
  await loginSucceeded(user.username, ip);
}
