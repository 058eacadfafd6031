/**
 * `npx tsx bench/recovery.ts`: recovery time of the embedded stack after kill -9. Starts `npm start`'s
 * process tree (tsx app/main.ts) on a fresh DATA_DIR in a process group of its own, uploads several
 * multi-page scans, SIGKILLs the whole group mid-batch (no handler runs: the Temporal dev server goes down
 * through its watchdog), restarts on the same DATA_DIR and reports, from the kill: the seconds until the
 * API is ready again, until every job that was in flight shows progress (status, stage or pages done
 * changed), and until all are finished. Figures for bench/README.md, not a pass/fail check.
 *
 * Options (environment): RECOVERY_DOCS (default 8), RECOVERY_PAGES (pages per document, default 4).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child, ROOT, until } from '../harness/process.js';
import { scannedReportPdf, syntheticReport } from '../test/fixtures/generate.js';
import type { JobView } from '../api/contract/jobs.js';

const DOCS = Number(process.env.RECOVERY_DOCS ?? 8);
const PAGES = Number(process.env.RECOVERY_PAGES ?? 4);
const ADMIN = { username: 'recovery', password: 'Tq9-harbour-lantern-Vx4-kestrel' };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-recovery-'));
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let current: Child | undefined;
const killGroup = () => {
  if (current?.running) process.kill(-current.pid, 'SIGKILL');
};
process.once('SIGINT', () => {
  killGroup();
  process.exit(130);
});

function startMain(): Child {
  const proc = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['app/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      PORT: '0',
      TEMPORAL_UI_PORT: '0',
      EXTRACTION_PROVIDER: 'offline',
      OCR_WORKERS: '1',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  current = new Child('npm start', proc);
  return current;
}

async function ready(main: Child): Promise<{ api: string; token: string }> {
  await main.waitFor(/MedExtract is running/, 300_000);
  const api = /API:\s+(http:\/\/\S+)/.exec(main.output())![1]!;
  const res = await fetch(`${api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const body = (await res.json()) as { token?: string };
  if (!body.token) throw new Error(`login failed: ${res.status}`);
  return { api, token: body.token };
}

async function jobs(api: string, token: string, ids: string[]): Promise<Map<string, JobView>> {
  const views = await Promise.all(
    ids.map(async (id) => (await (await fetch(`${api}/status/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as JobView),
  );
  return new Map(views.map((v) => [v.id, v]));
}
const finished = (j: JobView) => ['completed', 'failed', 'cancelled'].includes(j.status);
const stateOf = (j: JobView) => `${j.status}/${j.stage}/${j.progress.pagesDone}`;

try {
  const t0 = Date.now();
  let main = startMain();
  let { api, token } = await ready(main);
  console.log(`stack up in ${s(Date.now() - t0)} (DATA_DIR ${dataDir})`);

  const ids: string[] = [];
  for (let i = 0; i < DOCS; i++) {
    const form = new FormData();
    const pdf = scannedReportPdf(syntheticReport({ pages: PAGES, seed: 100 + i + (Date.now() % 1000), rowsPerPage: 6 }));
    form.append('files', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), `recovery-${i}.pdf`);
    const res = await fetch(`${api}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const body = (await res.json()) as { jobs?: Array<{ id: string }> };
    if (res.status !== 202 || !body.jobs?.[0]) throw new Error(`upload failed: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    ids.push(body.jobs[0].id);
  }
  console.log(`uploaded ${DOCS} scanned documents of ${PAGES} pages`);

  // Mid-batch: some OCR stored, most documents not finished.
  const before = await until(
    'a batch in the middle of OCR',
    async () => {
      const m = await jobs(api, token, ids);
      const pages = [...m.values()].reduce((n, j) => n + j.progress.pagesDone, 0);
      const done = [...m.values()].filter(finished).length;
      return pages >= 2 && done < DOCS / 2 ? m : undefined;
    },
    600_000,
    { everyMs: 300 },
  );
  process.kill(-main.pid, 'SIGKILL');
  const killedAt = Date.now();
  await main.exited;
  const inFlight = ids.filter((id) => !finished(before.get(id)!));
  console.log(
    `kill -9 of the whole process group with ${DOCS - inFlight.length}/${DOCS} finished; in flight: ${inFlight.map((id) => stateOf(before.get(id)!)).join(', ')}`,
  );

  main = startMain();
  ({ api, token } = await ready(main));
  const readyAt = Date.now();
  const moved = new Map<string, number>();
  const done = new Map<string, number>();
  await until(
    'every in-flight job to finish',
    async () => {
      const m = await jobs(api, token, inFlight);
      const now = Date.now();
      for (const id of inFlight) {
        const j = m.get(id)!;
        if (!moved.has(id) && stateOf(j) !== stateOf(before.get(id)!)) moved.set(id, now - killedAt);
        if (!done.has(id) && finished(j)) done.set(id, now - killedAt);
      }
      return done.size === inFlight.length || undefined;
    },
    1_800_000,
    { everyMs: 500 },
  );
  const all = await jobs(api, token, ids);
  const slowestMove = Math.max(...moved.values());
  // Jobs whose activity ran on the killed worker (the ones recovery is about), apart from jobs that were
  // only waiting for an OCR slot: those move when capacity frees, which measures throughput, not recovery.
  const active = inFlight.filter((id) => before.get(id)!.stage !== 'prepare');
  for (const id of inFlight) console.log(`  ${stateOf(before.get(id)!).padEnd(24)} moved ${s(moved.get(id)!)}, finished ${s(done.get(id)!)} after the kill`);
  console.log(
    [
      `recovery after kill -9 (${DOCS} documents x ${PAGES} scanned pages, ${inFlight.length} in flight, OCR_WORKERS=1, ${os.availableParallelism()} cores, load ${os.loadavg()[0]!.toFixed(1)}):`,
      `  restarted stack ready:            ${s(readyAt - killedAt)} after the kill`,
      `  every in-flight job moving again: ${s(slowestMove)} after the kill (${s(slowestMove - (readyAt - killedAt))} after ready; first ${s(Math.min(...moved.values()))})`,
      `  jobs running an activity at the kill (${active.length}) moving again: ${active.length ? s(Math.max(...active.map((id) => moved.get(id)!))) : '-'} after the kill`,
      `  all in-flight jobs finished:      ${s(Math.max(...done.values()))} after the kill; ${[...all.values()].filter((j) => j.status === 'completed').length}/${DOCS} completed`,
    ].join('\n'),
  );
  main.proc.kill('SIGINT');
  await main.exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
} catch (err) {
  console.error(`recovery bench failed: ${(err as Error).message}\n${current?.tail(2000) ?? ''}\n(DATA_DIR kept: ${dataDir})`);
  killGroup();
  process.exitCode = 1;
}
