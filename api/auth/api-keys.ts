/**
 * Per-user API keys for scripts: shown once, stored as a SHA-256, sent as `X-API-Key`, acting as their
 * owner but only within their scopes, and only until they expire.
 */
import crypto from 'node:crypto';
import { insertApiKey, listLiveApiKeys, revokeApiKey as revokeStoredKey, useApiKey } from '../../stores/api-keys.js';
import { API_SCOPES, type ApiScope } from '../contract/api-keys.js';
import type { AuthUser } from '../context.js';

export const API_KEY_PREFIX = 'mxk_';
const hashKey = (key: string) => crypto.createHash('sha256').update(key).digest('hex');

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** Stored scopes this version does not know (a newer version's, or a removed one's) grant nothing. */
const knownScopes = (stored: readonly string[]): ApiScope[] => stored.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s));

export async function createApiKey(
  userId: string,
  k: { name: string; scopes: readonly ApiScope[]; expiresAt: Date },
): Promise<{ key: string; info: ApiKeyInfo }> {
  const id = crypto.randomUUID();
  const key = `${API_KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, API_KEY_PREFIX.length + 6);
  // Stored in the vocabulary's order, once each, so a list reads the same whatever order they were asked in.
  const scopes = API_SCOPES.filter((s) => k.scopes.includes(s));
  const createdAt = await insertApiKey({ id, userId, name: k.name, prefix, keyHash: hashKey(key), scopes, expiresAt: k.expiresAt });
  return { key, info: { id, name: k.name, prefix, scopes, createdAt, expiresAt: k.expiresAt, lastUsedAt: null } };
}

export async function listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
  return (await listLiveApiKeys(userId)).map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: knownScopes(k.scopes),
    createdAt: k.created_at,
    expiresAt: k.expires_at,
    lastUsedAt: k.last_used_at,
  }));
}

/** True when the user had such a key and it is now revoked. */
export async function revokeApiKey(userId: string, keyId: string): Promise<boolean> {
  return revokeStoredKey(userId, keyId);
}

export type KeyCheck = { ok: true; user: AuthUser; scopes: ApiScope[] } | { ok: false; expiredAt?: Date };

/** The key's owner and scopes, if the key is unrevoked, unexpired at `now`, and its owner enabled. */
export async function userForApiKey(key: string, now: Date): Promise<KeyCheck> {
  if (!key.startsWith(API_KEY_PREFIX)) return { ok: false };
  const use = await useApiKey(hashKey(key), now);
  return use.ok ? { ok: true, user: use.user, scopes: knownScopes(use.scopes) } : use;
}
