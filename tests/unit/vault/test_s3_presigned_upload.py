"""Uploads into the S3 staging bucket by presigned URLs: one PUT for a small file, a PUT per
part of a multipart upload for a large one, completed when the vault commits it."""
from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from services.vault.storage import Lock
from services.vault.storage.config import open_stores
from services.vault.storage.s3 import S3Store
from tests.unit.vault.support import bucket_name, make_s3_store

UPLOAD = "6f1c1d0e-8f5b-4c1a-9d2e-3b4a5c6d7e8f"
LATER = datetime.now(UTC) + timedelta(days=800)


def test_a_small_file_takes_one_presigned_put(s3_endpoint):
    store = make_s3_store(s3_endpoint)
    target = store.upload_target(UPLOAD, 5, expires_seconds=600)
    assert target["parts"] == []
    assert requests.put(target["url"], data=b"small", timeout=10).status_code == 200
    assert store.staged_size(UPLOAD) == 5


def test_a_large_file_goes_in_presigned_parts_and_is_committed_whole(s3_endpoint):
    store = make_s3_store(s3_endpoint)
    store.part_size = 5 * 1024 * 1024
    store.multipart_from = 6 * 1024 * 1024
    data = bytes(range(256)) * (48 * 1024)    # 12 MiB: three parts
    target = store.upload_target(UPLOAD, len(data), expires_seconds=600)
    assert [p["size"] for p in target["parts"]] == [5 * 1024 * 1024, 5 * 1024 * 1024,
                                                    2 * 1024 * 1024]
    assert store.staged_size(UPLOAD) is None     # nothing sent yet
    for part in target["parts"]:
        chunk = data[part["offset"]:part["offset"] + part["size"]]
        assert requests.put(part["url"], data=chunk, timeout=10).status_code == 200
    assert store.staged_size(UPLOAD) == len(data)
    sha256 = hashlib.sha256(data).hexdigest()
    written = store.commit_staged(UPLOAD, "qinyuan-energy/big", lock=Lock("COMPLIANCE", LATER),
                                  algorithms=("sha256",), expect={"sha256": sha256})
    assert written.size == len(data) and written.digests["sha256"] == sha256
    assert store.digest("qinyuan-energy/big", ("sha256",))["sha256"] == sha256


def _config(endpoint: str, **more: str) -> dict:
    return {"VAULT_STORE": "s3", "VAULT_S3_ENDPOINT": endpoint, "VAULT_S3_SECURE": "false",
            "VAULT_S3_ACCESS_KEY": "testing", "VAULT_S3_SECRET_KEY": "testing",
            "VAULT_S3_BUCKET": bucket_name(), **more}


def test_presigned_urls_name_the_public_endpoint_while_the_vault_reads_the_internal_one(
        s3_endpoint):
    """The public address answers nobody here (as compose's published MinIO port does not
    answer inside the vault's network): the store opens without calling it, the URLs it hands
    out name it, and what a proxy keeping the Host header forwards lands where the vault
    itself reads it, through the internal endpoint."""
    public = "192.0.2.10:9443"          # TEST-NET-1: nothing answers there
    stores = open_stores(_config(s3_endpoint, VAULT_S3_PUBLIC_ENDPOINT=public,
                                 VAULT_S3_PUBLIC_SECURE="true"))
    store = stores.primary
    assert isinstance(store, S3Store)
    small = store.upload_target(UPLOAD, 5, expires_seconds=600)
    url = urlsplit(small["url"])
    assert (url.scheme, url.netloc) == ("https", public)
    assert "X-Amz-Signature=" in url.query
    forwarded = requests.put(f"http://{s3_endpoint}{url.path}?{url.query}", data=b"small",
                             headers={"Host": public}, timeout=10)
    assert forwarded.status_code == 200
    assert store.staged_size(UPLOAD) == 5        # read through the internal endpoint
    with store.open_staged(UPLOAD) as staged:
        assert staged.read() == b"small"
    store.multipart_from = 1024
    big = store.upload_target(str(uuid.uuid4()), 4096, expires_seconds=600)
    assert big["parts"] and all(urlsplit(p["url"]).netloc == public for p in big["parts"])


def test_without_a_public_endpoint_presigned_urls_name_the_vaults_own(s3_endpoint):
    store = open_stores(_config(s3_endpoint)).primary
    assert urlsplit(store.upload_target(UPLOAD, 5, expires_seconds=600)["url"]).netloc \
        == s3_endpoint
