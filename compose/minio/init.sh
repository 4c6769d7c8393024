#!/bin/sh
# One-shot MinIO setup, run by the minio-init service (mc image) on every `up`:
#  - the buckets in $BUCKETS, created WITH object lock: MinIO can only switch
#    it on at creation, and the vault's write-once guarantee rests on it;
#  - the staging buckets in $STAGING_BUCKETS, without (uploads before they are checked);
#  - the services' access key ($S3_ACCESS_KEY/$S3_SECRET_KEY), so they never
#    hold the root credentials.
# The `local` alias: MinIO at $MINIO_URL as the root user, whose password is read from the
# file $MINIO_ROOT_PASSWORD_FILE names (a compose secret); the services' secret key likewise
# from $S3_SECRET_KEY_FILE.  Hex secrets (compose/make-secrets.sh) need no quoting in the URL.
set -eu

MC_HOST_local="$(echo "$MINIO_URL" | sed "s#://#://${MINIO_ROOT_USER}:$(cat "$MINIO_ROOT_PASSWORD_FILE")@#")"
export MC_HOST_local
S3_SECRET_KEY="$(cat "$S3_SECRET_KEY_FILE")"

for bucket in $BUCKETS; do
    if mc stat "local/$bucket" >/dev/null 2>&1; then
        # An existing bucket must already have object lock: refuse to run on
        # one that would silently accept deletes.
        if ! mc retention info --default "local/$bucket" >/dev/null 2>&1; then
            echo "bucket $bucket exists without object lock; recreate it with --with-lock" >&2
            exit 1
        fi
        echo "bucket $bucket: present, object lock on"
    else
        mc mb --with-lock "local/$bucket"
    fi
done

# Staging buckets ($STAGING_BUCKETS): uploads wait there, unlocked, until the vault has
# hashed them and moved them into its locked bucket.
for bucket in ${STAGING_BUCKETS:-}; do
    mc mb --ignore-existing "local/$bucket"
done

# `user add` on an existing user resets its secret: rotation is an `up`.
mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
if ! mc admin user info local "$S3_ACCESS_KEY" | grep -q readwrite; then
    mc admin policy attach local readwrite --user "$S3_ACCESS_KEY"
fi
echo "MinIO ready: buckets $BUCKETS ${STAGING_BUCKETS:-}, access key $S3_ACCESS_KEY"
