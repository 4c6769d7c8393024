"""A closed case's archive package built from fixture data (records.archive_due.v1 and the record
keeper's answers as a plain object, the vault on SQLite with a local store and its replica): a
BagIt bag of the case's entries in chain order, its verification and signed checkpoint, the
vault's documents and AV, the 卷内目录; stored write-once under the case file's class, its
四性检测 report beside it, records told once; redelivery, a record keeper that does not answer,
a package that fails its checks, verify_package finding a file missing or altered, and the
same package on S3 (moto in server mode) locked and replicated."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import bagit
import pytest

from services.vault import usecases
from services.vault.domain import package as rules
from services.vault.storage.config import Stores
from services.vault.usecases import package_bag
from shared.errors import DomainRuleViolated, Unavailable
from shared.persistence.transient import is_transient
from tests.unit.vault.package_support import (
    ENTRIES,
    Records,
    archive,
    archive_due,
    hold_documents,
    stored_object,
    stored_objects,
    stored_packages,
    unpack_bag,
)
from tests.unit.vault.support import HEAD, Env, make_s3_store


@pytest.fixture
def records() -> Records:
    return Records()


def test_a_closed_case_is_packaged_stored_under_its_class_and_records_told(env, records,
                                                                         tmp_path):
    av = hold_documents(env)
    package_id = archive(env, records, archive_due(env, records, av["sha256"]), av_mode="include")
    [package] = stored_packages(env)
    assert package["id"] == package_id and package["state"] == "archived"
    assert package["archive_seq"] == ENTRIES + 1 and package["head_seq"] == ENTRIES
    report = package["report"]
    assert report["passed"], rules.failures(report)
    assert all(report[a]["passed"] for a in rules.ASPECTS)
    bag_obj = stored_object(env, package["object_id"])
    # write-once under the case file's class: the agency's archives term (permanent)
    assert bag_obj["retention"]["class"] == "case_file" and bag_obj["retain_until"] is None
    assert bag_obj["retention"]["term"] == "permanent"
    assert env.stores.replica.exists(bag_obj["key"])
    with env.stores.primary.open(stored_object(env, package["report_object_id"])["key"]) as f:
        kept = json.loads(f.read())
    assert kept["package_id"] == package_id and kept["passed"]
    bag_dir = unpack_bag(env, bag_obj, tmp_path / "out")
    bagit.Bag(str(bag_dir)).validate()
    data = bag_dir / "data"
    lines = (data / rules.ENTRIES).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, ENTRIES + 1))
    assert sorted(p.name.split("-", 1)[1] for p in (data / "documents").iterdir()) == [
        "现场检查笔录.pdf", "行政处罚决定书.docx", "行政处罚决定书.pdf"]
    assert [p.name.split("-", 1)[1] for p in (data / "av").iterdir()] == ["执法记录仪.mp4"]
    index = json.loads((data / rules.INDEX_JSON).read_text())
    assert len(index) == len(bagit.Bag(str(bag_dir)).payload_entries())
    assert (data / rules.INDEX_CSV).read_text(encoding="utf-8-sig").startswith("序号,题名")
    # records told once, with the package's key; the event says so
    archive_calls = [k for m, k in records.calls if m == "archive_case"]
    assert archive_calls == [f"vault-package-{package_id}"]
    [event] = env.events("package_stored.v1")
    assert event["data"]["package_id"] == package_id and event["data"]["archive_seq"] == 31


def test_av_is_referenced_by_hash_unless_the_deployment_includes_it(env, records, tmp_path):
    av = hold_documents(env)
    archive(env, records, archive_due(env, records, av["sha256"]))
    [package] = stored_packages(env)
    assert package["report"]["passed"], rules.failures(package["report"])
    data = unpack_bag(env, stored_object(env, package["object_id"]), tmp_path / "out") / "data"
    assert not (data / "av").exists()
    [ref] = json.loads((data / rules.AV_REFERENCES).read_text())
    assert ref["sha256"] == av["sha256"]


def test_a_redelivered_archive_due_builds_one_package(env, records):
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    first = archive(env, records, body)
    calls = len(records.calls)
    assert archive(env, records, body) is None            # the inbox: handled once
    assert records.calls[calls:] == []
    again = dict(body, message_id="0c11e7a2-0000-4f0e-8a51-3c559d7e2f5f")
    assert archive(env, records, again) == first         # another message, same case
    assert [m for m, _ in records.calls[calls:]] == []     # nothing fetched, records not told
    assert len(stored_packages(env)) == 1 and len(env.events("package_stored.v1")) == 1
    assert len([o for o in stored_objects(env) if o["media_type"] == "application/x-tar"]) == 1


def test_a_case_archived_by_hand_before_packaging_is_packaged_at_its_head(env, records,
                                                                         tmp_path):
    """An officer archived the closed case before the vault got to it: the chain has moved past
    the head archive_due.v1 named, and the package holds it to the head its checkpoint signs,
    its report passing; records, told again, is found archived already."""
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    records.archive_by_hand()
    archive(env, records, body)
    [package] = stored_packages(env)
    assert package["head_seq"] == ENTRIES + 1 and package["head_hash"] == records.head
    assert package["report"]["passed"], rules.failures(package["report"])
    assert package["state"] == "archived" and package["archive_seq"] is None
    entries = [json.loads(line) for line in
               unpack_bag(env, stored_object(env, package["object_id"]), tmp_path / "out")
               .joinpath("data", "entries.jsonl").read_text("utf-8").splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, ENTRIES + 2))
    assert entries[-1]["kind"] == "case_archived"


def test_records_unreachable_leaves_nothing_stored_and_the_event_is_retried(env, records):
    av = hold_documents(env)
    before = {o["id"] for o in stored_objects(env)}
    body = archive_due(env, records, av["sha256"])
    records.down = {"verify_case"}
    with pytest.raises(Unavailable) as err:
        archive(env, records, body)
    assert is_transient(err.value)     # the consumer retries it, dead-letters after its bound
    assert stored_packages(env) == [] and {o["id"] for o in stored_objects(env)} == before
    stored = [p for p in (Path(env.stores.primary.where) / "objects").rglob("*") if p.is_file()]
    assert len(stored) == len(before)
    records.down = set()
    assert archive(env, records, body) is not None
    assert stored_packages(env)[0]["state"] == "archived"


def test_records_unreachable_after_the_package_is_whole_finishes_on_the_retry(env, records):
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    records.down = {"archive_case"}
    with pytest.raises(Unavailable):
        archive(env, records, body)
    [package] = stored_packages(env)
    assert package["state"] == "stored" and env.events("package_stored.v1") == []
    records.down = set()
    assert archive(env, records, body) == package["id"]
    [package] = stored_packages(env)
    assert package["state"] == "archived" and records.status == "archived"
    assert len(env.events("package_stored.v1")) == 1
    assert len([m for m, _ in records.calls if m == "get_entries"]) == 1


def test_a_package_failing_its_checks_is_refused_and_nothing_stored(env, records):
    hold_documents(env)
    before = len(stored_objects(env))
    body = archive_due(env, records, "ab" * 32)          # AV the chain names, not in the vault
    with pytest.raises(DomainRuleViolated) as err:
        archive(env, records, body)
    assert err.value.details["rule"] == "package_check_failed"
    assert err.value.details["failed"] == ["integrity.av_objects_held"]
    assert stored_packages(env) == [] and len(stored_objects(env)) == before
    assert env.log("refused")[-1]["body"]["action"] == "package_case"
    assert [m for m, _ in records.calls if m == "archive_case"] == []


def test_a_chain_rewritten_in_records_fails_authenticity(env, records):
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    records.entries[4]["hashed_body"] = records.entries[4]["hashed_body"].replace('"n":5',
                                                                                  '"n":6')
    with pytest.raises(DomainRuleViolated) as err:
        archive(env, records, body)
    assert "authenticity.chain_recomputed" in err.value.details["failed"]


def _tamper(env: Env, obj: dict, tmp_path: Path, change) -> None:
    """Rewrite the stored bag (as an insider with the disk would): unpack, change, pack."""
    bag_dir = unpack_bag(env, obj, tmp_path / "tamper")
    change(bag_dir / "data")
    package_bag.to_tar(bag_dir, tmp_path / "bad.tar", 0)
    path = Path(env.stores.primary.where) / "objects" / obj["key"]
    os.chmod(path, 0o644)
    path.write_bytes((tmp_path / "bad.tar").read_bytes())


def _verify(env: Env, package_id: str | None, records: Records) -> dict:
    return usecases.verify_package({"package_id": package_id}, actor=HEAD, db=env.db,
                                   stores=env.stores, checkpoint_keys=records.keys(),
                                   now=env.now)


def test_verify_package_passes_an_untouched_package(env, records):
    av = hold_documents(env)
    package_id = archive(env, records, archive_due(env, records, av["sha256"]))
    report = _verify(env, package_id, records)
    assert report["passed"], rules.failures(report)
    assert env.log("package_verified")[-1]["body"]["passed"] is True


def test_verify_package_finds_a_file_missing(env, records, tmp_path):
    av = hold_documents(env)
    package_id = archive(env, records, archive_due(env, records, av["sha256"]))
    obj = stored_object(env, stored_packages(env)[0]["object_id"])
    _tamper(env, obj, tmp_path, lambda data: next((data / "documents").iterdir()).unlink())
    report = _verify(env, package_id, records)
    assert not report["passed"]
    assert set(rules.failures(report)) == {"authenticity.package_digest",
                                           "integrity.files_present"}


def test_verify_package_finds_a_file_altered(env, records, tmp_path):
    av = hold_documents(env)
    package_id = archive(env, records, archive_due(env, records, av["sha256"]))
    obj = stored_object(env, stored_packages(env)[0]["object_id"])

    def alter(data: Path) -> None:
        entries = data / rules.ENTRIES
        entries.write_text(entries.read_text().replace('"n": 7', '"n": 8'))
    _tamper(env, obj, tmp_path, alter)
    report = _verify(env, package_id, records)
    assert {"authenticity.package_digest", "authenticity.files_hash_to_manifest"} <= set(
        rules.failures(report))
    assert env.log("package_verified")[-1]["body"]["passed"] is False


PAYLOAD = {"case.json": b"{}\n", "entries.jsonl": b"{}\n", "卷内目录.csv": b"a,b\n",
           "documents/0a1b-行政处罚决定书.pdf": b"%PDF-1.7\n", "documents/sub/z.bin": b"z",
           "av/0c2d-执法记录仪.mp4": b"\x00\x00\x00\x18ftypmp42", "av-references.json": b"[]"}
INFO = {"Source-Organization": "qinyuan-energy", "Bagging-Date": "2025-11-21",
        "External-Description": "行政处罚\r\n（一般程序）"}


def _tar(files: dict[str, bytes]) -> tuple[bytes, str]:
    out = io.BytesIO()
    sha = package_bag.write_bag(out, "case-x", INFO, [package_bag.File(p, len(d), data=d)
                                                      for p, d in files.items()], 1700000000)
    return out.getvalue(), sha


def test_the_tar_of_a_bag_is_the_same_bytes_each_time_and_hashes_as_announced():
    first, sha = _tar(PAYLOAD)
    again, _ = _tar(dict(reversed(list(PAYLOAD.items()))))
    assert first == again and sha == hashlib.sha256(first).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
    assert {m.uid for m in members} == {0} and {m.mtime for m in members} == {1700000000}
    assert [m.name for m in members] == sorted((m.name for m in members),
                                               key=lambda n: n.split("/"))


def test_the_bag_is_the_one_bagit_makes_of_the_same_payload(tmp_path):
    """Written straight into the tar, the bag holds what bagit.make_bag writes for the same
    files (the same tag files byte for byte, the tag manifest listing the same digests), and
    bagit validates it."""
    with tarfile.open(fileobj=io.BytesIO(_tar(PAYLOAD)[0])) as tar:
        tar.extractall(tmp_path / "ours", filter="data")
    ours = tmp_path / "ours" / "case-x"
    bagit.Bag(str(ours)).validate()
    theirs = tmp_path / "theirs" / "case-x"
    for path, data in PAYLOAD.items():
        (theirs / path).parent.mkdir(parents=True, exist_ok=True)
        (theirs / path).write_bytes(data)
    bagit.make_bag(str(theirs), dict(INFO, **{"Bag-Software-Agent": package_bag.AGENT}),
                   checksums=["sha256"])
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt"):
        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
    tagmanifest = "tagmanifest-sha256.txt"
    assert sorted((ours / tagmanifest).read_text().splitlines()) == \
        sorted((theirs / tagmanifest).read_text().splitlines())


def test_a_source_holding_other_than_its_listed_size_is_refused():
    with pytest.raises(ValueError, match="more than the 3 bytes"):
        package_bag.write_bag(io.BytesIO(), "case-x", INFO,
                              [package_bag.File("a.json", 3, data=b"{}\n\n")], 0)
    with pytest.raises(OSError):
        package_bag.write_bag(io.BytesIO(), "case-x", INFO,
                              [package_bag.File("a.json", 9, data=b"{}")], 0)


def test_on_s3_the_package_is_locked_and_replicated_and_verifies(env, records, s3_endpoint):
    env.stores = Stores(make_s3_store(s3_endpoint), make_s3_store(s3_endpoint))
    av = hold_documents(env)
    package_id = archive(env, records, archive_due(env, records, av["sha256"]))
    [package] = stored_packages(env)
    assert package["report"]["passed"], rules.failures(package["report"])
    [lock] = [c for c in package["report"]["security"]["checks"]
              if c["check"] == "stored_under_lock"]
    assert lock["detail"] == "COMPLIANCE until permanently"
    assert _verify(env, package_id, records)["passed"]


def test_a_package_is_stored_and_archived_once_on_sqlite_and_postgresql(env_db, records):
    av = hold_documents(env_db)
    body = archive_due(env_db, records, av["sha256"])
    package_id = archive(env_db, records, body)
    assert archive(env_db, records, body) is None
    assert archive(env_db, records, dict(body, message_id="0c11e7a2-0000-4f0e-8a51-3c559d7e2f60")
                   ) == package_id
    [package] = stored_packages(env_db)
    assert package["state"] == "archived" and package["report"]["passed"]
    assert len(env_db.events("package_stored.v1")) == 1
