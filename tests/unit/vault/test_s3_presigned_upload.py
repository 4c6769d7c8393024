"""Uploads into the S3 staging bucket by presigned URLs: one PUT for a small file, a PUT per
part of a multipart upload for a large one, completed when the vault commits it."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import requests

from services.vault.storage import Lock
from tests.unit.vault.support import make_s3_store

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
