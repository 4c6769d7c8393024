"""Every service as two competing instances on one PostgreSQL database each, over real RabbitMQ
(a vhost per test): nothing happens twice.

- The scenario the issue reports (two review board instances each sent every overdue event,
  40 of 40 reviews got it twice): 40 overdue reviews, both instances' clock watches ticking
  together, again and again — one review_overdue.v1 per review in the outbox, and each published
  once by the two outbox relays together (a queue bound to review.events sees each message id
  once).
- Two instances of each of the five services under the demo's major-case path for several
  cases at once, every timer of every service ticking on both instances together: each case's
  chain has one entry per step (one legal review, though two record keeper instances consume
  opinion_issued.v1), one review per proposal, one checkpoint per moved head, and every event
  of every service reaches a queue bound to its exchange exactly once.
"""
from __future__ import annotations

import collections
import json
import time
import uuid

import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from services.review import usecases
from services.review.service import ReviewService
from shared.calendar.clock import frozen
from shared.persistence.db import make_engine, open_db
from shared.rulesets.provider import Rules
from tests import suite
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, demo_plan
from tests.databases import table_rows
from tests.plans import run_case
from tests.unit.review.support import AGENCIES as REVIEW_AGENCIES
from tests.unit.review.support import ALWAYS, Env, actor, request_payload

pytestmark = pytest.mark.postgres

OFFICER = actor("officer", id="officer-1")
AGENCIES = agencies(LINGCHUAN)


def fire(container, timer: str):
    with entrypoint_hook(container, timer) as hook:
        return hook()


def fire_together(containers, timer: str) -> list:
    threads = [eventlet.spawn(fire, c, timer) for c in containers]
    return [t.wait() for t in threads]


class Tap:
    """A queue bound to `<service>.events` for every routing key, declared before anything is
    published: what the relays published, each message as often as it went out."""

    def __init__(self, amqp_uri: str, service: str):
        self.uri = amqp_uri
        self.queue = Queue(f"tap-{service}-{uuid.uuid4().hex[:6]}",
                           Exchange(f"{service}.events", type="topic", durable=True),
                           routing_key="#", durable=True)
        with Connection(amqp_uri) as conn:
            self.queue(conn.default_channel).declare()
        self.seen: list[dict] = []

    def drain(self, until=lambda seen: True, timeout: float = 30) -> list[dict]:
        """Take what is there (waiting up to `timeout` for `until(seen)`), then a moment
        longer, so that a duplicate published late is seen too."""
        deadline, quiet_since = time.monotonic() + timeout, None
        with Connection(self.uri) as conn:
            bound = self.queue(conn.default_channel)
            while time.monotonic() < deadline:
                message = bound.get(no_ack=True)
                if message is not None:
                    self.seen.append(json.loads(message.body))
                    quiet_since = None
                    continue
                if until(self.seen):
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since > 1.5:
                        break
                time.sleep(0.05)
        return self.seen

    def duplicates(self) -> dict[str, int]:
        counts = collections.Counter(e["message_id"] for e in self.seen)
        return {m: n for m, n in counts.items() if n > 1}


def cst(day: str, hour: int = 9):
    from datetime import UTC, datetime
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_forty_overdue_reviews_get_one_overdue_event_each_from_two_instances(
        container_factory, rabbit_config, db_url, keys_dir):
    tap = Tap(rabbit_config["AMQP_URI"], "review")
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=REVIEW_AGENCIES, DATABASE_URL=db_url)
    boards = [container_factory(ReviewService, config) for _ in range(2)]
    for board in boards:
        board.start()
    engine = make_engine(db_url)
    try:
        env = Env(open_db(engine), Rules.from_config({"AGENCIES": REVIEW_AGENCIES}))
        env.now = cst("2025-10-13")
        ids = [env.call(usecases.request_review, "request_review", request_payload(
            case_no=f"沁能立〔2025〕{100 + n}号", materials=ALWAYS,
            requested_at="2025-10-13T09:00:00+08:00"), OFFICER)["id"] for n in range(40)]
    finally:
        engine.dispose()
    results = []
    for day in ("2025-11-10", "2025-11-11", "2025-11-12"):
        for hour in (9, 15):
            with frozen(cst(day, hour)):
                results += fire_together(boards, "watch_clocks")
    assert all(r["failed"] == 0 for r in results), results
    assert sum(r["overdue"] for r in results) == 40

    stored = table_rows(db_url, "SELECT message_id, body FROM outbox "
                                "WHERE event_type = 'review_overdue.v1'")
    per_review = collections.Counter(json.loads(r["body"])["data"]["review_id"] for r in stored)
    assert sorted(per_review) == sorted(ids) and set(per_review.values()) == {1}
    seen = tap.drain(lambda seen: sum(e["event_type"] == "review_overdue.v1"
                                      for e in seen) >= 40)
    overdue = [e for e in seen if e["event_type"] == "review_overdue.v1"]
    assert sorted(e["message_id"] for e in overdue) == sorted(r["message_id"] for r in stored)
    assert tap.duplicates() == {}
    assert table_rows(db_url, "SELECT count(*) AS n FROM outbox WHERE state = 'pending'") == [
        {"n": 0}]
