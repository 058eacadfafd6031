/** Signing in and out, and the signed-in user's own password: request and response shapes. */
import { z } from 'zod';
import { IsoDateTime } from './common.js';
import { UserSchema } from './users.js';

// Generous upper bounds only guard against abuse (a password over 72 bytes simply never matches).
export const LoginRequestSchema = z
  .object({
    username: z.string().trim().min(1).max(256),
    password: z.string().min(1).max(4096),
  })
  .meta({ id: 'LoginRequest' });
export type LoginRequest = z.input<typeof LoginRequestSchema>;

export const LoginResponseSchema = z
  .object({
    token: z.string().describe('JWT (HS256), valid 8 hours; send as `Authorization: Bearer <token>`'),
    expiresAt: IsoDateTime,
    user: UserSchema,
  })
  .meta({ id: 'LoginResponse' });
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

export const PasswordChangeSchema = z
  .strictObject({
    currentPassword: z.string().min(1).max(4096),
    newPassword: z.string().max(4096).describe('12 characters to 72 bytes, different from the current one'),
  })
  .meta({ id: 'PasswordChange' });
export type PasswordChange = z.input<typeof PasswordChangeSchema>;
