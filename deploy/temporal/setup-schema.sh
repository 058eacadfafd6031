#!/bin/sh
# One-shot (temporalio/admin-tools): brings Temporal's two databases, created empty by
# deploy/postgres/init-databases.sh, to the schema version this image ships. Safe to run on every
# `docker compose up`: setup-schema -v 0.0 leaves an existing schema alone, and update-schema applies
# only the versions not yet applied (so upgrading the images upgrades the schema).
# The password comes from SQL_PASSWORD, which temporal-sql-tool reads itself.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"

sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema -d "$SCHEMA_DIR/visibility/versioned"

echo "Temporal schemas are up to date."
