/** Turns our typed errors into Temporal failures: non-retryable ones end the job, others are retried. */
import { ApplicationFailure } from '@temporalio/activity';
import { PipelineError } from '../core/errors.js';

export function toFailure(err: unknown): unknown {
  if (!(err instanceof PipelineError)) return err;
  return ApplicationFailure.create({
    type: err.type,
    message: err.message,
    nonRetryable: !err.retryable,
    // A 429's Retry-After decides when the next attempt may run (instead of the backoff schedule).
    nextRetryDelay: err.retryAfterSeconds !== undefined ? `${Math.max(1, Math.ceil(err.retryAfterSeconds))}s` : undefined,
    cause: err,
  });
}

/** Runs an activity body, converting typed errors on the way out. */
export async function typed<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err);
  }
}
