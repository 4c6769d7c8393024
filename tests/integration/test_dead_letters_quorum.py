"""Dead letters in a quorum queue with a delivery limit (the broker's poison-message bound):
reading them with `sanxiang ops` must not count as deliveries — a quorum queue drops a message
returned more often than its limit — so they are listed any number of times, in order, with
the same ids, and what is dropped is kept in dlq.<service>.dropped."""
from __future__ import annotations

import pytest
from amqp import Message
from kombu import Connection, Exchange

from shared.messaging import dead_letters as dl

QUEUE = "dlq.sample"


def test_listing_a_quorum_dead_letter_queue_again_and_again_loses_nothing(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as conn:
        channel = conn.channel()
        channel.queue_declare(QUEUE, durable=True, auto_delete=False, arguments={
            "x-queue-type": "quorum", "x-delivery-limit": 2})
        channel.confirm_select()
        for n in range(3):
            channel.basic_publish_confirm(
                Message(f'{{"n": {n}}}'.encode(), content_type="application/json",
                        message_id=f"m-{n}", delivery_mode=2,
                        application_headers={"x-dead-reason": f"event_refused: number {n}",
                                             "x-handler": "sample.on_event",
                                             "x-original-exchange": "records.events",
                                             "x-original-routing-key": "case_opened.v1"}),
                exchange="", routing_key=QUEUE)
    first = dl.peek(uri, QUEUE)
    assert [x.message_id for x in first] == ["m-0", "m-1", "m-2"]
    for _ in range(5):                         # past the delivery limit, many times over
        again = dl.peek(uri, QUEUE)
        assert [(x.id, x.message_id) for x in again] == [(x.id, x.message_id) for x in first]
        assert all(x.headers.get("x-delivery-count", 0) == 0 for x in again)
    assert dl.count(uri, QUEUE) == 3

    kept = dl.drop(uri, "sample", first[1].id, reason="a test's sample", by="tester")
    assert kept["message_id"] == "m-1" and kept["queue"] == "dlq.sample.dropped"
    assert [x.message_id for x in dl.peek(uri, QUEUE)] == ["m-0", "m-2"]
    [dropped] = dl.peek(uri, "dlq.sample.dropped")
    assert dropped.id == first[1].id
    assert dropped.headers["x-dropped-reason"] == "a test's sample"
    assert dropped.headers["x-dead-reason"] == "event_refused: number 1"


def test_a_dead_letter_no_queue_would_take_stays_where_it_is(rabbit_config):
    """Sent back to an exchange that routes it nowhere (mandatory: returned) or that does not
    exist: an error naming it, and the dead letter is still there — never acked unconfirmed."""
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as conn:
        channel = conn.channel()
        Exchange("records.events", type="topic", durable=True)(channel).declare()
        channel.queue_declare(QUEUE, durable=True, auto_delete=False)
        for exchange in ("records.events", "nowhere.events"):
            channel.basic_publish(Message(b"{}", content_type="application/json",
                                          message_id=f"to-{exchange}", application_headers={
                                              "x-dead-reason": "conflict: later",
                                              "x-original-exchange": exchange,
                                              "x-original-routing-key": "case_opened.v1"}),
                                  exchange="", routing_key=QUEUE)
    routed_nowhere, no_exchange = dl.peek(uri, QUEUE)
    with pytest.raises(dl.DeadLetterError, match="no queue is bound for it; it is left"):
        dl.requeue(uri, "sample", routed_nowhere.id)
    with pytest.raises(dl.DeadLetterError, match="could not send .* back to nowhere.events"):
        dl.requeue(uri, "sample", no_exchange.id)
    assert [x.id for x in dl.peek(uri, QUEUE)] == [routed_nowhere.id, no_exchange.id]
    with pytest.raises(dl.DeadLetterError, match="no dead letter with id 'feedfeedfeed' in "
                                                 "dlq.sample: it holds 2 dead letter"):
        dl.requeue(uri, "sample", "feedfeedfeed")
