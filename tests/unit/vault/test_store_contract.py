"""The store contract, held by both backends alike: the local directory store and S3 with
Object Lock (moto in server mode)."""
from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from services.vault.storage import Lock, Refused
from shared.errors import NotFound

NOW = datetime.now(UTC)
LATER = NOW + timedelta(days=2 * 366)
ALGS = ("sha256",)


def put(store, key="qinyuan-energy/a", data=b"body-camera footage", lock=None, **kw):
    return store.put(key, io.BytesIO(data), lock=lock or Lock("COMPLIANCE", LATER),
                     algorithms=kw.pop("algorithms", ALGS), **kw)


def test_an_object_is_stored_with_its_digests_and_lock(store):
    written = put(store, algorithms=("sha256", "sm3"))
    assert written.digests["sha256"] == hashlib.sha256(b"body-camera footage").hexdigest()
    assert written.digests["sm3"] == hashlib.new("sm3", b"body-camera footage").hexdigest()
    seen = store.stat("qinyuan-energy/a")
    assert seen.size == len(b"body-camera footage")
    assert seen.digests == written.digests
    assert seen.lock.mode == "COMPLIANCE"
    assert abs((seen.lock.until - LATER).total_seconds()) < 1
    with store.open("qinyuan-energy/a") as stream:
        assert stream.read() == b"body-camera footage"


def test_a_second_write_to_a_key_is_refused(store):
    put(store)
    with pytest.raises(Refused) as refused:
        put(store, data=b"something else")
    assert refused.value.details["rule"] == "write_once"
    assert refused.value.message_zh == ("qinyuan-energy/a 已存储：对象只写一次（write-once），"
                                        "不得再次写入")
    with store.open("qinyuan-energy/a") as stream:
        assert stream.read() == b"body-camera footage"


def test_content_that_does_not_hash_to_the_declared_digest_is_not_kept(store):
    with pytest.raises(Refused) as refused:
        put(store, expect={"sha256": "0" * 64})
    assert refused.value.details["rule"] == "digest_mismatch"
    assert not store.exists("qinyuan-energy/a")


def test_deletion_before_expiry_is_refused(store):
    put(store)
    with pytest.raises(Refused) as refused:
        store.delete("qinyuan-energy/a", at=NOW)
    assert refused.value.details["rule"] == "retention_active"
    assert refused.value.message_zh == "qinyuan-energy/a 不得删除：其保存期限尚未届满"
    assert store.exists("qinyuan-energy/a")


def test_a_permanent_object_is_never_deleted(store):
    put(store, lock=Lock("COMPLIANCE", None))
    assert store.stat("qinyuan-energy/a").lock.until is None
    with pytest.raises(Refused):
        store.delete("qinyuan-energy/a", at=datetime(2990, 1, 1, tzinfo=UTC))


def test_compliance_retention_is_extended_but_never_shortened(store):
    put(store)
    longer = LATER + timedelta(days=365)
    assert store.retain("qinyuan-energy/a", Lock("COMPLIANCE", longer)).lock.until == longer
    with pytest.raises(Refused) as refused:
        store.retain("qinyuan-energy/a", Lock("COMPLIANCE", NOW + timedelta(days=1)))
    assert refused.value.details["rule"] == "retention_shortened"
    with pytest.raises(Refused):
        store.retain("qinyuan-energy/a", Lock("COMPLIANCE", NOW + timedelta(days=1)),
                     bypass=True)
    with pytest.raises(Refused):
        store.retain("qinyuan-energy/a", Lock("GOVERNANCE", longer))
    assert abs((store.stat("qinyuan-energy/a").lock.until - longer).total_seconds()) < 1


def test_governance_retention_is_shortened_only_with_the_bypass(store):
    put(store, lock=Lock("GOVERNANCE", LATER))
    sooner = NOW + timedelta(days=30)
    with pytest.raises(Refused):
        store.retain("qinyuan-energy/a", Lock("GOVERNANCE", sooner))
    store.retain("qinyuan-energy/a", Lock("GOVERNANCE", sooner), bypass=True)
    assert abs((store.stat("qinyuan-energy/a").lock.until - sooner).total_seconds()) < 1


def test_a_legal_hold_keeps_an_expired_object_until_it_is_lifted(store):
    put(store, lock=Lock("GOVERNANCE", NOW + timedelta(seconds=2)))
    store.hold("qinyuan-energy/a", True)
    assert store.stat("qinyuan-energy/a").lock.legal_hold
    after = NOW + timedelta(days=1)
    with pytest.raises(Refused) as refused:
        store.delete("qinyuan-energy/a", at=after)
    assert refused.value.details["rule"] == "legal_hold"
    store.hold("qinyuan-energy/a", False)
    import time
    time.sleep(max(0.0, (NOW + timedelta(seconds=2.5) - datetime.now(UTC)).total_seconds()))
    store.delete("qinyuan-energy/a", at=after)
    assert not store.exists("qinyuan-energy/a")


def test_corrupt_content_is_restored_only_from_a_copy_with_the_recorded_digest(store):
    put(store)
    with pytest.raises(Refused) as refused:
        store.restore("qinyuan-energy/a", io.BytesIO(b"forged footage!!!!!"), algorithms=ALGS,
                      expect=put_digest(), lock=Lock("COMPLIANCE", LATER))
    assert refused.value.details["rule"] == "digest_mismatch"
    store.restore("qinyuan-energy/a", io.BytesIO(b"body-camera footage"), algorithms=ALGS,
                  expect=put_digest(), lock=Lock("COMPLIANCE", LATER))
    assert store.digest("qinyuan-energy/a", ALGS) == put_digest()


def put_digest() -> dict:
    return {"sha256": hashlib.sha256(b"body-camera footage").hexdigest()}


def test_a_large_object_is_restored_in_parts(store):
    data = bytes(range(256)) * (45 * 1024)
    sha = {"sha256": hashlib.sha256(data).hexdigest()}
    put(store, data=data)
    store.restore("qinyuan-energy/a", io.BytesIO(data), algorithms=ALGS, expect=sha,
                  lock=Lock("COMPLIANCE", LATER))
    assert store.digest("qinyuan-energy/a", ALGS) == sha
    assert store.stat("qinyuan-energy/a").lock.mode == "COMPLIANCE"


def test_a_large_object_streams_in_parts_and_back(store):
    data = bytes(range(256)) * (45 * 1024)   # 11.25 MiB: three parts of 5 MiB on S3
    put(store, data=data, expect={"sha256": hashlib.sha256(data).hexdigest()})
    assert store.digest("qinyuan-energy/a", ALGS)["sha256"] == hashlib.sha256(data).hexdigest()
    assert store.stat("qinyuan-energy/a").size == len(data)


def test_an_upload_is_staged_then_committed_with_its_digest_checked(store):
    upload = "6f1c1d0e-8f5b-4c1a-9d2e-3b4a5c6d7e8f"
    store.stage(upload, io.BytesIO(b"uploaded"), limit=100)
    assert store.staged_size(upload) == 8
    with pytest.raises(Refused):
        store.commit_staged(upload, "qinyuan-energy/u", lock=Lock("COMPLIANCE", LATER),
                            algorithms=ALGS, expect={"sha256": "1" * 64})
    assert not store.exists("qinyuan-energy/u")
    store.stage(upload, io.BytesIO(b"uploaded"), limit=100)
    written = store.commit_staged(upload, "qinyuan-energy/u", lock=Lock("COMPLIANCE", LATER),
                                  algorithms=ALGS,
                                  expect={"sha256": hashlib.sha256(b"uploaded").hexdigest()})
    assert written.size == 8
    assert store.staged_size(upload) is None


def test_a_missing_object_is_not_found(store):
    with pytest.raises(NotFound):
        store.stat("qinyuan-energy/none")
    with pytest.raises(NotFound):
        with store.open("qinyuan-energy/none"):
            pass
