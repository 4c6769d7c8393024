"""Each write once on a redelivery (the call's keys, as the entrypoint runs it), on SQLite and
PostgreSQL; hashing that yields so a worker's heartbeats go on."""
from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import eventlet
from sqlalchemy import func, select

from contracts.vault import CONTRACT
from services.vault import models, usecases
from services.vault.storage.hashing import digest_stream
from shared.persistence.idempotency import CallKeys
from shared.service.entrypoint import handle
from tests.unit.vault.support import HEAD, OFFICER, SUPERVISOR, upload_request

FOOTAGE = b"footage of a hearing " * 500


def _count(env, table) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(table)).scalar()


def _write(env, method, payload, who, keys, fn):
    return handle(CONTRACT, method, payload, fn, actor=who, keys=keys, **env.deps())


def test_a_redelivered_completion_stores_and_announces_once(env_db):
    target = _write(env_db, "begin_upload", upload_request(FOOTAGE), OFFICER,
                    CallKeys(request_id="corr-1"), usecases.begin_upload)
    usecases.receive_upload(target["upload_id"], io.BytesIO(FOOTAGE), db=env_db.db,
                            stores=env_db.stores, now=env_db.now)
    redelivered = CallKeys(request_id="corr-2")
    first = _write(env_db, "complete_upload", {"upload_id": target["upload_id"]}, OFFICER,
                   redelivered, usecases.complete_upload)
    again = _write(env_db, "complete_upload", {"upload_id": target["upload_id"]}, OFFICER,
                   redelivered, usecases.complete_upload)
    assert again == first
    assert _count(env_db, models.objects) == 1
    assert len(env_db.events("object_stored.v1")) == 1


def test_disposal_after_expiry_on_both_databases(env_db):
    stored = env_db.ingest(FOOTAGE)
    env_db.now = datetime(2027, 10, 21, 1, 0, tzinfo=UTC)
    asked = env_db.call(usecases.request_disposal, "request_disposal",
                        {"object_id": stored["id"], "reason": "期满"}, HEAD)
    done = env_db.call(usecases.approve_disposal, "approve_disposal",
                       {"disposal_id": asked["id"], "note": None}, SUPERVISOR)
    assert done["state"] == "approved"
    assert _count(env_db, models.disposals) == 1


def test_hashing_a_large_stream_lets_other_greenthreads_run():
    ticks = []

    def heartbeat():
        while True:
            ticks.append(1)
            eventlet.sleep(0)

    beat = eventlet.spawn(heartbeat)
    eventlet.sleep(0)
    data = b"\0" * (64 * 1024 * 1024)
    before = len(ticks)
    size, digests = digest_stream(io.BytesIO(data), ("sha256",))
    beat.kill()
    assert digests["sha256"] == hashlib.sha256(data).hexdigest() and size == len(data)
    assert len(ticks) - before >= 32     # a turn for the hub after every 1 MiB chunk
