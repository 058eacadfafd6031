/** Per-user API keys for scripts: shown once, stored as a SHA-256, sent as `X-API-Key`, acting as their owner. */
import crypto from 'node:crypto';
import { db } from '../../stores/pool.js';
import type { AuthUser, Role } from '../context.js';

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
  const r = await db().query<{ created_at: Date }>(
    'INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5) RETURNING created_at',
    [id, userId, name, prefix, hashKey(key)],
  );
  return { key, info: { id, name, prefix, createdAt: r.rows[0]!.created_at, lastUsedAt: null } };
}

export async function listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
  const r = await db().query<{ id: string; name: string; prefix: string; created_at: Date; last_used_at: Date | null }>(
    'SELECT id, name, prefix, created_at, last_used_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
    [userId],
  );
  return r.rows.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: k.created_at, lastUsedAt: k.last_used_at }));
}

/** True when the user had such a key and it is now revoked. */
export async function revokeApiKey(userId: string, keyId: string): Promise<boolean> {
  const r = await db().query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [keyId, userId]);
  return (r.rowCount ?? 0) > 0;
}

/** The key's owner, if the key is live and the owner enabled. */
export async function userForApiKey(key: string): Promise<AuthUser | undefined> {
  if (!key.startsWith(API_KEY_PREFIX)) return undefined;
  const r = await db().query<{ id: string; username: string; role: Role }>(
    `UPDATE api_keys k SET last_used_at = now() FROM users u
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.id = k.user_id AND NOT u.disabled
      RETURNING u.id, u.username, u.role`,
    [hashKey(key)],
  );
  return r.rows[0];
}
