/**
 * Secrets a job needs while it runs — today the PDF's password — and restarting a job with a new one.
 *
 * A secret is sealed like the documents (stores/document-cipher.ts: AES-256-GCM under DOCUMENT_KEYS),
 * with the job id and the purpose as additional authenticated data, and kept in job_secrets only while
 * the job is queued or processing: the database deletes the row the moment the job's status becomes
 * completed, failed or cancelled, and with the job (migrations/1733400001000_job-secrets.sql), and
 * refuses to keep one for a job that has already ended. Nothing here logs a secret or returns it
 * anywhere but to the activity that opens the PDF.
 */
import type pg from 'pg';
import type { FailureType } from '../core/errors.js';
import { open, seal } from './document-cipher.js';
import { db, inTransaction } from './pool.js';

const DOCUMENT_PASSWORD = 'document_password';

/** The failures a new password can cure: only a job that ended with one of them is restarted. */
export const PASSWORD_FAILURES = ['PasswordRequired', 'PasswordIncorrect'] as const satisfies readonly FailureType[];

/** The additional authenticated data of a job's secret: table, job and what the secret is for. */
export const jobSecretAad = (jobId: string, purpose: string): string => `job_secrets:${jobId}:${purpose}`;

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Keeps (or replaces) the job's PDF password, sealed. False when the job has already ended: a finished
 * job keeps no secret.
 */
export async function keepDocumentPassword(jobId: string, password: string, q: Queryable = db()): Promise<boolean> {
  const { keyId, sealed } = seal(Buffer.from(password, 'utf8'), jobSecretAad(jobId, DOCUMENT_PASSWORD));
  const r = await q.query(
    `INSERT INTO job_secrets (job_id, purpose, sealed, key_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id, purpose) DO UPDATE SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, created_at = now()`,
    [jobId, DOCUMENT_PASSWORD, sealed, keyId],
  );
  return (r.rowCount ?? 0) > 0;
}

/** A job's PDF password while the job needs it; undefined when none was given (or the job has ended). */
export async function documentPassword(jobId: string): Promise<string | undefined> {
  const r = await db().query<{ sealed: Buffer; key_id: string }>('SELECT sealed, key_id FROM job_secrets WHERE job_id = $1 AND purpose = $2', [
    jobId,
    DOCUMENT_PASSWORD,
  ]);
  const row = r.rows[0];
  if (!row) return undefined;
  return open(row.key_id, row.sealed, jobSecretAad(jobId, DOCUMENT_PASSWORD), `the document password of job ${jobId}`).toString('utf8');
}

/** Is there a secret stored for the job (without opening it)? For tests and operators. */
export async function hasJobSecret(jobId: string): Promise<boolean> {
  const r = await db().query('SELECT 1 FROM job_secrets WHERE job_id = $1', [jobId]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Puts a job that failed for its password (PasswordRequired or PasswordIncorrect) back in the queue
 * with a new password, in one transaction: the job becomes queued as if new (no stage, error, progress,
 * tokens, timings or start and finish times; it never reached the extraction, so it has no warnings),
 * the pages and extraction of the earlier attempt go, and the sealed password is kept. Answers the failure it had (to put back if no new run can be
 * started), or undefined, with nothing changed, when the job is not such a failed job (any more): of two
 * restarts at once, one restarts it.
 */
export async function requeueWithPassword(jobId: string, password: string): Promise<{ code: string; message: string } | undefined> {
  return inTransaction(async (client) => {
    const before = await client.query<{ error_code: string; error_message: string | null }>(
      `SELECT error_code, error_message FROM jobs WHERE id = $1 AND status = 'failed' AND error_code = ANY($2::text[]) FOR UPDATE`,
      [jobId, [...PASSWORD_FAILURES]],
    );
    const failed = before.rows[0];
    if (!failed) return undefined;
    await client.query(
      `UPDATE jobs SET status = 'queued', stage = NULL, pages_total = NULL, pages_done = 0, error_code = NULL, error_message = NULL,
              tokens_in = 0, tokens_out = 0, stage_ms = '{}'::jsonb, deid = NULL,
              started_at = NULL, finished_at = NULL, updated_at = now()
        WHERE id = $1`,
      [jobId],
    );
    for (const table of ['pages', 'extraction_parts', 'extractions', 'workbooks', 'deid_vaults'] as const) {
      await client.query(`DELETE FROM ${table} WHERE job_id = $1`, [jobId]);
    }
    await keepDocumentPassword(jobId, password, client);
    return { code: failed.error_code, message: failed.error_message ?? failed.error_code };
  });
}

/**
 * Re-seals every secret not under `keyId` (the current first key of DOCUMENT_KEYS), for `medextract keys
 * rotate`: walks the table once by primary key in batches of `batchSize`, opening each secret with the key
 * it names and sealing it again under the current key with the same additional data. A row is replaced only
 * if it still holds what was read (a password given again meanwhile, or a concurrent rotation, wins), and a
 * row whose job ended meanwhile is already gone; so it is safe beside a live installation and to rerun. The
 * opened secret stays in this function. A row under a key that is not configured stops it with
 * DocumentKeyMissing. Answers how many rows it re-sealed.
 */
export async function rotateJobSecrets(keyId: string, batchSize: number): Promise<number> {
  let after = { jobId: '00000000-0000-0000-0000-000000000000', purpose: '' };
  let done = 0;
  for (;;) {
    const r = await db().query<{ job_id: string; purpose: string; key_id: string; sealed: Buffer }>(
      `SELECT job_id, purpose, key_id, sealed FROM job_secrets
        WHERE (job_id, purpose) > ($1::uuid, $2::text) AND key_id <> $3 ORDER BY job_id, purpose LIMIT $4`,
      [after.jobId, after.purpose, keyId, batchSize],
    );
    for (const row of r.rows) {
      const aad = jobSecretAad(row.job_id, row.purpose);
      const plain = open(row.key_id, row.sealed, aad, `the ${row.purpose.replace('_', ' ')} of job ${row.job_id}`);
      const next = seal(plain, aad);
      plain.fill(0);
      const u = await db().query('UPDATE job_secrets SET sealed = $3, key_id = $4 WHERE job_id = $1 AND purpose = $2 AND key_id = $5 AND sealed = $6', [
        row.job_id,
        row.purpose,
        next.sealed,
        next.keyId,
        row.key_id,
        row.sealed,
      ]);
      done += u.rowCount ?? 0;
    }
    if (r.rows.length < batchSize) return done;
    const last = r.rows.at(-1)!;
    after = { jobId: last.job_id, purpose: last.purpose };
  }
}
