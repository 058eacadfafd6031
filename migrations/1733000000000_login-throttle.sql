-- Up Migration
-- Sign-in throttling per (account, address) pair (api/auth/throttle.ts): each attempt records the
-- delay it was made to wait, so the progressive delay can be seen (admin view, tests), and the pair
-- is found by an index instead of a scan of the account's rows.
ALTER TABLE login_failures ADD COLUMN delay_ms integer NOT NULL DEFAULT 0;
CREATE INDEX login_failures_pair_at ON login_failures (lower(username), ip, at);

-- Down Migration
DROP INDEX login_failures_pair_at;
ALTER TABLE login_failures DROP COLUMN delay_ms;
