-- Up Migration
-- What a reviewer should know about a completed job (issue 13): its warnings in plain words
-- ([{code, message, page?}], never document text) and whether it needs a person's look (any warning or
-- any flagged value). Jobs that finished before this have no warnings; those with flagged values were
-- worth a look then too.

ALTER TABLE jobs
  ADD COLUMN warnings jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(warnings) = 'array'),
  ADD COLUMN needs_review boolean NOT NULL DEFAULT false;

UPDATE jobs j SET needs_review = true FROM extractions e WHERE e.job_id = j.id AND e.flagged_count > 0;

-- The jobs list filtered to those needing review, newest first (per owner, and for an admin's all).
CREATE INDEX jobs_needs_review_owner_created ON jobs (owner, created_at DESC, id DESC) WHERE needs_review AND status = 'completed';
CREATE INDEX jobs_needs_review_created ON jobs (created_at DESC, id DESC) WHERE needs_review AND status = 'completed';

-- Down Migration
DROP INDEX jobs_needs_review_created;
DROP INDEX jobs_needs_review_owner_created;
ALTER TABLE jobs DROP COLUMN needs_review, DROP COLUMN warnings;
