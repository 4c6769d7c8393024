"""Dead letters in a quorum queue with a delivery limit (the broker's poison-message bound):
reading them with `sanxiang ops` must not count as deliveries — a quorum queue drops a message
returned more often than its limit — so they are listed any number of times, in order, with
the same ids, and what is dropped is kept in dlq.<service>.dropped."""
from __future__ import annotations

from amqp import Message
from kombu import Connection

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
