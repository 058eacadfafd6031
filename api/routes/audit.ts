/**
 * The audit trail, for administrators in a signed-in session: filtered listing of who did what, to what,
 * when and from where, newest first, with keyset pagination on the row id. Reading it is itself audited
 * (`audit.view`, with the filters used). Before reading, this process writes the counts of its open
 * aggregation windows (api/audit.ts), so what it has seen so far is in the answer.
 */
import { listAudit } from '../../stores/audit.js';
import { audit, flushAudit } from '../audit.js';
import { requireAdmin, requireSession } from '../auth/middleware.js';
import { AuditPageSchema, AuditQuerySchema, type AuditPage } from '../contract/audit.js';
import { RouteGroup } from '../route.js';

export const auditRoutes = new RouteGroup('signed-in');

auditRoutes.route(
  {
    method: 'get',
    path: '/audit',
    tag: 'audit',
    operationId: 'listAudit',
    summary: 'The audit log, newest first (admin)',
    description:
      'Filters combine (all must hold). Pass `nextBefore` as `before` for older rows. Repeated refused sign-ins, status views, job listings and ' +
      'denied accesses are aggregated: the first is a row of its own, the repeats within 10 minutes one row with `detail.count`, `firstAt` and `lastAt`.',
    query: AuditQuerySchema,
    before: [requireSession('reading the audit log'), requireAdmin],
    answers: { 200: { description: 'a page of audit rows', json: AuditPageSchema } },
    errors: { 403: 'needs an administrator in a signed-in session (codes Forbidden, SessionRequired)' },
  },
  async (ctx, { query: q }) => {
    await flushAudit();
    const rows = await listAudit({
      actor: q.actor,
      action: q.action,
      targetType: q.targetType,
      targetId: q.targetId,
      ip: q.ip,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      before: q.before,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const filters = Object.fromEntries(
      Object.entries({
        actor: q.actor,
        action: q.action,
        targetType: q.targetType,
        targetId: q.targetId,
        ip: q.ip,
        from: q.from,
        to: q.to,
        before: q.before,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    await audit(ctx, { action: 'audit.view', detail: { ...filters, returned: page.length } });
    ctx.body = {
      events: page.map((r) => ({ ...r, at: r.at.toISOString() })),
      nextBefore: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
    } satisfies AuditPage;
  },
);
