/**
 * Step 2 (batch 4): three fresh workers with LLM_RPM=40 and 50 documents (46 generated + 4 scans): the
 * LLM server never sees more than 40 requests in a minute, and at least 90 % of 40 while extraction
 * requests wait (a backlog of ~80 s at the 36.6/min the limiter dispatches). A batch of its own, because
 * a low limit would be the bottleneck of every other measurement (activities/llm-send-window.ts enforces it).
 */
import { maxInAnyWindow } from '../../test/support/openai-server.js';
import { activityEvents, corpusUploads, generatedUploads, notCompleted, record, SCANNED, seconds, upload, waitForJobs } from './system.js';
import type { Topology } from './topology.js';

export const LLM_RPM = 40;
export const RATE_BATCH_GENERATED = 46;

/** The longest stretch during which at least one request was scheduled (workflow history) but had not yet arrived. */
function longestBacklog(scheduled: number[], arrivals: number[]): { start: number; end: number } | undefined {
  const events = [...scheduled.map((at) => ({ at, d: +1 })), ...arrivals.map((at) => ({ at, d: -1 }))].sort((a, b) => a.at - b.at || b.d - a.d);
  let waiting = 0;
  let openedAt = 0;
  let backlog: { start: number; end: number } | undefined;
  for (const e of events) {
    if (e.d > 0 && waiting === 0) openedAt = e.at;
    waiting += e.d;
    if (e.d < 0 && waiting === 0 && (!backlog || e.at - openedAt > backlog.end - backlog.start)) backlog = { start: openedAt, end: e.at };
  }
  return backlog;
}

export async function stepTwoRateLimit(t: Topology, token: string): Promise<void> {
  const requestsBefore = t.llm.requests.length;
  const up = await upload(t, token, [...corpusUploads('b4', SCANNED), ...generatedUploads(RATE_BATCH_GENERATED, 9_000)]);
  const rows = await waitForJobs(t, up.ids, 6 * 60_000);
  const completed = rows.filter((r) => r.status === 'completed').length;
  const arrivals = t.llm.requests
    .slice(requestsBefore)
    .map((r) => r.at)
    .sort((a, b) => a - b);
  const peak = maxInAnyWindow(arrivals, 60_000);
  const backlog = longestBacklog((await activityEvents(t, up.ids, 'extractPart')).scheduled, arrivals);

  let figures = `${completed}/${up.ids.length} completed${notCompleted(rows)}; ${arrivals.length} requests; busiest 60 s window ${peak} (limit ${LLM_RPM})`;
  let pass = completed === up.ids.length && peak <= LLM_RPM;
  if (backlog) {
    const inside = arrivals.filter((a) => a >= backlog.start && a <= backlog.end);
    const perMinute = inside.length > 1 ? ((inside.length - 1) / (inside.at(-1)! - inside[0]!)) * 60_000 : 0;
    // Fewest requests in any full minute inside the backlog (the emptiest windows start just after a request).
    let quietest = Infinity;
    for (const t0 of [backlog.start, ...inside]) {
      if (t0 + 60_000 > backlog.end) break;
      quietest = Math.min(quietest, inside.filter((a) => a > t0 && a <= t0 + 60_000).length);
    }
    const lasted = backlog.end - backlog.start;
    pass &&= lasted >= 60_000 && perMinute >= 0.9 * LLM_RPM;
    figures += `; while requests waited (${seconds(lasted)}): ${perMinute.toFixed(1)}/min = ${Math.round((perMinute / LLM_RPM) * 100)} % of the limit`;
    if (Number.isFinite(quietest)) figures += `, quietest full minute ${quietest}`;
  } else {
    pass = false;
    figures += '; no backlog formed';
  }
  record(`2. LLM_RPM=${LLM_RPM} across 3 workers, seen by the LLM server`, pass, figures);
}
