"""The fixity audit: each copy read back, a fixity event per copy (when, algorithm, outcome),
fixity_failed.v1 on a mismatch or a missing copy, the bad copy repaired from the good one, on a
rolling cycle that reads the least recently audited objects first."""
from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime

from services.vault import queries, usecases
from services.vault.storage.config import Stores
from tests.unit.vault.support import HEAD, SUPERVISOR, make_s3_store

FOOTAGE = b"footage kept for the archive " * 200


def _path(store, stored: dict):
    return store.root / "objects" / "qinyuan-energy" / "sha256" / stored["sha256"][:2] / \
        stored["sha256"]


def _audit(env, limit: int = 100) -> dict:
    return env.call(usecases.audit_fixity, "audit_fixity",
                    {"agency": "qinyuan-energy", "limit": limit}, HEAD)


def _object(env, stored: dict) -> dict:
    return queries.get_object({"object_id": stored["id"]}, actor=SUPERVISOR, db=env.db,
                              now=env.now)


def test_an_intact_object_passes_with_an_event_per_copy(env):
    stored = env.ingest(FOOTAGE)
    assert _audit(env) == {"agency": "qinyuan-energy", "audited": 1,
                           "outcomes": {"pass": 1}}
    seen = _object(env, stored)
    assert seen["last_fixity_outcome"] == "pass"
    assert {(e["copy"], e["algorithm"], e["outcome"]) for e in seen["fixity"]} == \
        {("primary", "sha256", "pass"), ("replica", "sha256", "pass")}
    assert env.events("fixity_failed.v1") == []


def test_a_corrupt_primary_is_reported_and_repaired_from_the_replica(env):
    stored = env.ingest(FOOTAGE)
    path = _path(env.stores.primary, stored)
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:       # bit rot, or an insider with file rights
        f.write(b"X")
    assert _audit(env)["outcomes"] == {"repaired": 1}
    [event] = env.events("fixity_failed.v1")
    assert (event["data"]["copy"], event["data"]["outcome"], event["data"]["repaired"]) == \
        ("primary", "fail", True)
    assert path.read_bytes() == FOOTAGE
    assert not os.access(path, os.W_OK) or os.getuid() == 0
    assert (path.stat().st_mode & 0o777) == 0o444
    assert _audit(env)["outcomes"] == {"pass": 1}


def test_a_missing_replica_is_written_again_from_the_primary(env):
    stored = env.ingest(FOOTAGE)
    path = _path(env.stores.replica, stored)
    os.chmod(path, 0o644)
    path.unlink()
    (env.stores.replica.root / "meta" / "qinyuan-energy" / "sha256" / stored["sha256"][:2] /
     (stored["sha256"] + ".json")).unlink()
    assert _audit(env)["outcomes"] == {"repaired": 1}
    [event] = env.events("fixity_failed.v1")
    assert (event["data"]["copy"], event["data"]["outcome"]) == ("replica", "missing")
    assert path.read_bytes() == FOOTAGE
    assert _object(env, stored)["replica"] == "ok"


def test_both_copies_bad_is_a_failure_nobody_can_repair(env):
    stored = env.ingest(FOOTAGE)
    for store in (env.stores.primary, env.stores.replica):
        path = _path(store, stored)
        os.chmod(path, 0o644)
        path.write_bytes(b"gone")
    assert _audit(env)["outcomes"] == {"fail": 1}
    assert {e["data"]["repaired"] for e in env.events("fixity_failed.v1")} == {False}
    assert _object(env, stored)["last_fixity_outcome"] == "fail"


def test_the_rolling_cycle_reads_the_least_recently_audited_first(env):
    stored = [env.ingest(FOOTAGE + bytes([i])) for i in range(3)]
    assert _audit(env, limit=2)["audited"] == 2
    env.now = datetime(2025, 10, 21, 1, 0, tzinfo=UTC)
    assert _audit(env, limit=1)["audited"] == 1
    audited = {s["id"]: _object(env, s)["last_fixity_at"] for s in stored}
    assert list(audited.values()).count(env.now) == 1
    assert None not in audited.values()


def test_a_timer_tick_audits_its_share_of_the_cycle(env):
    for i in range(3):
        env.ingest(FOOTAGE + bytes([i]))
    env.stores.fixity_cycle_days = 1
    done = usecases.audit_tick(db=env.db, stores=env.stores, outbox=env.outbox, now=env.now,
                               tick_seconds=8 * 3600)   # 3 ticks a day: one object each
    assert done == {"qinyuan-energy": {"audited": 1, "outcomes": {"pass": 1}}}


def test_a_version_written_over_an_s3_object_is_detected_and_repaired(env, s3_endpoint):
    primary = make_s3_store(s3_endpoint)
    env.stores = Stores(primary, make_s3_store(s3_endpoint))
    stored = env.ingest(FOOTAGE)
    key = f"qinyuan-energy/sha256/{stored['sha256'][:2]}/{stored['sha256']}"
    forged = b"edited footage"
    md5 = base64.b64encode(hashlib.md5(forged).digest()).decode()
    primary.client._put_object(primary.bucket, key, forged, headers={"Content-MD5": md5})
    assert _audit(env)["outcomes"] == {"repaired": 1}
    [event] = env.events("fixity_failed.v1")
    assert (event["data"]["copy"], event["data"]["found"]) == \
        ("primary", hashlib.sha256(forged).hexdigest())
    assert primary.digest(key, ("sha256",))["sha256"] == stored["sha256"]
    assert primary.stat(key).lock.mode == "COMPLIANCE"
