"""The parts of `sanxiang ops` that need no broker: the outbox backlog a service's health reports
(on SQLite and PostgreSQL, migrated as deployed), how dead-letter reasons are grouped and named,
the replay's time range, and the operator's broker rights."""
from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from services.review.models import outbox as review_outbox
from shared.cli.ops.common import OpsError
from shared.cli.ops.replay import replay, when
from shared.messaging import broker
from shared.messaging.dead_letters import letter_id, reason_kind
from shared.messaging.outbox import PENDING, PUBLISHED, UNROUTED, backlog
from shared.persistence.db import make_engine, migrate, open_db


def test_backlog_counts_pending_and_unrouted_and_ages_the_oldest_pending(db_url):
    engine = make_engine(db_url)
    migrate(engine, "services.review:migrations")
    db = open_db(engine)
    now = datetime.now(UTC)
    assert backlog(db) == {"pending": 0, "unrouted": 0, "oldest_pending_at": None,
                           "oldest_pending_seconds": None}
    rows = [(PUBLISHED, 900), (PENDING, 120), (PENDING, 30), (UNROUTED, 600), (PUBLISHED, 5)]
    with db.transaction() as session:
        for n, (state, age) in enumerate(rows):
            session.execute(insert(review_outbox), {
                "message_id": f"m-{n}", "event_type": "review_requested.v1", "body": "{}",
                "created_at": now - timedelta(seconds=age), "state": state, "attempts": 0})
    found = backlog(db)
    assert (found["pending"], found["unrouted"]) == (2, 1)
    assert found["oldest_pending_at"] == (now - timedelta(seconds=120)).isoformat()
    assert 120 <= found["oldest_pending_seconds"] < 120 + 60
    assert backlog(db, review_outbox) == dict(found, oldest_pending_seconds=pytest.approx(
        found["oldest_pending_seconds"], abs=60))
    engine.dispose()


@pytest.mark.parametrize("headers, kind", [
    ({"x-dead-reason": "event_agency_not_served: agency 'x' is not served"},
     "event_agency_not_served"),
    ({"x-dead-reason": "ValueError: bad"}, "ValueError"),
    ({"x-dead-reason": "still failing after 8 attempts: OperationalError: gone",
      "x-transient": True, "x-dead-error": "OperationalError"}, "transient:OperationalError"),
    ({"x-dead-reason": "still failing after 3 attempts: conflict: taken"}, "conflict"),
    ({}, "(no reason)"),
])
def test_reasons_are_grouped_by_their_code(headers, kind):
    assert reason_kind(headers) == kind


def test_a_letter_id_names_what_it_carries():
    headers = {"x-handler": "review.on_decision_proposed",
               "x-original-exchange": "records.events",
               "x-original-routing-key": "decision_proposed.v1"}
    one = letter_id(b"{}", {"message_id": "m-1"}, headers)
    assert one == letter_id(b"{}", {"message_id": "m-1"}, dict(headers, **{"x-attempts": 3}))
    assert len(one) == 12
    assert one != letter_id(b"{}", {"message_id": "m-2"}, headers)
    assert one != letter_id(b"{} ", {"message_id": "m-1"}, headers)
    assert one != letter_id(b"{}", {"message_id": "m-1"},
                            dict(headers, **{"x-handler": "vault.on_decision_proposed"}))


def test_replay_times_are_iso_china_time_without_an_offset_and_the_range_must_be_open():
    assert when("2026-11-01", "--from") == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert when("2026-11-01T08:00:00+00:00", "--to") == datetime(2026, 11, 1, 8, tzinfo=UTC)
    with pytest.raises(OpsError, match=r"--from 'last week': not an ISO 8601 time") as bad:
        when("last week", "--from")
    assert bad.value.code == 2
    args = argparse.Namespace(service="records", start="2026-11-02", end="2026-11-02",
                              config=None, event_type=[], dry_run=True, amqp="memory://")
    with pytest.raises(OpsError, match="bad time range: --from 2026-11-02 is not before --to"):
        replay(args)


def test_the_operator_reads_dead_letters_and_sends_events_but_no_service_reads_others():
    operator = broker.operator_grant(["records", "review"])
    assert operator.allows("read", "dlq.review") and operator.allows("read", "dlq.records")
    assert operator.allows("configure", "dlq.review.dropped")
    assert operator.allows("write", "records.events") and operator.allows("write", "amq.default")
    assert not operator.allows("configure", "records.events")     # cannot delete it
    assert not operator.allows("read", "rpc-review")              # no service's calls
    assert not operator.allows("read", "evt-records-decision_proposed.v1--review.on_x")
    rpc_write = {e: w for e, w, _ in operator.topics}["nameko-rpc"]
    assert re.search(rpc_write, "review.health")
    assert not re.search(rpc_write, "review.decide")
    review = broker.service_grant("review", ["records.decision_proposed.v1"])
    for what in ("configure", "write", "read"):
        assert not review.allows(what, "dlq.review.dropped")
        assert not review.allows(what, "dlq.records")
    with pytest.raises(ValueError, match="must match"):
        broker.operator_grant(["Review.*"])
