"""A vault process that dies while packaging a case, at each seam between the write-once store
and the database: a child process runs the use case on the same SQLite file and store
directories and exits abruptly (os._exit, no cleanup, no rollback handlers) just before or just
after one of its writes to the store; the event is then delivered again to a fresh vault. The
redelivery adopts what the store holds under the write the dead process announced (its digest
checked) instead of writing again: one package row, one bag and one report, no object in the
store that the vault has no row for, a passing report, records told once. A package announced
and never recorded is what the fixity audit's tick reports."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from services.vault import models, usecases
from services.vault.domain import package as rules
from services.vault.storage.config import Stores
from services.vault.storage.s3 import S3Store
from services.vault.usecases.package import report_unfinished
from shared.errors import DomainRuleViolated
from tests.unit.vault.package_support import (
    Records,
    archive,
    archive_due,
    hold_documents,
    stored_objects,
    stored_packages,
)
from tests.unit.vault.support import HEAD, Env, make_s3_store

ROOT = Path(__file__).resolve().parents[3]
DIED = 137

# the child: the vault of the test's directory, its store's put cut at the seam asked for
CHILD = """
import json, os, sys
from pathlib import Path
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from services.vault.storage.local import LocalStore
from shared.persistence.db import make_engine, open_db
from tests.unit.vault.package_support import Records, archive
from tests.unit.vault.support import RULES, Env, local_stores

root, when, nth, url = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[5]
real, calls = LocalStore.put, []

def put(self, *args, **kwargs):
    calls.append(1)
    if when == "before" and len(calls) == nth:
        os._exit(137)
    written = real(self, *args, **kwargs)
    if when == "after" and len(calls) == nth:
        os._exit(137)
    return written

LocalStore.put = put
env = Env(open_db(make_engine(url)), RULES, local_stores(root))
records = Records(key=Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sys.argv[4])))
archive(env, records, json.loads((root / "event.json").read_text()))
sys.exit(0)
"""


def _key_hex(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption()).hex()


def _die_while_packaging(env: Env, records: Records, body: dict, tmp_path: Path, when: str,
                         nth: int, url: str | None = None) -> None:
    (tmp_path / "event.json").write_text(json.dumps(body))
    url = url or f"sqlite:///{tmp_path / 'vault.sqlite3'}"     # the env fixture's database
    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), when, str(nth),
                            _key_hex(records.key), url], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert child.returncode == DIED, child.stderr[-2000:]


def _files(store_root: Path) -> set[str]:
    return {p.relative_to(store_root / "objects").as_posix()
            for p in (store_root / "objects").rglob("*") if p.is_file()
            and not p.name.startswith(".")}


def _intents(env: Env) -> list[dict]:
    with env.db.read() as s:
        return [dict(r) for r in s.execute(select(models.package_intents)).mappings()]


# the use case's writes to the store: the bag into the store (1) and the replica (2), the report
# into the store (3) and the replica (4)
SEAMS = [("before", 1), ("after", 1), ("after", 2), ("after", 3), ("after", 4)]


@pytest.mark.parametrize(("when", "nth"), SEAMS, ids=[f"{w}-write-{n}" for w, n in SEAMS])
def test_a_process_dying_at_any_write_leaves_one_package_after_the_redelivery(
        env_db, db_url, tmp_path, when, nth):
    """On SQLite and PostgreSQL."""
    env = env_db
    records = Records()
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    held = {o["key"] for o in stored_objects(env)}
    _die_while_packaging(env, records, body, tmp_path, when, nth, db_url)
    # the dead process left its write announced and no package
    assert stored_packages(env) == []
    [intent] = _intents(env)
    assert intent["state"] == "pending"
    written = _files(tmp_path / "primary") - held
    assert written <= {intent["bag_key"], intent["report_key"]}
    assert len(written) == (0 if when == "before" else 1 if nth < 3 else 2)
    # the redelivery, to a vault started afresh
    package_id = archive(env, records, body)
    [package] = stored_packages(env)
    assert package["id"] == package_id == intent["package_id"]
    assert package["state"] == "archived" and package["report"]["passed"], \
        rules.failures(package["report"])
    [bag] = [o for o in stored_objects(env) if o["id"] == package["object_id"]]
    if when == "after":
        assert bag["key"] == intent["bag_key"]            # adopted, not written again
    assert _intents(env)[0]["state"] == "stored"
    # nothing in either store the vault holds no row for
    recorded = {o["key"] for o in stored_objects(env)}
    assert len(recorded) == len(held) + 2
    assert _files(tmp_path / "primary") == recorded == _files(tmp_path / "replica")
    assert [m for m, _ in records.calls if m == "archive_case"] == ["archive_case"]
    assert len(env.events("package_stored.v1")) == 1
    again = usecases.verify_package({"package_id": package_id}, actor=HEAD, db=env.db,
                                    stores=env.stores, checkpoint_keys=records.keys(),
                                    now=env.now)
    assert again["passed"], rules.failures(again)


def test_a_package_announced_and_never_recorded_is_reported_once_by_the_audit(env, tmp_path):
    records = Records()
    av = hold_documents(env)
    _die_while_packaging(env, records, archive_due(env, records, av["sha256"]), tmp_path,
                         "after", 2)
    [intent] = _intents(env)
    assert report_unfinished(db=env.db, stores=env.stores, now=env.now) == []  # still young
    later = env.now + timedelta(hours=2)
    done = usecases.audit_tick(db=env.db, stores=env.stores, outbox=env.outbox, now=later,
                               tick_seconds=3600)
    [found] = done["unfinished_packages"]
    assert (found["package_id"], found["bag_key"], found["bag_stored"]) == \
        (intent["package_id"], intent["bag_key"], True)
    assert found["report_stored"] is False
    assert report_unfinished(db=env.db, stores=env.stores, now=later) == [found]
    [logged] = env.log("package_unfinished")       # reported each tick, logged once
    assert logged["object_id"] == intent["package_id"]


def test_an_announced_bag_altered_in_the_store_is_not_adopted(env, tmp_path):
    records = Records()
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    _die_while_packaging(env, records, body, tmp_path, "after", 1)
    [intent] = _intents(env)
    path = tmp_path / "primary" / "objects" / intent["bag_key"]
    os.chmod(path, 0o644)
    path.write_bytes(b"not the bag that was announced")
    with pytest.raises(DomainRuleViolated) as err:
        archive(env, records, body)
    assert err.value.details["rule"] == "digest_mismatch"
    assert stored_packages(env) == []



class _Died(BaseException):
    """The process ending where it stands (not an Exception: nothing catches it on the way)."""


def test_on_s3_a_bag_written_without_its_lock_is_locked_on_the_redelivery(env, s3_endpoint,
                                                                          monkeypatch):
    """The real S3 peer (moto): the bag's PUT and its fixity record went in, the process died
    before setting its retention; the redelivery finds it unlocked under the announced key and
    locks it before recording it."""
    replica = make_s3_store(s3_endpoint)
    env.stores = Stores(make_s3_store(s3_endpoint), replica)
    records = Records()
    av = hold_documents(env)
    body = archive_due(env, records, av["sha256"])
    real = S3Store._retain

    def die(self, *args, **kwargs):
        raise _Died()

    monkeypatch.setattr(S3Store, "_retain", die)
    with pytest.raises(_Died):
        archive(env, records, body)
    [intent] = _intents(env)
    primary = env.stores.primary
    assert primary.exists(intent["bag_key"])
    assert primary.stat(intent["bag_key"]).lock.mode == "GOVERNANCE"     # S3: no retention
    assert stored_packages(env) == []
    monkeypatch.setattr(S3Store, "_retain", real)
    package_id = archive(env, records, body)
    [package] = stored_packages(env)
    assert package["id"] == package_id and package["report"]["passed"], \
        rules.failures(package["report"])
    [bag] = [o for o in stored_objects(env) if o["id"] == package["object_id"]]
    assert bag["key"] == intent["bag_key"]
    lock = primary.stat(bag["key"]).lock
    assert lock.mode == "COMPLIANCE" and lock.until is None              # permanent
    assert replica.stat(bag["key"]).lock.mode == "COMPLIANCE"
