/** The signed-in user's API keys, over the API (types from its contract). */
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiScope } from '../../api/contract/api-keys.js';
import { request } from './api.js';

export type ApiKeyInfo = ApiKey;
export type CreatedApiKey = ApiKeyCreated;
export type { ApiScope };

export async function listApiKeys(): Promise<ApiKeyInfo[]> {
  const res = await request('GET', '/me/api-keys');
  return ((await res.json()) as ApiKeyList).apiKeys;
}

/** Leaving `scopes` or `expiresInDays` out takes the server's defaults (jobs:read + jobs:write; API_KEY_DEFAULT_DAYS). */
export async function createApiKey(name: string, opts: { scopes?: ApiScope[]; expiresInDays?: number } = {}): Promise<CreatedApiKey> {
  const body: ApiKeyCreate = { name, ...(opts.scopes ? { scopes: opts.scopes } : {}), ...(opts.expiresInDays ? { expiresInDays: opts.expiresInDays } : {}) };
  const res = await request('POST', '/me/api-keys', { json: body });
  return (await res.json()) as CreatedApiKey;
}

export async function revokeApiKey(id: string): Promise<void> {
  await request('DELETE', `/me/api-keys/${encodeURIComponent(id)}`);
}
