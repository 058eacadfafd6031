#!/bin/sh
# Runs once, when the postgres container starts on an empty volume (docker-entrypoint-initdb.d).
# One server, separate owners: the app's database `medextract` (role medextract) and Temporal's
# `temporal` and `temporal_visibility` (role temporal; temporal-admin-tools fills in their schemas).
# Passwords come from the environment and reach SQL as psql variables (:'name' quotes them safely).
# No `set -u`: if the entrypoint sources this file (no exec bit), it would leak into the entrypoint.
set -e
: "${MEDEXTRACT_DB_PASSWORD:?}"
: "${TEMPORAL_DB_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_password="$MEDEXTRACT_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE medextract LOGIN PASSWORD :'app_password';
CREATE DATABASE medextract OWNER medextract;
REVOKE ALL ON DATABASE medextract FROM PUBLIC;

CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL
