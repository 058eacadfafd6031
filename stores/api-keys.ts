/** The `api_keys` table: per-user keys, kept as a SHA-256 of the key (never the key itself). */
import { db } from './pool.js';
import type { UserRole } from './users.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

/** Returns the key's creation time. */
export async function insertApiKey(k: {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  keyHash: string;
  scopes: readonly string[];
  expiresAt: Date;
}): Promise<Date> {
  const r = await db().query<{ created_at: Date }>(
    'INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at',
    [k.id, k.userId, k.name, k.prefix, k.keyHash, k.scopes, k.expiresAt],
  );
  return r.rows[0]!.created_at;
}

/** The user's unrevoked keys (expired ones too, so the owner sees why a script stopped), oldest first. */
export async function listLiveApiKeys(userId: string): Promise<ApiKeyRow[]> {
  const r = await db().query<ApiKeyRow>(
    `SELECT id, name, prefix, scopes, created_at, expires_at, last_used_at FROM api_keys
      WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at`,
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

export type ApiKeyUse = { ok: true; user: { id: string; username: string; role: UserRole }; scopes: string[] } | { ok: false; expiredAt?: Date };

/**
 * The owner and scopes of the unrevoked, unexpired key with this hash, if the owner is enabled; only
 * then is the key's last use recorded (a refused key never touches it). A refused key that exists
 * unrevoked but expired reports when it expired, so the caller can say so.
 */
export async function useApiKey(keyHash: string, now: Date): Promise<ApiKeyUse> {
  const r = await db().query<{ id: string; username: string; role: UserRole; scopes: string[] }>(
    `UPDATE api_keys k SET last_used_at = $2 FROM users u
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)
        AND u.id = k.user_id AND NOT u.disabled
      RETURNING u.id, u.username, u.role, k.scopes`,
    [keyHash, now],
  );
  const row = r.rows[0];
  if (row) return { ok: true, user: { id: row.id, username: row.username, role: row.role }, scopes: row.scopes };
  const expired = await db().query<{ expires_at: Date }>(
    `SELECT k.expires_at FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND k.expires_at <= $2 AND NOT u.disabled`,
    [keyHash, now],
  );
  return { ok: false, expiredAt: expired.rows[0]?.expires_at };
}
