/** The signed-in user's API keys, over the API (types from its contract). */
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList } from '../../api/contract/api-keys.js';
import { request } from './api.js';

export type ApiKeyInfo = ApiKey;
export type CreatedApiKey = ApiKeyCreated;

export async function listApiKeys(): Promise<ApiKeyInfo[]> {
  const res = await request('GET', '/me/api-keys');
  return ((await res.json()) as ApiKeyList).apiKeys;
}

export async function createApiKey(name: string): Promise<CreatedApiKey> {
  const res = await request('POST', '/me/api-keys', { json: { name } satisfies ApiKeyCreate });
  return (await res.json()) as CreatedApiKey;
}

export async function revokeApiKey(id: string): Promise<void> {
  await request('DELETE', `/me/api-keys/${encodeURIComponent(id)}`);
}
