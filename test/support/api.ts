/**
 * Real API processes for tests (app/api-main.ts on the run's Temporal and database, on a free port),
 * and a small fetch helper that speaks the API's JSON.
 */
import assert from 'node:assert/strict';
import { startProcess, waitUntil, type ChildHandle } from './env.js';

export const TEST_ADMIN = { username: 'admin', password: 'Quill-harbour-lantern-5830' };
export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

export interface ApiProcess extends ChildHandle {
  url: string;
}

/** Starts an API process; the first admin comes from ADMIN_USERNAME / ADMIN_PASSWORD. */
export async function startApiProcess(env: Record<string, string | undefined> = {}): Promise<ApiProcess> {
  const p = startProcess(['app/api-main.ts'], {
    LOG_LEVEL: 'info',
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    ...env,
  });
  await p.waitFor(/"msg":"API listening"/, 60_000);
  const url = /"url":"(http:\/\/[^"]+)"/.exec(p.output())![1]!;
  return Object.assign(p, { url });
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** One request; JSON bodies are sent and parsed, anything else is returned as a Buffer. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; apiKey?: string; json?: unknown; body?: FormData | string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(base + path, { method, headers, body });
  const type = res.headers.get('content-type') ?? '';
  const raw = Buffer.from(await res.arrayBuffer());
  const parsed = type.includes('json') && raw.length ? JSON.parse(raw.toString('utf8')) : raw;
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export async function login(base: string, username: string, password: string): Promise<string> {
  const r = await call(base, 'POST', '/login', { json: { username, password } });
  if (r.status !== 200) throw new Error(`login as ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** A multipart body with one or more PDFs in the `files` field. */
export function pdfForm(files: Array<{ name: string; content: Uint8Array; type?: string }>): FormData {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.content], { type: f.type ?? 'application/pdf' }), f.name);
  return form;
}

/** Uploads the files as `token`'s user and waits until every job completes (a failed job fails the test); their ids. */
export async function uploadAndComplete(base: string, token: string, files: Array<{ name: string; content: Uint8Array }>): Promise<string[]> {
  const up = await call(base, 'POST', '/upload', { token, body: pdfForm(files) });
  assert.equal(up.status, 202, JSON.stringify(up.body));
  const ids: string[] = up.body.jobs.map((j: { id: string }) => j.id);
  for (const id of ids) {
    await waitUntil(`job ${id} to complete`, async () => {
      const r = await call(base, 'GET', `/status/${id}`, { token });
      if (r.body.status === 'failed') assert.fail(JSON.stringify(r.body.error));
      return r.body.status === 'completed' ? true : undefined;
    });
  }
  return ids;
}
