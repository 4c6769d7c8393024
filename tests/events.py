"""Events as a test puts them on the wire: signed decision_proposed.v1 as records' outbox signs
them, raw messages of any content type (bytes as given, no kombu serializer in between), and
the dead letters a consumer leaves in its dlq.<service>."""
from __future__ import annotations

import json
import time

from amqp import Message
from kombu import Connection, Exchange, Queue

from shared.contracts.registry import envelope
from shared.messaging.consumer import DEAD_LETTER_EXCHANGE
from shared.trust.keys import KeyStore
from shared.trust.signatures import sign


def proposed(keys_dir: str, case_id: str, agency: str = "lingchuan-emergency",
             **changes) -> dict:
    """A decision_proposed.v1 signed with records' own key, as records' outbox signs it."""
    from contracts.records import CONTRACT
    data = dict(CONTRACT.event("decision_proposed.v1").example, case_id=case_id, **changes)
    body = envelope(CONTRACT, "decision_proposed.v1", data, agency=agency,
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, KeyStore(keys_dir).event_signing_key("records"))
    return body


def publish_raw(amqp_uri: str, body: bytes, *, content_type: str | None = "application/json",
                content_encoding: str | None = "utf-8", exchange: str = "records.events",
                routing_key: str = "decision_proposed.v1", **properties) -> None:
    """Publish `body` bytes for bytes with exactly the properties given (None: left out)."""
    props = dict(properties, delivery_mode=2)
    if content_type is not None:
        props["content_type"] = content_type
    if content_encoding is not None:
        props["content_encoding"] = content_encoding
    with Connection(amqp_uri) as conn:
        channel = conn.default_channel
        Exchange(exchange, type="topic", durable=True)(channel).declare()
        channel.basic_publish(Message(body, **props), exchange=exchange,
                              routing_key=routing_key)


def publish_event(amqp_uri: str, body: dict, **kwargs) -> None:
    publish_raw(amqp_uri, json.dumps(body, ensure_ascii=False).encode("utf-8"), **kwargs)


def dead_letters(amqp_uri: str, queue: str, count: int, timeout: float = 20) -> list[Message]:
    """Take `count` messages off a dead-letter queue (waiting for them)."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as conn:
        # declared as the service declares it when it first dead-letters (same arguments)
        Queue(queue, Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True),
              routing_key=queue.split(".", 1)[1], durable=True)(conn.default_channel).declare()
        while len(got) < count and time.monotonic() < deadline:
            msg = conn.default_channel.basic_get(queue, no_ack=True)
            if msg is None:
                time.sleep(0.1)
            else:
                got.append(msg)
    assert len(got) == count, f"{len(got)} of {count} dead letters in {queue}"
    return got


def queue_depth(amqp_uri: str, queue: str) -> int:
    """Messages ready in `queue` (declared passively: 0 if it does not exist)."""
    with Connection(amqp_uri) as conn:
        try:
            return conn.default_channel.queue_declare(queue, passive=True).message_count
        except Exception:  # NOT_FOUND closes the channel: no such queue, nothing in it
            return 0
