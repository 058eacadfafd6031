/**
 * The audit trail: who did what, to what, when and from where. Ids, counts and error codes only —
 * never document text, extracted values or passwords.
 */
import { appendAudit } from '../stores/audit.js';
import { logger } from '../core/logger.js';
import { clientIp, type AppContext } from './context.js';

export type AuditAction =
  | 'login.success'
  | 'login.failure'
  | 'login.locked'
  | 'logout'
  | 'upload'
  | 'job.status_view'
  | 'job.result_view'
  | 'job.page_view'
  | 'job.download'
  | 'job.cancel'
  | 'job.delete'
  | 'user.create'
  | 'user.update'
  | 'user.password_change'
  | 'apikey.create'
  | 'apikey.revoke'
  | 'login.mfa_failure'
  | 'login.unlock'
  | 'user.mfa_enrol'
  | 'user.mfa_disable'
  | 'user.mfa_reset'
  | 'user.recovery_code_used'
  | 'access.denied'
  | 'job.list'
  | 'audit.view';

export interface AuditEntry {
  action: AuditAction;
  targetType?: 'job' | 'user' | 'api_key' | 'session';
  targetId?: string;
  detail?: Record<string, string | number | boolean | null>;
  /** For events without a signed-in user (e.g. a failed login): who it was about. */
  actorUsername?: string;
}

export async function audit(ctx: AppContext, entry: AuditEntry): Promise<void> {
  const user = ctx.state.user;
  await appendAudit({
    actorUserId: user?.id ?? null,
    actorUsername: user?.username ?? entry.actorUsername ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: clientIp(ctx),
    userAgent: (ctx.get('user-agent') || '').slice(0, 300) || null,
    detail: entry.detail ?? {},
  });
  logger.info({ requestId: ctx.state.requestId, audit: entry.action, actor: user?.id, targetId: entry.targetId }, 'audit');
}
