/**
 * User administration (admins, in a signed-in session: never with an API key): list, create, and PATCH
 * (disable/enable, change role, reset the password). Disabling an account or resetting its password ends
 * its sessions and revokes its API keys at once (re-enabling revives neither). An admin cannot disable
 * or demote themselves, so there is always an administrator left, and changing their own password or
 * role needs their current password. DELETE /users/:id/mfa removes someone's second factor (a lost
 * phone): audited `user.mfa_reset`, their sessions end, and they sign in with the password alone (or
 * must enrol again when MFA_REQUIRED_FOR_ADMINS applies to them).
 */
import { createUserIfAbsent, getUser, listUsers, updateUser, type UserRow } from '../../stores/users.js';
import { audit } from '../audit.js';
import { currentUser } from '../context.js';
import { UserAccountSchema, UserCreateSchema, UserIdParams, UserListSchema, UserUpdateSchema, type UserAccount, type UserList } from '../contract/users.js';
import { ApiError, notFound } from '../errors.js';
import { requireAdmin, requireSession } from '../auth/middleware.js';
import { requireCurrentPassword, TOO_MANY_ATTEMPTS } from '../auth/step-up.js';
import { revokeUserApiKeys } from '../../stores/api-keys.js';
import { checkPasswordRules, hashPassword } from '../auth/passwords.js';
import { revokeUserSessions } from '../auth/sessions.js';
import { disableMfa } from '../auth/totp.js';
import { RouteGroup } from '../route.js';

const toApi = (u: UserRow): UserAccount => ({
  id: u.id,
  username: u.username,
  role: u.role,
  disabled: u.disabled,
  createdAt: u.created_at.toISOString(),
  mfaEnabled: u.mfa_enabled,
});

const NEEDS_ADMIN = 'needs an administrator in a signed-in session (codes Forbidden, SessionRequired)';

export const userRoutes = new RouteGroup('signed-in');

userRoutes.route(
  {
    method: 'get',
    path: '/users',
    tag: 'users',
    operationId: 'listUsers',
    summary: 'List users (admin)',
    before: [requireAdmin, requireSession('administering users')],
    answers: { 200: { description: 'all users', json: UserListSchema } },
    errors: { 403: NEEDS_ADMIN },
  },
  async (ctx) => {
    ctx.body = { users: (await listUsers()).map(toApi) } satisfies UserList;
  },
);

userRoutes.route(
  {
    method: 'post',
    path: '/users',
    tag: 'users',
    operationId: 'createUser',
    summary: 'Create a user (admin)',
    before: [requireAdmin, requireSession('administering users')],
    body: UserCreateSchema,
    answers: { 201: { description: 'the new user', json: UserAccountSchema } },
    errors: {
      400: 'the request is not valid, or the password breaks a rule (codes InvalidRequest, WeakPassword, PasswordTooLong)',
      403: NEEDS_ADMIN,
      409: 'the username is taken, in any case (code UsernameTaken)',
    },
  },
  async (ctx, { body }) => {
    checkPasswordRules(body.password, body.username);
    const now = ctx.deps.now();
    const created = await createUserIfAbsent({ username: body.username, passwordHash: await hashPassword(body.password), role: body.role, at: now });
    if (!created) throw new ApiError(409, 'UsernameTaken', 'that username is already taken');
    await audit(ctx, { action: 'user.create', targetType: 'user', targetId: created.id, detail: { username: created.username, role: created.role } });
    ctx.status = 201;
    ctx.body = toApi(created);
  },
);

userRoutes.route(
  {
    method: 'patch',
    path: '/users/:id',
    tag: 'users',
    operationId: 'updateUser',
    summary: 'Change a user (admin): role, disable, reset password',
    description:
      "Disabling a user or resetting their password revokes the user's sessions and API keys. An administrator changing their own password or role gives `currentPassword`.",
    before: [requireAdmin, requireSession('administering users')],
    params: UserIdParams,
    body: UserUpdateSchema,
    answers: { 200: { description: 'the updated user', json: UserAccountSchema } },
    errors: {
      400: 'the request is not valid, the password breaks a rule, an admin would disable or demote themselves, or changes their own password or role without currentPassword (codes InvalidRequest, WeakPassword, PasswordTooLong, CannotChangeSelf, CurrentPasswordRequired)',
      403: `${NEEDS_ADMIN}; or the current password given for a change of one's own account is wrong (code WrongPassword)`,
      404: 'no such user',
      429: TOO_MANY_ATTEMPTS,
    },
  },
  async (ctx, { params: { id }, body }) => {
    const me = currentUser(ctx);
    if (id === me.id && (body.disabled === true || body.role === 'user')) {
      throw new ApiError(400, 'CannotChangeSelf', 'you cannot disable your own account or remove your own administrator role');
    }
    const before = await getUser(id);
    if (!before) throw notFound('the user');
    if (body.password !== undefined) checkPasswordRules(body.password, before.username);
    if (id === me.id && (body.password !== undefined || body.role !== undefined)) {
      if (body.currentPassword === undefined) {
        throw new ApiError(400, 'CurrentPasswordRequired', 'changing your own password or role needs your current password (currentPassword)');
      }
      await requireCurrentPassword(ctx, me, body.currentPassword);
    }

    const updated = await updateUser(id, {
      disabled: body.disabled,
      role: body.role,
      password: body.password === undefined ? undefined : { hash: await hashPassword(body.password), changedAt: ctx.deps.now() },
    });
    if (!updated) throw notFound('the user');

    // A disabled account or a reset password ends the user's sessions (a reset of one's own password keeps the current one).
    let sessionsRevoked = 0;
    let apiKeysRevoked = 0;
    if (body.disabled === true || body.password !== undefined) {
      sessionsRevoked = await revokeUserSessions(id, id === me.id ? ctx.state.jti : undefined);
      apiKeysRevoked = await revokeUserApiKeys(id);
    }

    const detail: Record<string, string | number | boolean> = {};
    if (body.disabled !== undefined && body.disabled !== before.disabled) detail.disabled = body.disabled;
    if (body.role !== undefined && body.role !== before.role) detail.role = body.role;
    if (body.password !== undefined) detail.passwordReset = true;
    if (sessionsRevoked) detail.sessionsRevoked = sessionsRevoked;
    if (apiKeysRevoked) detail.apiKeysRevoked = apiKeysRevoked;
    await audit(ctx, { action: 'user.update', targetType: 'user', targetId: id, detail });
    ctx.body = toApi(updated);
  },
);

userRoutes.route(
  {
    method: 'delete',
    path: '/users/:id/mfa',
    tag: 'users',
    operationId: 'resetUserMfa',
    summary: "Remove a user's second factor (admin)",
    description:
      "For a user who lost their authenticator: their TOTP secret and recovery codes are deleted and their sessions end. Not for one's own account (use POST /me/mfa/disable, which asks for the password and a code).",
    before: [requireAdmin, requireSession('administering users')],
    params: UserIdParams,
    answers: { 204: { description: 'the second factor is removed' } },
    errors: {
      400: 'an administrator resetting their own second factor (code CannotChangeSelf)',
      403: NEEDS_ADMIN,
      404: 'no such user',
      409: 'the user has no second factor (code MfaNotEnabled)',
    },
  },
  async (ctx, { params: { id } }) => {
    const me = currentUser(ctx);
    if (id === me.id)
      throw new ApiError(
        400,
        'CannotChangeSelf',
        'to remove your own second factor use your Account page (POST /me/mfa/disable), which asks for your password and a code',
      );
    const user = await getUser(id);
    if (!user) throw notFound('the user');
    if (!(await disableMfa(id))) throw new ApiError(409, 'MfaNotEnabled', `${user.username} has no second factor to reset`);
    const sessionsRevoked = await revokeUserSessions(id);
    await audit(ctx, { action: 'user.mfa_reset', targetType: 'user', targetId: id, detail: { sessionsRevoked } });
    ctx.status = 204;
  },
);
