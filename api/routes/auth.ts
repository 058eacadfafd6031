/**
 * Signing in and out.
 * - `loginRoutes` (public): POST /login.
 * - `sessionRoutes` (behind `authenticate`): POST /logout, GET /me, POST /me/password.
 *
 * A wrong username, a wrong password and a disabled account all get the same 401 (and cost one bcrypt
 * comparison each); throttling (api/auth/throttle.ts) answers 429 before any password is checked.
 */
import { findCredentials, setPasswordHash } from '../../stores/users.js';
import { audit } from '../audit.js';
import { clientIp, currentUser, type AuthUser } from '../context.js';
import { LoginRequestSchema, LoginResponseSchema, PasswordChangeSchema, type LoginResponse } from '../contract/auth.js';
import { UserSchema, type User } from '../contract/users.js';
import { ApiError } from '../errors.js';
import { checkPasswordRules, hashPassword, verifyPassword } from '../auth/passwords.js';
import { issueToken, revokeSession, revokeUserSessions } from '../auth/sessions.js';
import { loginSucceeded, releaseAttempt, reserveAttempt } from '../auth/throttle.js';
import { requireSession } from '../auth/middleware.js';
import { requireCurrentPassword, TOO_MANY_ATTEMPTS, tooManyAttempts } from '../auth/step-up.js';
import { revokeUserApiKeys } from '../../stores/api-keys.js';
import { RouteGroup } from '../route.js';

const INVALID_CREDENTIALS = () => new ApiError(401, 'InvalidCredentials', 'wrong username or password');

export const loginRoutes = new RouteGroup('public');

loginRoutes.route(
  {
    method: 'post',
    path: '/login',
    tag: 'auth',
    operationId: 'login',
    summary: 'Log in with a username and password',
    description:
      'Returns a session token valid 8 hours. A wrong username or password gets the same 401. After 10 failures for an account within 15 minutes, further attempts are refused for a while with 429 and `Retry-After`.',
    body: LoginRequestSchema,
    answers: { 200: { description: 'signed in', json: LoginResponseSchema } },
    errors: { 401: 'wrong username or password, or a disabled account (code InvalidCredentials)', 429: TOO_MANY_ATTEMPTS },
  },
  async (ctx, { body: { username, password } }) => {
    const ip = clientIp(ctx);
    const now = ctx.deps.now();

    // Before anything about the account is looked at: the same answer whether or not it exists.
    const reservation = await reserveAttempt(username, ip, now);
    if (!reservation.ok) {
      await audit(ctx, {
        action: 'login.locked',
        actorUsername: username,
        detail: { scope: reservation.scope },
      });
      throw tooManyAttempts();
    }

    try {
      const row = await findCredentials(username);
      // verifyPassword compares against a dummy hash when there is no such user: the same cost either way.
      const passwordOk = await verifyPassword(password, row?.password_hash);
      if (!row || !passwordOk || row.disabled) {
        const reason = !row ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'disabled';
        await audit(ctx, {
          action: 'login.failure',
          actorUsername: username,
          ...(row ? { targetType: 'user' as const, targetId: row.id } : {}),
          detail: { reason },
        });
        throw INVALID_CREDENTIALS();
      }

      await loginSucceeded(username, ip);
      const user: AuthUser = { id: row.id, username: row.username, role: row.role };
      const issued = await issueToken(ctx.deps, user, { ip, userAgent: ctx.get('user-agent') || undefined });
      ctx.state.user = user;
      await audit(ctx, { action: 'login.success', targetType: 'session', targetId: issued.jti });
      ctx.body = { token: issued.token, expiresAt: issued.expiresAt.toISOString(), user } satisfies LoginResponse;
    } catch (err) {
      // Only a wrong password is a failure: an attempt that broke on our side (database, signing) must
      // not count towards locking the account.
      if (!(err instanceof ApiError)) await releaseAttempt(reservation.id).catch(() => {});
      throw err;
    }
  },
);

export const sessionRoutes = new RouteGroup('signed-in');

sessionRoutes.route(
  {
    method: 'post',
    path: '/logout',
    tag: 'auth',
    operationId: 'logout',
    summary: 'End the current session',
    description: 'The token is revoked at once, for every API process.',
    answers: { 204: { description: 'signed out' } },
    errors: { 400: 'an API key has no session to end (code NoSession)' },
  },
  async (ctx) => {
    currentUser(ctx);
    const jti = ctx.state.jti;
    if (!jti) {
      throw new ApiError(400, 'NoSession', 'an API key has no session to end; revoke the key instead (DELETE /me/api-keys/{id})');
    }
    await revokeSession(jti);
    await audit(ctx, { action: 'logout', targetType: 'session', targetId: jti });
    ctx.status = 204;
  },
);

sessionRoutes.route(
  {
    method: 'get',
    path: '/me',
    tag: 'auth',
    operationId: 'getMe',
    summary: 'The signed-in user',
    answers: { 200: { description: 'the user', json: UserSchema } },
  },
  (ctx) => {
    const { id, username, role } = currentUser(ctx);
    ctx.body = { id, username, role } satisfies User;
  },
);

sessionRoutes.route(
  {
    method: 'post',
    path: '/me/password',
    tag: 'auth',
    operationId: 'changePassword',
    summary: 'Change your password',
    description: "Needs a signed-in session (not an API key). Revokes the user's other sessions and every API key.",
    before: [requireSession('changing a password')],
    body: PasswordChangeSchema,
    answers: { 204: { description: 'password changed' } },
    errors: {
      400: 'the request is not valid, or the new password breaks a rule (codes InvalidRequest, WeakPassword, PasswordTooLong, SamePassword)',
      403: 'the current password is not correct, or the request came with an API key (codes WrongPassword, SessionRequired)',
      429: TOO_MANY_ATTEMPTS,
    },
  },
  async (ctx, { body: { currentPassword, newPassword } }) => {
    const me = currentUser(ctx);
    checkPasswordRules(newPassword);

    await requireCurrentPassword(ctx, me, currentPassword);
    if (newPassword === currentPassword) throw new ApiError(400, 'SamePassword', 'the new password must differ from the current one');

    await setPasswordHash(me.id, await hashPassword(newPassword), ctx.deps.now());
    const revoked = await revokeUserSessions(me.id, ctx.state.jti);
    const apiKeysRevoked = await revokeUserApiKeys(me.id);
    await audit(ctx, { action: 'user.password_change', targetType: 'user', targetId: me.id, detail: { otherSessionsRevoked: revoked, apiKeysRevoked } });
    ctx.status = 204;
  },
);
