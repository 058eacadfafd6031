/**
 * Upload (`POST /upload`): the files are received and checked by api/upload.ts; all of them are
 * checked before the first job is created, so nothing of a refused request is kept.
 *  - the same bytes uploaded again by the same owner return the existing job (`duplicate: true`) instead
 *    of a new one, unless that job was deleted or cancelled.
 *  - a file that starts like a PDF but is broken inside is accepted: its job fails with a typed error
 *    (InvalidPdf, PasswordRequired, ...), readable through `GET /status/:id`.
 */
import fsp from 'node:fs/promises';
import { ServiceError, isGrpcServiceError } from '@temporalio/client';
import { z } from 'zod';
import type { JobRow } from '../../stores/jobs.js';
import { submitDocumentOnce } from '../../services/pipeline-client.js';
import { logger } from '../../core/logger.js';
import { audit } from '../audit.js';
import { currentUser, type AppContext, type AuthUser } from '../context.js';
import { UploadResultSchema, type UploadedJob } from '../contract/upload.js';
import { ApiError } from '../errors.js';
import { RouteGroup } from '../route.js';
import { receivePdfs, type ReceivedFile } from '../upload.js';

export const MAX_FILES_PER_UPLOAD = 50;
/** One request may carry several files: up to this many times the per-file cap in total. */
export const MAX_REQUEST_FACTOR = 4;

export const uploadRoutes = new RouteGroup('signed-in');

uploadRoutes.route(
  {
    method: 'post',
    path: '/upload',
    tag: 'jobs',
    operationId: 'upload',
    summary: 'Upload one or more PDFs',
    description:
      `Multipart form with the PDFs in the field \`files\` (at most ${MAX_FILES_PER_UPLOAD} per request). Each file may be up to MAX_UPLOAD_MB ` +
      `(default 50 MB), a request up to ${MAX_REQUEST_FACTOR} × MAX_UPLOAD_MB; limits are enforced while the body streams in. ` +
      'Every file must start with the `%PDF-` signature. If any file breaks a rule, nothing of the request is stored. ' +
      'Each PDF becomes a job (one workflow). The same file uploaded again by the same owner returns the existing job with ' +
      '`duplicate: true`, unless that job was deleted or cancelled. A file that looks like a PDF but cannot be read is accepted; ' +
      'its job ends `failed` with a typed error (InvalidPdf, PasswordRequired, EmptyPdf, TooManyPages, ImageTooLarge, ...).',
    streamedBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({
            files: z
              .array(z.string().meta({ contentMediaType: 'application/pdf', description: 'a PDF file part' }))
              .min(1)
              .max(MAX_FILES_PER_UPLOAD),
          }),
          encoding: { files: { contentType: 'application/pdf' } },
        },
      },
    },
    answers: { 202: { description: 'one job per file, queued (or the existing job for a duplicate)', json: UploadResultSchema } },
    errors: {
      400: 'no file, or a body that cannot be read (codes NoFiles, InvalidRequest)',
      413: 'a file or the request is over the size limit, or too many files (codes TooLarge, TooManyFiles); nothing was stored',
      415: 'not multipart/form-data, or a file is not a PDF (codes UnsupportedMediaType, NotAPdf); nothing was stored',
      503: 'the processing service is unreachable (code Unavailable); upload again in a moment',
    },
  },
  async (ctx) => {
    const user = currentUser(ctx);
    const files = await receivePdfs(ctx, { maxFileBytes: ctx.deps.cfg.maxUploadBytes, maxFiles: MAX_FILES_PER_UPLOAD, requestFactor: MAX_REQUEST_FACTOR });
    const out: UploadedJob[] = [];
    try {
      // One at a time: each file is read into memory only while it is being stored.
      for (const f of files) {
        const { job, duplicate } = await storeUpload(ctx, user, f);
        out.push({ id: job.id, filename: job.filename, status: job.status, duplicate });
        await audit(ctx, { action: 'upload', targetType: 'job', targetId: job.id, detail: { size: f.size, pages: null, duplicate } });
      }
    } finally {
      await fsp.rm(files.dir, { recursive: true, force: true });
    }
    ctx.status = 202;
    ctx.body = { jobs: out };
  },
);

// ---------------------------------------------------------------------------------------------------
// Storing an upload

/** Stores one received file as a job, or returns the owner's live job for the same bytes (on any replica). */
async function storeUpload(ctx: AppContext, user: AuthUser, f: ReceivedFile): Promise<{ job: JobRow; duplicate: boolean }> {
  const content = new Uint8Array(await fsp.readFile(f.tmpPath));
  const { job, duplicate } = await submitDocumentOnce(ctx.deps.temporal, ctx.deps.cfg, { owner: user.id, filename: f.filename, content }).catch(unavailable);
  if (!duplicate) logger.info({ requestId: ctx.state.requestId, jobId: job.id, bytes: f.size }, 'upload stored, workflow started');
  return { job, duplicate };
}

/** Temporal unreachable while starting a workflow: the job is stored, and uploading again starts it. */
function unavailable(err: unknown): never {
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  // gRPC status codes, as numbers (the status enum is grpc-js's, not a dependency of ours).
  const code: number | undefined = grpc?.code;
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) {
    logger.warn({ code }, 'could not start a workflow: Temporal unreachable');
    throw new ApiError(503, 'Unavailable', 'the processing service is not reachable right now; upload the file again in a moment to start it');
  }
  throw err;
}
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
