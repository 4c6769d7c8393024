"""Consuming events reliably: every handled message is remembered in the consumer's own
`inbox` table in the transaction of its effect, so a redelivered message does nothing twice;
a message that cannot be handled is dead-lettered with the reason, never silently acked.

Before a message reaches a worker (and so before the inbox or any handler code), the handler
checks that it is what it claims to be (EventGate): signed by the service it subscribed to —
the producer's signature verified against that service's public keys alone, so a valid
signature by another service is a forgery here —, naming that service as its `contract`, of
the event type it was routed under, of a schema version of that major version, and for an
agency this deployment serves. A message failing any of these is refused: dead-lettered with
the reason, never handled, never remembered in the inbox.

Nothing is decoded by kombu: the handler takes the message's bytes and decodes them itself
(decode_event) — UTF-8 JSON holding an object, nothing else, so a pickle is never unpickled —
and a message that is no event at all (bad JSON, invalid UTF-8, another content type, nesting
beyond the decoder) is dead-lettered like a refused one.

A handler that fails for a fault of the moment (shared/persistence/transient.py: the database
restarting, full, or choosing this transaction as a deadlock's loser) runs again after a back-off
that doubles (RetryBudget, configurable); only a permanent error, or a fault outlasting the budget,
is dead-lettered, with the number of attempts in its headers. The message stays unacked
meanwhile, so a service that stops in between gets it redelivered.

Dead letters go to the durable queue ``dlq.<service>`` through the topic exchange
``sanxiang.dead-letters`` (routing key = service name; a topic exchange, so that a broker user's
topic permissions confine each service to its own dead letters), with headers naming the original
exchange, routing key and content type, the handler, the error and the attempts. Operators list
them, and send them back to ``<source>.events`` once the cause is fixed or drop them with a
recorded reason, with `sanxiang ops dead-letters` (shared.messaging.dead_letters)."""
from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Iterator
from datetime import datetime

import eventlet
import tenacity
from eventlet.event import Event as GreenEvent
from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from sqlalchemy import Column, Index, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import settings
from shared.contracts.registry import EVENT_TYPE, Contract, Envelope, load
from shared.errors import ConfigurationError, SanxiangError
from shared.messaging.body import Unreadable, is_utf8, read_json
from shared.messaging.queue_consumer import QueueConsumer
from shared.observability import logs
from shared.observability.metrics import metrics_for
from shared.persistence.schema import UtcDateTime
from shared.persistence.transient import is_transient
from shared.trust.keys import KeyStore
from shared.trust.signatures import EventRefused, verify

log = logging.getLogger(__name__)
access = logging.getLogger(logs.ACCESS_LOGGER)

DEAD_LETTER_EXCHANGE = "sanxiang.dead-letters"

# The poison-message bound: how many times a message may come back to a service's durable
# queue unsettled (its consumer died or gave it back each time) before it is dead-lettered.
# On a quorum queue the broker counts (header x-delivery-count: the returns so far) and
# enforces it through the policy `sanxiang broker setup` sets (shared.messaging.broker
# .poison_policy); the consumer settles such a message itself on its last delivery, with the
# reason in the dead letter's headers. Config DELIVERY_LIMIT, the same number as the policy.
DELIVERY_LIMIT = 20


def delivery_limit(config: dict) -> int:
    return settings.whole_number(config, "DELIVERY_LIMIT", DELIVERY_LIMIT)


def past_delivery_limit(message, limit: int) -> DeliveryLimitReached | None:
    """Why to dead-letter a message without running it — it came back `limit` times
    unsettled, so this is the last delivery the broker makes — or None. Only a quorum queue
    counts deliveries (x-delivery-count); a classic queue's message is never bounded here."""
    count = (message.headers or {}).get("x-delivery-count")
    if not isinstance(count, int) or count < limit:
        return None
    return DeliveryLimitReached(
        f"delivered {count + 1} times without being settled (the delivery limit is {limit}): "
        "each delivery before stopped its consumer or was given back",
        message_zh=f"消息已投递 {count + 1} 次均未处理完毕（投递上限 {limit} 次）："
                   "此前每次投递都使其消费者停止或被退回，已转入死信队列")


# The index prune() walks, oldest first (a migration of each service adds it to its inbox).
INBOX_AGE_INDEX = "ix_inbox_received_at"


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("message_id", String(64), primary_key=True),
        Column("event_type", String(80), nullable=False),
        Column("source", String(40), nullable=False),
        Column("received_at", UtcDateTime(), nullable=False),
        Index(INBOX_AGE_INDEX, "received_at"))


def create_age_index(op) -> None:
    """The migration step that gives a service's inbox the index prune() reads."""
    op.create_index(INBOX_AGE_INDEX, "inbox", ["received_at"])


def drop_age_index(op) -> None:
    op.drop_index(INBOX_AGE_INDEX, table_name="inbox")


def prune(db, table: Table, older_than: datetime, *, batch_size: int = 500, claim=None) -> int:
    """Forget the messages handled before `older_than`, oldest first, a batch per short
    transaction; returns how many. A message is remembered so that a redelivery does nothing
    twice; one redelivered after its row is gone would be handled again, so the retention must
    outlast any redelivery (compose/README.md, "Storage"). `claim(session)` is asked first in
    each transaction (shared.persistence.timers.claim); False ends the pass."""
    oldest = (select(table.c.message_id).where(table.c.received_at < older_than)
              .order_by(table.c.received_at).limit(batch_size))
    deleted = 0
    while True:
        with db.transaction() as session:
            if claim is not None and not claim(session):
                return deleted
            n = session.execute(delete(table).where(
                table.c.message_id.in_(oldest.scalar_subquery()))).rowcount
        deleted += n
        if n < batch_size:
            return deleted


def already_handled(session, table: Table, message_id: str) -> bool:
    return session.execute(select(table.c.message_id)
                           .where(table.c.message_id == message_id)).first() is not None


def remember(session, table: Table, body: dict, now: datetime) -> None:
    """Record the message as handled, in the caller's transaction; a concurrent duplicate
    makes the primary key collide and the whole transaction roll back."""
    session.execute(insert(table), {"message_id": body["message_id"],
                                    "event_type": body["event_type"],
                                    "source": body["contract"], "received_at": now})


def incoming(contract: Contract, body) -> dict:
    """Validate an incoming event against the producer's contract: envelope, then data.
    (Its signature was verified before, by the handler: EventGate.)"""
    envelope = load(Envelope, body, what="event envelope")
    if envelope["contract"] != contract.service:
        raise EventRefused(f"contract {envelope['contract']!r} is not {contract.service!r}",
                           code="event_wrong_contract",
                           message_zh=f"事件的 contract {envelope['contract']!r} 不是 "
                                      f"{contract.service!r}，已拒收")
    event = contract.event(envelope["event_type"])
    envelope["data"] = load(event.schema, body["data"], what=f"{event.type} data", path="data")
    return envelope


@contextlib.contextmanager
def once(db, table: Table, contract: Contract, body, now: datetime
         ) -> Iterator[tuple[Session, dict | None]]:
    """Handle an event once: validate it against its producer's contract, open the write
    transaction, and yield (session, event) — event None when this message id was handled
    before. The message is remembered in the same transaction as the handler's effect."""
    event = incoming(contract, body)
    with db.transaction() as session:
        if already_handled(session, table, event["message_id"]):
            yield session, None
            return
        remember(session, table, event, now)
        yield session, event


def is_duplicate(exc: BaseException) -> bool:
    return isinstance(exc, IntegrityError) and "inbox" in str(exc.orig).lower()


class EventGate:
    """What a consumer checks of an event before anything else runs (module docstring)."""

    # an unknown key id re-reads the producer's public keys (a key added while rotating), at
    # most this often, so a stream of forgeries cannot keep the consumer reading files
    refresh_seconds = 30.0

    def __init__(self, source: str, keys: dict, agencies, store: KeyStore | None = None):
        self.source = source
        self.keys = keys
        self.agencies = frozenset(agencies)
        self.store = store
        self._refreshed = time.monotonic()

    @classmethod
    def from_config(cls, source: str, config: dict) -> EventGate:
        store = KeyStore.from_config(config)
        keys = store.event_verification_keys(source)
        if not keys:
            # not fatal: this service may run without that producer; its events are refused
            log.warning("no public event keys of %s under %s: its events will be refused",
                        source, store.root / "public" / "events" / source)
        from shared.rulesets.agencies import configured
        return cls(source, keys, configured(config), store)

    def check(self, body, routing_key: str | None) -> None:
        """Return if the event may be handled; raise EventRefused with the reason if not."""
        kid = body.get("key_id") if isinstance(body, dict) else None
        if (isinstance(kid, str) and kid not in self.keys and self.store is not None
                and time.monotonic() - self._refreshed >= self.refresh_seconds):
            self._refreshed = time.monotonic()
            self.keys = self.store.event_verification_keys(self.source)
        verify(body, self.keys, self.source)
        contract, event_type = body.get("contract"), body.get("event_type")
        if contract != self.source:
            raise EventRefused(f"contract {contract!r} is not {self.source!r}, the service whose "
                               f"exchange {self.source}.events it came from",
                               code="event_wrong_contract",
                               message_zh=f"事件的 contract {contract!r} 不是其来源交换机 "
                                          f"{self.source}.events 所属的 {self.source!r}，已拒收")
        if event_type != routing_key:
            raise EventRefused(f"event_type {event_type!r} arrived under routing key "
                               f"{routing_key!r}", code="event_wrong_type",
                               message_zh=f"事件类型 {event_type!r} 与路由键 {routing_key!r} "
                                          "不符，已拒收")
        version = body.get("schema_version")
        major = str(version).split(".", 1)[0]
        if not (isinstance(event_type, str) and EVENT_TYPE.match(event_type)
                and isinstance(version, str) and major.isdigit()
                and event_type.rsplit(".v", 1)[1] == str(int(major))):
            raise EventRefused(f"schema_version {version!r} is not a version of {event_type!r} "
                               f"(its major version must be the .vN of the event type)",
                               code="event_wrong_version",
                               message_zh=f"schema_version {version!r} 不是 {event_type!r} 的"
                                          "版本（其主版本号应与事件类型的 .vN 一致），已拒收")
        agency = body.get("agency")
        if agency not in self.agencies:
            raise EventRefused(f"agency {agency!r} is not served by this deployment; known: "
                               f"{', '.join(sorted(self.agencies)) or 'none'}",
                               code="event_agency_not_served", details={"agency": agency},
                               message_zh=f"本部署不服务执法机关 {agency!r}；已知："
                                          f"{'、'.join(sorted(self.agencies)) or '无'}，已拒收")


MAX_EVENT_BYTES = 1 << 20  # an envelope is a few kilobytes; the broker's own limit is 128 MiB


class EventUndecodable(EventRefused):
    """A message that is not an event at all: not JSON, not UTF-8, not an object, nested beyond
    the decoder, compressed, or of another content type (a pickle is never unpickled)."""
    code = "event_undecodable"


def decode_event(message) -> dict:
    """The event a message carries, decoded here rather than by kombu: only UTF-8 JSON text
    holding an object is an event, whatever serializers kombu knows (pickle among them, which
    runs code when loaded); anything else raises EventUndecodable naming the rule."""
    _check_envelope(message)
    raw = message.body
    if len(raw) > MAX_EVENT_BYTES:
        raise EventUndecodable(f"body of {len(raw)} bytes is over the {MAX_EVENT_BYTES} an "
                               f"event may have",
                               message_zh=f"事件正文 {len(raw)} 字节，超过上限 {MAX_EVENT_BYTES} "
                                          "字节，已拒收")
    try:
        body = read_json(raw, constants=False)
    except Unreadable as exc:
        raise EventUndecodable(_unreadable(exc), message_zh=_unreadable_zh(exc)) from None
    if not isinstance(body, dict):
        raise EventUndecodable(f"body is a JSON {type(body).__name__}, not the object of an "
                               f"event envelope",
                               message_zh=f"事件正文是 JSON {type(body).__name__}，不是事件信封"
                                          "所需的对象，已拒收")
    return body


def _check_envelope(message) -> None:
    """JSON, in UTF-8, uncompressed — or EventUndecodable naming which is not."""
    content_type = message.content_type
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise EventUndecodable(f"content type {content_type!r} is not application/json: an "
                               f"event is JSON text and nothing else is decoded",
                               message_zh=f"内容类型 {content_type!r} 不是 application/json："
                                          "事件只能是 JSON 文本，其他内容不予解码")
    if not is_utf8(message.content_encoding):
        raise EventUndecodable(f"content encoding {message.content_encoding!r} is not utf-8",
                               message_zh=f"内容编码 {message.content_encoding!r} 不是 utf-8，"
                                          "已拒收")
    if (message.headers or {}).get("compression"):
        raise EventUndecodable("a compressed body is not accepted (compression "
                               f"{message.headers['compression']!r})",
                               message_zh="不接受压缩的事件正文（compression "
                                          f"{message.headers['compression']!r}）")


def _unreadable(exc: Unreadable) -> str:
    if exc.problem == "utf8" and isinstance(exc.cause, UnicodeDecodeError):
        return f"body is not valid UTF-8: {exc.cause.reason} at byte {exc.cause.start}"
    if exc.problem == "depth":
        return "body nests arrays or objects deeper than the decoder allows"
    return f"body is not JSON: {exc.cause}"


def _unreadable_zh(exc: Unreadable) -> str:
    if exc.problem == "utf8" and isinstance(exc.cause, UnicodeDecodeError):
        return f"事件正文不是有效的 UTF-8：第 {exc.cause.start} 字节（{exc.cause.reason}）"
    if exc.problem == "depth":
        return "事件正文的数组或对象嵌套层数超过解码器允许的深度"
    return f"事件正文不是 JSON：{exc.cause}"


class DeliveryLimitReached(SanxiangError):
    """A message back more often than the delivery limit allows (past_delivery_limit)."""
    code = "delivery_limit_reached"
    message_zh = "消息多次投递均未处理完毕，已达投递上限，转入死信队列"


class RetryBudget:
    """How a consumer retries an event whose handling failed for a fault of the moment
    (shared/persistence/transient.py): `attempts` runs in all, waiting `first_delay` seconds after
    the first, doubling up to `max_delay`, with up to `first_delay` of jitter so instances do not
    retry in step. Config: EVENT_RETRY_ATTEMPTS, EVENT_RETRY_FIRST_DELAY, EVENT_RETRY_MAX_DELAY;
    the defaults ride out about 25 seconds of outage (a database restart, a full connection
    table) before the event is dead-lettered."""

    def __init__(self, attempts: int = 8, first_delay: float = 0.25, max_delay: float = 8.0):
        self.attempts = attempts
        self.first_delay = first_delay
        self.max_delay = max_delay

    @classmethod
    def from_config(cls, config: dict) -> RetryBudget:
        defaults = cls()
        values = {}
        for key, attr, kind, least in (("EVENT_RETRY_ATTEMPTS", "attempts", int, 1),
                                       ("EVENT_RETRY_FIRST_DELAY", "first_delay", float, 0),
                                       ("EVENT_RETRY_MAX_DELAY", "max_delay", float, 0)):
            raw = config.get(key)
            if raw is None or raw == "":
                values[attr] = getattr(defaults, attr)
                continue
            try:
                values[attr] = kind(raw)
            except (TypeError, ValueError):
                values[attr] = least - 1
            if values[attr] < least:
                raise ConfigurationError(f"{key} must be a number ≥ {least}, not {raw!r}",
                                         message_zh=f"{key} 应为不小于 {least} 的数，"
                                                    f"而不是 {raw!r}")
        return cls(**values)

    def retrying(self) -> tenacity.Retrying:
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_transient),
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=(tenacity.wait_exponential(multiplier=self.first_delay, max=self.max_delay)
                  + tenacity.wait_random(0, self.first_delay)),
            sleep=eventlet.sleep, reraise=True)
class DeadLetters:
    """The route to ``dlq.<service>`` (module docstring): each message published as it came,
    under confirms and ``mandatory``, with headers naming the reason, the error, the handler
    and where the message came from. Used by the event handlers here and by the RPC
    entrypoint (shared.messaging.rpc) for requests it cannot decode."""

    def __init__(self, config: dict, service: str):
        self.service = service
        self.exchange = Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)
        self.queue = Queue(f"dlq.{service}", exchange=self.exchange, routing_key=service,
                           durable=True)
        self.publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY], use_confirms=True, mandatory=True, serializer="json",
            delivery_mode=2, declare=[self.exchange, self.queue])

    def send(self, message, *, reason: str, error: str, handler: str, attempts: int = 0,
             transient: bool = False) -> None:
        """`attempts`: how many times a handler ran on it (0: none could, e.g. undecodable);
        `transient`: whether it is dead-lettered only because a passing fault outlasted the
        retry budget (shared.persistence.transient)."""
        info = message.delivery_info
        headers = {"x-dead-reason": reason[:2000],
                   "x-dead-error": error,
                   "x-attempts": attempts,
                   "x-transient": transient,
                   "x-original-exchange": info.get("exchange", ""),
                   "x-original-routing-key": info.get("routing_key", ""),
                   "x-original-content-type": message.content_type or "",
                   "x-handler": handler,
                   "x-redelivered": bool(info.get("redelivered")),
                   "x-deliveries": int((message.headers or {}).get("x-delivery-count") or 0) + 1}
        log.warning("dead-lettering %s for %s: %s", info.get("routing_key"), handler, reason)
        # the body as it came, bytes for bytes (never decoded, never re-encoded); a message
        # without a content type goes as opaque bytes, which kombu does not serialize
        properties = {key: message.properties[key] for key in ("message_id", "correlation_id")
                      if message.properties.get(key)}
        self.publisher.publish(
            message.body, exchange=self.exchange, routing_key=self.service, headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary", **properties)


class DeadLetterEventHandler(EventHandler):
    """An event handler whose undecodable, refused or failed events are dead-lettered, and
    whose transient failures are retried first (module docstring). Its messages reach it
    undecoded (shared.messaging.queue_consumer's handle_raw_message): kombu's serializers never run
    on an event's body."""

    queue_consumer = QueueConsumer()  # survives broker outages (shared.messaging.queue_consumer)

    def setup(self):
        super().setup()
        self.gate = EventGate.from_config(self.source_service, self.container.config)
        self.retry = RetryBudget.from_config(self.container.config)
        self.dead_letters = DeadLetters(self.container.config, self.container.service_name)
        self.delivery_limit = delivery_limit(self.container.config)

    def handle_raw_message(self, message):
        """In a managed thread of its own: decode, check, handle (retrying transient faults),
        then ack or dead-letter. Never raises: a managed thread that fails kills the container;
        a message this cannot settle stays unacked and comes back."""
        started = time.perf_counter()
        try:
            poisoned = past_delivery_limit(message, self.delivery_limit)
            if poisoned:
                self._settle(message, poisoned, attempts=0)
                return
            try:
                body = decode_event(message)
                self.gate.check(body, message.delivery_info.get("routing_key"))
            except Exception as exc:  # EventRefused, or keys unreadable: refused all the same
                # no worker: the service's code never sees a refused event
                if self._settle(message, exc, attempts=0):
                    self._observe(message, None, exc, 0, started)
                return
            self._handle(body, message, started)
        except Exception:
            log.exception("could not settle %s; it stays unacknowledged",
                          message.delivery_info.get("routing_key"))

    def _handle(self, body, message, started: float) -> None:
        attempts = 0
        try:
            for attempt in self.retry.retrying():
                with attempt:
                    attempts += 1
                    if attempts > 1:
                        log.warning("%s.%s: attempt %d of %d after a transient fault",
                                    self.container.service_name, self.method_name, attempts,
                                    self.retry.attempts)
                    self._run_worker(body, message)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)
            return
        except Exception as exc:
            if self._settle(message, exc, attempts=attempts):
                self._observe(message, body, exc, attempts, started)
            return
        self._settle(message, None, attempts=attempts)
        self._observe(message, body, None, attempts, started)

    def _observe(self, message, body: dict | None, exc: BaseException | None, attempts: int,
                 started: float) -> None:
        """Count the settled event (shared.observability.metrics) and write its access line:
        event type, handler, outcome, reason, duration, and for an event that passed the gate
        its agency and its actor's role — never an id of a person, never a value of its data."""
        event_type = str(message.delivery_info.get("routing_key") or "")
        reason = None
        if exc is not None:
            reason = (exc.code if isinstance(exc, SanxiangError)
                      else "transient" if attempts > 0 and is_transient(exc) else "unexpected")
        metrics_for(self.container).event(event_type, reason)
        seconds = time.perf_counter() - started
        actor = body.get("actor") if body is not None else None
        fields = {"kind": "event", "service": self.container.service_name,
                  "handler": self.method_name, "event_type": event_type,
                  "message_id": message.properties.get("message_id"),
                  "outcome": "handled" if reason is None else "dead_lettered",
                  "reason": reason, "attempts": attempts,
                  "duration_ms": round(seconds * 1000, 3),
                  "agency": body.get("agency") if body is not None else None,
                  "role": actor.get("role") if isinstance(actor, dict) else None}
        access.info("event %s %s %s %.1f ms", event_type, self.method_name,
                    reason or "handled", seconds * 1000,
                    extra={logs.FIELDS: {k: v for k, v in fields.items() if v is not None}})

    def _run_worker(self, body, message) -> None:
        """Run the service's handler once in a worker; raise what it raised."""
        outcome = GreenEvent()

        def handle_result(worker_ctx, result=None, exc_info=None):
            outcome.send(exc_info[1] if exc_info is not None else None)
            return result, exc_info

        self.container.spawn_worker(self, (body,), {},
                                    context_data=self.unpack_message_headers(message),
                                    handle_result=handle_result)
        exc = outcome.wait()
        if exc is not None and not is_duplicate(exc):  # a duplicate: a concurrent
            raise exc                                    # redelivery won the race

    def _settle(self, message, exc: BaseException | None, *, attempts: int) -> bool:
        """Ack the message, dead-lettering it first if it failed; False if it was requeued."""
        if exc is not None:
            try:
                self._dead_letter(message, exc, attempts)
            except Exception:  # broker trouble: keep the message, it comes back
                log.exception("could not dead-letter %s; requeueing it",
                              message.delivery_info.get("routing_key"))
                self.queue_consumer.requeue_message(message)
                return False
        self.queue_consumer.ack_message(message)
        return True

    def _dead_letter(self, message, exc: BaseException, attempts: int) -> None:
        if isinstance(exc, SanxiangError):
            reason = f"{exc.code}: {exc.message}"
        else:
            reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        transient = attempts > 0 and is_transient(exc)
        if transient:
            reason = f"still failing after {attempts} attempts: {reason}"
        self.dead_letters.send(message, reason=reason, error=type(exc).__name__,
                               handler=f"{self.container.service_name}.{self.method_name}",
                               attempts=attempts, transient=transient)


event_handler = DeadLetterEventHandler.decorator
