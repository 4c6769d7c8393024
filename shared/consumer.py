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

Dead letters go to the durable queue ``dlq.<service>`` through the topic exchange
``sanxiang.dead-letters`` (routing key = service name; a topic exchange, so that a broker user's
topic permissions confine each service to its own dead letters), with headers naming the original
exchange, routing key, handler and error. Operators see them in the management UI and can
move them back to ``<source>.events`` once the cause is fixed."""
from __future__ import annotations

import contextlib
import functools
import logging
import time
import traceback
from datetime import datetime
from typing import Iterator

from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from shared.contracts import EVENT_TYPE, Contract, Envelope, load
from shared.errors import SanxiangError
from shared.keys import KeyStore
from shared.queue_consumer import QueueConsumer
from shared.schema import UtcDateTime
from shared.signed_events import EventRefused, verify

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "sanxiang.dead-letters"


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("message_id", String(64), primary_key=True),
        Column("event_type", String(80), nullable=False),
        Column("source", String(40), nullable=False),
        Column("received_at", UtcDateTime(), nullable=False))


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
                           code="event_wrong_contract")
    event = contract.event(envelope["event_type"])
    envelope["data"] = load(event.schema, body["data"], what=f"{event.type} data", path="data")
    return envelope


@contextlib.contextmanager
def once(db, table: Table, contract: Contract, body, now: datetime
         ) -> Iterator[tuple[object, dict | None]]:
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
    def from_config(cls, source: str, config: dict) -> "EventGate":
        store = KeyStore.from_config(config)
        keys = store.event_verification_keys(source)
        if not keys:
            # not fatal: this service may run without that producer; its events are refused
            log.warning("no public event keys of %s under %s: its events will be refused",
                        source, store.root / "public" / "events" / source)
        return cls(source, keys, config.get("AGENCIES") or {}, store)

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
                               code="event_wrong_contract")
        if event_type != routing_key:
            raise EventRefused(f"event_type {event_type!r} arrived under routing key "
                               f"{routing_key!r}", code="event_wrong_type")
        version = body.get("schema_version")
        major = str(version).split(".", 1)[0]
        if not (isinstance(event_type, str) and EVENT_TYPE.match(event_type)
                and isinstance(version, str) and major.isdigit()
                and event_type.rsplit(".v", 1)[1] == str(int(major))):
            raise EventRefused(f"schema_version {version!r} is not a version of {event_type!r} "
                               f"(its major version must be the .vN of the event type)",
                               code="event_wrong_version")
        agency = body.get("agency")
        if agency not in self.agencies:
            raise EventRefused(f"agency {agency!r} is not served by this deployment; known: "
                               f"{', '.join(sorted(self.agencies)) or 'none'}",
                               code="event_agency_not_served", details={"agency": agency})


class DeadLetters:
    """The route to ``dlq.<service>`` (module docstring): each message published as it came,
    under confirms and ``mandatory``, with headers naming the reason, the error, the handler
    and where the message came from. Used by the event handlers here and by the RPC
    entrypoint (shared.rpc) for requests it cannot decode."""

    def __init__(self, config: dict, service: str):
        self.service = service
        self.exchange = Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)
        self.queue = Queue(f"dlq.{service}", exchange=self.exchange, routing_key=service,
                           durable=True)
        self.publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY], use_confirms=True, mandatory=True, serializer="json",
            delivery_mode=2, declare=[self.exchange, self.queue])

    def send(self, message, *, reason: str, error: str, handler: str) -> None:
        info = message.delivery_info
        headers = {"x-dead-reason": reason[:2000],
                   "x-dead-error": error,
                   "x-original-exchange": info.get("exchange", ""),
                   "x-original-routing-key": info.get("routing_key", ""),
                   "x-handler": handler,
                   "x-redelivered": bool(info.get("redelivered"))}
        log.warning("dead-lettering %s for %s: %s", info.get("routing_key"), handler, reason)
        self.publisher.publish(
            message.body, exchange=self.exchange, routing_key=self.service, headers=headers,
            # a body without a content type is kept as the bytes it was, never re-encoded
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary")


class DeadLetterEventHandler(EventHandler):
    """An event handler whose refused or failed events are dead-lettered (module docstring)."""

    queue_consumer = QueueConsumer()  # survives broker outages (shared.queue_consumer)

    def setup(self):
        super().setup()
        self.gate = EventGate.from_config(self.source_service, self.container.config)
        self.dead_letters = DeadLetters(self.container.config, self.container.service_name)

    def handle_message(self, body, message):
        try:
            self.gate.check(body, message.delivery_info.get("routing_key"))
        except Exception as exc:  # EventRefused, or keys unreadable: refused all the same
            # no worker: the service's code never sees a refused event
            self.container.spawn_managed_thread(functools.partial(self._settle, message, exc),
                                                identifier=f"refuse-{self.method_name}")
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None and is_duplicate(exc_info[1]):
            exc_info = None  # a concurrent redelivery won the race: already handled
        self._settle(message, exc_info[1] if exc_info else None)
        return result, exc_info

    def _settle(self, message, exc: BaseException | None) -> bool:
        """Ack the message, dead-lettering it first if it failed; False if it was requeued."""
        if exc is not None:
            try:
                self._dead_letter(message, exc)
            except Exception:  # broker trouble: keep the message, it comes back
                log.exception("could not dead-letter %s; requeueing it",
                              message.delivery_info.get("routing_key"))
                self.queue_consumer.requeue_message(message)
                return False
        self.queue_consumer.ack_message(message)
        return True

    def _dead_letter(self, message, exc: BaseException) -> None:
        if isinstance(exc, SanxiangError):
            reason = f"{exc.code}: {exc.message}"
        else:
            reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        self.dead_letters.send(message, reason=reason, error=type(exc).__name__,
                               handler=f"{self.container.service_name}.{self.method_name}")


event_handler = DeadLetterEventHandler.decorator
