-- Up Migration
-- Reviewer figures (issue 15): the latest decision a person made on each value of each result, kept
-- up to date by a trigger on result_events, so that /metrics and GET /review/figures count small rows
-- instead of expanding every correction's `changes` on each request. Corrections of one job are already
-- serialised by its row lock (stores/reviews.ts), so the trigger's writes never contend across jobs.
CREATE TABLE review_value_decisions (
  job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  -- `patient.name` for a field, `lab_results` for a list item
  field_type  text NOT NULL,
  -- the item's index in its list as the latest version has it; -1 for a field (below -1 only inside a shift)
  item        integer NOT NULL,
  state       text NOT NULL CHECK (state IN ('accepted', 'corrected', 'rejected', 'added')),
  decided_at  timestamptz NOT NULL,
  PRIMARY KEY (job_id, field_type, item)
);
CREATE INDEX review_value_decisions_by_type ON review_value_decisions (field_type, state);
CREATE INDEX review_value_decisions_by_time ON review_value_decisions (decided_at);
-- Documents reviewed and time per document read approved jobs only, optionally by approval time.
CREATE INDEX jobs_approved ON jobs (approved_at) WHERE review_state = 'approved';

-- Moves the items of one list at or after `from_item` by `delta`, in two steps through negative indexes
-- so that the primary key never sees two rows at one index.
CREATE FUNCTION review_value_decisions_shift(of_job uuid, section text, from_item integer, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE review_value_decisions SET item = -2 - (item + delta)
   WHERE job_id = of_job AND field_type = section AND item >= from_item;
  UPDATE review_value_decisions SET item = -2 - item
   WHERE job_id = of_job AND field_type = section AND item <= -2;
END;
$$;

CREATE FUNCTION review_value_decisions_apply(ev result_events) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  op jsonb;
  change jsonb;
  m text[];
  kind text;
  at_item integer;
BEGIN
  IF ev.kind <> 'correction' THEN
    RETURN;
  END IF;
  -- An item inserted before others or removed moves them: follow the patch as sent, operation by operation.
  FOR op IN SELECT value FROM jsonb_array_elements(ev.patch) LOOP
    m := regexp_match(op->>'path', '^/([^/]+)/(\d+)$');
    CONTINUE WHEN m IS NULL OR op->>'op' NOT IN ('add', 'remove');
    at_item := m[2]::integer;
    IF op->>'op' = 'remove' THEN
      DELETE FROM review_value_decisions WHERE job_id = ev.job_id AND field_type = m[1] AND item = at_item;
      PERFORM review_value_decisions_shift(ev.job_id, m[1], at_item + 1, -1);
    ELSE
      PERFORM review_value_decisions_shift(ev.job_id, m[1], at_item, 1);
    END IF;
  END LOOP;
  -- `changes` name each value as the version this event made has it.
  FOR change IN SELECT value FROM jsonb_array_elements(ev.changes) LOOP
    m := regexp_match(change->>'path', '^/([^/]+)/(\d+)$');
    IF m IS NOT NULL THEN
      kind := m[1];
      at_item := m[2]::integer;
    ELSE
      m := regexp_match(change->>'path', '^/([^/]+)/(.+)$');
      CONTINUE WHEN m IS NULL;
      kind := m[1] || '.' || m[2];
      at_item := -1;
    END IF;
    IF change->>'state' IN ('accepted', 'corrected', 'rejected', 'added') THEN
      INSERT INTO review_value_decisions (job_id, field_type, item, state, decided_at)
      VALUES (ev.job_id, kind, at_item, change->>'state', ev.at)
      ON CONFLICT (job_id, field_type, item) DO UPDATE SET state = EXCLUDED.state, decided_at = EXCLUDED.decided_at;
    ELSE
      -- set back to unreviewed: no decision any more
      DELETE FROM review_value_decisions WHERE job_id = ev.job_id AND field_type = kind AND item = at_item;
    END IF;
  END LOOP;
END;
$$;

CREATE FUNCTION review_value_decisions_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM review_value_decisions_apply(NEW);
  RETURN NULL;
END;
$$;

CREATE TRIGGER review_value_decisions_follow AFTER INSERT ON result_events
  FOR EACH ROW WHEN (NEW.kind = 'correction') EXECUTE FUNCTION review_value_decisions_follow();

-- The corrections stored before this migration, in their order.
DO $$
DECLARE
  ev result_events;
BEGIN
  FOR ev IN SELECT * FROM result_events WHERE kind = 'correction' ORDER BY job_id, seq LOOP
    PERFORM review_value_decisions_apply(ev);
  END LOOP;
END;
$$;

-- Down Migration
DROP TRIGGER review_value_decisions_follow ON result_events;
DROP FUNCTION review_value_decisions_follow();
DROP FUNCTION review_value_decisions_apply(result_events);
DROP FUNCTION review_value_decisions_shift(uuid, text, integer, integer);
DROP INDEX jobs_approved;
DROP TABLE review_value_decisions;
