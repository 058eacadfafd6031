-- Up Migration
-- Accounts, sessions, API keys and the audit trail for the HTTP API.

CREATE TABLE users (
  id                   uuid PRIMARY KEY,
  username             text NOT NULL,
  password_hash        text NOT NULL,
  role                 text NOT NULL CHECK (role IN ('admin', 'user')),
  disabled             boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  password_changed_at  timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique regardless of case ("Alice" and "alice" are one account).
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- One row per issued token (its `jti`). Revocation lives here so every API process sees it at once.
CREATE TABLE sessions (
  jti         uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  ip          text,
  user_agent  text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API keys are shown once; only a SHA-256 of the key is kept (keys are long random strings, so a
-- fast hash is enough and lets every request be checked in one indexed lookup).
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL,
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Failed logins, for throttling per account and per IP across all API processes.
CREATE TABLE login_failures (
  id        bigserial PRIMARY KEY,
  username  text NOT NULL,
  ip        text NOT NULL,
  at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username_at ON login_failures (lower(username), at);
CREATE INDEX login_failures_ip_at ON login_failures (ip, at);

CREATE TABLE audit_log (
  id              bigserial PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  actor_user_id   uuid,
  actor_username  text,
  action          text NOT NULL,
  target_type     text,
  target_id       text,
  ip              text,
  user_agent      text,
  -- Ids, counts and codes only: never document text or patient data.
  detail          jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, at);

-- A deleted job keeps its audit rows; jobs are listed newest first per owner.
CREATE INDEX jobs_created ON jobs (created_at DESC, id);

-- Down Migration
DROP INDEX jobs_created;
DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE users;
