/**
 * Upload (`POST /upload`): the files are received and checked by api/upload.ts, each on its own; every
 * accepted file becomes a job, every refused one is named in the same answer with its reason. All of
 * them are received before the first job is created, so nothing of a request refused as a whole is kept.
 *  - the same bytes uploaded again by the same owner return the existing job (`duplicate: true`) instead
 *    of a new one, unless that job was deleted or cancelled.
 *  - a file of an accepted kind that is broken inside is accepted: its job fails with a typed error
 *    (InvalidPdf, InvalidImage, PasswordRequired, ...), readable through `GET /status/:id`.
 */
import fsp from 'node:fs/promises';
import { ServiceError, isGrpcServiceError } from '@temporalio/client';
import { z } from 'zod';
import type { JobRow } from '../../stores/jobs.js';
import { submitDocumentOnce } from '../../services/pipeline-client.js';
import { logger } from '../../core/logger.js';
import { ACCEPTED_FORMATS } from '../../library/document/kind.js';
import { audit } from '../audit.js';
import { currentUser, type AppContext, type AuthUser } from '../context.js';
import { UploadResultSchema, type UploadRefusal, type UploadedJob } from '../contract/upload.js';
import { ApiError } from '../errors.js';
import { RouteGroup } from '../route.js';
import { MAX_PASSWORD_LENGTH, receiveUpload, type ReceivedFile, type RefusedFile } from '../upload.js';

export const MAX_FILES_PER_UPLOAD = 50;
/** One request may carry several files: up to this many times the per-file cap in total. */
export const MAX_REQUEST_FACTOR = 4;

/** The media types of the accepted kinds (recognised by their bytes; the part's declared type is not read). */
export const ACCEPTED_MEDIA_TYPES = ['application/pdf', 'image/tiff', 'image/png', 'image/jpeg', 'image/webp'] as const;

export const uploadRoutes = new RouteGroup('signed-in');

uploadRoutes.route(
  {
    method: 'post',
    path: '/upload',
    tag: 'jobs',
    operationId: 'upload',
    summary: 'Upload one or more documents (PDF, TIFF, PNG, JPEG, WebP)',
    description:
      `Multipart form with the documents in the field \`files\` (at most ${MAX_FILES_PER_UPLOAD} per request) and, optionally, ` +
      "a text field `password`: the PDFs' password, kept sealed only while their jobs need it (never logged). " +
      `Accepted: ${ACCEPTED_FORMATS} (${ACCEPTED_MEDIA_TYPES.join(', ')}), recognised by their first bytes, not their names ` +
      'or declared types. Each file may be up to MAX_UPLOAD_MB (default 50 MB), a request up to ' +
      `${MAX_REQUEST_FACTOR} × MAX_UPLOAD_MB; limits are enforced while the body streams in.\n\n` +
      'Each file is judged on its own: an accepted one becomes a job (one workflow); one of another kind (GIF, HEIC, BMP, SVG, ...) ' +
      'or over the per-file cap is refused for itself and listed in `refused` with its code (UnsupportedFormat, TooLarge) ' +
      'and message; nothing of it is stored. The answer is 202 when any file was accepted; when every file was refused it is the ' +
      "refusal's status (415 UnsupportedFormat, or 413 TooLarge) with a message naming each file. Too many files, a request over " +
      'its cap or a body that cannot be read refuse the whole request, and nothing of it is stored.\n\n' +
      'The same file uploaded again by the same owner returns the existing job with `duplicate: true`, unless that job was ' +
      'deleted or cancelled. A file of an accepted kind that cannot be read is accepted; its job ends `failed` with a typed ' +
      'error (InvalidPdf, InvalidImage, PasswordRequired, PasswordIncorrect, EmptyPdf, TooManyPages, ImageTooLarge, ...).',
    streamedBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({
            files: z
              .array(z.string().meta({ contentMediaType: 'application/octet-stream', description: `a document: ${ACCEPTED_FORMATS}` }))
              .min(1)
              .max(MAX_FILES_PER_UPLOAD),
            password: z
              .string()
              .max(MAX_PASSWORD_LENGTH)
              .optional()
              .meta({ format: 'password', writeOnly: true, description: 'the password of the PDFs of this upload, when they are protected' }),
          }),
          encoding: { files: { contentType: ACCEPTED_MEDIA_TYPES.join(', ') } },
        },
      },
    },
    answers: {
      202: { description: 'one job per accepted file, queued (or the existing job for a duplicate), and the refused files', json: UploadResultSchema },
    },
    errors: {
      400: 'no file, or a body that cannot be read (codes NoFiles, InvalidRequest)',
      413: 'every file is over the per-file cap, the request is over its cap, or too many files (codes TooLarge, TooManyFiles); nothing was stored',
      415: 'not multipart/form-data, or every file is of a kind that is not read (codes UnsupportedMediaType, UnsupportedFormat); nothing was stored',
      503: 'the processing service is unreachable (code Unavailable); upload again in a moment',
    },
  },
  async (ctx) => {
    const user = currentUser(ctx);
    const upload = await receiveUpload(ctx, { maxFileBytes: ctx.deps.cfg.maxUploadBytes, maxFiles: MAX_FILES_PER_UPLOAD, requestFactor: MAX_REQUEST_FACTOR });
    const jobs: UploadedJob[] = [];
    try {
      for (const r of upload.refused) logger.info({ requestId: ctx.state.requestId, code: r.error.code }, 'upload: a file was refused');
      if (upload.files.length === 0) throw everyFileRefused(upload.refused);
      // One at a time: each file is read into memory only while it is being stored.
      for (const f of upload.files) {
        // Only a PDF can use a password; an image job is given none to keep.
        const { job, duplicate } = await storeUpload(ctx, user, f, f.kind === 'pdf' ? upload.password : undefined);
        jobs.push({ id: job.id, filename: job.filename, status: job.status, duplicate });
        await audit(ctx, { action: 'upload', targetType: 'job', targetId: job.id, detail: { size: f.size, pages: null, duplicate } });
      }
    } finally {
      await fsp.rm(upload.dir, { recursive: true, force: true });
    }
    const refused: UploadRefusal[] = upload.refused.map(refusalView);
    ctx.status = 202;
    ctx.body = { jobs, refused };
  },
);

function refusalView(r: RefusedFile): UploadRefusal {
  const code = r.error.code === 'TooLarge' ? 'TooLarge' : 'UnsupportedFormat';
  return { filename: r.filename, code, message: r.error.message };
}

/** Every file refused: the first refusal's status and code, and a message naming each file. */
function everyFileRefused(refused: readonly RefusedFile[]): ApiError {
  const first = refused[0]!.error;
  return new ApiError(first.status, first.code, refused.map((r) => r.error.message).join('; '));
}

// ---------------------------------------------------------------------------------------------------
// Storing an upload

/** Stores one received file as a job, or returns the owner's live job for the same bytes (on any replica). */
async function storeUpload(ctx: AppContext, user: AuthUser, f: ReceivedFile, password: string | undefined): Promise<{ job: JobRow; duplicate: boolean }> {
  const content = new Uint8Array(await fsp.readFile(f.tmpPath));
  const { job, duplicate } = await submitDocumentOnce(ctx.deps.temporal, ctx.deps.cfg, {
    owner: user.id,
    filename: f.filename,
    content,
    ...(password === undefined ? {} : { password }),
  }).catch(unavailable);
  if (!duplicate) logger.info({ requestId: ctx.state.requestId, jobId: job.id, bytes: f.size, kind: f.kind }, 'upload stored, workflow started');
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
