"""Quorum queues with the delivery limit as the poison-message bound, on a broker node of the
test's own set up as `sanxiang broker setup` sets up a deployment's vhost (quorum by default,
dlq.<service> declared, a delivery-limit policy per service):

- every durable queue the review board declares is a quorum queue — its RPC queue, its event
  queue, its dead-letter queue — and only what cannot be one (an exclusive reply queue of a
  standalone caller) stays classic;
- a message that comes back unsettled past the bound (as one that stops its consumer every
  time does) is dead-lettered by the broker into dlq.review instead of looping;
- the consumer agrees: a message on its last delivery (x-delivery-count at the bound) is
  dead-lettered by the service itself, with the reason in its headers, and never handled.
"""
from __future__ import annotations

import json
import time
import uuid

from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.review.service import ReviewService
from shared.messaging.broker import Management
from shared.messaging.consumer import DELIVERY_LIMIT
from tests.agencies import LINGCHUAN, agencies
from tests.brokers import add_vhost
from tests.databases import table_rows
from tests.events import dead_letters, proposed, publish_event

AGENCIES = agencies(LINGCHUAN)
VHOST = "sanxiang"
EVENT_QUEUE = "evt-records-decision_proposed.v1--review.on_decision_proposed"


def give_back(uri: str, queue: str, times: int) -> list[int]:
    """Take the queue's one message and return it unsettled `times` times, as a consumer that
    dies on it would; the x-delivery-count seen at each delivery."""
    seen: list[int] = []
    with Connection(uri) as conn:
        bound = Queue(queue, no_declare=True)(conn.default_channel)
        while len(seen) < times:
            message = bound.get()
            if message is None:
                time.sleep(0.05)
                continue
            seen.append(int((message.headers or {}).get("x-delivery-count") or 0))
            message.requeue()
    return seen


def test_durable_queues_are_quorum_and_a_poison_message_is_dead_lettered_at_the_bound(
        rabbit_node, container_factory, fresh_database, keys_dir):
    add_vhost(Management(rabbit_node.api_uri, "guest", "guest"), VHOST)
    uri = rabbit_node.vhost_uri(VHOST)
    config = {"AMQP_URI": uri, "DATABASE_URL": fresh_database, "KEYS_DIR": keys_dir,
              "AGENCIES": AGENCIES}
    board = container_factory(ReviewService, config)
    board.start()
    with ServiceRpcProxy("review", config, timeout=20) as rpc:
        assert rpc.health()["service"] == "review"
    queues = rabbit_node.queues(VHOST)
    for name in ("rpc-review", EVENT_QUEUE, "dlq.review"):
        assert queues[name]["type"] == "quorum", (name, queues[name])
    durable = {n: q["type"] for n, q in queues.items()
               if q["durable"] and not q["exclusive"] and not q["auto_delete"]}
    assert len(durable) >= 4 and set(durable.values()) == {"quorum"}, queues

    # 1. the broker's bound: a message given back unsettled DELIVERY_LIMIT + 1 times
    board.stop()
    poison = proposed(keys_dir, str(uuid.uuid4()))
    publish_event(uri, poison)
    seen = give_back(uri, EVENT_QUEUE, DELIVERY_LIMIT + 1)
    assert seen == list(range(DELIVERY_LIMIT + 1))
    [letter] = dead_letters(uri, "dlq.review", 1)
    assert json.loads(letter.body)["message_id"] == poison["message_id"]
    assert letter.headers["x-first-death-reason"] == "delivery_limit"
    assert letter.headers["x-first-death-queue"] == EVENT_QUEUE

    # 2. the consumer's: a message on its last delivery is dead-lettered by the service
    last = proposed(keys_dir, str(uuid.uuid4()))
    good = proposed(keys_dir, str(uuid.uuid4()))
    publish_event(uri, last)
    assert give_back(uri, EVENT_QUEUE, DELIVERY_LIMIT) == list(range(DELIVERY_LIMIT))
    publish_event(uri, good)
    board = container_factory(ReviewService, config)
    board.start()
    [letter] = dead_letters(uri, "dlq.review", 1)
    assert json.loads(letter.body)["message_id"] == last["message_id"]
    assert letter.headers["x-dead-error"] == "DeliveryLimitReached"
    assert letter.headers["x-dead-reason"].startswith(
        f"delivery_limit_reached: delivered {DELIVERY_LIMIT + 1} times without being settled")
    assert letter.headers["x-deliveries"] == DELIVERY_LIMIT + 1
    assert letter.headers["x-attempts"] == 0
    deadline = time.monotonic() + 20
    while not (handled := table_rows(fresh_database, "SELECT message_id FROM inbox")):
        assert time.monotonic() < deadline, "the good event was not handled"
        time.sleep(0.1)
    # the good one handled once; the poisoned ones never reached a handler
    assert [r["message_id"] for r in handled] == [good["message_id"]]
    assert rabbit_node.queues(VHOST)[EVENT_QUEUE].get("messages", 0) == 0


def test_an_rpc_request_on_its_last_delivery_is_answered_and_dead_lettered_unrun(
        rabbit_node, container_factory, fresh_database, keys_dir):
    add_vhost(Management(rabbit_node.api_uri, "guest", "guest"), VHOST)
    uri = rabbit_node.vhost_uri(VHOST)
    config = {"AMQP_URI": uri, "DATABASE_URL": fresh_database, "KEYS_DIR": keys_dir,
              "AGENCIES": AGENCIES}
    board = container_factory(ReviewService, config)
    board.start()
    board.stop()      # its queue stays, with nobody consuming it
    with Connection(uri) as conn:
        exchange = Exchange("nameko-rpc", type="topic", no_declare=True)
        name = f"rpc.reply-test-{uuid.uuid4()}"
        reply = Queue(name, exchange, routing_key=name, exclusive=True, auto_delete=True)
        reply(conn.default_channel).declare()
        correlation = str(uuid.uuid4())
        conn.Producer().publish(
            json.dumps({"args": [], "kwargs": {}}), exchange=exchange,
            routing_key="review.health", reply_to=name, correlation_id=correlation,
            content_type="application/json", delivery_mode=2)
        assert give_back(uri, "rpc-review", DELIVERY_LIMIT) == list(range(DELIVERY_LIMIT))
        board = container_factory(ReviewService, config)
        board.start()
        bound, answer, deadline = reply(conn.default_channel), None, time.monotonic() + 20
        while answer is None and time.monotonic() < deadline:
            answer = bound.get(no_ack=True)
            time.sleep(0.05)
    assert answer is not None and answer.properties["correlation_id"] == correlation
    error = json.loads(answer.body)["error"]
    assert error["exc_args"][0]["code"] == "delivery_limit_reached"
    [letter] = dead_letters(uri, "dlq.review", 1)
    assert letter.headers["x-handler"] == "review.rpc"
    assert letter.headers["x-dead-error"] == "DeliveryLimitReached"
