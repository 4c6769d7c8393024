#!/bin/bash
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d).  Each service owns its own database — no
# service reads another's — all owned by the unprivileged role `sanxiang`
# (password SANXIANG_DB_PASSWORD), not by the superuser.
# Adding a service later on an existing volume: create its database by hand.
set -euo pipefail

: "${SANXIANG_DB_PASSWORD:?SANXIANG_DB_PASSWORD must be set}"

# psql variables (:'pw') quote the password safely whatever it contains.
psql -v ON_ERROR_STOP=1 -v pw="$SANXIANG_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE sanxiang LOGIN PASSWORD :'pw';
SQL

for db in records review disclosure renderer vault; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -c "CREATE DATABASE \"$db\" OWNER sanxiang"
    # Only the owner (and the superuser) may connect.
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -c "REVOKE CONNECT, TEMPORARY ON DATABASE \"$db\" FROM PUBLIC"
done
