/**
 * De-identification vaults (library/deid/vault.ts; here an opaque JSON value), one per job, sealed like the documents
 * (stores/document-cipher.ts: AES-256-GCM under DOCUMENT_KEYS, the job id as additional authenticated data)
 * and deleted with the job; and the job's record that its text was sent de-identified (counts only).
 * The vault is opened only inside the LLM activity; nothing here logs or returns it anywhere else.
 */
import type { DeidSummary } from '../core/contract/deid.js';
import { PipelineError } from '../core/errors.js';
import { open, seal } from './document-cipher.js';
import { db } from './pool.js';

export const vaultAad = (jobId: string): string => `deid_vaults:${jobId}`;

function openVault(jobId: string, row: { sealed: Buffer; key_id: string }): unknown {
  const plain = open(row.key_id, row.sealed, vaultAad(jobId), `the de-identification vault of job ${jobId}`);
  try {
    return JSON.parse(plain.toString('utf8')) as unknown;
  } finally {
    plain.fill(0);
  }
}

/** The job's vault as it was kept (undefined: none was). */
export async function loadVault(jobId: string): Promise<unknown> {
  const r = await db().query<{ sealed: Buffer; key_id: string }>('SELECT sealed, key_id FROM deid_vaults WHERE job_id = $1', [jobId]);
  return r.rows[0] ? openVault(jobId, r.rows[0]) : undefined;
}

/**
 * Keeps the job's vault unless one is kept already, and answers the one kept (`first`: this call stored it):
 * of two parts of a document building its vault at once, both use the first one stored (one date offset,
 * one numbering of stand-ins).
 */
export async function keepVault(jobId: string, vault: unknown): Promise<{ vault: unknown; first: boolean }> {
  const plain = Buffer.from(JSON.stringify(vault), 'utf8');
  const { keyId, sealed } = seal(plain, vaultAad(jobId));
  plain.fill(0);
  const r = await db().query('INSERT INTO deid_vaults (job_id, sealed, key_id) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO NOTHING', [jobId, sealed, keyId]);
  const kept = await loadVault(jobId);
  if (!kept) throw new PipelineError('NotFound', 'the job no longer exists');
  return { vault: kept, first: (r.rowCount ?? 0) > 0 };
}

/** Records on the job that its text went to the LLM de-identified, and what was replaced (counts per category). */
export async function recordDeidentified(jobId: string, summary: DeidSummary): Promise<void> {
  await db().query('UPDATE jobs SET deid = $2::jsonb WHERE id = $1', [jobId, JSON.stringify(summary)]);
}

/** Re-seals every vault not under `keyId` (for `medextract keys rotate`); answers how many it re-sealed. */
export async function rotateVaults(keyId: string, batchSize: number): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let done = 0;
  for (;;) {
    const r = await db().query<{ job_id: string; key_id: string; sealed: Buffer }>(
      'SELECT job_id, key_id, sealed FROM deid_vaults WHERE job_id > $1 AND key_id <> $2 ORDER BY job_id LIMIT $3',
      [after, keyId, batchSize],
    );
    for (const row of r.rows) {
      const aad = vaultAad(row.job_id);
      const plain = open(row.key_id, row.sealed, aad, `the de-identification vault of job ${row.job_id}`);
      const next = seal(plain, aad);
      plain.fill(0);
      const u = await db().query('UPDATE deid_vaults SET sealed = $2, key_id = $3 WHERE job_id = $1 AND key_id = $4 AND sealed = $5', [
        row.job_id,
        next.sealed,
        next.keyId,
        row.key_id,
        row.sealed,
      ]);
      done += u.rowCount ?? 0;
    }
    if (r.rows.length < batchSize) return done;
    after = r.rows.at(-1)!.job_id;
  }
}
