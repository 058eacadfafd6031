/** The audit log (administrators), over the API (types from its contract). */
import type { AuditAction, AuditEvent, AuditPage, AuditQuery } from '../../api/contract/audit.js';
import { request } from './api.js';

export type { AuditAction, AuditEvent, AuditPage };
export type AuditFilters = Pick<AuditQuery, 'actor' | 'action' | 'targetType' | 'targetId' | 'ip' | 'from' | 'to'>;

/** The actions, for the filter's suggestions (the UI imports only types; the check below keeps it complete). */
export const AUDIT_ACTIONS = [
  'login.success',
  'login.failure',
  'login.locked',
  'login.mfa_failure',
  'login.unlock',
  'logout',
  'upload',
  'job.list',
  'job.next_review',
  'job.status_view',
  'job.result_view',
  'job.page_view',
  'job.history_view',
  'job.correct',
  'job.review',
  'job.download',
  'job.cancel',
  'job.delete',
  'job.password_restart',
  'job.deidentified',
  'user.create',
  'user.update',
  'user.password_change',
  'user.mfa_enrol',
  'user.mfa_disable',
  'user.mfa_reset',
  'user.recovery_code_used',
  'apikey.create',
  'apikey.revoke',
  'access.denied',
  'audit.view',
  'review.figures_view',
] as const satisfies readonly AuditAction[];
type MissingAction = Exclude<AuditAction, (typeof AUDIT_ACTIONS)[number]>;
const complete: MissingAction extends never ? true : false = true;
void complete;

/** One page, newest first; pass the previous page's `nextBefore` as `before` for older rows. */
export async function listAudit(filters: AuditFilters, before?: string, limit = 100): Promise<AuditPage> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (typeof v === 'string' && v.trim() !== '') q.set(k, v.trim());
  if (before) q.set('before', before);
  q.set('limit', String(limit));
  const res = await request('GET', `/audit?${q.toString()}`);
  return (await res.json()) as AuditPage;
}
