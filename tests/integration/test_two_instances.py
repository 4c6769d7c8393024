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

from services.review import usecases
from services.review.service import ReviewService
from shared.calendar.clock import frozen
from shared.persistence.db import make_engine, open_db
from shared.rulesets.provider import Rules
from tests import suite
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, demo_plan
from tests.databases import table_rows
from tests.events import queue_depth
from tests.plans import run_case
from tests.suite import fire_together
from tests.unit.review.support import AGENCIES as REVIEW_AGENCIES
from tests.unit.review.support import ALWAYS, Env, actor, request_payload

pytestmark = pytest.mark.postgres

OFFICER = actor("officer", id="officer-1")
AGENCIES = agencies(LINGCHUAN)




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


TIMERS = {"records": ["checkpoint_heads"], "review": ["watch_clocks"], "vault": ["audit"],
          "disclosure": ["watch_deadlines", "watch_lapses", "watch_windows",
                         "watch_annual_reports"],
          "renderer": ["watch_templates"]}
CASES = 4


@pytest.fixture
def pairs(container_factory, rabbit_config, make_pg_database, tmp_path, keys_dir,
          token_issuer):
    """Two instances of every installed service, each pair on one PostgreSQL database and
    one folder (the vault's store, the portal); the taps declared before any starts."""
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    taps = {name: Tap(config["AMQP_URI"], name) for name in suite.NAMES}
    urls = {name: make_pg_database(f"sx_{name}") for name in suite.NAMES}
    containers: dict[str, list] = {}
    for name, cls in suite.classes().items():
        for _ in range(2):
            own = dict(config, DATABASE_URL=urls[name], **suite.settings(name, tmp_path))
            container = container_factory(cls, own)
            container.start()
            containers.setdefault(name, []).append(container)

    def rpc(role="officer"):
        token = token_issuer.issue(actor_id=ACTORS[role], role=role, agency=AGENCY,
                                   name=ACTORS[role])
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30)

    return containers, urls, taps, rpc


def test_two_instances_of_every_service_under_the_major_case_path_do_nothing_twice(pairs):
    containers, urls, taps, rpc = pairs
    # side by side: each registers the agency's review staff, on either instance, at once
    runs = [eventlet.spawn(run_case, rpc, demo_plan(f"陵应急立〔2025〕{610 + n}号"),
                           decision_no=f"陵应急罚〔2025〕{610 + n}号") for n in range(CASES)]
    cases = [run.wait()["case_id"] for run in runs]
    for _ in range(2):
        for name, timers in TIMERS.items():
            for timer in timers:
                results = fire_together(containers[name], timer)
                assert not any(isinstance(r, dict) and r.get("failed") for r in results), (
                    name, timer, results)

    with rpc("head") as head:
        for case_id in cases:
            entries = head.records.get_entries(case_id=case_id)
            kinds = collections.Counter(e["kind"] for e in entries)
            assert kinds["legal_review"] == kinds["decision_issued"] == 1, kinds
            assert len({e["seq"] for e in entries}) == len(entries)
            assert head.records.verify_case(case_id=case_id)["ok"]
    reviews = table_rows(urls["review"], "SELECT count(*) AS n, count(DISTINCT "
                                         "source_message_id) AS d FROM reviews")
    assert reviews == [{"n": CASES, "d": CASES}]
    # each head the timer found moved signed once by it (the vault's package asks for a
    # checkpoint of its own, with an idempotency key per head: once as well)
    signed = collections.Counter(
        (body["data"]["case_id"], body["data"]["seq"], body["actor"]["id"])
        for body in (json.loads(r["body"]) for r in table_rows(
            urls["records"],
            "SELECT body FROM outbox WHERE event_type = 'checkpoint_signed.v1'")))
    assert {case for case, _, _ in signed} == set(cases)
    assert set(signed.values()) == {1}, signed
    kept = table_rows(urls["vault"], "SELECT case_id, seq, count(*) AS n FROM "
                                     "anchored_checkpoints GROUP BY case_id, seq")
    assert {r["n"] for r in kept} == {1} and {r["case_id"] for r in kept} == set(cases)
    assert table_rows(urls["vault"], "SELECT count(*) AS n FROM inbox") == table_rows(
        urls["vault"], "SELECT count(DISTINCT message_id) AS n FROM inbox")

    # every event each service stored went out, once, through its two relays together
    published: dict[str, int] = {}
    for name, tap in taps.items():
        stored = {r["message_id"] for r in table_rows(urls[name],
                                                      "SELECT message_id FROM outbox")}
        seen = tap.drain(lambda seen, stored=stored: stored <= {e["message_id"] for e in seen})
        assert {e["message_id"] for e in seen} == stored, name
        assert tap.duplicates() == {}, name
        published[name] = len(seen)
    # and each consumer handled each once: as many inbox rows as distinct messages, the
    # opinions in the record keeper's, the decisions in the publisher's
    inbox = {name: table_rows(urls[name], "SELECT event_type, count(*) AS n FROM inbox "
                                          "GROUP BY event_type")
             for name in ("records", "disclosure")}
    assert {"event_type": "opinion_issued.v1", "n": CASES} in inbox["records"]
    assert {"event_type": "decision_issued.v1", "n": CASES} in inbox["disclosure"]
    # and nothing was dead-lettered: no handler lost a race to its twin
    uri = next(iter(taps.values())).uri
    assert {name: queue_depth(uri, f"dlq.{name}") for name in taps} == dict.fromkeys(taps, 0)
    print(f"two instances each: events published once each {published}, duplicates 0")
