-- Up Migration
-- Review and correction (issue 15). The machine's extraction stays as stored (version 0); each
-- correction is an append-only event holding the patch as sent and its effect (a plain JSON Patch from
-- the version before), so any version is rebuilt by replaying the effects. Review-state changes
-- (approve, reopen) are events too. The job row carries the current version and review state, so a
-- correction against a stale version or an approved result is refused under the row's lock.

CREATE TABLE result_events (
  job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq           integer NOT NULL CHECK (seq >= 1),
  kind          text NOT NULL CHECK (kind IN ('correction', 'review')),
  version       integer NOT NULL CHECK (version >= 0),
  actor_id      text NOT NULL,
  actor_name    text NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  reason        text CHECK (reason IS NULL OR length(reason) <= 500),
  patch         jsonb CHECK (patch IS NULL OR jsonb_typeof(patch) = 'array'),
  effect        jsonb CHECK (effect IS NULL OR jsonb_typeof(effect) = 'array'),
  changes       jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(changes) = 'array'),
  review_state  text CHECK (review_state IN ('unreviewed', 'in_review', 'approved')),
  PRIMARY KEY (job_id, seq),
  CHECK ((kind = 'correction') = (patch IS NOT NULL AND effect IS NOT NULL)),
  CHECK ((kind = 'review') = (review_state IS NOT NULL))
);
CREATE UNIQUE INDEX result_events_one_correction_per_version ON result_events (job_id, version) WHERE kind = 'correction';

ALTER TABLE jobs
  ADD COLUMN result_version integer NOT NULL DEFAULT 0 CHECK (result_version >= 0),
  ADD COLUMN review_state text NOT NULL DEFAULT 'unreviewed' CHECK (review_state IN ('unreviewed', 'in_review', 'approved')),
  ADD COLUMN approved_by text,
  ADD COLUMN approved_at timestamptz;

-- A reviewer sees and reviews every user's jobs and administers nothing.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'user', 'reviewer'));

-- Down Migration
ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'user' WHERE role = 'reviewer';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'user'));
ALTER TABLE jobs DROP COLUMN approved_at, DROP COLUMN approved_by, DROP COLUMN review_state, DROP COLUMN result_version;
DROP TABLE result_events;
