"""The outbox relay's pick of pending rows (shared.messaging.outbox._pending) on PostgreSQL:
read from the partial index of pending rows, it touches no row that was published before —
however many there are — and answers the pending rows in id order."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from shared.messaging.outbox import PENDING_INDEX, _pending
from shared.persistence.db import make_engine, migrate, open_db

pytestmark = pytest.mark.postgres

PUBLISHED_ROWS = 5000
PENDING_IDS = (7, 2500, 4999, 5001, 5003)


# every service with an outbox migrates it to the partial indexes
SERVICES_WITH_AN_OUTBOX = ("records", "review", "renderer", "vault")


@pytest.fixture(params=SERVICES_WITH_AN_OUTBOX)
def outbox(request, fresh_database) -> Iterator:
    """A service's database, migrated as deployed, whose outbox has sent 5,000 events and holds
    5 pending."""
    engine = make_engine(fresh_database)
    migrate(engine, f"services.{request.param}:migrations")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO outbox (id, message_id, event_type, body, created_at, state, attempts,"
            " published_at) SELECT i, md5(i::text), 'entry_appended.v1', '{}', now(), "
            "CASE WHEN i = ANY(%(pending)s) THEN 'pending' ELSE 'published' END, 1, now() "
            "FROM generate_series(1, %(last)s) AS i",
            {"pending": list(PENDING_IDS), "last": PUBLISHED_ROWS + 3})
        conn.exec_driver_sql("ANALYZE outbox")
    yield engine
    engine.dispose()


def plan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def test_the_relay_picks_pending_rows_from_their_partial_index(outbox):
    db = open_db(outbox)
    with db.read() as session:
        assert [row.id for row in _pending(session, _outbox_table(), 200)] == list(PENDING_IDS)
        query = _compiled_pick(session)
        [[explained]] = session.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + query)).all()
    nodes = list(plan_nodes((explained if isinstance(explained, list)
                             else json.loads(explained))[0]["Plan"]))
    scans = [n for n in nodes if "Scan" in n["Node Type"]]
    assert [n.get("Index Name") for n in scans] == [PENDING_INDEX]
    # every row the scan read was a pending one: none published was looked at and dropped
    assert scans[0]["Actual Rows"] == len(PENDING_IDS)
    assert all(n.get("Rows Removed by Filter", 0) == 0 for n in nodes)
    assert not any(n["Node Type"] == "Sort" for n in nodes)  # the index gives the order


def _outbox_table():
    from shared.messaging.outbox import outbox_table
    from shared.persistence.schema import service_metadata
    return outbox_table(service_metadata())


def _compiled_pick(session) -> str:
    """The statement _pending sends, with its values inlined (EXPLAIN takes no parameters)."""
    from sqlalchemy import select

    from shared.messaging.outbox import PENDING
    table = _outbox_table()
    statement = (select(table.c.id, table.c.message_id, table.c.event_type, table.c.body)
                 .where(table.c.state == PENDING).order_by(table.c.id).limit(200))
    return str(statement.compile(session.bind, compile_kwargs={"literal_binds": True}))
