/** Uploading documents through the HTTP API and following their jobs in the database. */
import type pg from 'pg';
import { BENCH_ADMIN, until, type Child } from './stack.js';
import type { JobRow as StoredJob } from '../../stores/jobs.js';

export async function login(apiUrl: string): Promise<string> {
  const res = await fetch(`${apiUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(BENCH_ADMIN),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

export interface Uploaded {
  jobId: string;
  /** Wall-clock ms (Date.now()) just before the upload request was sent. */
  sentAt: number;
  pages: number;
}

/** POST /upload with one PDF; returns the job id. */
export async function upload(apiUrl: string, token: string, name: string, pdf: Uint8Array, pages: number): Promise<Uploaded> {
  const form = new FormData();
  form.append('files', new Blob([pdf], { type: 'application/pdf' }), name);
  const sentAt = Date.now();
  const res = await fetch(`${apiUrl}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await res.json()) as { jobs?: Array<{ id: string; duplicate?: boolean }> };
  if (res.status !== 202 || !body.jobs?.[0]) throw new Error(`upload of ${name} failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  if (body.jobs[0].duplicate) throw new Error(`upload of ${name} was a duplicate: the bench needs unique documents`);
  return { jobId: body.jobs[0].id, sentAt, pages };
}

/** Uploads many documents with `concurrency` requests in flight; `make(i)` builds document i lazily. */
export async function uploadAll(
  apiUrl: string,
  token: string,
  count: number,
  make: (i: number) => { name: string; pdf: Uint8Array; pages: number },
  concurrency = 4,
): Promise<Uploaded[]> {
  const out: Uploaded[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const d = make(i);
        out[i] = await upload(apiUrl, token, d.name, d.pdf, d.pages);
      }
    }),
  );
  return out;
}

/** The job columns the benchmarks read (stores/jobs.ts defines them). */
export type JobRow = Pick<
  StoredJob,
  | 'id'
  | 'status'
  | 'stage'
  | 'pages_total'
  | 'pages_done'
  | 'error_code'
  | 'tokens_in'
  | 'tokens_out'
  | 'stage_ms'
  | 'created_at'
  | 'started_at'
  | 'finished_at'
>;

export async function jobRows(pool: pg.Pool, ids: string[]): Promise<JobRow[]> {
  const r = await pool.query<JobRow>(
    `SELECT id, status, stage, pages_total, pages_done, error_code, tokens_in, tokens_out, stage_ms, created_at, started_at, finished_at
       FROM jobs WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return r.rows;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Waits until every job has finished (completed, failed or cancelled); returns their rows. */
export async function waitFinished(pool: pg.Pool, ids: string[], timeoutMs: number, watch: Child[] = []): Promise<JobRow[]> {
  return until(
    `${ids.length} jobs to finish`,
    async () => {
      const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM jobs WHERE id = ANY($1::uuid[]) AND status IN ('completed','failed','cancelled')`, [
        ids,
      ]);
      return Number(r.rows[0]!.n) >= ids.length ? jobRows(pool, ids) : undefined;
    },
    timeoutMs,
    watch,
    250,
  );
}

export const isFinished = (s: string) => FINISHED.has(s);

/** Makes identical bytes unique (the API deduplicates uploads by content): a PDF comment after %%EOF. */
export function uniqueBytes(pdf: Uint8Array, tag: string): Uint8Array {
  const extra = Buffer.from(`%medextract-bench ${tag}\n`, 'latin1');
  const out = new Uint8Array(pdf.length + extra.length);
  out.set(pdf, 0);
  out.set(extra, pdf.length);
  return out;
}
