-- Up Migration
-- TOTP second factor (api/auth/totp.ts) and the idle timeout of sessions (api/auth/sessions.ts).

-- The TOTP secret is kept encrypted (AES-256-GCM, key derived from JWT_SECRET), never in clear.
-- `mfa_pending_secret` holds a secret being enrolled until its first code confirms it; then it moves to
-- `mfa_secret` and `mfa_enabled_at` is set. `mfa_last_step` is the last accepted 30-second time step, so
-- a code that was used once cannot be replayed within its window.
ALTER TABLE users
  ADD COLUMN mfa_secret          text,
  ADD COLUMN mfa_pending_secret  text,
  ADD COLUMN mfa_enabled_at      timestamptz,
  ADD COLUMN mfa_last_step       bigint;

-- Single-use recovery codes: random strings, so a SHA-256 is enough (nothing to brute-force).
CREATE TABLE mfa_recovery_codes (
  id          bigserial PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id);

-- The short-lived step between a right password and a session: 'login' (a code is due) or 'enrol'
-- (an administrator must set up a second factor first). Only a SHA-256 of the token is kept.
CREATE TABLE mfa_challenges (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('login', 'enrol')),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  ip          text
);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);

-- When the session was last used (written at most about once a minute per session).
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL, ALTER COLUMN last_seen_at SET DEFAULT now();

-- Down Migration
ALTER TABLE sessions DROP COLUMN last_seen_at;
DROP TABLE mfa_challenges;
DROP TABLE mfa_recovery_codes;
ALTER TABLE users DROP COLUMN mfa_last_step, DROP COLUMN mfa_enabled_at, DROP COLUMN mfa_pending_secret, DROP COLUMN mfa_secret;
