/** Per-user API keys for scripts: shown once, stored as a SHA-256, sent as `X-API-Key`, acting as their owner. */
import crypto from 'node:crypto';
import { insertApiKey, listLiveApiKeys, revokeApiKey as revokeStoredKey, useApiKey } from '../../stores/api-keys.js';
import type { AuthUser } from '../context.js';

export const API_KEY_PREFIX = 'mxk_';
const hashKey = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export async function createApiKey(userId: string, name: string): Promise<{ key: string; info: ApiKeyInfo }> {
  const id = crypto.randomUUID();
  const key = `${API_KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, API_KEY_PREFIX.length + 6);
  const createdAt = await insertApiKey({ id, userId, name, prefix, keyHash: hashKey(key) });
  return { key, info: { id, name, prefix, createdAt, lastUsedAt: null } };
}

export async function listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
  return (await listLiveApiKeys(userId)).map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: k.created_at, lastUsedAt: k.last_used_at }));
}

/** True when the user had such a key and it is now revoked. */
export async function revokeApiKey(userId: string, keyId: string): Promise<boolean> {
  return revokeStoredKey(userId, keyId);
}

/** The key's owner, if the key is live and the owner enabled. */
export async function userForApiKey(key: string): Promise<AuthUser | undefined> {
  if (!key.startsWith(API_KEY_PREFIX)) return undefined;
  return useApiKey(hashKey(key));
}
