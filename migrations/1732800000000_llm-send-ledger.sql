-- Up Migration
-- Every request sent to the LLM provider, per task-queue scope, for the last minutes: the hard limit
-- behind LLM_RPM (activities/llm-send-window.ts). Rows older than two minutes are deleted as
-- new ones come in.
CREATE TABLE llm_sends (
  id       bigserial PRIMARY KEY,
  scope    text NOT NULL,
  sent_at  timestamptz NOT NULL
);
CREATE INDEX llm_sends_scope_sent_at ON llm_sends (scope, sent_at);

-- Take a place in the window, in one round trip: 0 when a send is recorded now, else the milliseconds
-- until the oldest of the last `max_sends` sends leaves the window (nothing recorded). The advisory
-- lock serialises callers of one scope; each statement after it sees what they committed (a function's
-- statements take fresh snapshots under READ COMMITTED).
CREATE FUNCTION llm_reserve_send(send_scope text, max_sends integer, window_ms integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  in_window integer;
  oldest timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('medextract.llm-sends'), hashtext(send_scope));
  SELECT count(*)::integer, min(sent_at) INTO in_window, oldest
    FROM (SELECT sent_at FROM llm_sends
           WHERE scope = send_scope AND sent_at > clock_timestamp() - window_ms * interval '1 millisecond'
           ORDER BY sent_at DESC LIMIT max_sends) recent;
  IF in_window >= max_sends THEN
    RETURN greatest(1, ceil(extract(epoch FROM (oldest + window_ms * interval '1 millisecond' - clock_timestamp())) * 1000))::integer;
  END IF;
  INSERT INTO llm_sends (scope, sent_at) VALUES (send_scope, clock_timestamp());
  DELETE FROM llm_sends WHERE scope = send_scope AND sent_at < clock_timestamp() - interval '2 minutes';
  RETURN 0;
END;
$$;

-- Down Migration
DROP FUNCTION llm_reserve_send(text, integer, integer);
DROP TABLE llm_sends;
