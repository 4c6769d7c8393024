"""The record keeper's hot paths against SQLite and PostgreSQL: an append writes its entry,
moves the head and stages its event in one transaction (in one statement on PostgreSQL);
a head moved underneath is refused; verify reads the stored chain as bytes and still names
the first bad entry; the relay publishes a batch under confirms, routed or kept unrouted."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kombu import Connection, Exchange, Queue
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from contracts.records import CONTRACT
from services.records import models, queries, store
from services.records.domain import chain
from services.records.store import verification
from services.records.usecases import cases, records
from shared.contracts.registry import load
from shared.errors import Conflict, SanxiangError
from shared.messaging.outbox import (
    PENDING,
    PUBLISHED,
    UNROUTED,
    ConfirmedPublisher,
    OutboxWriter,
    relay_pending,
)
from shared.persistence.db import make_engine, migrate, open_db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor
from shared.trust.keys import KeyStore, SigningKey, key_id
from tests.agencies import agencies

AGENCY = "lingchuan-emergency"
NOW = datetime(2025, 10, 9, 8, 0, tzinfo=UTC)
OFFICER = Actor(id="officer-1", role="officer", agency=AGENCY)
HEAD = Actor(id="head-1", role="head", agency=AGENCY)


_records_key = Ed25519PrivateKey.generate()
RECORDS_KEY = SigningKey(_records_key, key_id(_records_key.public_key()), "records")


@pytest.fixture
def records_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, "services.records:migrations")
    yield open_db(engine)
    engine.dispose()


def _deps(db):
    return {"db": db, "now": NOW, "actor": OFFICER,
            "outbox": OutboxWriter(models.outbox, CONTRACT, signer=RECORDS_KEY),
            "rules": Rules.from_config({"AGENCIES": agencies(AGENCY)})}


def _open_case(db) -> dict:
    from tests.builders import open_case_request
    payload = open_case_request(f"陵应急立〔2025〕{uuid.uuid4().hex[:6]}号")
    return cases.open_case(load(CONTRACT.rpc("open_case").request, payload), **_deps(db))


def _note(case_id: str, n: int) -> dict:
    return load(CONTRACT.rpc("append_record").request, {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-10T10:30:00+08:00",
        "content": {"summary": f"第{n}次记录：现场调取培训台账三册并拍照留存。"}})


def test_append_writes_entry_head_and_event_together(records_db):
    case = _open_case(records_db)
    deps = _deps(records_db)
    results = [records.append_record(_note(case["id"], n), **deps) for n in range(3)]
    assert [r["seq"] for r in results] == [2, 3, 4]
    with records_db.read() as s:
        head = s.execute(select(models.cases.c.head_seq, models.cases.c.head_hash)
                         .where(models.cases.c.id == case["id"])).one()
        stored = s.execute(select(models.entries.c.seq, models.entries.c.entry_hash)
                           .where(models.entries.c.case_id == case["id"])
                           .order_by(models.entries.c.seq)).all()
        events = [json.loads(b) for b, in s.execute(
            select(models.outbox.c.body).where(models.outbox.c.event_type == "entry_appended.v1")
            .order_by(models.outbox.c.id))]
    assert tuple(head) == (4, results[-1]["entry_hash"])
    assert [tuple(r) for r in stored][1:] == [(r["seq"], r["entry_hash"]) for r in results]
    assert [(e["data"]["seq"], e["data"]["entry_hash"], e["data"]["record_type"])
            for e in events[1:]] == [(r["seq"], r["entry_hash"], "note") for r in results]
    assert deps["outbox"].staged == 3
    verdict = queries.verify_case({"case_id": case["id"]}, actor=HEAD, db=records_db,
                                  signing_key=None, now=NOW)
    assert verdict["ok"] and verdict["entries_checked"] == 4


def test_a_head_moved_underneath_is_refused_and_nothing_is_written(records_db):
    case = _open_case(records_db)
    with records_db.transaction() as s:
        locked = store.load_case(s, case["id"], lock=True)
    stale = dict(locked)
    records.append_record(_note(case["id"], 1), **_deps(records_db))  # the head moves on
    outbox = OutboxWriter(models.outbox, CONTRACT, signer=RECORDS_KEY)

    def counts():
        with records_db.read() as s:
            return (s.execute(select(func.count()).select_from(models.entries)).scalar(),
                    s.execute(select(func.count()).select_from(models.outbox)).scalar())

    before = counts()
    stale["head_seq"] += 5  # a seq nobody holds: only the head's compare-and-set refuses it
    with pytest.raises(Conflict) as err:
        with records_db.transaction() as s:
            entry = chain.prepare(stale, kind="record", occurred_at=NOW, actor=OFFICER,
                                  content={"summary": "x"}, now=NOW)
            _, row = outbox.prepare("entry_appended.v1", {
                "case_id": case["id"], "case_no": case["case_no"], "seq": entry.seq,
                "kind": "record", "record_type": "note", "stage": entry.row["stage"],
                "entry_hash": entry.entry_hash}, agency=AGENCY, actor=OFFICER.ref(),
                ruleset=case["ruleset"])
            store.write(s, stale, entry, [row])
    assert err.value.code == "concurrent_append"
    assert counts() == before


@pytest.mark.parametrize("batch", [1000, 2])
def test_verify_names_the_first_bad_entry_read_as_bytes(records_db, tmp_path, batch,
                                                       monkeypatch, keys_dir):
    monkeypatch.setattr(verification, "VERIFY_BATCH", batch)  # 2: fetched ahead, stopped early
    case = _open_case(records_db)
    deps = _deps(records_db)
    for n in range(4):
        records.append_record(_note(case["id"], n), **deps)
    key = chain.CheckpointKeys.of(KeyStore(keys_dir).checkpoint_key("records").key)
    ok = queries.verify_case({"case_id": case["id"]}, actor=HEAD, db=records_db,
                             signing_key=key, now=NOW)
    assert ok["ok"] and ok["entries_checked"] == 5 and ok["first_bad"] is None
    with records_db.transaction() as s:  # an intruder edits seq 3 behind the triggers
        if s.bind.dialect.name == "postgresql":
            s.execute(text("ALTER TABLE entries DISABLE TRIGGER entries_append_only"))
        else:
            s.execute(text("DROP TRIGGER entries_no_update"))
        s.execute(text("UPDATE entries SET body = replace(body, '台账三册', '台账两册') "
                       "WHERE case_id = :c AND seq = 3"), {"c": case["id"]})
    bad = queries.verify_case({"case_id": case["id"]}, actor=HEAD, db=records_db,
                              signing_key=key, now=NOW)
    assert bad["ok"] is False and bad["entries_checked"] == 2
    assert bad["first_bad"]["seq"] == 3
    assert bad["first_bad"]["problem"] == "content does not match its hash"
    assert isinstance(bad["first_bad"]["found"], str) and len(bad["first_bad"]["found"]) == 64


def test_relay_publishes_a_batch_under_confirms_and_keeps_the_unrouted(records_db,
                                                                      rabbit_config):
    exchange = Exchange("records.events", type="topic", durable=True)
    conn = Connection(rabbit_config["AMQP_URI"])
    tap = Queue(f"tap-{uuid.uuid4().hex[:8]}", exchange, routing_key="entry_appended.v1")
    tap(conn.default_channel).declare()
    outbox = OutboxWriter(models.outbox, CONTRACT, signer=RECORDS_KEY)
    data = {"case_id": str(uuid.uuid4()), "case_no": "X", "seq": 2, "kind": "record",
            "record_type": "note", "stage": "initiation", "entry_hash": "a" * 64}
    with records_db.transaction() as s:
        staged = [outbox.stage(s, "entry_appended.v1", dict(data, seq=n), agency=AGENCY,
                               actor=OFFICER.ref(), ruleset="lingchuan-emergency@1")
                  for n in range(2, 7)]
        outbox.stage(s, "stage_changed.v1", {  # no queue is bound for this one
            "case_id": data["case_id"], "case_no": "X", "from_stage": "initiation",
            "to_stage": "investigation", "seq": 7}, agency=AGENCY, actor=OFFICER.ref(),
            ruleset="lingchuan-emergency@1")
    publisher = ConfirmedPublisher(rabbit_config["AMQP_URI"], exchange)
    try:
        assert relay_pending(records_db, models.outbox, publisher) == 6
        assert relay_pending(records_db, models.outbox, publisher) == 0
    finally:
        publisher.close()
    with records_db.read() as s:
        states = dict(s.execute(select(models.outbox.c.event_type, models.outbox.c.state)
                                .distinct()).all())
    assert states == {"entry_appended.v1": PUBLISHED, "stage_changed.v1": UNROUTED}
    got = []
    while (msg := tap(conn.default_channel).get(no_ack=True)) is not None:
        got.append(msg)
    conn.release()
    assert [m.properties["message_id"] for m in got] == [e["message_id"] for e in staged]
    assert got[0].content_type == "application/json"
    assert got[0].delivery_info["routing_key"] == "entry_appended.v1"
    assert json.loads(got[0].body)["data"]["seq"] == 2


def test_relay_keeps_events_pending_when_the_broker_is_unreachable(records_db):
    outbox = OutboxWriter(models.outbox, CONTRACT, signer=RECORDS_KEY)
    with records_db.transaction() as s:
        outbox.stage(s, "stage_changed.v1", {
            "case_id": str(uuid.uuid4()), "case_no": "X", "from_stage": "initiation",
            "to_stage": "investigation", "seq": 2}, agency=AGENCY, actor=OFFICER.ref(),
            ruleset="lingchuan-emergency@1")
    publisher = ConfirmedPublisher("amqp://guest:guest@127.0.0.1:1//",
                                   Exchange("records.events", type="topic", durable=True))
    with pytest.raises(OSError):  # the connection refused
        relay_pending(records_db, models.outbox, publisher)
    with records_db.read() as s:
        assert s.execute(select(models.outbox.c.state)).scalars().all() == [PENDING]


def test_the_case_row_read_through_the_driver_equals_sqlalchemy_s(records_db):
    case = _open_case(records_db)
    with records_db.transaction() as s:
        via_sqlalchemy = dict(s.execute(select(models.cases).where(
            models.cases.c.id == case["id"])).mappings().one())
        assert store.load_case(s, case["id"], lock=True) == via_sqlalchemy
        assert store.load_case(s, case["id"]) == via_sqlalchemy
    assert isinstance(via_sqlalchemy["parties"], list)
    # aware UTC on both databases (shared.persistence.schema.UtcDateTime)
    assert via_sqlalchemy["opened_at"].utcoffset() == timedelta(0)


def test_a_read_leaves_its_access_row_and_the_connection_as_it_found_it(records_db):
    """get_case reads and logs statement by statement (no BEGIN/COMMIT round trips on
    PostgreSQL): the access row is there, equal to what SQLAlchemy would have written, and
    the pooled connection is back out of autocommit for the next transaction."""
    case = _open_case(records_db)
    view = queries.get_case({"case_id": case["id"]}, actor=HEAD, db=records_db, now=NOW)
    assert view["id"] == case["id"]
    with records_db.read() as s:
        rows = s.execute(select(models.access_log).where(
            models.access_log.c.case_id == case["id"])).mappings().all()
        assert [(r["action"], r["actor_id"], r["agency"], r["outcome"], r["reason"])
                for r in rows] == [("get_case", "head-1", AGENCY, "granted", None)]
        assert rows[0]["at"].replace(tzinfo=rows[0]["at"].tzinfo or UTC) == NOW
        if s.bind.dialect.name == "postgresql":
            assert s.connection().connection.driver_connection.autocommit is False
    other = Actor(id="officer-9", role="officer", agency="anze-county")
    with pytest.raises(SanxiangError) as refused:
        queries.get_case({"case_id": case["id"]}, actor=other, db=records_db, now=NOW)
    assert refused.value.code == "forbidden"
    with records_db.read() as s:  # the refusal is the caller's to record: nothing written here
        assert s.execute(select(func.count()).select_from(models.access_log)).scalar() == 1
    # a supervisor of another body is granted (Actor.require) and logged once; a missing case
    # is not found and logs nothing
    supervisor = Actor(id="sup-1", role="supervisor", agency="county-justice")
    queries.get_entries({"case_id": case["id"], "from_seq": 1, "limit": 5}, actor=supervisor,
                        db=records_db, now=NOW)
    with pytest.raises(SanxiangError) as missing:
        queries.get_case({"case_id": "no-such-case"}, actor=HEAD, db=records_db, now=NOW)
    assert missing.value.code == "not_found"
    with records_db.read() as s:
        assert s.execute(select(models.access_log.c.action, models.access_log.c.actor_id)
                         .order_by(models.access_log.c.id)).all() == [
            ("get_case", "head-1"), ("get_entries", "sup-1")]
    # a failed statement inside autocommit() leaves nothing behind and the pool usable
    with pytest.raises(DBAPIError):
        with records_db.autocommit() as s:
            s.execute(text("SELECT no_such_column FROM cases"))
    with records_db.transaction() as s:
        assert s.execute(select(func.count()).select_from(models.cases)).scalar() == 1
