"""Dead letters as an operator handles them: counted, read, sent back, or dropped with a reason.

A service's dead letters wait in ``dlq.<service>`` (shared.messaging.consumer.DeadLetters), each
with headers naming its reason (x-dead-reason), the error, the handler and where it came from
(x-original-exchange, x-original-routing-key). Here:

- `count`: how many wait, by a passive declare (no right needed, nothing created);
- `peek`: read them without taking them: each is fetched unacknowledged and all go back to the
  queue — from a quorum queue, which would count that as a delivery towards its limit, each as
  a fresh copy published before the original is acked (`_put_back`);
- `requeue`: publish one back to its original exchange under its original routing key, with its
  message id, under publisher confirms and `mandatory`, and only once the broker confirmed it
  routed, acknowledge (remove) the dead letter. A crash between the two leaves the dead letter
  in place and the event delivered: the consumers' inboxes (shared.messaging.consumer.once)
  deduplicate on the message id, so its effect happens once;
- `drop`: never silent — the dead letter is moved (published under confirms, then acked) to the
  durable queue ``dlq.<service>.dropped`` with its original headers and the reason, who dropped
  it and when (x-dropped-reason, x-dropped-by, x-dropped-at). A service's broker user has no
  right on that queue (shared.messaging.broker: only ``dlq.<service>``), so what an operator
  dropped stays out of every service's reach.

A dead letter is named by an id made of what it carries (`letter_id`: a digest of its body, its
message id, its handler and its original route), the same in every listing; the same message
dead-lettered twice by the same handler is the same id, and acting on it takes the first."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kombu import Connection

DLQ_PREFIX = "dlq."
DROPPED_SUFFIX = ".dropped"
# what status groups reasons by is cut to this length
_KIND_LENGTH = 80


def queue_name(service: str) -> str:
    return f"{DLQ_PREFIX}{service}"


def dropped_queue(service: str) -> str:
    return f"{queue_name(service)}{DROPPED_SUFFIX}"


class DeadLetterError(Exception):
    """What an operation on dead letters could not do, said plainly (no such id, a dead letter
    without an original exchange, a publish the broker returned or did not confirm)."""


@dataclass
class Letter:
    """One dead letter as read from its queue."""
    id: str
    queue: str
    body: bytes
    properties: dict[str, Any]
    headers: dict[str, Any] = field(default_factory=dict)
    delivery_tag: Any = None
    settled: bool = False  # acked: moved elsewhere

    @property
    def reason(self) -> str:
        return str(self.headers.get("x-dead-reason", self.headers.get("x-dropped-reason", "")))

    @property
    def message_id(self) -> str | None:
        """The message id property; else the envelope's, where the body is an event."""
        if self.properties.get("message_id"):
            return str(self.properties["message_id"])
        if len(self.body) > (1 << 20) or not self.body.startswith(b"{"):
            return None
        try:
            import json
            found = json.loads(self.body).get("message_id")
        except (ValueError, AttributeError, RecursionError):
            return None
        return found if isinstance(found, str) else None

    @property
    def kind(self) -> str:
        return reason_kind(self.headers)

    def summary(self) -> dict[str, Any]:
        h = self.headers
        return {"id": self.id, "queue": self.queue,
                "message_id": self.message_id,
                "exchange": h.get("x-original-exchange", ""),
                "routing_key": h.get("x-original-routing-key", ""),
                "handler": h.get("x-handler", ""), "kind": self.kind, "reason": self.reason,
                "attempts": h.get("x-attempts"), "transient": bool(h.get("x-transient")),
                "size": len(self.body),
                **{k[2:].replace("-", "_"): h[k] for k in ("x-dropped-reason", "x-dropped-by",
                                                           "x-dropped-at") if k in h}}

    def detail(self) -> dict[str, Any]:
        """The summary with every header, the properties and the body (as text where it is
        UTF-8, else hex)."""
        try:
            body: str = self.body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            body, encoding = self.body.hex(), "hex"
        return dict(self.summary(), headers=_plain(self.headers),
                    properties=_plain({k: v for k, v in self.properties.items()
                                       if k != "application_headers"}),
                    body=body, body_encoding=encoding)


def reason_kind(headers: dict) -> str:
    """What a dead letter's reason is grouped under: the error code before the first colon
    (`event_agency_not_served`, `event_undecodable`, `ValueError`), prefixed `transient:` where
    only a passing fault outlasted the retries."""
    reason = str(headers.get("x-dead-reason", ""))
    if headers.get("x-transient"):
        return f"transient:{headers.get('x-dead-error', '')}"[:_KIND_LENGTH]
    if reason.startswith("still failing after"):
        reason = reason.split(": ", 1)[-1]
    return (reason.split(":", 1)[0].strip() or "(no reason)")[:_KIND_LENGTH]


def letter_id(body: bytes, properties: dict, headers: dict) -> str:
    digest = hashlib.sha256()
    for part in (body, str(properties.get("message_id") or "").encode(),
                 str(headers.get("x-handler", "")).encode(),
                 str(headers.get("x-original-exchange", "")).encode(),
                 str(headers.get("x-original-routing-key", "")).encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()[:12]


def count(amqp_uri: str, queue: str, *, timeout: float = 5) -> int:
    """Messages ready in `queue` by a passive declare: 0 where the queue does not exist (no
    dead letter ever)."""
    with Connection(amqp_uri, connect_timeout=timeout) as conn:
        channel = conn.channel()
        try:
            return int(channel.queue_declare(queue, passive=True).message_count)
        except conn.channel_errors:  # 404: never declared, so never a dead letter
            return 0
        finally:
            try:
                channel.close()
            except conn.channel_errors + conn.connection_errors:
                pass


@contextmanager
def _held(amqp_uri: str, queue: str, limit: int | None
          ) -> Iterator[tuple[Any, Any, list[Letter]]]:
    """The queue's messages fetched unacknowledged on one channel (up to `limit`), with that
    channel; whatever is not settled in the block goes back to the queue (`_put_back`)."""
    with Connection(amqp_uri, connect_timeout=10) as conn:
        conn.connect()
        channel = conn.channel()
        letters: list[Letter] = []
        try:
            try:
                channel.queue_declare(queue, passive=True)
            except conn.channel_errors:  # never declared: no dead letter ever
                yield conn, None, letters
                return
            while limit is None or len(letters) < limit:
                message = channel.basic_get(queue, no_ack=False)
                if message is None:
                    break
                letters.append(_letter(queue, message))
            yield conn, channel, letters
        finally:
            try:
                _put_back(conn, channel, queue, [x for x in letters if not x.settled])
            finally:
                try:
                    channel.close()  # what is still unacked goes back, in its order
                except conn.channel_errors + conn.connection_errors:
                    pass


def _put_back(conn, channel, queue: str, letters: list[Letter]) -> None:
    """Leave `letters` in `queue` as they were. A classic queue takes back what a closing
    channel held unacked, untouched. A quorum queue counts that as a delivery (its messages
    carry x-delivery-count) and past its delivery limit drops the message: reading dead letters
    would destroy them. There each is put back as a copy — published to the queue under
    confirms, then the original acked — so its count starts afresh; its id stays (the same
    body, message id and headers). A copy that cannot be published leaves its original (and
    those after it) to the closing channel."""
    from amqp import Message
    if not any("x-delivery-count" in x.headers for x in letters):
        return
    producer = conn.channel()
    try:
        producer.confirm_select()
        for letter in letters:
            props = {k: v for k, v in letter.properties.items() if k != "application_headers"}
            headers = {k: v for k, v in letter.headers.items() if k != "x-delivery-count"}
            producer.basic_publish_confirm(Message(letter.body, application_headers=headers,
                                                   **props),
                                           exchange="", routing_key=queue, mandatory=True)
            channel.basic_ack(letter.delivery_tag)
            letter.settled = True
    except Exception:  # the channel's close puts the rest back, counted once
        pass
    finally:
        try:
            producer.close()
        except conn.channel_errors + conn.connection_errors:
            pass


def _letter(queue: str, message) -> Letter:
    body = message.body if isinstance(message.body, bytes) else message.body.encode("utf-8")
    headers = dict(message.headers or {})
    properties = dict(message.properties)
    return Letter(id=letter_id(body, properties, headers), queue=queue, body=body,
                  properties=properties, headers=headers,
                  delivery_tag=message.delivery_info.get("delivery_tag"))


def peek(amqp_uri: str, queue: str, limit: int | None = None) -> list[Letter]:
    """The dead letters of `queue`, oldest first, left where they are."""
    with _held(amqp_uri, queue, limit) as (_, _, letters):
        return list(letters)


def _matching(letters: list[Letter], queue: str, wanted: str | None) -> list[Letter]:
    if wanted is None:
        return letters
    found = [letter for letter in letters if letter.id == wanted][:1]
    if not found:
        held = f"{len(letters)} dead letter(s)" if letters else "none (it is empty)"
        raise DeadLetterError(f"no dead letter with id {wanted!r} in {queue}: it holds {held}")
    return found


def _settle(amqp_uri: str, queue: str, wanted: str | None,
            move: Callable[[Any, Letter], dict[str, Any]]) -> list[dict[str, Any]]:
    """For the letter `wanted` (None: every one): `move` it (publish it somewhere under
    confirms and `mandatory`), then ack it. Stops at the first that cannot be moved, leaving it
    and the rest in place; what was done before stays done (each letter is settled alone)."""
    done: list[dict[str, Any]] = []
    with _held(amqp_uri, queue, None) as (_, held, letters):
        targets = _matching(letters, queue, wanted)
        if not targets:
            return done
        with Connection(amqp_uri, connect_timeout=10) as out:
            producer = out.channel()
            producer.confirm_select()
            returned: list[str] = []
            # a basic.return comes before the ack of the same message, so it is in by the
            # time basic_publish_confirm returns
            producer.events["basic_return"].add(
                lambda exc, exchange, key, message: returned.append(key))
            for letter in targets:
                returned.clear()
                try:
                    outcome = move(producer, letter)
                except DeadLetterError as exc:
                    raise DeadLetterError(f"{exc}{_before(done)}") from exc
                if returned:
                    raise DeadLetterError(
                        f"{outcome.get('exchange') or 'the default exchange'} returned dead "
                        f"letter {letter.id} (routing key {outcome.get('routing_key')!r}): no "
                        f"queue is bound for it; it is left where it was{_before(done)}")
                held.basic_ack(letter.delivery_tag)
                letter.settled = True
                done.append(outcome)
    return done


def _before(done: list[dict[str, Any]]) -> str:
    return (f" ({len(done)} settled before it: {', '.join(d['id'] for d in done)})"
            if done else "")


def requeue(amqp_uri: str, service: str, letter: str | None = None) -> list[dict[str, Any]]:
    """Send dead letter `letter` (None: all) of `service` back to its original exchange and
    routing key (module docstring); returns what was sent."""
    from amqp import Message

    def move(channel, found: Letter) -> dict[str, Any]:
        exchange = str(found.headers.get("x-original-exchange") or "")
        key = str(found.headers.get("x-original-routing-key") or "")
        if not exchange:
            raise DeadLetterError(f"dead letter {found.id} names no original exchange "
                                  "(x-original-exchange): it cannot be sent back; drop it")
        props = _original_properties(found)
        props["application_headers"] = {
            "x-requeued-from": found.queue,
            "x-requeued-at": datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            channel.basic_publish_confirm(Message(found.body, **props), exchange=exchange,
                                          routing_key=key, mandatory=True)
        except Exception as exc:
            raise DeadLetterError(f"could not send {found.id} back to {exchange} ({key}): "
                                  f"{exc}") from exc
        return {"id": found.id, "message_id": found.message_id,
                "exchange": exchange, "routing_key": key, "handler":
                found.headers.get("x-handler", ""), "reason": found.reason}
    return _settle(amqp_uri, queue_name(service), letter, move)


def drop(amqp_uri: str, service: str, letter: str, *, reason: str, by: str,
         at: datetime | None = None) -> dict[str, Any]:
    """Move dead letter `letter` of `service` to ``dlq.<service>.dropped`` with the reason, who
    and when (module docstring); returns what was recorded."""
    from amqp import Message

    if not reason.strip():
        raise DeadLetterError("a dead letter is dropped only with a reason (--reason TEXT)")
    target = dropped_queue(service)
    when = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    _ensure_queue(amqp_uri, target)

    def move(channel, found: Letter) -> dict[str, Any]:
        props = _original_properties(found)
        props["application_headers"] = dict(found.headers, **{
            "x-dropped-reason": reason[:2000], "x-dropped-by": by, "x-dropped-at": when})
        try:
            channel.basic_publish_confirm(Message(found.body, **props), exchange="",
                                          routing_key=target, mandatory=True)
        except Exception as exc:
            raise DeadLetterError(f"could not keep {found.id} in {target}: {exc}") from exc
        return {"id": found.id, "message_id": found.message_id,
                "queue": target, "exchange": "", "routing_key": target,
                "dropped_reason": reason, "dropped_by": by, "dropped_at": when,
                "reason": found.reason}
    return _settle(amqp_uri, queue_name(service), letter, move)[0]


def _ensure_queue(amqp_uri: str, queue: str) -> None:
    """The durable queue `queue`: as it is if it exists (whatever its type), else created."""
    with Connection(amqp_uri, connect_timeout=10) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(queue, passive=True)
            return
        except conn.channel_errors:  # 404; it closed that channel
            pass
        channel = conn.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.close()


def _original_properties(found: Letter) -> dict[str, Any]:
    p = found.properties
    content_type = (found.headers.get("x-original-content-type")
                    or p.get("content_type") or "application/octet-stream")
    props: dict[str, Any] = {"content_type": content_type, "delivery_mode": 2}
    if p.get("content_encoding"):
        props["content_encoding"] = p["content_encoding"]
    for key in ("message_id", "correlation_id"):
        if p.get(key):
            props[key] = p[key]
    return props


def _plain(value: Any) -> Any:
    """Headers and properties as JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def wait_for(amqp_uri: str, queue: str, at_least: int, timeout: float = 20) -> int:
    """Poll `count` until `queue` holds `at_least` messages (or the timeout); returns the
    last count. For scripts that wait for a dead letter to land."""
    deadline = time.monotonic() + timeout
    while True:
        n = count(amqp_uri, queue)
        if n >= at_least or time.monotonic() > deadline:
            return n
        time.sleep(0.1)
