/**
 * Prometheus metrics of an API process: the process itself (prom-client's defaults), every HTTP
 * request by method, matched route (the route pattern such as `/status/:id`, never the raw path with
 * ids) and status, and — read from Postgres at scrape time — jobs by status, stored pages by source and
 * the reviewer figures (jobs waiting for review and their age, values by decision and field type,
 * documents reviewed, time per document).
 *
 * The database gauges describe the shared database, so every API replica reports the same values:
 * aggregate them with max(), not sum().
 */
import type Koa from 'koa';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import { countJobsByStatus, countPagesBySource } from '../stores/jobs.js';
import { countValueDecisions, reviewTimes, reviewWaiting, type ReviewTimes, type ReviewWaiting, type ValueDecisionCount } from '../stores/review-figures.js';
import { logger } from '../core/logger.js';
import type { JobStatus } from '../core/contract/jobs.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const httpRequests = new Counter({
  name: 'medextract_http_requests_total',
  help: 'HTTP requests answered, by method, matched route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: 'medextract_http_request_duration_seconds',
  help: 'Time from receiving an HTTP request to finishing (or abandoning) its response',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

const ALL_STATUSES: JobStatus[] = ['queued', 'processing', 'completed', 'failed', 'cancelled'];
const PAGE_SOURCES = ['text_layer', 'ocr'] as const;

/** Runs a scrape-time query; a database problem leaves the gauge empty instead of failing the scrape. */
async function countBy(count: () => Promise<Map<string, number>>): Promise<Map<string, number> | undefined> {
  try {
    return await count();
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'metrics: could not read counts from Postgres');
    return undefined;
  }
}

new Gauge({
  name: 'medextract_jobs',
  help: 'Jobs in the database by status (same value on every API replica)',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const counts = await countBy(countJobsByStatus);
    if (!counts) return;
    for (const s of ALL_STATUSES) this.set({ status: s }, counts.get(s) ?? 0);
  },
});

new Gauge({
  name: 'medextract_pages',
  help: 'Stored document pages by where their text came from: text_layer or ocr (same value on every API replica)',
  labelNames: ['source'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const counts = await countBy(countPagesBySource);
    if (!counts) return;
    for (const s of PAGE_SOURCES) this.set({ source: s }, counts.get(s) ?? 0);
  },
});

interface ReviewFigures {
  waiting: ReviewWaiting;
  decisions: ValueDecisionCount[];
  times: ReviewTimes;
}

let scrapeFigures: Promise<ReviewFigures | undefined> | undefined;

/**
 * The reviewer figures of the scrape under way: the collectors of one scrape start together, so they
 * share one read; the next scrape reads afresh.
 */
function reviewFigures(): Promise<ReviewFigures | undefined> {
  scrapeFigures ??= (async () => {
    try {
      const [waiting, decisions, times] = await Promise.all([reviewWaiting(), countValueDecisions(), reviewTimes()]);
      return { waiting, decisions, times };
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'metrics: could not read the review figures from Postgres');
      return undefined;
    }
  })().finally(() => {
    scrapeFigures = undefined;
  });
  return scrapeFigures;
}

/** A gauge read from the review figures at scrape time (one query per scrape for all of them); empty when the database does not answer. */
function reviewGauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>, figures: ReviewFigures) => void): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      const f = await reviewFigures();
      if (f) fill(this, f);
    },
  });
}

reviewGauge(
  'medextract_jobs_awaiting_review',
  "Completed jobs the review policy holds for a person's approval, by review state: unreviewed or in_review",
  ['review_state'],
  (g, f) => {
    g.set({ review_state: 'unreviewed' }, f.waiting.unreviewed);
    g.set({ review_state: 'in_review' }, f.waiting.inReview);
  },
);

reviewGauge('medextract_review_oldest_waiting_seconds', 'Seconds since the oldest job waiting for review completed; 0 when none waits', [], (g, f) =>
  g.set(f.waiting.oldestSeconds),
);

// Counted from the latest decision per value per job (the state each value has now), not from every event:
// a value accepted, then corrected, then set back counts once as what it ended as, so the corrected share
// says where the extraction was wrong rather than how often people changed their minds. It can go down.
reviewGauge(
  'medextract_review_values',
  'Values of all results by field type (patient.name for a field, lab_results for a list item) and the latest decision ' +
    'a person made on them: accepted, corrected, rejected or added (values nobody decided on are not counted)',
  ['field_type', 'state'],
  (g, f) => {
    for (const d of f.decisions) g.set({ field_type: d.fieldType, state: d.state }, d.values);
  },
);

reviewGauge('medextract_reviewed_documents', 'Jobs whose result is approved now (a reopened job leaves the count until approved again)', [], (g, f) =>
  g.set(f.times.documents),
);

/** A summary whose values come from the database at scrape time instead of from observations in this process. */
class ReviewTimeSummary extends Summary {
  override async get(): Promise<Awaited<ReturnType<Summary['get']>>> {
    const [base, f] = await Promise.all([super.get(), reviewFigures()]);
    const name = base.name;
    const values = f
      ? [
          ...(f.times.medianSeconds === null ? [] : [{ labels: { quantile: 0.5 }, value: f.times.medianSeconds }]),
          { metricName: `${name}_sum`, labels: {}, value: f.times.totalSeconds },
          { metricName: `${name}_count`, labels: {}, value: f.times.documents },
        ]
      : [];
    return { ...base, values };
  }
}

new ReviewTimeSummary({
  name: 'medextract_review_seconds_per_document',
  help:
    'Seconds from the first review event of an approved job (its first correction, or the approval itself) to its approval, ' +
    'over the jobs approved now: the median (quantile 0.5), _sum and _count',
  registers: [registry],
});

interface RoutedContext {
  _matchedRoute?: string;
  /** Layers whose path matched (set by @koa/router), including ones whose method did not. */
  matched?: Array<{ path: string | RegExp; methods: string[] }>;
}

/**
 * The route pattern of a request. A request stopped by router middleware (e.g. a 401 from
 * `authenticate`) or answered 405 still reports the route it was aimed at; anything else is `unmatched`.
 */
export function routeLabel(ctx: Koa.Context): string {
  const c = ctx as unknown as RoutedContext;
  const layer = c.matched?.filter((l) => l.methods.length > 0 && typeof l.path === 'string').at(-1);
  if (layer) return layer.path as string;
  if (typeof c._matchedRoute === 'string' && c._matchedRoute.startsWith('/') && !c._matchedRoute.includes('(')) return c._matchedRoute;
  return 'unmatched';
}

/**
 * Counts and times every request once its response is done. Recording happens when the socket
 * response closes, so the status is the final one set by the error middleware.
 */
export const httpMetrics: Koa.Middleware = async (ctx, next) => {
  const end = httpDuration.startTimer();
  ctx.res.once('close', () => {
    const labels = { method: ctx.method, route: routeLabel(ctx), status: String(ctx.res.statusCode) };
    httpRequests.inc(labels);
    end(labels);
  });
  await next();
};
