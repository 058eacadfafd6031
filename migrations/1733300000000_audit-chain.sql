-- Up Migration
-- The audit trail becomes append-only and tamper-evident (issue 12):
--  * UPDATE, DELETE and TRUNCATE on audit_log are refused for everyone, the application and a superuser
--    alike (the triggers fire ALWAYS, so not even session_replication_role = replica skips them); only the
--    table's owner disabling the trigger gets past, and then the hash chain shows what changed.
--  * Every row carries prev_hash (the row_hash of the row before it; 32 zero bytes for the first) and
--    row_hash = sha256(prev_hash || convert_to(audit_log_canonical(row), 'UTF8')). `medextract audit
--    verify` recomputes the chain with its own copy of the serialisation (stores/audit.ts).
--  * One chain for the whole installation whatever the number of API processes: the insert trigger takes
--    a transaction-scoped advisory lock, then assigns the row's id and reads the previous row. The id is
--    drawn under the lock, so id order is chain order even when inserts race.
-- audit_log has no foreign key: ids of users, jobs and keys are plain values, so deleting a job (or a
-- user) never touches its audit rows (and could not: the delete would be refused).

LOCK TABLE audit_log IN EXCLUSIVE MODE;

-- The row as canonical text: a JSON array of its fields in a fixed order, the time in UTC with
-- microseconds (jsonb's text form is deterministic: keys sorted, fixed spacing).
CREATE FUNCTION audit_log_canonical(r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(
    r.id,
    to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    r.actor_user_id,
    r.actor_username,
    r.action,
    r.target_type,
    r.target_id,
    r.ip,
    r.user_agent,
    r.detail
  )::text
$$;

ALTER TABLE audit_log ADD COLUMN prev_hash bytea, ADD COLUMN row_hash bytea;

-- Backfill: the rows already there are chained in id order (before the triggers exist).
DO $$
DECLARE
  r audit_log;
  prev bytea := decode(repeat('00', 32), 'hex');
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    UPDATE audit_log
       SET prev_hash = prev,
           row_hash = sha256(prev || convert_to(audit_log_canonical(r), 'UTF8'))
     WHERE id = r.id
    RETURNING row_hash INTO prev;
  END LOOP;
END
$$;

ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL;
-- The id comes from the insert trigger, under the chain's lock (a default would be drawn before it).
ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;

CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  prev bytea;
BEGIN
  -- One chain: inserts from every connection take their turn here until their transaction ends.
  PERFORM pg_advisory_xact_lock(7330000001);
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT row_hash INTO prev FROM audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(prev, decode(repeat('00', 32), 'hex'));
  NEW.row_hash := sha256(NEW.prev_hash || convert_to(audit_log_canonical(NEW), 'UTF8'));
  RETURN NEW;
END
$$;

CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'audit rows are never changed or removed';
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_chain;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

-- The admin view filters by action and pages by id.
CREATE INDEX audit_log_action ON audit_log (action, id);

-- Down Migration
DROP INDEX audit_log_action;
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_log_refuse();
DROP FUNCTION audit_log_chain();
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval(pg_get_serial_sequence('audit_log', 'id'));
ALTER TABLE audit_log DROP COLUMN row_hash, DROP COLUMN prev_hash;
DROP FUNCTION audit_log_canonical(audit_log);
