/**
 * `POST /jobs/:id/password`: the password of a job's PDF, given after the job failed PasswordRequired
 * or PasswordIncorrect; the job restarts with it (services/pipeline-client.ts restartJobWithPassword).
 * The same visibility as every job route (another user's job is the same 404 as none). The password is
 * sealed until the job ends (stores/job-secrets.ts) and reaches no log line, audit row or workflow: the
 * access log has no bodies, the audit row names only the job and the failure it had, and errors of this
 * route never quote the body.
 */
import { ServiceError, isGrpcServiceError } from '@temporalio/client';
import { PASSWORD_FAILURES as RESTARTABLE_FAILURES } from '../../stores/job-secrets.js';
import { EarlierRunStillOpen, failedForPassword, restartJobWithPassword } from '../../services/pipeline-client.js';
import { audit } from '../audit.js';
import { JobPasswordRequestSchema, PASSWORD_FAILURES } from '../contract/job-password.js';
import { JobIdParams, JobViewSchema } from '../contract/jobs.js';
import { ApiError } from '../errors.js';
import { RouteGroup } from '../route.js';
import { jobView, visibleJob } from './jobs.js';
import type { JobRow } from '../../stores/jobs.js';

// The contract publishes the failures the store restarts: the two lists are one.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const oneList: Same<(typeof PASSWORD_FAILURES)[number], (typeof RESTARTABLE_FAILURES)[number]> = true;
void oneList;

export const jobPasswordRoutes = new RouteGroup('signed-in');

jobPasswordRoutes.route(
  {
    method: 'post',
    path: '/jobs/:id/password',
    tag: 'jobs',
    operationId: 'submitJobPassword',
    summary: "Give the password of a job's PDF and restart the job",
    description:
      `Only for a job that failed ${PASSWORD_FAILURES.join(' or ')}. The job is queued again as new (the pages of the earlier attempt ` +
      'are discarded) and processed with the password, which is kept encrypted only until the job ends and is never logged. ' +
      'A wrong password ends the job `PasswordIncorrect` again; then send the right one. The same file uploaded again with its ' +
      'password (multipart field `password`) restarts the job the same way.',
    params: JobIdParams,
    body: JobPasswordRequestSchema,
    answers: { 202: { description: 'the job, queued again', json: JobViewSchema } },
    errors: {
      404: 'no such job, or not yours',
      409: `the job is not one that failed ${PASSWORD_FAILURES.join(' or ')}: it is running, completed, cancelled or failed for another reason (codes NotReady, AlreadyFinished)`,
      503: 'the processing service is unreachable, or the earlier run is still closing (code Unavailable); the job keeps its failure: send the password again in a moment',
    },
  },
  async (ctx, { params, body }) => {
    const job = await visibleJob(ctx, params.id);
    if (!failedForPassword(job)) throw notWaitingForPassword(job);
    const restarted = await restartJobWithPassword(ctx.deps.temporal, ctx.deps.cfg, job.id, body.password).catch(unavailable);
    if (!restarted) {
      // Another request restarted (or deleted) it between the check and the restart.
      throw notWaitingForPassword(await visibleJob(ctx, job.id));
    }
    // Its own action (not `upload`): who restarted which job and after which failure. Never the password.
    await audit(ctx, { action: 'job.password_restart', targetType: 'job', targetId: job.id, detail: { previousError: job.error_code } });
    ctx.status = 202;
    ctx.body = jobView(restarted);
  },
);

function notWaitingForPassword(job: JobRow): ApiError {
  const only = `a password can be given only to a job that failed ${PASSWORD_FAILURES.join(' or ')}`;
  switch (job.status) {
    case 'queued':
    case 'processing':
      return new ApiError(409, 'NotReady', `the job is ${job.status}; ${only}`);
    case 'completed':
      return new ApiError(409, 'AlreadyFinished', `the job has completed, so its PDF needs no password`);
    case 'cancelled':
      return new ApiError(409, 'AlreadyFinished', `the job was cancelled; upload the file again with its password instead`);
    default:
      return new ApiError(409, 'AlreadyFinished', `the job failed with ${job.error_code ?? 'an error'}, which a password cannot cure; ${only}`);
  }
}

/** Temporal unreachable, or the earlier run not closed yet: the job is back to its failure, so this can simply be tried again. */
function unavailable(err: unknown): never {
  if (err instanceof EarlierRunStillOpen) {
    throw new ApiError(503, 'Unavailable', 'the job’s earlier run is still closing; send the password again in a moment');
  }
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  // gRPC status codes, as numbers (the status enum is grpc-js's, not a dependency of ours).
  const code: number | undefined = grpc?.code;
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) {
    throw new ApiError(503, 'Unavailable', 'the processing service is not reachable right now; send the password again in a moment');
  }
  throw err;
}
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
