-- Up Migration
-- What each API key may do, and when it stops working. Keys made before scopes keep what they could
-- do (jobs:read and jobs:write) and no expiry; every new key gets scopes and an expiry from the API.
ALTER TABLE api_keys
  ADD COLUMN scopes text[] NOT NULL DEFAULT '{jobs:read,jobs:write}',
  ADD COLUMN expires_at timestamptz;
-- The default was only for the keys already there: the API always names a new key's scopes.
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_not_empty CHECK (cardinality(scopes) > 0);

-- Down Migration
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_not_empty;
ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN scopes;
