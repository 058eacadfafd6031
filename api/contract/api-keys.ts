/** The caller's own API keys: request and response shapes, and the closed list of what a key may do. */
import { z } from 'zod';
import { IsoDateTime, resourceId } from './common.js';

/**
 * What an API key may do. `jobs:read`: list jobs, status, results, page views and images, downloads.
 * `jobs:write`: upload, cancel, delete. `review`: correcting results and approving or reopening them
 * (`PATCH /jobs/:id/result`, `POST /jobs/:id/review`). `metrics`: `GET /metrics` (only an administrator may create such a key). Sessions are not
 * limited by scopes; administering users, passwords and keys needs a session whatever a key's scopes.
 */
export const API_SCOPES = ['jobs:read', 'jobs:write', 'review', 'metrics'] as const;
export const ApiScopeSchema = z.enum(API_SCOPES).meta({ id: 'ApiScope' });
export type ApiScope = z.infer<typeof ApiScopeSchema>;

/** What a new key may do when its creator names no scopes. */
export const DEFAULT_API_SCOPES: readonly ApiScope[] = ['jobs:read', 'jobs:write'];
/** The longest lifetime a key may be given, in days (about ten years). */
export const MAX_API_KEY_DAYS = 3650;

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('the first characters of the key, to recognise it'),
    scopes: z.array(ApiScopeSchema).describe('what the key may do'),
    createdAt: IsoDateTime,
    expiresAt: IsoDateTime.nullable().describe('when the key stops working (null: a key from before keys expired, which never does)'),
    expired: z.boolean().describe('the key has expired and no longer works; create a new one'),
    lastUsedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const ApiKeyListSchema = z.object({ apiKeys: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' });
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;

export const ApiKeyCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'give the key a name').max(100),
    scopes: z
      .array(ApiScopeSchema)
      .min(1, 'name at least one scope, or leave scopes out for the default (jobs:read, jobs:write)')
      .max(API_SCOPES.length)
      .optional()
      .describe('what the key may do; default jobs:read and jobs:write. `metrics` only for administrators'),
    expiresInDays: z
      .int('expiresInDays must be a whole number of days')
      .min(1, 'expiresInDays must be at least 1')
      .max(MAX_API_KEY_DAYS, `expiresInDays must be at most ${MAX_API_KEY_DAYS}`)
      .optional()
      .describe('the key expires this many days from now; default API_KEY_DEFAULT_DAYS (90)'),
    expiresAt: IsoDateTime.optional().describe(`when the key expires: in the future, at most ${MAX_API_KEY_DAYS} days ahead`),
  })
  .refine((b) => b.expiresInDays === undefined || b.expiresAt === undefined, { message: 'give expiresInDays or expiresAt, not both', path: ['expiresAt'] })
  .meta({ id: 'ApiKeyCreate' });
export type ApiKeyCreate = z.input<typeof ApiKeyCreateSchema>;

export const ApiKeyCreatedSchema = ApiKeySchema.omit({ lastUsedAt: true, expired: true })
  .extend({
    expiresAt: IsoDateTime.describe('when the key stops working'),
    key: z.string().describe('the key itself, shown only in this answer; send it as `X-API-Key`'),
  })
  .meta({ id: 'ApiKeyCreated' });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const ApiKeyIdParams = z.object({ id: resourceId('the API key') });
