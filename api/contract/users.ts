/** User administration (admins only): request and response shapes. */
import { z } from 'zod';
import type { UserRole } from '../../stores/users.js';
import { IsoDateTime, resourceId } from './common.js';

export const RoleSchema = z.enum(['admin', 'user', 'reviewer']) satisfies z.ZodType<UserRole>;
export type Role = z.infer<typeof RoleSchema>;

/** Who is signed in (login answer, GET /me). */
export const UserSchema = z.object({ id: z.uuid(), username: z.string(), role: RoleSchema }).meta({ id: 'User' });
export type User = z.infer<typeof UserSchema>;

/** An account as an administrator sees it. */
export const UserAccountSchema = UserSchema.extend({
  disabled: z.boolean(),
  createdAt: IsoDateTime,
  mfaEnabled: z.boolean().describe('a TOTP second factor is set up'),
}).meta({ id: 'UserAccount' });
export type UserAccount = z.infer<typeof UserAccountSchema>;

export const UserListSchema = z.object({ users: z.array(UserAccountSchema) }).meta({ id: 'UserList' });
export type UserList = z.infer<typeof UserListSchema>;

// Generous upper bounds on passwords only guard against abuse; the password rules (12 characters after
// NFKC to 72 bytes, not guessable, not containing the username) are checked by the handler, which names
// the rule broken (WeakPassword, PasswordTooLong).
const NewPassword = z.string().max(4096);

export const UserCreateSchema = z
  .strictObject({
    username: z
      .string()
      .trim()
      .regex(/^[\w.@-]{3,64}$/, 'a username is 3 to 64 letters, digits or . _ @ -'),
    password: NewPassword.describe('12 characters to 72 bytes, not common or guessable, not containing the username'),
    role: RoleSchema.default('user'),
  })
  .meta({ id: 'UserCreate' });
export type UserCreate = z.input<typeof UserCreateSchema>;

export const UserUpdateSchema = z
  .strictObject({
    disabled: z.boolean().optional().describe("disabling revokes the user's sessions"),
    role: RoleSchema.optional(),
    password: NewPassword.optional().describe('a new password (reset by an administrator), under the same rules as on creation'),
    currentPassword: z.string().min(1).max(4096).optional().describe("the administrator's own current password: required to change their own password or role"),
  })
  .refine((b) => b.disabled !== undefined || b.role !== undefined || b.password !== undefined, {
    message: 'nothing to change: give disabled, role or password',
  })
  .meta({ id: 'UserUpdate' });
export type UserUpdate = z.input<typeof UserUpdateSchema>;

export const UserIdParams = z.object({ id: resourceId('the user') });
