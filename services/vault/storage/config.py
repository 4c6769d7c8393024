"""The vault's stores as its config sets them: the primary and the replica (a second directory
for the embedded store, a second bucket — or endpoint — for S3), the retention mode, where the
local store's upload endpoint is reached and how long an upload stays open.

    VAULT_STORE                 local (default) | s3
    VAULT_DIR                   local: the store's directory (default var/vault)
    VAULT_REPLICA_DIR           local: the replica's directory (none when unset)
    VAULT_S3_ENDPOINT           s3: host:port, where the vault reaches the S3 service
    VAULT_S3_PUBLIC_ENDPOINT    s3: host:port the presigned upload URLs name, where callers
                                outside the vault's network reach the same service (compose:
                                the published MinIO port or a proxy keeping the Host header);
                                only presigning uses it (default: VAULT_S3_ENDPOINT)
    VAULT_S3_PUBLIC_SECURE      s3: https for the public endpoint (default: VAULT_S3_SECURE)
    VAULT_S3_ACCESS_KEY, VAULT_S3_SECRET_KEY, VAULT_S3_SECURE (true|false), VAULT_S3_REGION
    VAULT_S3_BUCKET             s3: the locked bucket (default sanxiang-vault)
    VAULT_S3_STAGING_BUCKET     s3: uploads before they are checked (default <bucket>-staging)
    VAULT_S3_REPLICA_BUCKET     s3: the replica's bucket (none when unset)
    VAULT_S3_REPLICA_ENDPOINT   s3: the replica's endpoint (default: the primary's)
    VAULT_RETENTION_MODE        COMPLIANCE (default) | GOVERNANCE
    VAULT_UPLOAD_URL            local: the base URL of the upload endpoint
    VAULT_UPLOAD_SECONDS        how long an upload stays open (default 7200)
    VAULT_FIXITY_CYCLE_DAYS     every object audited within this many days (default 90)"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.vault.storage import MODES, ObjectStore
from shared.errors import ConfigurationError


@dataclass
class Stores:
    primary: ObjectStore
    replica: ObjectStore | None = None
    mode: str = "COMPLIANCE"
    upload_url: str = "http://127.0.0.1:8000"
    upload_seconds: int = 7200
    fixity_cycle_days: int = 90


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _client(config: dict, endpoint: str, secure: Any, region: str | None = None) -> Any:
    from minio import Minio
    return Minio(endpoint, access_key=config.get("VAULT_S3_ACCESS_KEY"),
                 secret_key=config.get("VAULT_S3_SECRET_KEY"), secure=_flag(secure),
                 region=region or config.get("VAULT_S3_REGION") or None)


def _s3(config: dict, bucket: str, endpoint: str, public: str | None = None) -> ObjectStore:
    from services.vault.storage.s3 import S3Store
    secure = config.get("VAULT_S3_SECURE", "true")
    client = _client(config, endpoint, secure)
    staging = config.get("VAULT_S3_STAGING_BUCKET") or f"{bucket}-staging"
    store = S3Store(client, bucket, staging)
    store.ensure_buckets()
    if public and public != endpoint:
        # signing needs the bucket's region; the public address need not answer the vault,
        # so the region is the configured one or what the internal endpoint says
        region = config.get("VAULT_S3_REGION") or client._get_region(staging)
        store.presigner = _client(config, public, config.get("VAULT_S3_PUBLIC_SECURE") or secure,
                                  region)
    return store


def open_stores(config: dict) -> Stores:
    kind = config.get("VAULT_STORE") or "local"
    mode = str(config.get("VAULT_RETENTION_MODE") or "COMPLIANCE").upper()
    if mode not in MODES:
        raise ConfigurationError(f"VAULT_RETENTION_MODE must be one of {', '.join(MODES)}",
                                 message_zh="VAULT_RETENTION_MODE（保存模式）应为下列之一："
                                 f"{'、'.join(MODES)}，而不是 {mode!r}")
    primary: ObjectStore
    replica: ObjectStore | None = None
    if kind == "local":
        from services.vault.storage.local import LocalStore
        primary = LocalStore(config.get("VAULT_DIR") or "var/vault")
        if config.get("VAULT_REPLICA_DIR"):
            replica = LocalStore(config["VAULT_REPLICA_DIR"])
    elif kind == "s3":
        endpoint = config.get("VAULT_S3_ENDPOINT")
        if not endpoint:
            raise ConfigurationError("VAULT_S3_ENDPOINT is not set (VAULT_STORE=s3)",
                                     message_zh="未设置 VAULT_S3_ENDPOINT（VAULT_STORE=s3 时必填）")
        primary = _s3(config, config.get("VAULT_S3_BUCKET") or "sanxiang-vault", endpoint,
                      config.get("VAULT_S3_PUBLIC_ENDPOINT") or None)
        if config.get("VAULT_S3_REPLICA_BUCKET"):
            replica = _s3(config, config["VAULT_S3_REPLICA_BUCKET"],
                          config.get("VAULT_S3_REPLICA_ENDPOINT") or endpoint)
    else:
        raise ConfigurationError(f"VAULT_STORE must be local or s3, not {kind!r}",
                                 message_zh=f"VAULT_STORE 应为 local 或 s3，而不是 {kind!r}")
    return Stores(primary, replica, mode,
                  upload_url=config.get("VAULT_UPLOAD_URL") or "http://127.0.0.1:8000",
                  upload_seconds=int(config.get("VAULT_UPLOAD_SECONDS") or 7200),
                  fixity_cycle_days=int(config.get("VAULT_FIXITY_CYCLE_DAYS") or 90))
