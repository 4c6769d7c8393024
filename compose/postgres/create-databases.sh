#!/bin/bash
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d).  Each service has its own database — no service
# reads another's — with two roles of its own, neither a superuser:
#   <service>_owner  owns the database and its tables; runs the migrations
#                    (the one-shot <service>-migrate: `sanxiang db upgrade`), which
#                    grant the service's role its rights.  Password <SERVICE>_DB_OWNER_PASSWORD.
#   <service>        the service itself: SELECT and INSERT, UPDATE only on the tables
#                    its migrations name; it cannot TRUNCATE, DELETE, alter tables or
#                    touch triggers.  Password <SERVICE>_DB_PASSWORD.
# Each password is read from the file its <NAME>_FILE names (compose's secrets, /run/secrets)
# when that is set, as the image does for POSTGRES_PASSWORD_FILE.
# Adding a service later on an existing volume: run the same statements by hand.
set -euo pipefail

for db in records review disclosure renderer vault; do
    owner_var="${db^^}_DB_OWNER_PASSWORD"
    service_var="${db^^}_DB_PASSWORD"
    for var in "$owner_var" "$service_var"; do
        file_var="${var}_FILE"
        if [ -n "${!file_var:-}" ]; then
            printf -v "$var" '%s' "$(< "${!file_var}")"
        fi
    done
    : "${!owner_var:?$owner_var must be set}"
    : "${!service_var:?$service_var must be set}"
    # psql variables (:'pw') quote the passwords safely whatever they contain.
    psql -v ON_ERROR_STOP=1 -v owner_pw="${!owner_var}" -v service_pw="${!service_var}" \
        -v owner="${db}_owner" -v service="$db" \
        --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_pw';
CREATE ROLE :"service" LOGIN PASSWORD :'service_pw';
SQL
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -c "CREATE DATABASE \"$db\" OWNER \"${db}_owner\""
    # Only its two roles (and the superuser) may connect; nobody else creates objects in
    # its schema (PostgreSQL 15 already withholds CREATE on public from PUBLIC).
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -c "REVOKE CONNECT, TEMPORARY ON DATABASE \"$db\" FROM PUBLIC" \
        -c "GRANT CONNECT ON DATABASE \"$db\" TO \"${db}_owner\", \"$db\""
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$db" \
        -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC" \
        -c "ALTER SCHEMA public OWNER TO \"${db}_owner\""
done
