/**
 * Talking to the running system: logging in, uploading through nginx, following jobs in the database,
 * reading each process's /metrics and the workflow histories; and the table of step results.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { ROOT, until } from '../../harness/process.js';
import type { AppProcess } from '../../harness/stack.js';
import { workflowIdForJob } from '../../core/contract/jobs.js';
import { digitalReportPdf, syntheticReport } from '../../test/fixtures/generate.js';
import { ADMIN, type Topology } from './topology.js';

const CORPUS = process.env.CORPUS_DIR ?? path.resolve(ROOT, '../shared/corpus');
const UPLOAD_CONCURRENCY = 4;

const DIGITAL = [
  'medical/rcn_lab_report.pdf',
  'medical/rcn_discharge_summary.pdf',
  'medical/rcn_prescription.pdf',
  'medical/rcn_hospital_bill.pdf',
  'medical/rcn_insurance_eob.pdf',
  'medical/rcn_xray_report.pdf',
  'medical/rcn_admission_form.pdf',
  'medical/agentforge_lab_report.pdf',
  'medical/agentforge_intake_form.pdf',
  'medical/healthfirst_lab_report_3p.pdf',
  'medical/azure_vaccine_consent_form_filled.pdf',
  'medical/cms1500_blank_form.pdf',
];
/** One page each, 4-12 s of OCR each on this machine. */
export const SCANNED = [
  'medical/cms1500_nucc_sample_filled_scan.pdf',
  'scanned/ocrmypdf_ccitt_g4.pdf',
  'scanned/ocrmypdf_jbig2.pdf',
  'scanned/ocrmypdf_epson_scan.pdf',
];
/** The 30-document batch: the scans first, then 26 digital documents. */
export const BATCH = [...SCANNED, ...Array.from({ length: 26 }, (_, i) => DIGITAL[i % DIGITAL.length]!)];

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (res.status !== 200) throw new Error(`login at ${base} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export interface Upload {
  filename: string;
  content(): Uint8Array;
}

/** Corpus files made unique by a comment line after %%EOF (dedup would make identical bytes one job). */
export function corpusUploads(batch: string, files: string[] = BATCH, offset = 0): Upload[] {
  return files.map((rel, i) => ({
    filename: path.basename(rel),
    content: () =>
      new Uint8Array(Buffer.concat([fs.readFileSync(path.join(CORPUS, rel)), Buffer.from(`\n%medextract-prove-scale ${batch} ${offset + i}\n`, 'latin1')])),
  }));
}

export const generatedUploads = (n: number, firstSeed: number): Upload[] =>
  Array.from({ length: n }, (_, i) => ({
    filename: `generated-report-${i + 1}.pdf`,
    content: () => new Uint8Array(digitalReportPdf(syntheticReport({ pages: 1, seed: firstSeed + i, rowsPerPage: 4 }))),
  }));

export interface Uploaded {
  ids: string[];
  startedAt: number;
}

/** Uploads through nginx, a few requests at a time, one file per request; every one must be a new job. */
export async function upload(t: Topology, token: string, docs: Upload[]): Promise<Uploaded> {
  const ids: string[] = new Array(docs.length);
  const startedAt = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < docs.length) {
      const i = next++;
      const doc = docs[i]!;
      const form = new FormData();
      form.append('files', new Blob([doc.content()], { type: 'application/pdf' }), doc.filename);
      const res = await fetch(`${t.nginx.url}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      const body = (await res.json()) as { jobs?: Array<{ id: string; duplicate: boolean }> };
      if (res.status !== 202 || !body.jobs?.[0]) throw new Error(`upload of ${doc.filename} answered ${res.status}: ${JSON.stringify(body)}`);
      if (body.jobs[0].duplicate) throw new Error(`upload of ${doc.filename} was taken as a duplicate`);
      ids[i] = body.jobs[0].id;
    }
  };
  await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, lane));
  return { ids, startedAt };
}

export interface JobState {
  id: string;
  status: string;
  error_code: string | null;
  finished_at: Date | null;
  created_at: Date;
}

async function jobStates(t: Topology, ids: string[]): Promise<JobState[]> {
  const r = await t.pool.query<JobState>('SELECT id, status, error_code, finished_at, created_at FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
  return r.rows;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

export async function waitForJobs(t: Topology, ids: string[], timeoutMs: number): Promise<JobState[]> {
  return until(
    `${ids.length} jobs to finish`,
    async () => {
      const rows = await jobStates(t, ids);
      return rows.length === ids.length && rows.every((r) => FINISHED.has(r.status)) ? rows : undefined;
    },
    timeoutMs,
    { everyMs: 250 },
  );
}

export const unfinished = async (t: Topology, ids: string[]) => (await jobStates(t, ids)).filter((r) => !FINISHED.has(r.status)).length;

/** The batch's makespan in ms: first upload sent to last job finished. */
export const makespan = (rows: JobState[], up: Uploaded) => Math.max(...rows.map((r) => r.finished_at!.getTime())) - up.startedAt;

/** "; not completed: Timeout ×2, …" for the jobs that did not complete, or "". */
export function notCompleted(rows: JobState[]): string {
  const codes = new Map<string, number>();
  for (const r of rows) if (r.status !== 'completed') codes.set(r.error_code ?? r.status, (codes.get(r.error_code ?? r.status) ?? 0) + 1);
  return codes.size ? `; not completed: ${[...codes].map(([c, n]) => `${c} ×${n}`).join(', ')}` : '';
}

/** All samples of a metric whose labels include `labels`. */
export function samples(text: string, name: string, labels: Record<string, string> = {}): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) out.push({ labels: have, value: Number(m[3]) });
  }
  return out;
}
export const sum = (xs: Array<{ value: number }>) => xs.reduce((s, x) => s + x.value, 0);

export async function metricsOf(url: string, token?: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`${url}/metrics answered ${res.status}`);
  return res.text();
}

/** Activities running on a worker right now, by type (from its /metrics). */
export async function runningActivities(w: AppProcess): Promise<Record<string, number>> {
  const text = await metricsOf(w.url);
  const out: Record<string, number> = {};
  for (const s of samples(text, 'medextract_activities_running')) if (s.value > 0) out[s.labels.activity!] = (out[s.labels.activity!] ?? 0) + s.value;
  return out;
}

/** A worker whose running activities satisfy `accept`. */
export async function workerRunning(workers: AppProcess[], accept: (running: Record<string, number>) => boolean): Promise<AppProcess | undefined> {
  for (const w of workers) if (accept(await runningActivities(w))) return w;
  return undefined;
}

/** A worker running OCR, waited for. */
export const workerRunningOcr = (t: Topology, timeoutMs: number) =>
  until('a worker running OCR', () => workerRunning(t.workers, (r) => !!r.ocrPages), timeoutMs, { everyMs: 250 });

/** Events of one activity type in the batch's workflow histories. */
export async function activityEvents(t: Topology, ids: string[], activity: string): Promise<{ scheduled: number[]; retriedAttempts: number }> {
  const scheduled: number[] = [];
  let retriedAttempts = 0;
  for (const id of ids) {
    const history = await t.client.workflow.getHandle(workflowIdForJob(id)).fetchHistory();
    const ofType = new Set<string>();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === activity) {
        ofType.add(String(e.eventId));
        scheduled.push(tsToMs(e.eventTime));
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started && ofType.has(String(started.scheduledEventId)) && (started.attempt ?? 1) > 1) retriedAttempts++;
    }
  }
  return { scheduled, retriedAttempts };
}

// ---------------------------------------------------------------------------------------------------
// Step results

interface StepResult {
  step: string;
  pass: boolean;
  figures: string;
}
export const results: StepResult[] = [];

export function record(step: string, pass: boolean, figures: string): void {
  results.push({ step, pass, figures });
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${step}: ${figures}`);
}

export function printTable(ratio: string | undefined): void {
  const sorted = [...results].sort((a, b) => a.step.localeCompare(b.step));
  const rows = [['step', 'result', 'figures'], ...sorted.map((r) => [r.step, r.pass ? 'PASS' : 'FAIL', r.figures])];
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `${r[0]!.padEnd(width[0]!)}  ${r[1]!.padEnd(width[1]!)}  ${r[2]}`;
  console.log(`\n${line(rows[0]!)}\n${'-'.repeat(width[0]! + width[1]! + 4 + 60)}`);
  for (const r of rows.slice(1)) console.log(line(r));
  if (ratio) console.log(`\n${ratio}`);
}
