/** The `audit_log` table: append-only. Ids, counts and codes only, never document text or patient data. */
import { db } from './pool.js';

export interface AuditRow {
  actorUserId: string | null;
  actorUsername: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, string | number | boolean | null>;
}

export async function appendAudit(e: AuditRow): Promise<void> {
  await db().query(
    `INSERT INTO audit_log (actor_user_id, actor_username, action, target_type, target_id, ip, user_agent, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.actorUserId, e.actorUsername, e.action, e.targetType, e.targetId, e.ip, e.userAgent, JSON.stringify(e.detail)],
  );
}
