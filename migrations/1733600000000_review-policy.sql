-- Up Migration
-- REVIEW_POLICY (issue 15): whether a job must be approved by a person before its final export is decided
-- by its workflow when the first workbook is exported, and kept here so the work queue ("Review next")
-- and /metrics see who waits on people without asking Temporal. A job waits while it is required and not
-- approved; its wait started when it completed (finished_at).
ALTER TABLE jobs ADD COLUMN review_required boolean NOT NULL DEFAULT false;
CREATE INDEX jobs_awaiting_review ON jobs (finished_at, id) WHERE review_required AND review_state <> 'approved';
-- The stored workbook says which version and review state it was built of: the workflow's first export is
-- version 0 unreviewed, its final export the approved version (and when it was approved: a result reopened
-- and approved again names its new approver); a download serves it while it still is the current one.
ALTER TABLE workbooks
  ADD COLUMN result_version integer NOT NULL DEFAULT 0,
  ADD COLUMN review_state text NOT NULL DEFAULT 'unreviewed' CHECK (review_state IN ('unreviewed', 'in_review', 'approved')),
  ADD COLUMN approved_at timestamptz;

-- Down Migration
ALTER TABLE workbooks DROP COLUMN approved_at, DROP COLUMN review_state, DROP COLUMN result_version;
DROP INDEX jobs_awaiting_review;
ALTER TABLE jobs DROP COLUMN review_required;
