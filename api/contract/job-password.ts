/** A PDF's password given after its job failed for the lack of it: `POST /jobs/:id/password`. */
import { z } from 'zod';

/** The failures a password can cure: a job that ended with one of them may be restarted with a password. */
export const PASSWORD_FAILURES = ['PasswordRequired', 'PasswordIncorrect'] as const;
export type PasswordFailure = (typeof PASSWORD_FAILURES)[number];

/** Longer than any password a person types, short enough that no body is a burden. */
export const MAX_DOCUMENT_PASSWORD_CHARS = 1024;

export const JobPasswordRequestSchema = z
  .object({
    password: z
      .string()
      .min(1, 'the password must not be empty')
      .max(MAX_DOCUMENT_PASSWORD_CHARS, `the password is longer than ${MAX_DOCUMENT_PASSWORD_CHARS} characters`)
      .meta({ format: 'password', writeOnly: true, description: 'the password that opens the PDF (kept sealed only until the job ends; never logged)' }),
  })
  .meta({ id: 'JobPassword' });
export type JobPasswordRequest = z.infer<typeof JobPasswordRequestSchema>;
