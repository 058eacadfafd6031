/**
 * The `audit_log` table: append-only (triggers refuse UPDATE, DELETE and TRUNCATE) and hash-chained
 * (migrations/1733300000000_audit-chain.sql). Ids, counts and codes only, never document text or patient
 * data.
 */
import crypto from 'node:crypto';
import { db } from './pool.js';

export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditRow {
  actorUserId: string | null;
  actorUsername: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: AuditDetail;
}

export async function appendAudit(e: AuditRow): Promise<void> {
  // id, prev_hash and row_hash come from the insert trigger.
  await db().query(
    `INSERT INTO audit_log (actor_user_id, actor_username, action, target_type, target_id, ip, user_agent, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.actorUserId, e.actorUsername, e.action, e.targetType, e.targetId, e.ip, e.userAgent, JSON.stringify(e.detail)],
  );
}

// ---------------------------------------------------------------------------------------------------
// The admin view

export interface AuditFilter {
  /** Matched regardless of case. */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  ip?: string;
  from?: Date;
  to?: Date;
  /** Rows with an id below this one (keyset pagination, newest first). */
  before?: string;
  limit: number;
}

export interface StoredAudit extends AuditRow {
  id: string;
  at: Date;
}

export async function listAudit(f: AuditFilter): Promise<StoredAudit[]> {
  const r = await db().query<{
    id: string;
    at: Date;
    actor_user_id: string | null;
    actor_username: string | null;
    action: string;
    target_type: string | null;
    target_id: string | null;
    ip: string | null;
    user_agent: string | null;
    detail: AuditDetail;
  }>(
    `SELECT id::text AS id, at, actor_user_id, actor_username, action, target_type, target_id, ip, user_agent, detail
       FROM audit_log
      WHERE ($1::text IS NULL OR lower(actor_username) = lower($1))
        AND ($2::text IS NULL OR action = $2)
        AND ($3::text IS NULL OR target_type = $3)
        AND ($4::text IS NULL OR target_id = $4)
        AND ($5::text IS NULL OR ip = $5)
        AND ($6::timestamptz IS NULL OR at >= $6)
        AND ($7::timestamptz IS NULL OR at < $7)
        AND ($8::bigint IS NULL OR audit_log.id < $8)
      ORDER BY audit_log.id DESC
      LIMIT $9`,
    [f.actor ?? null, f.action ?? null, f.targetType ?? null, f.targetId ?? null, f.ip ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit],
  );
  return r.rows.map((x) => ({
    id: x.id,
    at: x.at,
    actorUserId: x.actor_user_id,
    actorUsername: x.actor_username,
    action: x.action,
    targetType: x.target_type,
    targetId: x.target_id,
    ip: x.ip,
    userAgent: x.user_agent,
    detail: x.detail,
  }));
}

// ---------------------------------------------------------------------------------------------------
// Verifying the chain

export const GENESIS_HASH = Buffer.alloc(32);

/**
 * The row as the chain hashes it. Kept here as well as in the migration's audit_log_canonical() so that
 * verifying does not trust a function stored in the database it checks; the intact-chain test keeps the
 * two the same.
 */
const CANONICAL = `jsonb_build_array(id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  actor_user_id, actor_username, action, target_type, target_id, ip, user_agent, detail)::text`;

export type ChainVerdict = { ok: true; rows: number } | { ok: false; rows: number; id: string; reason: string };

/**
 * Walks the whole chain in id order (in batches, so memory stays flat): each row's prev_hash must be the
 * previous row's row_hash (the zero hash for the first row) and its row_hash the SHA-256 of prev_hash and
 * its canonical text. The first row that breaks either is named.
 */
export async function verifyAuditChain(batch = 5000): Promise<ChainVerdict> {
  let prev: Buffer = GENESIS_HASH;
  let after = '0';
  let rows = 0;
  for (;;) {
    const r = await db().query<{ id: string; prev_hash: Buffer; row_hash: Buffer; canonical: string }>(
      `SELECT id::text AS id, prev_hash, row_hash, ${CANONICAL} AS canonical FROM audit_log WHERE audit_log.id > $1 ORDER BY audit_log.id LIMIT $2`,
      [after, batch],
    );
    for (const row of r.rows) {
      if (!row.prev_hash || !row.prev_hash.equals(prev)) {
        return { ok: false, rows, id: row.id, reason: 'its prev_hash is not the row_hash of the row before it (a row was removed, inserted or re-chained)' };
      }
      const expected = crypto.createHash('sha256').update(prev).update(row.canonical, 'utf8').digest();
      if (!row.row_hash || !row.row_hash.equals(expected)) {
        return { ok: false, rows, id: row.id, reason: 'its content does not match its row_hash (the row was changed)' };
      }
      prev = row.row_hash;
      rows++;
      after = row.id;
    }
    if (r.rows.length < batch) return { ok: true, rows };
  }
}
