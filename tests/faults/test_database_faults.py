"""The review board consuming good, signed decision_proposed.v1 events while its PostgreSQL (a
server of the test's own, tests/databases.py) restarts or runs out of connection slots: each
event is handled once and none is dead-lettered — a fault of the moment is retried with
back-off, stale pooled connections are replaced, the outbox relay and a timer carry on. A
permanent error is dead-lettered at once, and a fault outlasting the retry budget is
dead-lettered with the attempts it had."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from nameko.timer import timer
from sqlalchemy import func, select

from services.review.models import reviews
from services.review.service import ReviewService
from shared.persistence.db import Database
from tests.agencies import LINGCHUAN, agencies
from tests.events import dead_letters, proposed, publish_event, queue_depth

AGENCIES = agencies(LINGCHUAN)


class ReviewTicker:
    """A timer on the review board's database, as the board's clock watch is (every 600 s
    there; every 0.2 s here): each tick reads the reviews and notes whether it could."""
    name = "review_ticker"
    db = Database("services.review:migrations")
    ticks: list[bool] = []

    @timer(interval=0.2)
    def tick(self):
        ReviewTicker.ticks.append(False)
        with self.db.read() as session:
            session.execute(select(func.count()).select_from(reviews)).scalar()
        ReviewTicker.ticks[-1] = True


def wait_for(what, predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


class ReviewOnPg:
    """The review board (and, if asked, the ticker) on a database of pg_node; good events
    published to it and what it has made of them."""

    def __init__(self, container_factory, rabbit_config, keys_dir, pg_node):
        self.url = pg_node.create_database("review")
        self.uri = rabbit_config["AMQP_URI"]
        self._factory, self._rabbit, self._keys, self._pg = (container_factory, rabbit_config,
                                                             keys_dir, pg_node)

    def start(self, **config):
        container = self._factory(ReviewService, dict(
            self._rabbit, KEYS_DIR=self._keys, AGENCIES=AGENCIES, DATABASE_URL=self.url,
            **config))
        container.start()
        return container

    def start_ticker(self):
        ReviewTicker.ticks = []
        container = self._factory(ReviewTicker, dict(self._rabbit, DATABASE_URL=self.url))
        container.start()
        return container

    def publish(self, n: int) -> list[str]:
        """n good decision_proposed.v1, signed by records; their message ids."""
        ids = []
        for _ in range(n):
            body = proposed(self._keys, str(uuid.uuid4()))
            publish_event(self.uri, body)
            ids.append(body["message_id"])
        return ids

    def handled(self) -> dict:
        # as the superuser: its reserved slots answer while the role's are all taken
        row = self._pg.admin("SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM "
                             "reviews), (SELECT count(DISTINCT source_message_id) FROM "
                             "reviews), (SELECT count(*) FROM outbox WHERE state = 'pending')",
                             database="review")[0]
        return dict(zip(("inbox", "reviews", "distinct", "pending"), row, strict=False))

    def handled_when(self, inbox: int) -> dict | None:
        counts = self.handled()
        return counts if counts["inbox"] == inbox else None


@pytest.fixture
def board(container_factory, rabbit_config, keys_dir, pg_node) -> ReviewOnPg:
    return ReviewOnPg(container_factory, rabbit_config, keys_dir, pg_node)


def test_events_survive_a_database_restart(board, pg_node):
    service = board.start()
    ticker = board.start_ticker()
    board.publish(1)
    wait_for("the first event", lambda: board.handled()["inbox"] == 1, 15)  # the pool is warm

    pg_node.stop()                      # every session ended, then nothing answers
    board.publish(5)
    time.sleep(2)                       # the handlers fail meanwhile, and wait
    failed_ticks = len(ReviewTicker.ticks)
    pg_node.start()
    wait_for("the 5 events sent while the database was down",
             lambda: board.handled()["inbox"] == 6, 30)

    pg_node.restart()                   # the pooled connections are dead, nobody noticed
    board.publish(5)
    counts = wait_for("the 5 events sent after a restart",
                      lambda: board.handled_when(inbox=11), 30)
    assert counts["reviews"] == counts["distinct"] == 11      # each handled once
    assert queue_depth(board.uri, "dlq.review") == 0          # none dead-lettered
    # the outbox relay lived through both: every review_requested.v1 went out
    wait_for("the outbox relay to publish", lambda: board.handled()["pending"] == 0, 20)
    # and the timer: it failed while the database was down and ticks on since
    assert False in ReviewTicker.ticks[:failed_ticks]
    assert ReviewTicker.ticks[failed_ticks:].count(True) >= 3
    assert not ticker._died.ready() and not service._died.ready()   # nothing died


def test_events_wait_out_a_full_connection_table(board, pg_node):
    board.start()
    board.publish(1)
    wait_for("the first event", lambda: board.handled()["inbox"] == 1, 15)

    with pg_node.exhausted("review") as taken:
        assert taken >= 15              # max_connections 20 less the superusers' 3
        board.publish(5)
        time.sleep(3)                   # `too many clients` meanwhile
        assert board.handled()["inbox"] == 1
        assert queue_depth(board.uri, "dlq.review") == 0
    counts = wait_for("the 5 events once connections are free again",
                      lambda: board.handled_when(inbox=6), 30)
    assert counts["reviews"] == counts["distinct"] == 6
    assert queue_depth(board.uri, "dlq.review") == 0


def test_a_permanent_error_is_dead_lettered_without_retries(board, pg_node):
    board.start(EVENT_RETRY_FIRST_DELAY=2)
    pg_node.admin("REVOKE INSERT ON reviews FROM sanxiang", database="review")
    t0 = time.monotonic()
    [message_id] = board.publish(1)
    [letter] = dead_letters(board.uri, "dlq.review", 1, timeout=15)
    assert time.monotonic() - t0 < 2   # no back-off waited: not worth another try
    headers = letter.headers
    assert headers["x-attempts"] == 1 and headers["x-transient"] is False
    assert "permission denied for table reviews" in headers["x-dead-reason"]
    assert headers["x-dead-error"] == "ProgrammingError"
    assert json.loads(letter.body)["message_id"] == message_id
    assert board.handled()["inbox"] == 0     # rolled back with the rest


def test_a_fault_outlasting_the_budget_is_dead_lettered_with_its_attempts(board, pg_node):
    board.start(EVENT_RETRY_ATTEMPTS=3, EVENT_RETRY_FIRST_DELAY=0.2, EVENT_RETRY_MAX_DELAY=0.5)
    pg_node.stop()
    [message_id] = board.publish(1)
    [letter] = dead_letters(board.uri, "dlq.review", 1, timeout=15)
    headers = letter.headers
    assert headers["x-attempts"] == 3 and headers["x-transient"] is True
    assert headers["x-dead-reason"].startswith("still failing after 3 attempts: ")
    assert headers["x-dead-error"] == "OperationalError"
    assert json.loads(letter.body)["message_id"] == message_id


def test_a_pooled_connection_the_server_closed_is_never_handed_out(pg_node):
    """After a restart every pooled connection is dead: the pool replaces each one at
    checkout, without a round trip of its own, so no statement fails for it."""
    from sqlalchemy import text

    from shared.persistence.db import make_engine
    engine = make_engine(pg_node.create_database("stale"), pool_size=3, max_overflow=0)
    try:
        held = [engine.connect() for _ in range(3)]   # three pooled connections
        for conn in held:
            conn.execute(text("SELECT 1"))
            conn.close()
        pg_node.restart()
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
