-- Up Migration
-- De-identification before the LLM (issue 17). A document's vault (library/deid/vault.ts: every identifier
-- found in its text, the stand-in of each, the hidden date offset) is sealed in the application like the
-- documents (AES-256-GCM under DOCUMENT_KEYS, the job id as additional authenticated data) and goes with
-- the job. jobs.deid records that the text was sent de-identified and how many identifiers of each
-- category were replaced (counts only, never a value); NULL when the text went as it is or to no LLM.
CREATE TABLE deid_vaults (
  job_id      uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  sealed      bytea NOT NULL,
  key_id      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE jobs ADD COLUMN deid jsonb;

-- Down Migration
ALTER TABLE jobs DROP COLUMN deid;
DROP TABLE deid_vaults;
