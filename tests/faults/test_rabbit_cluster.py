"""The suite on a three-node RabbitMQ cluster of the test's own (tests/brokers.py
RabbitCluster: own nodes on loopback ports, joined with `rabbitmqctl join_cluster`, a vhost
with quorum queues by default and the redelivery bound), with AMQP_URI naming the three nodes
(kombu's failover list `amqp://a;amqp://b;amqp://c`): the record keeper and the review board
under a load of appends and events, and the node they are connected to — the first of the
list — stopped in the middle of it.

Nothing is lost: every append is answered (at once, or by the caller's retry with its
idempotency key), every case's chain holds each append once, every decision_proposed.v1
becomes one review, every event the record keeper stored reaches a queue bound to its
exchange. Nothing happens twice: no entry, no review, no inbox row. The services reconnect to
the nodes left by themselves: nothing is restarted."""
from __future__ import annotations

import collections
import json
import time
import uuid

import eventlet
import pytest
from eventlet.event import Event as GreenEvent
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.errors import SanxiangError
from tests.agencies import LINGCHUAN, agencies
from tests.brokers import RabbitCluster
from tests.builders import open_case_request
from tests.databases import table_rows
from tests.events import proposed

AGENCIES = agencies(LINGCHUAN)
VHOST = "sanxiang"
CASES, APPENDS, EVENTS = 4, 60, 24
STOP_AFTER = 8   # appends answered before the node goes


@pytest.fixture
def cluster():
    cluster = RabbitCluster(3)
    try:
        cluster.start()
        cluster.add_vhost(VHOST)
        yield cluster
    finally:
        cluster.close()


class Caller:
    """Calls to the record keeper as one officer, each with its own idempotency key and
    retried with that key until answered; what it took."""

    def __init__(self, config: dict, token: str):
        self.config, self.token = config, token
        self.retries: list[str] = []

    def call(self, method: str, key: str, **payload):
        deadline = time.monotonic() + 90
        while True:
            try:
                with ServiceRpcProxy("records", self.config, timeout=20, context_data={
                        "actor_token": self.token, "idempotency_key": key}) as rpc:
                    return getattr(rpc, method)(**payload)
            except SanxiangError as exc:
                if exc.code != "unavailable" or time.monotonic() > deadline:
                    raise
                self.retries.append(f"{key}: {exc.code}")
            except Exception as exc:   # the broker went away under the call: not answered
                if time.monotonic() > deadline:
                    raise
                self.retries.append(f"{key}: {type(exc).__name__}")
            eventlet.sleep(0.5)


def publish_confirmed(uri: str, body: dict) -> int:
    """Publish an event under publisher confirms, again until the broker confirms it (a
    publish into a node going away may be lost unconfirmed; a second copy carries the same
    message id, for the consumer's inbox to see through). The attempts it took."""
    attempts = 0
    while True:
        attempts += 1
        try:
            with Connection(uri, transport_options={"confirm_publish": True}) as conn:
                conn.Producer().publish(
                    json.dumps(body, ensure_ascii=False).encode(), exchange="records.events",
                    routing_key="decision_proposed.v1", content_type="application/json",
                    content_encoding="utf-8", delivery_mode=2, retry=False)
            return attempts
        except Exception:
            assert attempts < 60, "the cluster never took the event"
            eventlet.sleep(0.5)


def wait_for(what, predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return value


def test_records_and_review_lose_nothing_and_repeat_nothing_when_a_cluster_node_stops(
        cluster, container_factory, make_pg_database, keys_dir, token_issuer):
    uri = cluster.amqp_uri(VHOST)
    urls = {"records": make_pg_database("sx_records"), "review": make_pg_database("sx_review")}
    base = {"AMQP_URI": uri, "KEYS_DIR": keys_dir, "AGENCIES": AGENCIES}
    tap = Queue("tap-records-events", Exchange("records.events", type="topic", durable=True),
                routing_key="#", durable=True)
    with Connection(uri) as conn:
        tap(conn.default_channel).declare()
    containers = [container_factory(cls, dict(base, DATABASE_URL=urls[name]))
                  for name, cls in (("records", RecordsService), ("review", ReviewService))]
    for container in containers:
        container.start()
    try:
        assert cluster.queues(VHOST)["rpc-records"]["type"] == "quorum"

        caller = Caller(base, token_issuer.issue(actor_id="officer-lc-017", role="officer",
                                                 agency="lingchuan-emergency"))
        cases = [caller.call("open_case", f"open-{n}",
                             **open_case_request(f"陵应急立〔2025〕{700 + n}号"))["id"]
                 for n in range(CASES)]

        answered: dict[str, dict] = {}
        gone = GreenEvent()   # the last quarter of the load waits for the node to be gone

        def appends():
            for n in range(APPENDS):
                if n == APPENDS - APPENDS // 4:
                    gone.wait()
                answered[f"append-{n}"] = caller.call(
                    "append_record", f"append-{n}", case_id=cases[n % CASES], record_type="note",
                    occurred_at="2025-10-10T10:30:00+08:00",
                    content={"summary": f"第{n}次记录：现场调取培训台账并拍照留存。"})

        events = [proposed(keys_dir, str(uuid.uuid4())) for _ in range(EVENTS)]
        published: list[int] = []

        def proposals():
            for n, body in enumerate(events):
                if n == EVENTS - EVENTS // 4:
                    gone.wait()
                published.append(publish_confirmed(uri, body))
                eventlet.sleep(0.1)

        workers = [eventlet.spawn(appends), eventlet.spawn(proposals)]
        wait_for("the first appends", lambda: len(answered) >= STOP_AFTER, 60)
        stopped = cluster.nodes[0]
        stopped.stop()                       # the node every connection went to first
        gone.send(True)
        for worker in workers:
            worker.wait()

        # 0 lost, 0 twice: each append once in its case's chain
        assert len(answered) == APPENDS
        for n, case_id in enumerate(cases):
            entries = table_rows(urls["records"], "SELECT seq, body FROM entries "
                                                  "WHERE case_id = :c ORDER BY seq", c=case_id)
            texts = [json.dumps(json.loads(e["body"]), ensure_ascii=False) for e in entries]
            for i in range(n, APPENDS, CASES):
                summary = f"第{i}次记录：现场调取培训台账并拍照留存。"
                assert sum(summary in t for t in texts) == 1, (case_id, i)
            assert len(entries) == 1 + len(range(n, APPENDS, CASES))     # opened, then the notes
            assert len({e["seq"] for e in entries}) == len(entries)
        # every proposal one review, though some went out twice
        count = ("SELECT count(*) AS n, count(DISTINCT source_message_id) AS d FROM reviews")
        reviews = wait_for("a review per proposal", lambda: (
            r if (r := table_rows(urls["review"], count)[0])["n"] >= EVENTS else None), 90)
        assert reviews == {"n": EVENTS, "d": EVENTS}
        # the outbox relay carried on through the failover: everything it stored went out
        pending = "SELECT count(*) AS n FROM outbox WHERE state = 'pending'"
        wait_for("the record keeper's outbox to drain",
                 lambda: table_rows(urls["records"], pending)[0]["n"] == 0, 60)
        stored = {r["message_id"] for r in table_rows(urls["records"],
                                                      "SELECT message_id FROM outbox")}
        seen: collections.Counter = collections.Counter()
        with Connection(uri) as conn:
            bound = tap(conn.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                seen[json.loads(message.body)["message_id"]] += 1
        assert stored <= set(seen), f"{len(stored - set(seen))} events lost"
        # the services found the nodes left by themselves: consumers back, nothing restarted
        consumed = ("rpc-records", "rpc-review",
                    "evt-records-decision_proposed.v1--review.on_decision_proposed")
        wait_for("the consumers on the nodes left", lambda: all(
            cluster.queues(VHOST)[name].get("consumers") == 1 for name in consumed), 60)
        assert not any(c._died.ready() for c in containers)
    finally:
        # stopped while their broker is there: the cluster fixture goes first otherwise
        for container in containers:
            container.stop()
    print(f"cluster, node {stopped.name} stopped: {APPENDS} appends answered "
          f"({len(caller.retries)} retried), {EVENTS} events ({sum(published) - EVENTS} "
          f"published again), 0 lost, 0 duplicated entries or reviews; "
          f"{sum(n - 1 for n in seen.values())} of {len(stored)} outbox events delivered twice "
          f"by the broker (the consumers' inboxes drop them)")
