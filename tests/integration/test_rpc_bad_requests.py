"""RPC requests that cannot be read, sent to the record keeper over plain AMQP (every property
set or left out by hand): each is answered with a `bad_request` error naming what is wrong
wherever `reply_to` allows, lands in `dlq.records` with the reason in its headers, is never
requeued, and leaves the service answering. (Before: a request without `content_type` or
`reply_to` raised KeyError in the reply path, killing the container on every redelivery; a
body kombu could not decode was acked and never answered; an unknown method was answered
but not dead-lettered; a malformed `args` reached the method.)"""
from __future__ import annotations

import json
import pickle
import time
import uuid

import amqp
import pytest
from kombu import Connection, Exchange, Queue
from kombu.message import Message
from nameko.standalone.rpc import ServiceRpcProxy

from services.records.service import RecordsService
from shared.messaging.consumer import DEAD_LETTER_EXCHANGE
from tests.agencies import LINGCHUAN, agencies

AGENCIES = agencies(LINGCHUAN)
OK_BODY = json.dumps({"args": [], "kwargs": {}}).encode()
DEEP = 100_000

# id: (routing key method, body, properties (None: left out), field the error names)
CASES: dict[str, tuple[str, bytes, dict[str, str | None], str | None]] = {
    "no content_type": ("health", OK_BODY, {"content_type": None}, "content_type"),
    "pickle": ("health", pickle.dumps({"args": [], "kwargs": {}}),
               {"content_type": "application/x-python-serialize"}, "content_type"),
    "text/plain": ("health", OK_BODY, {"content_type": "text/plain"}, "content_type"),
    "no reply_to": ("health", OK_BODY, {"reply_to": None}, None),
    "no correlation_id": ("health", OK_BODY, {"correlation_id": None}, "correlation_id"),
    "not JSON": ("health", b'{"args": [], "kwargs": {', {}, "body"),
    "invalid UTF-8": ("health", b'{"args": [], "kwargs": {"x": "\xff\xfe"}}', {}, "body"),
    "body not an object": ("health", b'[[], {}]', {}, "body"),
    "args not a list": ("health", b'{"args": "ab", "kwargs": {}}', {}, "args"),
    "kwargs not an object": ("health", b'{"args": [], "kwargs": [1]}', {}, "kwargs"),
    "unknown method": ("no_such_method", OK_BODY, {}, "method"),
    "deep nesting": ("health", b'{"args": [], "kwargs": {"x": ' + b"[" * DEEP + b"]" * DEEP
                     + b"}}", {}, "body"),
    "nesting past the limit": ("health", b'{"args": [' + b"[" * 200 + b"]" * 200 + b'],'
                               b' "kwargs": {}}', {}, "body"),
}


@pytest.fixture
def records(container_factory, rabbit_config, tmp_path, keys_dir):
    config = dict(rabbit_config, DATABASE_URL=f"sqlite:///{tmp_path / 'records.sqlite3'}",
                  KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    container = container_factory(RecordsService, config)
    container.start()
    yield config, container


def send_raw(amqp_uri: str, method: str, body: bytes, overrides: dict,
             timeout: float = 10) -> Message | None:
    """Publish one request with exactly these properties (py-amqp, so kombu adds nothing) and
    return the reply message, or None when no reply_to was given."""
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        exchange = Exchange("nameko-rpc", type="topic", durable=True)
        name = f"reply-{uuid.uuid4()}"
        reply = Queue(name, exchange, routing_key=name, exclusive=True, auto_delete=True)
        reply(channel).declare()
        properties = {"content_type": "application/json", "content_encoding": "utf-8",
                      "reply_to": name, "correlation_id": str(uuid.uuid4()),
                      "delivery_mode": 2}
        properties.update(overrides)
        properties = {k: v for k, v in properties.items() if v is not None}
        channel.basic_publish(amqp.Message(body, **properties), exchange="nameko-rpc",
                              routing_key=f"records.{method}")
        if "reply_to" not in properties:
            return None
        deadline, message = time.monotonic() + timeout, None
        while message is None:
            assert time.monotonic() < deadline, "no reply"
            message = reply(channel).get(no_ack=True)
            if message is None:
                time.sleep(0.05)
        assert message.properties.get("correlation_id") == properties.get("correlation_id")
        return message


def dead_letters(amqp_uri: str, want: int, timeout: float = 10) -> list[Message]:
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        dlq = Queue("dlq.records", Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True),
                    routing_key="records", durable=True)
        dlq(channel).declare()
        got: list[Message] = []
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            message = dlq(channel).get(no_ack=True)
            if message is None:
                time.sleep(0.05)
            else:
                got.append(message)
        return got


def rpc_queue_settles(rabbit_api, vhost: str, timeout: float = 15) -> dict:
    """rpc-records' counts once nothing is ready or unacked (or what it holds at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        queue = rabbit_api.queues(vhost).get("rpc-records", {})
        if "messages_ready" in queue and not (queue["messages_ready"]
                                              or queue["messages_unacknowledged"]):
            return queue
        if time.monotonic() > deadline:
            return queue
        time.sleep(0.5)


@pytest.mark.parametrize("case", list(CASES))
def test_an_unreadable_request_is_answered_dead_lettered_and_never_requeued(
        case, records, rabbit_api):
    config, container = records
    method, body, overrides, field = CASES[case]
    reply = send_raw(config["AMQP_URI"], method, body, overrides)
    if field is None:
        assert reply is None
    else:
        assert reply is not None
        answer = json.loads(reply.body)
        assert answer["result"] is None
        error = answer["error"]["exc_args"][0]
        assert error["code"] == "bad_request", answer
        assert field in error["details"], error
    [dead] = dead_letters(config["AMQP_URI"], 1)
    headers = dead.headers
    assert headers["x-dead-error"] == "BadRequest"
    assert headers["x-dead-reason"].startswith("bad_request: cannot read the request") or (
        field == "method" and "no_such_method" in headers["x-dead-reason"])
    assert headers["x-original-routing-key"] == f"records.{method}"
    assert headers["x-handler"] == "records.rpc"
    # as it came, for whoever looks into it (py-amqp hands over text it could decode)
    assert (dead.body if isinstance(dead.body, bytes) else dead.body.encode()) == body
    with ServiceRpcProxy("records", config, timeout=10) as rpc:
        assert rpc.health()["service"] == "records"
    assert not container._died.ready()
    queue = rpc_queue_settles(rabbit_api, config["vhost"])
    assert (queue.get("messages_ready"), queue.get("messages_unacknowledged")) == (0, 0), queue
