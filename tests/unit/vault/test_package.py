"""A closed case's archive package built from fixture data (records.archive_due.v1 and the record
keeper's answers as a plain object, the vault on SQLite with a local store and its replica): a
BagIt bag of the case's entries in chain order, its verification and signed checkpoint, the
vault's documents and AV, the 卷内目录; stored write-once under the case file's class, its
四性检测 report beside it, records told once; redelivery, a record keeper that does not answer,
a package that fails its checks, and verify_package finding a file missing or altered."""
from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from contracts.records import CONTRACT as RECORDS
from services.vault import models, usecases
from services.vault.domain import package as rules
from services.vault.usecases import package_bag
from shared.contracts.registry import envelope
from shared.errors import DomainRuleViolated, Unavailable
from shared.persistence.transient import is_transient
from shared.trust.keys import key_id
from shared.trust.signatures import sign
from tests.agencies import QINYUAN
from tests.unit.vault.support import HEAD, RULES, Env, event_key

CASE_ID = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
CASE_NO = "沁能立〔2025〕12号"
ENTRIES = 30
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(4000)
PDF = b"%PDF-1.7\n" + b"1 0 obj <<>> endobj\n" * 50 + b"%%EOF\n"


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>行政处罚决定书</w:document>")
    return out.getvalue()


class Records:
    """The record keeper's answers for one closed case of ENTRIES entries: a real hash chain, a
    checkpoint signed with an Ed25519 key, archive_case once per idempotency key."""

    def __init__(self, entries: int = ENTRIES):
        self.key = Ed25519PrivateKey.generate()
        self.kid = key_id(self.key.public_key())
        self.entries, prev = [], rules.GENESIS
        for seq in range(1, entries + 1):
            body = json.dumps({"case_id": CASE_ID, "seq": seq, "kind": "record",
                               "content": {"n": seq}}, sort_keys=True, separators=(",", ":"))
            entry_hash = rules.link_hash(prev, body)
            self.entries.append({"seq": seq, "kind": "record", "stage": "investigation",
                                 "occurred_at": "2025-10-10T02:30:00+00:00",
                                 "recorded_at": "2025-10-10T02:31:00+00:00",
                                 "actor_id": "officer-1", "actor_role": "officer",
                                 "corrects_seq": None, "content": {"n": seq},
                                 "hashed_body": body, "prev_hash": prev,
                                 "entry_hash": entry_hash})
            prev = entry_hash
        self.head = prev
        self.calls: list[tuple[str, str | None]] = []
        self.down: set[str] = set()
        self.status = "closed"
        self.answered: dict[str, dict] = {}

    def keys(self) -> dict:
        return {self.kid: self.key.public_key()}

    def call(self, agency: str, method: str, *, key: str | None = None, **request: Any) -> Any:
        self.calls.append((method, key))
        if method in self.down or "*" in self.down:
            raise Unavailable("the record keeper did not answer", details={"retry": True})
        return getattr(self, method)(key, **request)

    def get_entries(self, key, case_id, from_seq=1, limit=200):
        return self.entries[from_seq - 1:from_seq - 1 + limit]

    def verify_case(self, key, case_id):
        n = len(self.entries)
        return {"case_id": case_id, "ok": True, "failure": None, "entries_checked": n,
                "head_seq": n, "head_hash": self.head, "first_bad": None,
                "chain_head": {"seq": n, "hash": self.head}, "checkpoint": None,
                "checkpoints_checked": 1}

    def checkpoint_case(self, key, case_id):
        statement = json.dumps({"type": rules.CHECKPOINT_TYPE, "case_id": case_id,
                                "seq": len(self.entries), "head_hash": self.head,
                                "signed_at": "2025-11-21T02:00:00+00:00"}, sort_keys=True,
                               separators=(",", ":"))
        return {"case_id": case_id, "seq": len(self.entries), "head_hash": self.head,
                "signed_at": "2025-11-21T02:00:00+00:00", "key_id": self.kid,
                "signature": base64.b64encode(self.key.sign(statement.encode())).decode(),
                "statement": statement, "public_key": "(not trusted)"}

    def archive_case(self, key, case_id, archived_at, archive_no, location):
        if key in self.answered:
            return self.answered[key]
        if self.status != "closed":
            raise DomainRuleViolated("only a closed case is archived", code="case_not_closed")
        self.status = "archived"
        self.answered[key] = {"case_id": case_id, "seq": len(self.entries) + 1}
        return self.answered[key]

    def get_case(self, key, case_id):
        return {"id": case_id, "status": self.status}


@pytest.fixture
def records() -> Records:
    return Records()


def _case(env: Env, records: Records, av_sha: str | None = None, **changes) -> dict:
    data = dict(RECORDS.event("archive_due.v1").example, case_id=CASE_ID, case_no=CASE_NO,
                head_seq=len(records.entries), head_hash=records.head,
                entries=len(records.entries), **changes)
    data["av_objects"] = [dict(data["av_objects"][0], sha256=av_sha)] if av_sha else []
    body = envelope(RECORDS, "archive_due.v1", data, agency=QINYUAN,
                    actor={"id": "officer-qy-007", "role": "officer"},
                    ruleset=RULES.agency(QINYUAN).ruleset.ref)
    sign(body, event_key("records"))
    return body


def _documents(env: Env) -> dict:
    """Three rendered documents and the AV the vault holds for the case."""
    for name, body, media in (("行政处罚决定书.docx", _docx(), "application/vnd.openxmlformats-"
                               "officedocument.wordprocessingml.document"),
                              ("行政处罚决定书.pdf", PDF, "application/pdf"),
                              ("现场检查笔录.pdf", PDF + b"%2", "application/pdf")):
        env.ingest(body, subject="case_file", name=name, media_type=media, case_id=CASE_ID)
    return env.ingest(MP4, subject="av", name="执法记录仪.mp4", case_id=CASE_ID,
                      facts=["penalty_evidence"])


def _package(env: Env, records: Records, body: dict, av_mode: str = "reference") -> str | None:
    return usecases.on_archive_due(body, db=env.db, rules=env.rules, stores=env.stores,
                                   outbox=env.outbox, records=records,
                                   checkpoint_keys=records.keys(), av_mode=av_mode,
                                   now=env.now)


def _packages(env: Env) -> list[dict]:
    with env.db.read() as s:
        return [dict(r) for r in s.execute(select(models.packages)).mappings()]


def _objects(env: Env) -> list[dict]:
    with env.db.read() as s:
        return [dict(r) for r in s.execute(select(models.objects)).mappings()]


def _unpack(env: Env, obj: dict, into: Path) -> Path:
    return package_bag.from_tar(env.stores.primary, obj["key"], into)


def _object(env: Env, object_id: str) -> dict:
    return next(o for o in _objects(env) if o["id"] == object_id)


def test_a_closed_case_is_packaged_stored_under_its_class_and_records_told(env, records,
                                                                         tmp_path):
    av = _documents(env)
    package_id = _package(env, records, _case(env, records, av["sha256"]), av_mode="include")
    [package] = _packages(env)
    assert package["id"] == package_id and package["state"] == "archived"
    assert package["archive_seq"] == ENTRIES + 1 and package["head_seq"] == ENTRIES
    report = package["report"]
    assert report["passed"], rules.failures(report)
    assert all(report[a]["passed"] for a in rules.ASPECTS)
    bag_obj = _object(env, package["object_id"])
    # write-once under the case file's class: the agency's archives term (permanent)
    assert bag_obj["retention"]["class"] == "case_file" and bag_obj["retain_until"] is None
    assert bag_obj["retention"]["term"] == "permanent"
    assert env.stores.replica.exists(bag_obj["key"])
    with env.stores.primary.open(_object(env, package["report_object_id"])["key"]) as f:
        kept = json.loads(f.read())
    assert kept["package_id"] == package_id and kept["passed"]
    bag_dir = _unpack(env, bag_obj, tmp_path / "out")
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
    av = _documents(env)
    _package(env, records, _case(env, records, av["sha256"]))
    [package] = _packages(env)
    assert package["report"]["passed"], rules.failures(package["report"])
    data = _unpack(env, _object(env, package["object_id"]), tmp_path / "out") / "data"
    assert not (data / "av").exists()
    [ref] = json.loads((data / rules.AV_REFERENCES).read_text())
    assert ref["sha256"] == av["sha256"]


def test_a_redelivered_archive_due_builds_one_package(env, records):
    av = _documents(env)
    body = _case(env, records, av["sha256"])
    first = _package(env, records, body)
    calls = len(records.calls)
    assert _package(env, records, body) is None            # the inbox: handled once
    assert records.calls[calls:] == []
    again = dict(body, message_id="0c11e7a2-0000-4f0e-8a51-3c559d7e2f5f")
    assert _package(env, records, again) == first         # another message, same case
    assert [m for m, _ in records.calls[calls:]] == []     # nothing fetched, records not told
    assert len(_packages(env)) == 1 and len(env.events("package_stored.v1")) == 1
    assert len([o for o in _objects(env) if o["media_type"] == "application/x-tar"]) == 1


def test_records_unreachable_leaves_nothing_stored_and_the_event_is_retried(env, records):
    av = _documents(env)
    before = {o["id"] for o in _objects(env)}
    body = _case(env, records, av["sha256"])
    records.down = {"verify_case"}
    with pytest.raises(Unavailable) as err:
        _package(env, records, body)
    assert is_transient(err.value)     # the consumer retries it, dead-letters after its bound
    assert _packages(env) == [] and {o["id"] for o in _objects(env)} == before
    stored = [p for p in (Path(env.stores.primary.where) / "objects").rglob("*") if p.is_file()]
    assert len(stored) == len(before)
    records.down = set()
    assert _package(env, records, body) is not None
    assert _packages(env)[0]["state"] == "archived"


def test_records_unreachable_after_the_package_is_whole_finishes_on_the_retry(env, records):
    av = _documents(env)
    body = _case(env, records, av["sha256"])
    records.down = {"archive_case"}
    with pytest.raises(Unavailable):
        _package(env, records, body)
    [package] = _packages(env)
    assert package["state"] == "stored" and env.events("package_stored.v1") == []
    records.down = set()
    assert _package(env, records, body) == package["id"]
    [package] = _packages(env)
    assert package["state"] == "archived" and records.status == "archived"
    assert len(env.events("package_stored.v1")) == 1
    assert len([m for m, _ in records.calls if m == "get_entries"]) == 1


def test_a_package_failing_its_checks_is_refused_and_nothing_stored(env, records):
    _documents(env)
    before = len(_objects(env))
    body = _case(env, records, "ab" * 32)          # AV the chain names, not in the vault
    with pytest.raises(DomainRuleViolated) as err:
        _package(env, records, body)
    assert err.value.details["rule"] == "package_check_failed"
    assert err.value.details["failed"] == ["integrity.av_objects_held"]
    assert _packages(env) == [] and len(_objects(env)) == before
    assert env.log("refused")[-1]["body"]["action"] == "package_case"
    assert [m for m, _ in records.calls if m == "archive_case"] == []


def test_a_chain_rewritten_in_records_fails_authenticity(env, records):
    av = _documents(env)
    body = _case(env, records, av["sha256"])
    records.entries[4]["hashed_body"] = records.entries[4]["hashed_body"].replace('"n":5',
                                                                                  '"n":6')
    with pytest.raises(DomainRuleViolated) as err:
        _package(env, records, body)
    assert "authenticity.chain_recomputed" in err.value.details["failed"]


def _tamper(env: Env, obj: dict, tmp_path: Path, change) -> None:
    """Rewrite the stored bag (as an insider with the disk would): unpack, change, pack."""
    bag_dir = _unpack(env, obj, tmp_path / "tamper")
    change(bag_dir / "data")
    package_bag.to_tar(bag_dir, tmp_path / "bad.tar", 0)
    path = Path(env.stores.primary.where) / "objects" / obj["key"]
    os.chmod(path, 0o644)
    path.write_bytes((tmp_path / "bad.tar").read_bytes())


def _verify(env: Env, package_id: str, records: Records) -> dict:
    return usecases.verify_package({"package_id": package_id}, actor=HEAD, db=env.db,
                                   stores=env.stores, checkpoint_keys=records.keys(),
                                   now=env.now)


def test_verify_package_passes_an_untouched_package(env, records):
    av = _documents(env)
    package_id = _package(env, records, _case(env, records, av["sha256"]))
    report = _verify(env, package_id, records)
    assert report["passed"], rules.failures(report)
    assert env.log("package_verified")[-1]["body"]["passed"] is True


def test_verify_package_finds_a_file_missing(env, records, tmp_path):
    av = _documents(env)
    package_id = _package(env, records, _case(env, records, av["sha256"]))
    obj = _object(env, _packages(env)[0]["object_id"])
    _tamper(env, obj, tmp_path, lambda data: next((data / "documents").iterdir()).unlink())
    report = _verify(env, package_id, records)
    assert not report["passed"]
    assert set(rules.failures(report)) == {"authenticity.package_digest",
                                           "integrity.files_present"}


def test_verify_package_finds_a_file_altered(env, records, tmp_path):
    av = _documents(env)
    package_id = _package(env, records, _case(env, records, av["sha256"]))
    obj = _object(env, _packages(env)[0]["object_id"])

    def alter(data: Path) -> None:
        entries = data / rules.ENTRIES
        entries.write_text(entries.read_text().replace('"n": 7', '"n": 8'))
    _tamper(env, obj, tmp_path, alter)
    report = _verify(env, package_id, records)
    assert {"authenticity.package_digest", "authenticity.files_hash_to_manifest"} <= set(
        rules.failures(report))
    assert env.log("package_verified")[-1]["body"]["passed"] is False


def test_the_tar_of_a_bag_is_the_same_bytes_each_time(tmp_path):
    bag_dir = tmp_path / "case-x"
    (bag_dir).mkdir()
    (bag_dir / "a.json").write_text("{}")
    package_bag.make_bag(bag_dir, {"Bagging-Date": "2025-11-21"})
    package_bag.to_tar(bag_dir, tmp_path / "1.tar", 1700000000)
    package_bag.to_tar(bag_dir, tmp_path / "2.tar", 1700000000)
    assert (tmp_path / "1.tar").read_bytes() == (tmp_path / "2.tar").read_bytes()
    with tarfile.open(tmp_path / "1.tar") as tar:
        assert {m.uid for m in tar.getmembers()} == {0}
