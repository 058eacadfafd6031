-- Up Migration
-- Every request sent to the LLM provider, per task-queue scope, for the last minutes: the hard limit
-- behind LLM_RPM (activities/extraction/send-window.ts). Rows older than two minutes are deleted as
-- new ones come in.
CREATE TABLE llm_sends (
  id       bigserial PRIMARY KEY,
  scope    text NOT NULL,
  sent_at  timestamptz NOT NULL
);
CREATE INDEX llm_sends_scope_sent_at ON llm_sends (scope, sent_at);

-- Down Migration
DROP TABLE llm_sends;
