"""Retention (shared.messaging.retention): published outbox rows and handled inbox rows past
their retention are deleted, in batches; everything younger, and every pending or unrouted
outbox row whatever its age, is kept; two instances prune side by side without conflict; a
redelivered event within the inbox's retention is still handled once. On SQLite and
PostgreSQL, in each service's database as its migrations make it."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from shared.errors import ConfigurationError
from shared.messaging import outbox
from shared.messaging.retention import (
    TIMER,
    Retention,
    prune_once,
    retention_days,
    unrouted_days,
)
from shared.persistence import timers
from shared.persistence.db import make_engine, migrate, open_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SERVICES = ("records", "review", "disclosure", "renderer", "vault")


def _db(url: str, service: str):
    engine = make_engine(url)
    migrate(engine, f"services.{service}:migrations")
    return engine, open_db(engine)


def _tables(service: str):
    import importlib
    models = importlib.import_module(f"services.{service}.models")
    return models.outbox, getattr(models, "inbox", None)


def _fill_outbox(db, table, rows: Sequence[tuple[str, str, datetime | None]]) -> None:
    """(message id, state, published_at) in id order; created a minute before publication
    (a pending row: at its published_at's place, 40 days ago unless given)."""
    with db.transaction() as session:
        for message_id, state, published in rows:
            created = (published or NOW - 40 * DAY) - timedelta(minutes=1)
            session.execute(insert(table), {
                "message_id": message_id, "event_type": "entry_appended.v1", "body": "{}",
                "created_at": created, "state": state, "published_at": published,
                "attempts": 0 if state == outbox.PENDING else 1})


def _fill_inbox(db, table, rows: list[tuple[str, datetime]]) -> None:
    with db.transaction() as session:
        for message_id, received in rows:
            session.execute(insert(table), {"message_id": message_id,
                                            "event_type": "decision_proposed.v1",
                                            "source": "records", "received_at": received})


def _ids(db, table, column) -> set[str]:
    with db.read() as session:
        return set(session.execute(select(column)).scalars())


OUTBOX_ROWS = [
    ("old-published-1", outbox.PUBLISHED, NOW - 30 * DAY),
    ("old-pending", outbox.PENDING, None),                      # never sent: kept
    ("old-published-2", outbox.PUBLISHED, NOW - 8 * DAY),
    ("old-unrouted", outbox.UNROUTED, NOW - 20 * DAY),          # no queue yet: kept
    ("old-published-3", outbox.PUBLISHED, NOW - 7 * DAY - timedelta(seconds=1)),
    ("young-published", outbox.PUBLISHED, NOW - 6 * DAY),
    ("young-unrouted", outbox.UNROUTED, NOW - DAY),
    ("fresh-published", outbox.PUBLISHED, NOW - timedelta(seconds=5)),
]
KEPT = {"old-pending", "old-unrouted", "young-published", "young-unrouted", "fresh-published"}
INBOX_ROWS = [("in-old-1", NOW - 90 * DAY), ("in-old-2", NOW - 31 * DAY),
              ("in-young", NOW - 29 * DAY), ("in-fresh", NOW - timedelta(seconds=1))]


@pytest.mark.parametrize("service", SERVICES)
def test_rows_past_retention_are_pruned_and_the_rest_kept(db_url, service):
    engine, db = _db(db_url, service)
    out, inbox = _tables(service)
    try:
        _fill_outbox(db, out, OUTBOX_ROWS)
        if inbox is not None:
            _fill_inbox(db, inbox, INBOX_ROWS)
        # batches of 2: the walk crosses batches, stepping over the pending and unrouted rows
        done = prune_once(db, out, inbox, outbox_days=7, inbox_days=30, now=NOW, batch_size=2)
        assert done["outbox"] == 3
        assert _ids(db, out, out.c.message_id) == KEPT
        if inbox is not None:
            assert done["inbox"] == 2
            assert _ids(db, inbox, inbox.c.message_id) == {"in-young", "in-fresh"}
        # a second pass finds nothing more; the pending and unrouted rows stay, however old
        assert prune_once(db, out, inbox, outbox_days=7, inbox_days=30,
                          now=NOW + 365 * DAY, batch_size=2)["outbox"] == 2
        assert _ids(db, out, out.c.message_id) == {"old-pending", "old-unrouted",
                                                  "young-unrouted"}
    finally:
        engine.dispose()


def test_a_pass_reads_no_further_than_the_first_row_created_after_the_cutoff(db_url):
    """Many young rows behind a few old ones: the walk stops at the first young row."""
    engine, db = _db(db_url, "records")
    out, _ = _tables("records")
    try:
        _fill_outbox(db, out, [(f"old-{i}", outbox.PUBLISHED, NOW - 10 * DAY) for i in range(3)]
                     + [(f"young-{i}", outbox.PUBLISHED, NOW - DAY) for i in range(50)])
        reads = []
        real = db.transaction

        def counting():
            reads.append(1)
            return real()
        db.transaction = counting
        assert outbox.prune(db, out, NOW - 7 * DAY, batch_size=2) == 3
        assert len(reads) == 2  # [old-0, old-1], [old-2, young-0]: then it stops
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_instances_prune_side_by_side_without_conflict(fresh_database):
    out, inbox = _tables("review")
    engine, db = _db(fresh_database, "review")
    other = make_engine(fresh_database)
    try:
        _fill_outbox(db, out, [(f"p-{i}", outbox.PUBLISHED, NOW - 10 * DAY) for i in range(1200)]
                     + [("pending", outbox.PENDING, None)])
        _fill_inbox(db, inbox, [(f"i-{i}", NOW - 40 * DAY) for i in range(1200)])
        # while one instance holds the outbox's claim, the other leaves the outbox alone
        with db.transaction() as session:
            assert timers.claim(session, TIMER, "outbox")
            done = prune_once(open_db(other), out, inbox, outbox_days=7, inbox_days=30,
                              now=NOW, batch_size=100)
        assert done == {"outbox": 0, "inbox": 1200}
        # both at once: between them every old row goes, once, and nobody fails
        results: list[dict] = []
        errors: list[BaseException] = []

        def run(database):
            try:
                results.append(prune_once(database, out, inbox, outbox_days=7, inbox_days=30,
                                          now=NOW, batch_size=50))
            except BaseException as exc:  # reported below
                errors.append(exc)
        threads = [threading.Thread(target=run, args=(d,)) for d in (db, open_db(other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        # what one pass left (it stops when the other holds the claim) the next takes
        rest = prune_once(db, out, inbox, outbox_days=7, inbox_days=30, now=NOW)
        assert sum(r["outbox"] for r in results) + rest["outbox"] == 1200
        assert _ids(db, out, out.c.message_id) == {"pending"}
    finally:
        other.dispose()
        engine.dispose()


def test_a_redelivered_event_within_retention_is_still_handled_once(db_url, keys_dir):
    from contracts.review import CONTRACT
    from services.review import models
    from services.review.usecases.requests import on_decision_proposed
    from shared.messaging.outbox import OutboxWriter
    from shared.rulesets.provider import Rules
    from shared.trust.keys import KeyStore
    from tests.agencies import LINGCHUAN, agencies
    from tests.events import proposed

    engine, db = _db(db_url, "review")
    try:
        writer = OutboxWriter(models.outbox, CONTRACT,
                              signer=KeyStore(keys_dir).event_signing_key("review"))
        rules = Rules.from_config({"AGENCIES": agencies(LINGCHUAN)})
        event = proposed(keys_dir, "11111111-1111-4111-8111-111111111111", major=True)

        def deliver(at):
            return on_decision_proposed(event, db=db, outbox=writer, rules=rules, now=at)

        first = NOW - 29 * DAY
        assert deliver(first) is not None
        assert prune_once(db, models.outbox, models.inbox, outbox_days=7, inbox_days=30,
                          now=NOW)["inbox"] == 0
        assert deliver(NOW) is None  # within retention: remembered, nothing done twice
        with db.read() as session:
            assert session.execute(select(func.count()).select_from(models.reviews)).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("config, key", [
    ({"OUTBOX_RETENTION_DAYS": "0"}, "OUTBOX_RETENTION_DAYS"),
    ({"INBOX_RETENTION_DAYS": "a month"}, "INBOX_RETENTION_DAYS"),
    ({"OUTBOX_RETENTION_DAYS": "30", "INBOX_RETENTION_DAYS": "30"}, "INBOX_RETENTION_DAYS"),
])
def test_a_retention_that_is_no_number_of_days_or_an_inbox_shorter_than_the_outbox_is_refused(
        config, key):
    with pytest.raises(ConfigurationError, match=key):
        retention_days(config)


def test_the_defaults_and_fractions():
    assert retention_days({}) == (7.0, 30.0)
    assert retention_days({"OUTBOX_RETENTION_DAYS": "0.5", "INBOX_RETENTION_DAYS": ""}) == \
        (0.5, 30.0)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_prunes_its_outbox_and_inbox(service):
    from tests import suite
    cls = suite.classes()[service]
    retention = [v for v in vars(cls).values() if isinstance(v, Retention)]
    out, inbox = _tables(service)
    assert [(r.outbox_table, r.inbox_table) for r in retention] == [(out, inbox)]


def test_unrouted_rows_go_after_their_own_retention_unless_kept_for_good(db_url):
    engine, db = _db(db_url, "records")
    out, inbox = _tables("records")
    try:
        _fill_outbox(db, out, OUTBOX_ROWS)
        assert unrouted_days({}) == 30  # the default, as for an empty setting
        assert unrouted_days({"OUTBOX_UNROUTED_RETENTION_DAYS": ""}) == 30
        assert unrouted_days({"OUTBOX_UNROUTED_RETENTION_DAYS": "never"}) is None  # for good
        done = prune_once(db, out, inbox, outbox_days=7, inbox_days=30, now=NOW,
                          batch_size=3, unrouted_days=unrouted_days(
                              {"OUTBOX_UNROUTED_RETENTION_DAYS": "10"}))
        # the published rows past 7 days and the unrouted one returned 20 days ago; the
        # unrouted one of yesterday and the pending one stay
        assert done["outbox"] == 4
        assert _ids(db, out, out.c.message_id) == KEPT - {"old-unrouted"}
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_walk_reads_published_rows_from_their_index_never_the_unrouted_kept(
        fresh_database):
    """A record keeper whose events no service consumes: thousands of unrouted rows kept for
    good around a few published ones. The walk's read is an index scan of PUBLISHED_INDEX
    that reads the published rows alone."""
    import json

    from sqlalchemy import text

    from tests.unit.test_outbox_relay_pick import plan_nodes

    engine, db = _db(fresh_database, "records")
    out, _ = _tables("records")
    try:
        _fill_outbox(db, out, [(f"u-{i}", outbox.UNROUTED, NOW - 30 * DAY) for i in range(3000)]
                     + [(f"p-{i}", outbox.PUBLISHED, NOW - 20 * DAY) for i in range(3)]
                     + [(f"v-{i}", outbox.UNROUTED, NOW - 30 * DAY) for i in range(3000)])
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE outbox")
        walk = (select(out.c.id, out.c.published_at, out.c.created_at)
                .where(out.c.state == outbox.PUBLISHED, out.c.id > 0)
                .order_by(out.c.id).limit(500))
        query = str(walk.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            [[explained]] = conn.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + query)).all()
        nodes = list(plan_nodes((explained if isinstance(explained, list)
                                 else json.loads(explained))[0]["Plan"]))
        scans = [n for n in nodes if "Scan" in n["Node Type"]]
        assert [n.get("Index Name") for n in scans] == [outbox.PUBLISHED_INDEX]
        assert scans[0]["Actual Rows"] == 3
        assert outbox.prune(db, out, NOW - 7 * DAY) == 3
        assert len(_ids(db, out, out.c.message_id)) == 6000
    finally:
        engine.dispose()
