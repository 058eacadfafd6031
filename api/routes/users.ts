/**
 * User administration (admins only): list, create, and PATCH (disable/enable, change role, reset the
 * password). Disabling an account ends its sessions at once, and its API keys stop working (keys of a
 * disabled owner are refused by `userForApiKey`). An admin cannot disable or demote themselves, so
 * there is always an administrator left.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { createUserIfAbsent, getUser, listUsers, updateUser, type UserRow } from '../../stores/users.js';
import { audit } from '../audit.js';
import { currentUser, type AppContextExtras, type AppState } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { jsonBody, requireAdmin } from '../auth/middleware.js';
import { checkPasswordRules, hashPassword } from '../auth/passwords.js';
import { revokeUserSessions } from '../auth/sessions.js';

const USERNAME = /^[\w.@-]{3,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RoleSchema = z.enum(['admin', 'user']);

const CreateUserBody = z.strictObject({
  username: z.string().trim().regex(USERNAME, 'a username is 3 to 64 letters, digits or . _ @ -'),
  password: z.string().max(4096),
  role: RoleSchema.default('user'),
});

const UpdateUserBody = z
  .strictObject({
    disabled: z.boolean().optional(),
    role: RoleSchema.optional(),
    password: z.string().max(4096).optional(),
  })
  .refine((b) => b.disabled !== undefined || b.role !== undefined || b.password !== undefined, { message: 'nothing to change: give disabled, role or password' });

const toApi = (u: UserRow) => ({ id: u.id, username: u.username, role: u.role, disabled: u.disabled, createdAt: u.created_at.toISOString() });

export const userRoutes = new Router<AppState, AppContextExtras>();

userRoutes.get('/users', requireAdmin, async (ctx) => {
  ctx.body = { users: (await listUsers()).map(toApi) };
});

userRoutes.post('/users', requireAdmin, jsonBody, async (ctx) => {
  const body = CreateUserBody.parse(ctx.request.body ?? {});
  checkPasswordRules(body.password);
  const now = ctx.deps.now();
  const created = await createUserIfAbsent({ username: body.username, passwordHash: await hashPassword(body.password), role: body.role, at: now });
  if (!created) throw new ApiError(409, 'UsernameTaken', 'that username is already taken');
  await audit(ctx, { action: 'user.create', targetType: 'user', targetId: created.id, detail: { username: created.username, role: created.role } });
  ctx.status = 201;
  ctx.body = toApi(created);
});

userRoutes.patch('/users/:id', requireAdmin, jsonBody, async (ctx) => {
  const me = currentUser(ctx);
  const id = ctx.params.id ?? '';
  if (!UUID.test(id)) throw notFound('the user');
  const body = UpdateUserBody.parse(ctx.request.body ?? {});
  if (id === me.id && (body.disabled === true || body.role === 'user')) {
    throw new ApiError(400, 'CannotChangeSelf', 'you cannot disable your own account or remove your own administrator role');
  }
  if (body.password !== undefined) checkPasswordRules(body.password);
  const before = await getUser(id);
  if (!before) throw notFound('the user');

  const updated = await updateUser(id, {
    disabled: body.disabled,
    role: body.role,
    password: body.password === undefined ? undefined : { hash: await hashPassword(body.password), changedAt: ctx.deps.now() },
  });
  if (!updated) throw notFound('the user');

  // A disabled account or a reset password ends the user's sessions (a reset of one's own password keeps the current one).
  let sessionsRevoked = 0;
  if (body.disabled === true || body.password !== undefined) sessionsRevoked = await revokeUserSessions(id, id === me.id ? ctx.state.jti : undefined);

  const detail: Record<string, string | number | boolean> = {};
  if (body.disabled !== undefined && body.disabled !== before.disabled) detail.disabled = body.disabled;
  if (body.role !== undefined && body.role !== before.role) detail.role = body.role;
  if (body.password !== undefined) detail.passwordReset = true;
  if (sessionsRevoked) detail.sessionsRevoked = sessionsRevoked;
  await audit(ctx, { action: 'user.update', targetType: 'user', targetId: id, detail });
  ctx.body = toApi(updated);
});
