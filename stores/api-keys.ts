/** The `api_keys` table: per-user keys, kept as a SHA-256 of the key (never the key itself). */
import { db } from './pool.js';
import type { UserRole } from './users.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** Returns the key's creation time. */
export async function insertApiKey(k: { id: string; userId: string; name: string; prefix: string; keyHash: string }): Promise<Date> {
  const r = await db().query<{ created_at: Date }>(
    'INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5) RETURNING created_at',
    [k.id, k.userId, k.name, k.prefix, k.keyHash],
  );
  return r.rows[0]!.created_at;
}

/** The user's live (unrevoked) keys, oldest first. */
export async function listLiveApiKeys(userId: string): Promise<ApiKeyRow[]> {
  const r = await db().query<ApiKeyRow>(
    'SELECT id, name, prefix, created_at, last_used_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
    [userId],
  );
  return r.rows;
}

/** True when the user had such a live key and it is now revoked. */
export async function revokeApiKey(userId: string, keyId: string): Promise<boolean> {
  const r = await db().query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [keyId, userId]);
  return (r.rowCount ?? 0) > 0;
}

/** Revokes every live key of the user (a password change, a reset, a disable); returns how many. */
export async function revokeUserApiKeys(userId: string): Promise<number> {
  const r = await db().query('UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
  return r.rowCount ?? 0;
}

/** The owner of the live key with this hash, if the owner is enabled; the key's last use is recorded. */
export async function useApiKey(keyHash: string): Promise<{ id: string; username: string; role: UserRole } | undefined> {
  const r = await db().query<{ id: string; username: string; role: UserRole }>(
    `UPDATE api_keys k SET last_used_at = now() FROM users u
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.id = k.user_id AND NOT u.disabled
      RETURNING u.id, u.username, u.role`,
    [keyHash],
  );
  return r.rows[0];
}
