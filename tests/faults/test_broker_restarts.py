"""The record keeper outlives its broker: stopped and started with a reply pending, killed,
and restarted again, it reconnects on its own and answers after each, its RPC and event
consumers are back on their queues, and the events of cases opened before, during and after
the outages all reach a queue bound to records.events.

Before: the reply pending across the outage raised kombu's OperationalError in the worker
(nameko's reply retry policy gives up after three one-second retries), nameko killed the
container for it, and nothing brought it back.
"""
from __future__ import annotations

import json
import time
import uuid

import eventlet
import psycopg2
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy.engine import make_url

from services.records.service import RecordsService
from tests.agencies import LINGCHUAN, agencies
from tests.builders import open_case_request

AGENCIES = agencies(LINGCHUAN)


def open_case_payload(case_no: str) -> dict:
    return open_case_request(case_no)


def call(config, token, method, timeout=45, **kwargs):
    """One call, answered within `timeout` (the service may still be reconnecting)."""
    with ServiceRpcProxy("records", config, context_data={"actor_token": token},
                         timeout=timeout) as rpc:
        return getattr(rpc, method)(**kwargs)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def consumers_back(node) -> dict:
    """The queues records consumes, when each has its consumer again (else {})."""
    try:
        queues = node.queues()
    except Exception:
        return {}
    ours = {name: q for name, q in queues.items()
            if name == "rpc-records" or name.startswith("evt-")}
    ok = len(ours) >= 2 and all(q.get("consumers") == 1 for q in ours.values())
    return ours if ok else {}


def pg_lock(url: str):
    """A transaction holding the cases table against writers: open_case waits on it."""
    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                            dbname=u.database)
    cur = conn.cursor()
    cur.execute("LOCK TABLE cases IN EXCLUSIVE MODE")
    return conn


def send_request(amqp_uri: str, token: str, method: str, kwargs: dict) -> None:
    """A request whose caller is gone by the time it is answered (its reply queue dies with
    the broker): only the service's side of the call matters here."""
    with Connection(amqp_uri) as conn:
        name = f"reply-{uuid.uuid4()}"
        exchange = Exchange("nameko-rpc", type="topic", durable=True)
        Queue(name, exchange, routing_key=name, auto_delete=True)(conn.default_channel).declare()
        conn.Producer().publish(
            json.dumps({"args": [], "kwargs": kwargs}), exchange=exchange,
            routing_key=f"records.{method}", reply_to=name, correlation_id=str(uuid.uuid4()),
            content_type="application/json", delivery_mode=2,
            headers={"nameko.actor_token": token})


def test_records_survives_three_broker_restarts_one_with_a_reply_pending(
        rabbit_node, container_factory, fresh_database, keys_dir, token_issuer):
    config = {"AMQP_URI": rabbit_node.amqp_uri, "DATABASE_URL": fresh_database,
              "KEYS_DIR": keys_dir, "AGENCIES": AGENCIES}
    container = container_factory(RecordsService, config)
    container.start()
    token = token_issuer.issue(actor_id="officer-1", role="officer",
                               agency="lingchuan-emergency")
    tap = Queue("tap-records-events", Exchange("records.events", type="topic", durable=True),
                routing_key="#", durable=True)
    with Connection(rabbit_node.amqp_uri) as conn:
        tap(conn.default_channel).declare()
    opened = {call(config, token, "open_case", **open_case_payload("陵应急立〔2025〕901号"))["id"]}

    # 1. stop and start, while a worker waits to reply: its reply cannot be sent
    lock = pg_lock(fresh_database)
    try:
        send_request(rabbit_node.amqp_uri, token, "open_case",
                     open_case_payload("陵应急立〔2025〕902号"))
        wait_for(lambda: rabbit_node.queues().get("rpc-records", {}).get(
            "messages_unacknowledged"), 20, "the request to reach a worker")
        rabbit_node.stop()
    finally:
        lock.commit()  # the worker commits and tries to reply to a broker that is gone
        lock.close()
    time.sleep(5)  # longer than any reply retry: the reply fails for good
    rabbit_node.start()
    assert call(config, token, "health")["service"] == "records"
    wait_for(lambda: consumers_back(rabbit_node), 30, "records' consumers after a stop")

    # 2. killed outright
    rabbit_node.kill()
    rabbit_node.start()
    assert call(config, token, "health")["service"] == "records"
    opened.add(call(config, token, "open_case",
                    **open_case_payload("陵应急立〔2025〕903号"))["id"])
    wait_for(lambda: consumers_back(rabbit_node), 30, "records' consumers after a kill")

    # 3. and a plain restart
    rabbit_node.restart()
    assert call(config, token, "health")["service"] == "records"
    opened.add(call(config, token, "open_case",
                    **open_case_payload("陵应急立〔2025〕904号"))["id"])
    wait_for(lambda: consumers_back(rabbit_node), 30, "records' consumers after a restart")
    assert not container._died.ready()

    # every case's event arrived, the one committed while the broker was away included
    seen: dict[str, str] = {}
    deadline = time.monotonic() + 30
    with Connection(rabbit_node.amqp_uri) as conn:
        bound = tap(conn.default_channel)
        while len(set(seen.values())) < 4 and time.monotonic() < deadline:
            message = bound.get(no_ack=True)
            if message is None:
                time.sleep(0.1)
                continue
            event = json.loads(message.body)
            if event["event_type"] == "case_opened.v1":
                seen[event["data"]["case_id"]] = event["data"]["case_no"]
    assert sorted(set(seen.values())) == [f"陵应急立〔2025〕{n}号" for n in (901, 902, 903, 904)]
    assert opened <= set(seen)
    container.stop()  # cleanly, while its broker is there


def test_a_service_stopped_while_its_broker_is_away_stops_without_waiting_for_it(
        rabbit_node, container_factory, fresh_database, keys_dir):
    """nameko's consumer lets its entrypoints go only between messages, never while it
    reconnects: a container stopped with its broker gone waited until the broker was back (a
    deploy or a scale-down during a broker outage hung). It now stops at once, and so does one
    stopped while some of its consumers are still registered."""
    config = {"AMQP_URI": rabbit_node.amqp_uri, "DATABASE_URL": fresh_database,
              "KEYS_DIR": keys_dir, "AGENCIES": AGENCIES}
    container = container_factory(RecordsService, config)
    container.start()
    wait_for(lambda: consumers_back(rabbit_node), 30, "records' consumers")
    rabbit_node.stop()
    time.sleep(2)  # the consumer has seen the connection go and is reconnecting
    started = time.monotonic()
    with eventlet.Timeout(60, TimeoutError("the container waited for its broker")):
        container.stop()
    assert time.monotonic() - started < 30
