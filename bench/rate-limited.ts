/**
 * 4. Rate-limited: LLM_RPM = 450, one LLM request per document (1-page digital documents), two worker
 * processes sharing the limit. The rate is only visible while extraction requests wait, so a backlog is
 * built first: documents are uploaded and prepared by workers started with LLM_RPM=1 (their `llm` queue
 * hands out one task per two minutes), those workers are stopped, and two workers with LLM_RPM=450 are
 * started. Requests/min is counted where it matters, at the OpenAI-compatible test server, over a steady
 * window after a short warm-up.
 */
import { digitalReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import type { BenchContext } from './lib/context.js';
import { login, uploadAll, uniqueBytes } from './lib/jobs.js';
import { maxInAnyWindow } from '../test/support/openai-server.js';
import { llmDispatchPerSecond } from '../workers/worker.js';
import { startApi, startWorkers, stopChild, uniquePrefix, until } from './lib/stack.js';
import { fmt, fmtPct, gapAtLeast, sleep, type Report } from './lib/util.js';

const RPM = 450;
const LLM_LATENCY_MS = 1000;

export async function rateLimited(ctx: BenchContext): Promise<Report> {
  const warmupS = ctx.quick ? 2 : 10;
  const windowS = ctx.quick ? 10 : 60;
  // Enough waiting documents to keep the limit busy through warm-up + window, with 20 % to spare.
  const docs = Math.ceil((RPM / 60) * (warmupS + windowS) * 1.2) + 10;
  const nWorkers = 2;
  const stack = await ctx.stack();
  stack.llm.setLatency(LLM_LATENCY_MS);
  const prefix = uniquePrefix('rate');

  ctx.progress(`rate-limited: building a backlog of ${docs} documents waiting for the LLM (workers at LLM_RPM=1)`);
  const [api, slow] = await Promise.all([startApi(stack, prefix), startWorkers(stack, nWorkers, { prefix, llmRpm: 1 })]);
  const token = await login(api.url);
  const uploaded = await uploadAll(
    api.url,
    token,
    docs,
    (i) => ({
      name: `rate-${i}.pdf`,
      pdf: uniqueBytes(new Uint8Array(digitalReportPdf(syntheticReport({ pages: 1, seed: 70_000 + i, rowsPerPage: 6 }))), `${prefix}${i}`),
      pages: 1,
    }),
    4,
  );
  const ids = uploaded.map((u) => u.jobId);
  // Waiting for the LLM: stage 'extract' entered (planExtraction done), no extraction part stored yet.
  const waiting = async () =>
    Number(
      (
        await stack.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM jobs j WHERE j.id = ANY($1::uuid[]) AND j.stage = 'extract'
             AND NOT EXISTS (SELECT 1 FROM extraction_parts p WHERE p.job_id = j.id)`,
          [ids],
        )
      ).rows[0]!.n,
    );
  await until('the backlog', async () => ((await waiting()) >= docs - 2 ? true : undefined), 10 * 60_000, [...slow, api.child], 500);
  await Promise.all(slow.map((w) => stopChild(w)));
  const backlog = await waiting();

  ctx.progress(
    `rate-limited: ${backlog} documents waiting; starting ${nWorkers} workers at LLM_RPM=${RPM}, measuring ${warmupS} s warm-up + ${windowS} s window`,
  );
  const before = stack.llm.requests.length;
  const fast = await startWorkers(stack, nWorkers, { prefix, llmRpm: RPM });
  await until('the first LLM request', async () => (stack.llm.requests.length > before ? true : undefined), 60_000, fast, 50);
  const t0 = stack.llm.requests[before]!.at;
  const end = t0 + (warmupS + windowS) * 1000;
  while (Date.now() < end + 200) await sleep(200);
  const times = stack.llm.requests.slice(before).map((r) => r.at);
  await Promise.all([...fast.map((w) => stopChild(w, 'SIGKILL')), stopChild(api.child)]);

  const wStart = t0 + warmupS * 1000;
  const wEnd = wStart + windowS * 1000;
  const inWindow = times.filter((t) => t >= wStart && t < wEnd).length;
  const achieved = (inWindow / windowS) * 60;
  const leftover = backlog - times.filter((t) => t < wEnd).length;
  const max10 = maxInAnyWindow(
    times.filter((t) => t < wEnd),
    10_000,
  );
  const max60 =
    windowS + warmupS >= 60
      ? maxInAnyWindow(
          times.filter((t) => t < wEnd),
          60_000,
        )
      : NaN;
  const dispatch = llmDispatchPerSecond(RPM);
  const rows = [
    [
      `LLM_RPM=${RPM}, ${nWorkers} worker processes`,
      String(backlog),
      `${windowS} s`,
      String(inWindow),
      fmt(achieved, 1),
      fmtPct(achieved / RPM),
      `${max10} (${fmt(max10 * 6, 0)}/min)`,
      Number.isFinite(max60) ? String(max60) : 'n/a',
    ],
  ];
  const notes = [
    gapAtLeast(`target: ≥ 95 % of the configured rate`, (achieved / RPM) * 100, 95, ' %'),
    Number.isFinite(max60)
      ? `never above it: the most requests in any 60 s window was ${max60} (limit ${RPM}) → ${max60 <= RPM ? 'met' : 'MISSED'}`
      : `never above it: the run is shorter than 60 s (--quick), so the 60-s check is n/a; the most in any 10 s window was ${max10} (${max10 * 6}/min pace; the limit's pace is ${RPM / 6} per 10 s)`,
    `window: requests arriving at the LLM server from ${warmupS} s after the first one, for ${windowS} s${ctx.quick ? ' (--quick: a short window; the full run uses 60 s)' : ''}; ` +
      `backlog left at the end: ${leftover} (> 0 means the limit, not the supply of documents, set the pace); LLM latency ${LLM_LATENCY_MS} ms.`,
    `pacing: the workers ask Temporal for llmDispatchPerSecond(${RPM}) = ${fmt(dispatch, 3)}/s = ${fmt(dispatch * 60, 1)}/min (the limit itself); the hard limit is the send window every request takes a place in before it is sent (activities/llm-send-window.ts: ${RPM} places per 61 s, shared through Postgres), so at most ${fmtPct(60 / 61)} of the limit is possible; achieved / that = ${fmtPct(achieved / ((RPM * 60) / 61))}.`,
  ];
  return {
    name: 'rate-limited',
    title: '4. Rate-limited LLM: achieved requests/min vs LLM_RPM',
    header: [
      `one LLM request per document (1-page digital reports); paced by Temporal's task-queue rate limit, enforced by the send window both workers share`,
    ],
    columns: ['configuration', 'backlog', 'window', 'requests', 'req/min', 'of limit', 'max in 10 s', 'max in 60 s'],
    rows,
    notes,
    data: { rpm: RPM, dispatchPerSecond: dispatch, backlog, windowS, warmupS, inWindow, achieved, max10, max60, leftover, times: times.map((t) => t - t0) },
  };
}
