-- Up Migration
-- The pipeline's data. Document bytes live in Postgres so every worker on every host can read them.

CREATE TABLE documents (
  id          uuid PRIMARY KEY,
  owner       text NOT NULL,
  filename    text NOT NULL,
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes  integer NOT NULL CHECK (size_bytes >= 0),
  content     bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_owner_sha256 ON documents (owner, sha256);

CREATE TABLE jobs (
  id             uuid PRIMARY KEY,
  document_id    uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  owner          text NOT NULL,
  workflow_id    text NOT NULL UNIQUE,
  status         text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
  stage          text CHECK (stage IN ('prepare', 'ocr', 'extract', 'export')),
  pages_total    integer,
  pages_done     integer NOT NULL DEFAULT 0,
  error_code     text,
  error_message  text,
  provider       text NOT NULL,
  model          text,
  tokens_in      integer NOT NULL DEFAULT 0,
  tokens_out     integer NOT NULL DEFAULT 0,
  -- milliseconds spent per stage, e.g. {"prepare": 41, "ocr": 8123}
  stage_ms       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_owner_created ON jobs (owner, created_at DESC);
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE pages (
  job_id          uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  page_no         integer NOT NULL CHECK (page_no >= 1),
  source          text NOT NULL CHECK (source IN ('text_layer', 'ocr')),
  text            text NOT NULL,
  ocr_confidence  real,
  -- OCR word boxes: [{text, confidence, bbox: {x0, y0, x1, y1}}] in pixels of the rendered page
  words           jsonb,
  width           real,
  height          real,
  duration_ms     integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, page_no)
);

-- One row per extraction chunk (one LLM request each); merged into `extractions`.
CREATE TABLE extraction_parts (
  job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  part_no     integer NOT NULL CHECK (part_no >= 0),
  pages       integer[] NOT NULL,
  result      jsonb NOT NULL,
  tokens_in   integer NOT NULL DEFAULT 0,
  tokens_out  integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, part_no)
);

CREATE TABLE extractions (
  job_id          uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  schema_version  text NOT NULL,
  data            jsonb NOT NULL,
  flagged_count   integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workbooks (
  job_id      uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  content     bytea NOT NULL,
  size_bytes  integer NOT NULL,
  sha256      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE workbooks;
DROP TABLE extractions;
DROP TABLE extraction_parts;
DROP TABLE pages;
DROP TABLE jobs;
DROP TABLE documents;
