/** The caller's own API keys: request and response shapes. */
import { z } from 'zod';
import { IsoDateTime, resourceId } from './common.js';

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('the first characters of the key, to recognise it'),
    createdAt: IsoDateTime,
    lastUsedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const ApiKeyListSchema = z.object({ apiKeys: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' });
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;

export const ApiKeyCreateSchema = z.strictObject({ name: z.string().trim().min(1, 'give the key a name').max(100) }).meta({ id: 'ApiKeyCreate' });
export type ApiKeyCreate = z.input<typeof ApiKeyCreateSchema>;

export const ApiKeyCreatedSchema = ApiKeySchema.omit({ lastUsedAt: true })
  .extend({ key: z.string().describe('the key itself, shown only in this answer; send it as `X-API-Key`') })
  .meta({ id: 'ApiKeyCreated' });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const ApiKeyIdParams = z.object({ id: resourceId('the API key') });
