/** The audit log for administrators: the actions recorded, the filters of the view and its rows. */
import { z } from 'zod';
import { IsoDateTime } from './common.js';

/** Every action the audit trail records (api/audit.ts writes them; the view filters by them). */
export const AUDIT_ACTIONS = [
  'login.success',
  'login.failure',
  'login.locked',
  'logout',
  'upload',
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
  'apikey.create',
  'apikey.revoke',
  'login.mfa_failure',
  'login.unlock',
  'user.mfa_enrol',
  'user.mfa_disable',
  'user.mfa_reset',
  'user.recovery_code_used',
  'access.denied',
  'job.list',
  'job.next_review',
  'audit.view',
  'review.figures_view',
] as const;
export const AuditActionSchema = z.enum(AUDIT_ACTIONS).meta({ id: 'AuditAction' });
export type AuditAction = z.infer<typeof AuditActionSchema>;

export const AUDIT_TARGET_TYPES = ['job', 'user', 'api_key', 'session'] as const;
export const MAX_AUDIT_PAGE = 500;

// Control characters are refused for every route before validation (api/route.ts).
const text = (what: string, max: number) => z.string().trim().min(1, `${what} must not be empty`).max(max, `${what} is too long`);

export const AuditQuerySchema = z
  .object({
    actor: text('actor', 200).optional().describe('only rows of this username (any case)'),
    action: AuditActionSchema.optional().describe('only rows of this action'),
    targetType: z.enum(AUDIT_TARGET_TYPES).optional().describe('only rows about this kind of thing'),
    targetId: text('targetId', 200).optional().describe('only rows about this id (a job, user, key or session id)'),
    ip: text('ip', 100).optional().describe('only rows from this client address'),
    from: IsoDateTime.optional().describe('rows at or after this time'),
    to: IsoDateTime.optional().describe('rows before this time'),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,18}$/, 'before must be a row id (`nextBefore` of the previous page)')
      .optional()
      .describe('`nextBefore` of the previous page: rows older than that one'),
    limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(100).describe(`page size, 1–${MAX_AUDIT_PAGE}`),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['to'] });
export type AuditQuery = z.input<typeof AuditQuerySchema>;

export const AuditEventSchema = z
  .object({
    id: z.string().describe('the row id; higher is later'),
    at: IsoDateTime,
    actorUserId: z.string().nullable().describe('the signed-in user (null for events without one, e.g. a refused sign-in)'),
    actorUsername: z.string().nullable().describe('the signed-in user, or the username a sign-in was tried for'),
    action: z.string().describe('what happened (see AuditAction)'),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable().describe('the client address'),
    userAgent: z.string().nullable(),
    detail: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .describe('ids, counts and codes only; an aggregated row has `count` (events it stands for), `firstAt` and `lastAt`'),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const AuditPageSchema = z
  .object({
    events: z.array(AuditEventSchema).describe('newest first'),
    nextBefore: z.string().nullable().describe('pass as `before` for older rows; null on the last page'),
  })
  .meta({ id: 'AuditPage' });
export type AuditPage = z.infer<typeof AuditPageSchema>;
