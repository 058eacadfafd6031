/**
 * Signing in and out, and the signed-in user's own password and second factor.
 * - `loginRoutes` (public): POST /login, and the second step of a sign-in with a second factor:
 *   POST /login/mfa (a code or a recovery code), POST /login/mfa/enrol and /login/mfa/confirm (an
 *   administrator who must enrol first, MFA_REQUIRED_FOR_ADMINS=true). The contract of the steps is
 *   described in api/contract/auth.ts.
 * - `sessionRoutes` (behind `authenticate`, sessions only): POST /logout, GET /me, POST /me/password,
 *   GET /me/mfa, POST /me/mfa/enrol, /me/mfa/confirm, /me/mfa/disable.
 *
 * A wrong username, a wrong password and a disabled account all get the same 401 (and cost one bcrypt
 * comparison each); throttling (api/auth/throttle.ts) answers 429 before any password is checked.
 * For an account with a second factor the right password alone is not a success for the throttle: the
 * attempt stays counted until the code is right, so knowing the password does not buy endless guesses
 * at the code (each wrong code counts as one more failure of that account and address).
 */
import { findCredentials, getUser, setPasswordHash } from '../../stores/users.js';
import { audit } from '../audit.js';
import { clientIp, currentUser, type AppContext, type AuthUser } from '../context.js';
import {
  LoginRequestSchema,
  LoginResponseSchema,
  LoginSessionSchema,
  MfaChallengeConfirmSchema,
  MfaChallengeRequestSchema,
  MfaConfirmRequestSchema,
  MfaDisableRequestSchema,
  MfaEnrolledSessionSchema,
  MfaEnrolmentSchema,
  MfaEnrolRequestSchema,
  MfaLoginRequestSchema,
  MfaRecoveryCodesSchema,
  MfaStatusSchema,
  PasswordChangeSchema,
  type LoginResponse,
  type LoginSession,
  type MfaEnrolledSession,
  type MfaRecoveryCodes,
  type MfaStatus,
} from '../contract/auth.js';
import { UserSchema, type User } from '../contract/users.js';
import { ApiError } from '../errors.js';
import { checkPasswordRules, hashPassword, verifyPassword } from '../auth/passwords.js';
import { issueToken, revokeSession, revokeUserSessions } from '../auth/sessions.js';
import { loginSucceeded, releaseAttempt, reserveAttempt, type Reservation } from '../auth/throttle.js';
import { requireSession } from '../auth/middleware.js';
import { requireCurrentPassword, TOO_MANY_ATTEMPTS, tooManyAttempts } from '../auth/step-up.js';
import {
  challengeUser,
  checkCode,
  confirmEnrolment,
  consumeChallenge,
  consumeCode,
  disableMfa,
  issueChallenge,
  mfaStatus,
  startEnrolment,
  unusedRecoveryCodes,
  useRecoveryCode,
} from '../auth/totp.js';
import { revokeUserApiKeys } from '../../stores/api-keys.js';
import { RouteGroup } from '../route.js';

const INVALID_CREDENTIALS = () => new ApiError(401, 'InvalidCredentials', 'wrong username or password');
const CHALLENGE_GONE = () => new ApiError(401, 'Unauthorized', 'this sign-in step expired or was already used; log in again with your password');
const WRONG_CODE = (status: number) =>
  new ApiError(status, 'InvalidMfaCode', 'the code is not correct or was already used; enter the current code from your authenticator app');
const WRONG_RECOVERY_CODE = (status: number) => new ApiError(status, 'InvalidMfaCode', 'that recovery code is not valid or was already used');

/** Administrators must have a second factor under MFA_REQUIRED_FOR_ADMINS=true. */
const mfaRequiredFor = (ctx: AppContext, role: AuthUser['role']) => role === 'admin' && ctx.deps.cfg.mfaRequiredForAdmins;

/** Issues the session at the end of a sign-in and records it. */
async function signIn(ctx: AppContext, user: AuthUser, how: 'password' | 'totp' | 'recovery_code' | 'enrolment'): Promise<LoginSession> {
  const issued = await issueToken(ctx.deps, user, { ip: clientIp(ctx), userAgent: ctx.get('user-agent') || undefined });
  ctx.state.user = user;
  await audit(ctx, { action: 'login.success', targetType: 'session', targetId: issued.jti, ...(how === 'password' ? {} : { detail: { secondFactor: how } }) });
  return { token: issued.token, expiresAt: issued.expiresAt.toISOString(), user };
}

/** Reserves a throttle attempt for a second-factor step of `username`, or answers 429. */
async function reserveOr429(ctx: AppContext, username: string): Promise<Extract<Reservation, { ok: true }>> {
  const reservation = await reserveAttempt(username, clientIp(ctx), ctx.deps.now());
  if (!reservation.ok) {
    await audit(ctx, { action: 'login.locked', actorUsername: username, detail: { scope: reservation.scope } });
    throw tooManyAttempts();
  }
  return reservation;
}

/** Runs a throttled step: a failure on our side (not a wrong code) is taken back from the throttle. */
async function throttled<T>(reservation: { id: string }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof ApiError)) await releaseAttempt(reservation.id).catch(() => {});
    throw err;
  }
}

/** The live account a challenge was issued to. */
async function challengedUser(ctx: AppContext, token: string, purpose: 'login' | 'enrol'): Promise<AuthUser> {
  const userId = await challengeUser(ctx.deps, token, purpose);
  const row = userId ? await getUser(userId) : undefined;
  if (!row || row.disabled) throw CHALLENGE_GONE();
  return { id: row.id, username: row.username, role: row.role };
}

export const loginRoutes = new RouteGroup('public');

loginRoutes.route(
  {
    method: 'post',
    path: '/login',
    tag: 'auth',
    operationId: 'login',
    summary: 'Log in with a username and password',
    description:
      'With the right password: a session token valid 8 hours (ending sooner after SESSION_IDLE_MINUTES without use) — or, for an account with a second factor, `{ mfaRequired: true, challengeToken }` to complete at POST /login/mfa; or, for an administrator who must set one up first (MFA_REQUIRED_FOR_ADMINS=true), `{ mfaEnrolmentRequired: true, challengeToken }` for POST /login/mfa/enrol and /login/mfa/confirm. A wrong username or password gets the same 401. Repeated failures from one address are slowed, then refused for a while with 429 (which does not say for how long).',
    body: LoginRequestSchema,
    answers: { 200: { description: 'signed in, or the second step to take', json: LoginResponseSchema } },
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

    await throttled(reservation, async () => {
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

      const user: AuthUser = { id: row.id, username: row.username, role: row.role };
      // The reservation stays counted until the second step succeeds (see the top of this file).
      if (row.mfa_enabled) {
        const c = await issueChallenge(ctx.deps, row.id, 'login', ip);
        ctx.body = { mfaRequired: true, challengeToken: c.token, expiresAt: c.expiresAt.toISOString() } satisfies LoginResponse;
        return;
      }
      if (mfaRequiredFor(ctx, row.role)) {
        const c = await issueChallenge(ctx.deps, row.id, 'enrol', ip);
        ctx.body = { mfaEnrolmentRequired: true, challengeToken: c.token, expiresAt: c.expiresAt.toISOString() } satisfies LoginResponse;
        return;
      }
      await loginSucceeded(username, ip);
      ctx.body = (await signIn(ctx, user, 'password')) satisfies LoginResponse;
    });
  },
);

loginRoutes.route(
  {
    method: 'post',
    path: '/login/mfa',
    tag: 'auth',
    operationId: 'loginMfa',
    summary: 'Complete a sign-in with a second factor',
    description:
      'The `challengeToken` from POST /login with the 6-digit code of the authenticator app (each code works once) or one of the recovery codes (each works once). Wrong codes count against the same sign-in limits as wrong passwords.',
    body: MfaLoginRequestSchema,
    answers: { 200: { description: 'signed in', json: LoginSessionSchema } },
    errors: {
      401: 'the code or recovery code is wrong or was used already (code InvalidMfaCode), or the challenge expired or was used (code Unauthorized)',
      429: TOO_MANY_ATTEMPTS,
    },
  },
  async (ctx, { body: { challengeToken, code, recoveryCode } }) => {
    const user = await challengedUser(ctx, challengeToken, 'login');
    const reservation = await reserveOr429(ctx, user.username);
    await throttled(reservation, async () => {
      const now = ctx.deps.now();
      const about = { actorUsername: user.username, targetType: 'user' as const, targetId: user.id };
      if (code !== undefined) {
        const result = await checkCode(ctx.deps, user.id, code, now);
        if (result !== 'ok') {
          await audit(ctx, { action: 'login.mfa_failure', ...about, detail: { reason: result === 'replayed' ? 'replayed_code' : 'wrong_code' } });
          throw WRONG_CODE(401);
        }
      } else {
        if (!(await useRecoveryCode(user.id, recoveryCode!, now))) {
          await audit(ctx, { action: 'login.mfa_failure', ...about, detail: { reason: 'wrong_recovery_code' } });
          throw WRONG_RECOVERY_CODE(401);
        }
        await audit(ctx, { action: 'user.recovery_code_used', ...about, detail: { remaining: await unusedRecoveryCodes(user.id) } });
      }
      if (!(await consumeChallenge(ctx.deps, challengeToken))) throw CHALLENGE_GONE();
      await loginSucceeded(user.username, clientIp(ctx));
      ctx.body = (await signIn(ctx, user, code !== undefined ? 'totp' : 'recovery_code')) satisfies LoginSession;
    });
  },
);

loginRoutes.route(
  {
    method: 'post',
    path: '/login/mfa/enrol',
    tag: 'auth',
    operationId: 'loginMfaEnrol',
    summary: 'Set up the second factor an administrator needs before signing in',
    description:
      'With the `challengeToken` of an `mfaEnrolmentRequired` answer: a new TOTP secret (text, otpauth URI and QR code) for an authenticator app. Confirm it with POST /login/mfa/confirm. Asking again replaces the secret.',
    body: MfaChallengeRequestSchema,
    answers: { 200: { description: 'the secret to add to an authenticator app', json: MfaEnrolmentSchema } },
    errors: { 401: 'the challenge expired or was used (code Unauthorized)' },
  },
  async (ctx, { body: { challengeToken } }) => {
    const user = await challengedUser(ctx, challengeToken, 'enrol');
    ctx.body = await startEnrolment(ctx.deps, user);
  },
);

loginRoutes.route(
  {
    method: 'post',
    path: '/login/mfa/confirm',
    tag: 'auth',
    operationId: 'loginMfaConfirm',
    summary: 'Confirm the new second factor with a code and sign in',
    description:
      'The second factor becomes active and the answer is a session with 10 recovery codes, shown only this once. Wrong codes count against the sign-in limits.',
    body: MfaChallengeConfirmSchema,
    answers: { 200: { description: 'enrolled and signed in', json: MfaEnrolledSessionSchema } },
    errors: {
      400: 'the code does not match the new secret (code InvalidMfaCode)',
      401: 'the challenge expired or was used (code Unauthorized)',
      409: 'no secret was asked for yet: POST /login/mfa/enrol first (code MfaNotEnabled)',
      429: TOO_MANY_ATTEMPTS,
    },
  },
  async (ctx, { body: { challengeToken, code } }) => {
    const user = await challengedUser(ctx, challengeToken, 'enrol');
    const reservation = await reserveOr429(ctx, user.username);
    await throttled(reservation, async () => {
      const result = await confirmEnrolment(ctx.deps, user.id, code, ctx.deps.now());
      if (!result.ok && result.why === 'no-pending') {
        await releaseAttempt(reservation.id);
        throw new ApiError(409, 'MfaNotEnabled', 'no second factor is being set up: ask for a secret first (POST /login/mfa/enrol)');
      }
      if (!result.ok) {
        await audit(ctx, {
          action: 'login.mfa_failure',
          actorUsername: user.username,
          targetType: 'user',
          targetId: user.id,
          detail: { reason: 'wrong_code', enrolment: true },
        });
        throw WRONG_CODE(400);
      }
      if (!(await consumeChallenge(ctx.deps, challengeToken))) throw CHALLENGE_GONE();
      await loginSucceeded(user.username, clientIp(ctx));
      ctx.state.user = user;
      await audit(ctx, { action: 'user.mfa_enrol', targetType: 'user', targetId: user.id, detail: { duringSignIn: true } });
      ctx.body = { ...(await signIn(ctx, user, 'enrolment')), recoveryCodes: result.recoveryCodes } satisfies MfaEnrolledSession;
    });
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
    checkPasswordRules(newPassword, me.username);

    await requireCurrentPassword(ctx, me, currentPassword);
    if (newPassword === currentPassword) throw new ApiError(400, 'SamePassword', 'the new password must differ from the current one');

    await setPasswordHash(me.id, await hashPassword(newPassword), ctx.deps.now());
    const revoked = await revokeUserSessions(me.id, ctx.state.jti);
    const apiKeysRevoked = await revokeUserApiKeys(me.id);
    await audit(ctx, { action: 'user.password_change', targetType: 'user', targetId: me.id, detail: { otherSessionsRevoked: revoked, apiKeysRevoked } });
    ctx.status = 204;
  },
);

sessionRoutes.route(
  {
    method: 'get',
    path: '/me/mfa',
    tag: 'auth',
    operationId: 'getMyMfa',
    summary: 'Whether your second factor is on',
    answers: { 200: { description: 'the second factor’s state', json: MfaStatusSchema } },
  },
  async (ctx) => {
    const me = currentUser(ctx);
    const status = await mfaStatus(me.id);
    ctx.body = { ...status, enabledAt: status.enabledAt?.toISOString() ?? null, required: mfaRequiredFor(ctx, me.role) } satisfies MfaStatus;
  },
);

sessionRoutes.route(
  {
    method: 'post',
    path: '/me/mfa/enrol',
    tag: 'auth',
    operationId: 'enrolMyMfa',
    summary: 'Start setting up a second factor (TOTP)',
    description:
      'Needs your current password. Answers a new secret (text, otpauth URI, QR code) for an authenticator app; it becomes active only once POST /me/mfa/confirm gets a code from it. Asking again replaces the secret.',
    body: MfaEnrolRequestSchema,
    answers: { 200: { description: 'the secret to add to an authenticator app', json: MfaEnrolmentSchema } },
    errors: {
      403: 'the current password is not correct (code WrongPassword)',
      409: 'a second factor is on already: disable it first (code MfaAlreadyEnabled)',
      429: TOO_MANY_ATTEMPTS,
    },
  },
  async (ctx, { body: { currentPassword } }) => {
    const me = currentUser(ctx);
    if ((await mfaStatus(me.id)).enabled) throw new ApiError(409, 'MfaAlreadyEnabled', 'your second factor is on already; to replace it, disable it first');
    await requireCurrentPassword(ctx, me, currentPassword);
    ctx.body = await startEnrolment(ctx.deps, me);
  },
);

sessionRoutes.route(
  {
    method: 'post',
    path: '/me/mfa/confirm',
    tag: 'auth',
    operationId: 'confirmMyMfa',
    summary: 'Turn the second factor on with a first code',
    description: 'Answers 10 single-use recovery codes, shown only this once. Your other sessions end.',
    body: MfaConfirmRequestSchema,
    answers: { 200: { description: 'the second factor is on', json: MfaRecoveryCodesSchema } },
    errors: {
      400: 'the code does not match the new secret (code InvalidMfaCode)',
      409: 'no secret was asked for: POST /me/mfa/enrol first (code MfaNotEnabled), or it is on already (code MfaAlreadyEnabled)',
    },
  },
  async (ctx, { body: { code } }) => {
    const me = currentUser(ctx);
    if ((await mfaStatus(me.id)).enabled) throw new ApiError(409, 'MfaAlreadyEnabled', 'your second factor is on already');
    const result = await confirmEnrolment(ctx.deps, me.id, code, ctx.deps.now());
    if (!result.ok && result.why === 'no-pending') {
      throw new ApiError(409, 'MfaNotEnabled', 'no second factor is being set up: start again with your password (POST /me/mfa/enrol)');
    }
    if (!result.ok) throw WRONG_CODE(400);
    // Sessions opened with the password alone should not outlive the switch to two factors.
    const otherSessionsRevoked = await revokeUserSessions(me.id, ctx.state.jti);
    await audit(ctx, { action: 'user.mfa_enrol', targetType: 'user', targetId: me.id, detail: { otherSessionsRevoked } });
    ctx.body = { recoveryCodes: result.recoveryCodes } satisfies MfaRecoveryCodes;
  },
);

sessionRoutes.route(
  {
    method: 'post',
    path: '/me/mfa/disable',
    tag: 'auth',
    operationId: 'disableMyMfa',
    summary: 'Turn your second factor off',
    description:
      'Needs your current password and a current code (or a recovery code). Wrong codes count against the sign-in limits. Administrators cannot turn it off under MFA_REQUIRED_FOR_ADMINS=true.',
    body: MfaDisableRequestSchema,
    answers: { 204: { description: 'the second factor is off; its recovery codes are deleted' } },
    errors: {
      403: 'the current password or the code is not correct (codes WrongPassword, InvalidMfaCode), or administrators must keep a second factor (code MfaRequired)',
      409: 'no second factor is on (code MfaNotEnabled)',
      429: TOO_MANY_ATTEMPTS,
    },
  },
  async (ctx, { body: { currentPassword, code, recoveryCode } }) => {
    const me = currentUser(ctx);
    const now = ctx.deps.now();
    if (!(await mfaStatus(me.id)).enabled) throw new ApiError(409, 'MfaNotEnabled', 'your second factor is not on');
    if (mfaRequiredFor(ctx, me.role)) throw new ApiError(403, 'MfaRequired', 'administrators must keep a second factor here (MFA_REQUIRED_FOR_ADMINS)');
    if (code !== undefined) {
      // The code first, the password after: the password's success clears this address's failures, so
      // checking it first would let wrong codes be retried without limit.
      const reservation = await reserveOr429(ctx, me.username);
      await throttled(reservation, async () => {
        if ((await checkCode(ctx.deps, me.id, code, now, false)) !== 'ok') {
          await audit(ctx, { action: 'login.mfa_failure', targetType: 'user', targetId: me.id, detail: { reason: 'wrong_code', disabling: true } });
          throw WRONG_CODE(403);
        }
        await releaseAttempt(reservation.id);
      });
      await requireCurrentPassword(ctx, me, currentPassword);
      if (!(await consumeCode(ctx.deps, me.id, code, now))) throw WRONG_CODE(403);
    } else {
      // A recovery code is a 50-bit random string: nothing to throttle, so the password goes first.
      await requireCurrentPassword(ctx, me, currentPassword);
      if (!(await useRecoveryCode(me.id, recoveryCode!, now))) {
        await audit(ctx, { action: 'login.mfa_failure', targetType: 'user', targetId: me.id, detail: { reason: 'wrong_recovery_code', disabling: true } });
        throw WRONG_RECOVERY_CODE(403);
      }
      await audit(ctx, { action: 'user.recovery_code_used', targetType: 'user', targetId: me.id, detail: { remaining: await unusedRecoveryCodes(me.id) } });
    }
    await disableMfa(me.id);
    await audit(ctx, { action: 'user.mfa_disable', targetType: 'user', targetId: me.id, detail: { with: code !== undefined ? 'code' : 'recovery_code' } });
    ctx.status = 204;
  },
);
