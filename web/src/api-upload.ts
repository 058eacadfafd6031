/**
 * Sending documents (`POST /upload`) and following the jobs they became (`GET /status/:id`), over the
 * API (types from its contract). The kind of each file is the server's to judge, from its bytes: its
 * refusal comes back in the answer and is returned here as the file's outcome, not as an error.
 */
import type { ErrorBody } from '../../api/contract/common.js';
import type { JobView } from '../../api/contract/jobs.js';
import type { UploadRefusal, UploadResult, UploadedJob } from '../../api/contract/upload.js';
import { ApiError, authorizationHeader, request } from './api.js';

export type { UploadRefusal, UploadedJob };

/** What became of one sent file: a job, or the server's refusal of that file. */
export type UploadOutcome = { job: UploadedJob } | { refused: UploadRefusal };

/** A job as `GET /status/:id` shows it; `needsReview` only on servers that record warnings. */
export type FollowedJob = JobView & { needsReview?: boolean };

/** The codes with which the server refuses one file for itself (also when it was the only one sent). */
const FILE_REFUSALS = new Set<string>(['UnsupportedFormat', 'TooLarge'] satisfies Array<UploadRefusal['code']>);

/**
 * Sends one file (and the PDF password, when given) with XMLHttpRequest, which, unlike fetch, reports
 * upload progress: `onProgress` gets the fraction sent, 0..1. A 401 is handed to api.ts's session
 * handling (one authenticated call, which ends the session the same way every other call does).
 */
export function uploadDocument(file: File, opts: { password?: string; onProgress: (fraction: number) => void }): Promise<UploadOutcome> {
  return new Promise((resolve, reject) => {
    const authorization = authorizationHeader();
    if (!authorization) return reject(new ApiError(401, 'NotSignedIn', 'sign in first'));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/upload');
    xhr.setRequestHeader('authorization', authorization);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) opts.onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', 'the upload was interrupted; check your connection'));
    xhr.onload = () => {
      const body = xhr.response as (Partial<UploadResult> & Partial<ErrorBody>) | null;
      if (xhr.status === 202 && body?.jobs?.[0]) {
        opts.onProgress(1);
        return resolve({ job: body.jobs[0] });
      }
      if (xhr.status === 202 && body?.refused?.[0]) return resolve({ refused: body.refused[0] });
      const code = body?.error?.code ?? `Http${xhr.status}`;
      const message = body?.error?.message ?? `the upload failed (${xhr.status})`;
      if (FILE_REFUSALS.has(code)) return resolve({ refused: { filename: file.name, code: code as UploadRefusal['code'], message } });
      if (xhr.status === 401) {
        void request('GET', '/me').catch(() => {});
      }
      reject(new ApiError(xhr.status, code, message));
    };
    const form = new FormData();
    form.append('files', file, file.name);
    if (opts.password) form.append('password', opts.password);
    xhr.send(form);
  });
}

export async function getJobStatus(id: string): Promise<FollowedJob> {
  const res = await request('GET', `/status/${encodeURIComponent(id)}`);
  return (await res.json()) as FollowedJob;
}
