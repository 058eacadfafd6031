/**
 * The one module that talks to the API and owns the session: the token lives in sessionStorage
 * (gone when the tab closes) and goes out as `Authorization: Bearer`. Any 401 on an authenticated
 * call clears the token and announces `session-ended`, which sends the app back to the login screen.
 * Errors come back as ApiError with the API's own `{ error: { code, message } }`.
 *
 * Every request and answer type is the API contract's own (api/contract/, the extraction contract for
 * results): type-only imports, so nothing of the server, nor zod, enters the bundle.
 */
import type {
  LoginRequest,
  LoginResponse,
  LoginSession,
  MfaChallengeConfirm,
  MfaChallengeRequest,
  MfaConfirmRequest,
  MfaDisableRequest,
  MfaEnrolledSession,
  MfaEnrolment,
  MfaEnrolRequest,
  MfaLoginRequest,
  MfaRecoveryCodes,
  MfaStatus,
  PasswordChange,
} from '../../api/contract/auth.js';
import type { ErrorBody, ErrorCode } from '../../api/contract/common.js';
import type { JobList, JobView } from '../../api/contract/jobs.js';
import type { UploadedJob } from '../../api/contract/upload.js';
import type { CombinedDownloadRequest, ExtractionResult, PageView } from '../../api/contract/results.js';
import type { Role, User, UserAccount, UserCreate, UserList, UserUpdate } from '../../api/contract/users.js';
import type { PatchOperation, ReviewRequest, ReviewStatus } from '../../api/contract/review.js';

export type { ExtractionResult, MfaEnrolment, MfaStatus, PageView, UploadedJob, User };
export type { Evidence, Field, ValueReview } from '../../core/contract/extraction.js';
export type { PatchOperation };
export type Job = JobView;
export type JobStatus = JobView['status'];
export type JobWarning = JobView['warnings'][number];
export type AdminUser = UserAccount;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'mx.token';
const USER_KEY = 'mx.user';
export const SESSION_ENDED = 'your session ended; please sign in again';

/** Fires `session-ended` (detail: the message to show) and `signed-in`. */
export const session = new EventTarget();

export function currentUser(): User | null {
  const raw = sessionStorage.getItem(USER_KEY);
  if (!raw || !sessionStorage.getItem(TOKEN_KEY)) return null;
  try {
    return JSON.parse(raw) as User;
  } catch {
    return null;
  }
}

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * The session's `Authorization` header value (`Bearer …`), or null when signed out: for the one call
 * that cannot go through `request`, the upload, whose progress only XMLHttpRequest reports.
 */
export function authorizationHeader(): string | null {
  const t = token();
  return t ? `Bearer ${t}` : null;
}

function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

function endSession(message = SESSION_ENDED): void {
  const had = token() !== null;
  clearSession();
  if (had) session.dispatchEvent(new CustomEvent('session-ended', { detail: message }));
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `Http${res.status}`;
  let message = `the server answered ${res.status} ${res.statusText}`.trim();
  try {
    const body = (await res.json()) as Partial<ErrorBody>;
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the generic words
  }
  return new ApiError(res.status, code, message);
}

/** An authenticated request; a 401 ends the session. The area modules (api-*.ts) build on it. */
export async function request(
  method: string,
  path: string,
  init: { json?: object; patch?: readonly PatchOperation[]; headers?: Record<string, string> } = {},
): Promise<Response> {
  const authorization = authorizationHeader();
  if (!authorization) {
    throw new ApiError(401, 'NotSignedIn', 'sign in first');
  }
  const headers: Record<string, string> = { ...init.headers, authorization };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.patch !== undefined) {
    headers['content-type'] = 'application/json-patch+json';
    body = JSON.stringify(init.patch);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NetworkError', 'the server could not be reached; check your connection');
  }
  if (res.status === 401) {
    endSession();
    throw await errorFrom(res);
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** A public sign-in call (no token): its JSON answer, or the API's error. */
async function publicPost<T>(path: string, json: object): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NetworkError', 'the server could not be reached; check your connection');
  }
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

function keepSession(s: LoginSession): void {
  sessionStorage.setItem(TOKEN_KEY, s.token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(s.user));
}

/** Tells the app someone signed in (it then leaves the login screen). */
export function announceSignedIn(user: User): void {
  session.dispatchEvent(new CustomEvent('signed-in', { detail: user }));
}

/** Where a password sign-in got to: signed in, a code is due, or (admins) a second factor must be set up first. */
export type LoginStep = { step: 'signed-in'; user: User } | { step: 'mfa'; challengeToken: string } | { step: 'enrol'; challengeToken: string };

export async function login(username: string, password: string): Promise<LoginStep> {
  const body = await publicPost<LoginResponse>('/login', { username, password } satisfies LoginRequest);
  if ('mfaRequired' in body) return { step: 'mfa', challengeToken: body.challengeToken };
  if ('mfaEnrolmentRequired' in body) return { step: 'enrol', challengeToken: body.challengeToken };
  keepSession(body);
  announceSignedIn(body.user);
  return { step: 'signed-in', user: body.user };
}

/** The second step: a code from the authenticator app, or a recovery code. */
export async function loginWithCode(challengeToken: string, code: { code: string } | { recoveryCode: string }): Promise<User> {
  const body = await publicPost<LoginSession>('/login/mfa', { challengeToken, ...code } satisfies MfaLoginRequest);
  keepSession(body);
  announceSignedIn(body.user);
  return body.user;
}

/** An administrator who must enrol before signing in: the new secret. */
export function loginEnrol(challengeToken: string): Promise<MfaEnrolment> {
  return publicPost<MfaEnrolment>('/login/mfa/enrol', { challengeToken } satisfies MfaChallengeRequest);
}

/**
 * Confirms that enrolment with a code. The session is kept but not announced, so the login screen can
 * show the recovery codes first; call announceSignedIn when the person has saved them.
 */
export async function loginConfirm(challengeToken: string, code: string): Promise<{ user: User; recoveryCodes: string[] }> {
  const body = await publicPost<MfaEnrolledSession>('/login/mfa/confirm', { challengeToken, code } satisfies MfaChallengeConfirm);
  keepSession(body);
  return { user: body.user, recoveryCodes: body.recoveryCodes };
}

// ---- the signed-in user's own account ----

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await request('POST', '/me/password', { json: { currentPassword, newPassword } satisfies PasswordChange });
}

export async function getMfaStatus(): Promise<MfaStatus> {
  return (await (await request('GET', '/me/mfa')).json()) as MfaStatus;
}

export async function enrolMfa(currentPassword: string): Promise<MfaEnrolment> {
  return (await (await request('POST', '/me/mfa/enrol', { json: { currentPassword } satisfies MfaEnrolRequest })).json()) as MfaEnrolment;
}

export async function confirmMfa(code: string): Promise<string[]> {
  return ((await (await request('POST', '/me/mfa/confirm', { json: { code } satisfies MfaConfirmRequest })).json()) as MfaRecoveryCodes).recoveryCodes;
}

export async function disableMfa(currentPassword: string, code: { code: string } | { recoveryCode: string }): Promise<void> {
  await request('POST', '/me/mfa/disable', { json: { currentPassword, ...code } satisfies MfaDisableRequest });
}

/** The password rule, shown before the first attempt (the server checks it: api/auth/passwords.ts). */
export const PASSWORD_RULE = 'At least 12 characters; not a common password; must not contain the username.';

/** Revokes the session server-side (best effort) and always clears it here. */
export async function logout(): Promise<void> {
  try {
    if (token()) await request('POST', '/logout');
  } catch {
    // a session that already ended is just as logged out
  } finally {
    clearSession();
  }
}

/** The newest 100 jobs, optionally of one status and/or only those that need review (or only those that do not). */
export async function listJobs(status?: JobStatus, opts: { needsReview?: boolean } = {}): Promise<Job[]> {
  const q = new URLSearchParams({ limit: '100' });
  if (status) q.set('status', status);
  if (opts.needsReview !== undefined) q.set('needsReview', String(opts.needsReview));
  const res = await request('GET', `/jobs?${q.toString()}`);
  const body = (await res.json()) as JobList;
  return body.jobs;
}

/** `GET /jobs/:id/result`: the current version, every value with its evidence and review state. */
export async function getResult(id: string): Promise<ExtractionResult> {
  const res = await request('GET', `/jobs/${encodeURIComponent(id)}/result`);
  return (await res.json()) as ExtractionResult;
}

/** `PATCH /jobs/:id/result`: a correction against `version`; the answer is the next version. */
export async function correctResult(id: string, version: number, ops: readonly PatchOperation[]): Promise<ExtractionResult> {
  const res = await request('PATCH', `/jobs/${encodeURIComponent(id)}/result`, { patch: ops, headers: { 'if-match': `"${version}"` } });
  return (await res.json()) as ExtractionResult;
}

/** `POST /jobs/:id/review`: approve (freezes corrections) or reopen. */
export async function setReviewState(id: string, state: ReviewRequest['state'], version?: number): Promise<ReviewStatus> {
  const res = await request('POST', `/jobs/${encodeURIComponent(id)}/review`, {
    json: { state } satisfies ReviewRequest,
    headers: version === undefined ? {} : { 'if-match': `"${version}"` },
  });
  return (await res.json()) as ReviewStatus;
}

/** `GET /jobs/:id/pages/:page`: where each quote cited on the page sits on it (boxes as page fractions). */
export async function getPageView(id: string, page: number): Promise<PageView> {
  const res = await request('GET', `/jobs/${encodeURIComponent(id)}/pages/${page}`);
  return (await res.json()) as PageView;
}

/** The page image (PNG) as a Blob: fetched with the bearer token, which an <img src> could not send. */
export async function getPageImage(id: string, page: number): Promise<Blob> {
  const res = await request('GET', `/jobs/${encodeURIComponent(id)}/pages/${page}/image`);
  return res.blob();
}

/** Several completed jobs as one workbook (or one FHIR collection of a Bundle per document), with the name the server gave it. */
export async function downloadCombined(ids: string[], format: 'xlsx' | 'fhir' = 'xlsx'): Promise<{ blob: Blob; name: string }> {
  const res = await request('POST', format === 'fhir' ? '/download/combined/fhir' : '/download/combined', {
    json: { jobIds: ids } satisfies CombinedDownloadRequest,
  });
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `medextract-${ids.length}-documents.${format === 'fhir' ? 'fhir.json' : 'xlsx'}`;
  return { blob: await res.blob(), name };
}

export async function cancelJob(id: string): Promise<void> {
  await request('DELETE', `/jobs/${encodeURIComponent(id)}`);
}

export const deleteJob = cancelJob;

export type ResultFormat = 'xlsx' | 'json' | 'fhir';

/** The job's workbook, JSON result or FHIR Bundle as a Blob, with the name to save it under. */
export async function downloadResult(job: Job, kind: ResultFormat): Promise<{ blob: Blob; name: string }> {
  // core/contract's resultBaseName, which the bundle cannot import (type-only): the same extensions.
  const base = job.filename.replace(/\.(pdf|tiff?|png|jpe?g|webp)$/i, '').trim() || 'document';
  if (kind === 'xlsx') {
    const res = await request('GET', `/download/${encodeURIComponent(job.id)}`);
    return { blob: await res.blob(), name: `${base}.xlsx` };
  }
  if (kind === 'fhir') {
    const res = await request('GET', `/jobs/${encodeURIComponent(job.id)}/fhir`);
    return { blob: await res.blob(), name: `${base}.fhir.json` };
  }
  const res = await request('GET', `/jobs/${encodeURIComponent(job.id)}/result`);
  const text = JSON.stringify(await res.json(), null, 2);
  return { blob: new Blob([text], { type: 'application/json' }), name: `${base}.json` };
}

/** The per-file limit the server announced in the page (`<meta name="mx-max-upload-bytes">`), else 50 MB. */
export function maxUploadBytes(): number {
  const v = Number(document.querySelector<HTMLMetaElement>('meta[name="mx-max-upload-bytes"]')?.content);
  return Number.isFinite(v) && v > 0 ? v : 50 * 1024 * 1024;
}

/** Hands a Blob to the browser as a download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---- administration (admins only) and the caller's API keys ----

export async function listUsers(): Promise<AdminUser[]> {
  const res = await request('GET', '/users');
  return ((await res.json()) as UserList).users;
}

export async function createUser(username: string, password: string, role: Role): Promise<AdminUser> {
  const res = await request('POST', '/users', { json: { username, password, role } satisfies UserCreate });
  return (await res.json()) as AdminUser;
}

export async function updateUser(id: string, change: UserUpdate): Promise<AdminUser> {
  const res = await request('PATCH', `/users/${encodeURIComponent(id)}`, { json: change });
  return (await res.json()) as AdminUser;
}

/** Codes of this module's own errors, besides the API's. */
type ClientErrorCode = 'NetworkError' | 'NotSignedIn';

const PLAIN: Partial<Record<ErrorCode | ClientErrorCode, string>> = {
  UsernameTaken: 'that username is already taken; choose another',
  CannotChangeSelf: 'you cannot disable your own account or remove your own administrator role',
  Forbidden: 'only an administrator can do that',
  NetworkError: 'the server could not be reached; check your connection',
};

/** An error in plain words with its code, e.g. "the password must be at least 12 characters long (WeakPassword)". */
export function plainError(err: unknown): string {
  if (err instanceof ApiError) return `${PLAIN[err.code as ErrorCode] ?? err.message} (${err.code})`;
  return 'something went wrong; please try again';
}

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim() ?? '';
}

/** The Temporal Web UI link of a job's workflow, when the server announced the UI's address; else null. */
export function workflowUrl(jobId: string): string | null {
  const base = meta('mx-temporal-ui-url').replace(/\/+$/, '');
  const ns = meta('mx-temporal-namespace') || 'default';
  if (!/^https?:\/\//.test(base)) return null;
  return `${base}/namespaces/${encodeURIComponent(ns)}/workflows/job-${encodeURIComponent(jobId)}`;
}
