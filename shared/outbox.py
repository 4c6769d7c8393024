"""Transactional outbox: events are written in the same database transaction as the facts
they announce, then relayed to `<service>.events` with publisher confirms and `mandatory`.
A crash between commit and publish loses nothing; an event no queue is bound for yet is kept
(state `unrouted`) and can be replayed once a consumer exists."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import (BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text,
                        select, text, update)
from sqlalchemy.orm import Session

from shared.contracts import Contract, envelope

log = logging.getLogger(__name__)

PENDING, PUBLISHED, UNROUTED = "pending", "published", "unrouted"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("message_id", String(36), nullable=False, unique=True),
        Column("event_type", String(80), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("state", String(12), nullable=False, index=True, default=PENDING),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )


# What a staged event row holds (the rest is the relay's); in this order.
OUTBOX_COLUMNS = ("message_id", "event_type", "body", "created_at", "state", "attempts")


class OutboxWriter:
    """Per-worker handle: stage events into the caller's transaction."""

    def __init__(self, table: Table, contract: Contract, insert=None):
        self.table = table
        self._insert = insert if insert is not None else table.insert()
        self.contract = contract
        self.staged = 0

    def stage(self, session: Session, event_type: str, data: dict, *, agency: str, actor: dict,
              ruleset: str, occurred_at: datetime | None = None) -> dict:
        body, row = self.prepare(event_type, data, agency=agency, actor=actor, ruleset=ruleset,
                                 occurred_at=occurred_at)
        session.execute(self._insert, row)
        return body

    def prepare(self, event_type: str, data: dict, *, agency: str, actor: dict, ruleset: str,
                occurred_at: datetime | None = None) -> tuple[dict, dict]:
        """The validated event and the outbox row (OUTBOX_COLUMNS) for a caller that inserts
        it itself, in its own transaction and statement (the record keeper's append does, so
        the entry, the head and its event take one round trip). Counted as staged: the
        caller must insert the row or fail its transaction."""
        body = envelope(self.contract, event_type, data, agency=agency, actor=actor,
                        ruleset=ruleset, occurred_at=occurred_at)
        self.staged += 1
        return body, {
            "message_id": body["message_id"], "event_type": event_type,
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            "created_at": datetime.now(timezone.utc), "state": PENDING, "attempts": 0}


class Outbox(DependencyProvider):
    """Inject an OutboxWriter; run one relay green thread per container."""

    batch_size = 200
    idle_poll_seconds = 2.0

    def __init__(self, contract: Contract, table: Table, database_attr: str = "db"):
        self.contract = contract
        self.table = table
        self.database_attr = database_attr
        self._wake = None
        self._running = False
        self._writers: dict = {}

    def setup(self):
        self._insert = self.table.insert()
        self.exchange_name = f"{self.contract.service}.events"
        from kombu import Exchange
        self.exchange = Exchange(self.exchange_name, type="topic", durable=True,
                                 auto_delete=False)
        self.publisher = Publisher(self.container.config[AMQP_URI_CONFIG_KEY],
                                   use_confirms=True, mandatory=True, exchange=self.exchange,
                                   serializer="json", delivery_mode=2,
                                   declare=[self.exchange])
        self._wake = GreenEvent()

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._relay_forever, identifier="outbox-relay")

    def stop(self):
        self._running = False
        self.kick()
        # give the relay a moment to finish what it holds; what remains is relayed next start
        eventlet.sleep(0)

    kill = stop

    def kick(self):
        if self._wake is not None and not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        writer = OutboxWriter(self.table, self.contract, self._insert)
        self._writers[worker_ctx] = writer
        return writer

    def worker_teardown(self, worker_ctx):
        # after the worker's transaction committed; reads stage nothing and wake nobody
        writer = self._writers.pop(worker_ctx, None)
        if writer is not None and writer.staged:
            self.kick()

    def _database(self):
        for ext in self.container.dependencies:
            if getattr(ext, "attr_name", None) == self.database_attr:
                return ext.db
        raise RuntimeError(f"no database dependency named {self.database_attr!r}")

    def _relay_forever(self):
        backoff = 0.5
        while self._running:
            try:
                sent = relay_pending(self._database(), self.table, self.publisher,
                                     self.batch_size)
                backoff = 0.5
            except Exception:  # broker or database down: keep rows, retry later
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            if sent:
                continue
            self._wake = GreenEvent()
            with eventlet.Timeout(self.idle_poll_seconds, False):
                self._wake.wait()


def relay_pending(db, table: Table, publisher: Publisher, batch_size: int = 200) -> int:
    """Publish pending rows in order, then record their states; returns how many were handled.

    On PostgreSQL the batch runs in one transaction holding an advisory lock, so of several
    instances only one relays at a time (no double publishing). On SQLite (one process) the
    rows are read, published and then marked, so the write lock is never held across a
    broker round trip. A crash between publish and mark publishes again on restart, which
    consumers absorb: they are idempotent on message id."""
    if db.dialect == "postgresql":
        with db.transaction() as session:
            if not session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"),
                                   {"k": f"sanxiang-outbox:{table.name}"}).scalar():
                return 0
            rows = _pending(session, table, batch_size)
            _mark(session, table, _publish(rows, publisher))
            return len(rows)
    with db.read() as session:
        rows = _pending(session, table, batch_size)
    if not rows:
        return 0
    states: dict[str, list[int]] = {PUBLISHED: [], UNROUTED: []}
    try:
        states = _publish(rows, publisher, states)
    finally:
        with db.transaction() as session:
            _mark(session, table, states)
    return len(rows)


def _pending(session, table: Table, limit: int):
    return session.execute(
        select(table.c.id, table.c.message_id, table.c.event_type, table.c.body)
        .where(table.c.state == PENDING).order_by(table.c.id).limit(limit)).all()


def _publish(rows, publisher: Publisher, states: dict | None = None) -> dict[str, list[int]]:
    """Publish each row; `states` is filled as it goes, so a failure midway keeps what
    already went out."""
    states = states if states is not None else {PUBLISHED: [], UNROUTED: []}
    for row in rows:
        try:
            # the stored text is already the JSON message: publish it as is
            publisher.publish(row.body.encode("utf-8"), routing_key=row.event_type,
                              message_id=row.message_id, content_type="application/json",
                              content_encoding="utf-8")
            states[PUBLISHED].append(row.id)
        except UndeliverableMessage:
            # no queue bound for this event type yet: kept for replay, not an error
            states[UNROUTED].append(row.id)
    return states


def _mark(session, table: Table, states: dict[str, list[int]]) -> None:
    now = datetime.now(timezone.utc)
    for state, ids in states.items():
        if ids:
            session.execute(update(table).where(table.c.id.in_(ids)).values(
                state=state, published_at=now, attempts=table.c.attempts + 1))


def requeue_unrouted(db, table: Table, *, event_types: list[str] | None = None,
                     since: datetime | None = None) -> int:
    """Put events that found no queue back in line (after a consumer was deployed);
    returns how many. Consumers are idempotent on message id, so a replay is safe."""
    query = update(table).where(table.c.state == UNROUTED)
    if event_types:
        query = query.where(table.c.event_type.in_(event_types))
    if since is not None:
        query = query.where(table.c.created_at >= since)
    with db.transaction() as session:
        return session.execute(query.values(state=PENDING)).rowcount
