#!/bin/sh
# Makes the deployment's secret files under compose/secrets/ that are missing (never
# overwriting one): every secret the compose file lists, 24 random bytes as hex (URL-safe:
# the services put some into URLs).  The folder is the operator's alone (0700); the files
# are readable (0644) so the containers' own users can read them where compose mounts them
# (/run/secrets), which a 0600 file owned by the operator would not allow.  Git ignores the
# folder.  Rotating a secret: replace its file, then `docker compose up -d` (rabbitmq-init and
# minio-init set the new passwords; PostgreSQL roles: ALTER ROLE by hand, see README).
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 0700 secrets
names=$(sed -n '/^secrets:/,/^[a-z]/s#^    file: ./secrets/##p' docker-compose.yml)
for name in $names; do
    path="secrets/$name"
    if [ ! -s "$path" ]; then
        od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$path"
        echo "made $path"
    fi
    chmod 0644 "$path"
done
