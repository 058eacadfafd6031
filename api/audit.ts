/**
 * The audit trail: who did what, to what, when and from where. Ids, counts and error codes only —
 * never document text, extracted values, file names, request bodies or passwords.
 *
 * Aggregation, so that refused sign-ins, status polls, job-list polls and repeated denials do not flood
 * the trail (the table is append-only, so a row is never updated with a count):
 * - Events of the actions in AGGREGATED with the same key (see `aggregationKey`: e.g. the username and
 *   address of a refused sign-in, the actor and job of a status view) fall into one window per API
 *   process, opened by the first of them, which is written at once as an ordinary row.
 * - Repeats within AGGREGATE_WINDOW_MS of that first event are only counted, in memory.
 * - When the window closes (a timer checks every FLUSH_EVERY_MS; it does not keep the process alive), when
 *   the process stops (`flushAudit`, called by the API's close), or when an administrator reads the audit
 *   log on this process, one summary row is written for the repeats: the same action, the latest
 *   repeat's detail plus `count` (how many events it stands for), `firstAt` and `lastAt`, and
 *   `aggregated: true`. The window then ends; the next event opens a new one and is written at once.
 * So the number of events is the sum over rows of `detail.count ?? 1`. With several API processes each
 * keeps its own windows. A process killed outright loses at most the counts of its open windows, never a
 * first occurrence.
 */
import { appendAudit, type AuditDetail, type AuditRow } from '../stores/audit.js';
import { logger } from '../core/logger.js';
import { clientIp, type AppContext } from './context.js';
import type { AuditAction } from './contract/audit.js';

export type { AuditAction };

export interface AuditEntry {
  action: AuditAction;
  targetType?: 'job' | 'user' | 'api_key' | 'session';
  targetId?: string;
  detail?: AuditDetail;
  /** For events without a signed-in user (e.g. a failed login): who it was about. */
  actorUsername?: string;
}

export const AGGREGATE_WINDOW_MS = 10 * 60_000;
const FLUSH_EVERY_MS = 30_000;
/** Open windows kept at most; past that, new keys are written row by row (memory stays bounded). */
const MAX_WINDOWS = 10_000;

const AGGREGATED: ReadonlySet<AuditAction> = new Set(['login.failure', 'login.locked', 'job.status_view', 'job.list', 'access.denied']);

/** What makes two events "the same" for aggregation: the action, who, from where, on what, and why. */
function aggregationKey(row: AuditRow): string {
  const d = row.detail;
  return JSON.stringify([
    row.action,
    row.actorUserId ?? (row.actorUsername ?? '').toLowerCase(),
    row.ip,
    row.targetType,
    row.targetId,
    // Different reasons, refusals, filters or denials stay apart (each is written at once the first time).
    d.reason ?? null,
    d.scope ?? null,
    d.owner ?? null,
    d.status === undefined || row.action === 'job.status_view' ? null : d.status,
    d.method ?? null,
    d.route ?? null,
    d.code ?? null,
  ]);
}

interface Window {
  openedAt: number;
  /** The latest repeat (its detail goes into the summary). */
  last: AuditRow;
  repeats: number;
  firstAt: Date;
  lastAt: Date;
}

const windows = new Map<string, Window>();
let timer: ReturnType<typeof setInterval> | undefined;

function summaryOf(w: Window): AuditRow {
  return {
    ...w.last,
    detail: { ...w.last.detail, count: w.repeats, firstAt: w.firstAt.toISOString(), lastAt: w.lastAt.toISOString(), aggregated: true },
  };
}

async function writeSummaries(which: (w: Window) => boolean): Promise<number> {
  const due = [...windows].filter(([, w]) => which(w));
  for (const [key] of due) windows.delete(key);
  if (windows.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
  let written = 0;
  for (const [, w] of due) {
    if (w.repeats === 0) continue;
    try {
      await appendAudit(summaryOf(w));
      written++;
    } catch (err) {
      logger.warn({ err: (err as Error).message, audit: w.last.action, count: w.repeats }, 'could not write an aggregated audit row');
    }
  }
  return written;
}

/**
 * Writes the summary of every open window now (they close). Called when the API process stops, and
 * before the audit log is read, so the view counts everything this process has seen.
 */
export function flushAudit(): Promise<number> {
  return writeSummaries(() => true);
}

function ensureTimer(): void {
  if (timer) return;
  timer = setInterval(() => {
    const now = Date.now();
    void writeSummaries((w) => now - w.openedAt >= AGGREGATE_WINDOW_MS);
  }, FLUSH_EVERY_MS);
  timer.unref();
}

/** Records one event: written now, or counted into the open window of the same events. */
export async function recordAudit(row: AuditRow, at = new Date()): Promise<void> {
  if (AGGREGATED.has(row.action as AuditAction)) {
    const key = aggregationKey(row);
    const open = windows.get(key);
    if (open && at.getTime() - open.openedAt < AGGREGATE_WINDOW_MS) {
      open.repeats++;
      open.last = row;
      if (open.repeats === 1) open.firstAt = at;
      open.lastAt = at;
      return;
    }
    if (open) {
      // The window closed but the timer has not come round yet: its summary first, then this event.
      windows.delete(key);
      if (open.repeats > 0) await appendAudit(summaryOf(open));
    }
    if (windows.size < MAX_WINDOWS) {
      windows.set(key, { openedAt: at.getTime(), last: row, repeats: 0, firstAt: at, lastAt: at });
      ensureTimer();
    }
  }
  await appendAudit(row);
}

export async function audit(ctx: AppContext, entry: AuditEntry): Promise<void> {
  const user = ctx.state.user;
  await recordAudit({
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
