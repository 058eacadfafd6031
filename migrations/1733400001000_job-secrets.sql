-- Up Migration
-- Secrets a job needs while it runs (today: the PDF's password), sealed in the application with
-- AES-256-GCM under DOCUMENT_KEYS (stores/document-cipher.ts; the additional authenticated data binds the
-- job id and the purpose, so a sealed value moved to another row does not open). key_id names the key.
-- A secret lives only while its job may still need it: the database itself removes it the moment the job
-- ends (completed, failed or cancelled) and with the job, so no code path can forget to.
CREATE TABLE job_secrets (
  job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('document_password')),
  sealed      bytea NOT NULL,
  key_id      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, purpose)
);

CREATE FUNCTION job_secrets_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM job_secrets WHERE job_id = NEW.id;
  RETURN NULL;
END
$$;

-- Also on INSERT: a job stored finished from the start keeps nothing either.
CREATE TRIGGER job_secrets_forget_when_finished
  AFTER INSERT OR UPDATE OF status ON jobs
  FOR EACH ROW WHEN (NEW.status IN ('completed', 'failed', 'cancelled'))
  EXECUTE FUNCTION job_secrets_forget();

-- A secret given for a job that has already ended is not kept (it would never be deleted). FOR SHARE
-- waits for a concurrent status change of the job to commit (and makes one wait for this insert), so a
-- job ending at that moment never leaves its secret behind.
CREATE FUNCTION job_secrets_refuse_finished() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  job_status text;
BEGIN
  SELECT status INTO job_status FROM jobs WHERE id = NEW.job_id FOR SHARE;
  IF job_status IN ('completed', 'failed', 'cancelled') THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER job_secrets_only_live_jobs
  BEFORE INSERT OR UPDATE ON job_secrets
  FOR EACH ROW EXECUTE FUNCTION job_secrets_refuse_finished();

-- Ciphertext does not compress.
ALTER TABLE job_secrets ALTER COLUMN sealed SET STORAGE EXTERNAL;

-- Down Migration
DROP TRIGGER job_secrets_only_live_jobs ON job_secrets;
DROP FUNCTION job_secrets_refuse_finished();
DROP TRIGGER job_secrets_forget_when_finished ON jobs;
DROP FUNCTION job_secrets_forget();
DROP TABLE job_secrets;
