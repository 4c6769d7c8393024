"""Transactional outbox: events are written in the same database transaction as the facts
they announce, then relayed to `<service>.events` with publisher confirms and `mandatory`.
A crash between commit and publish loses nothing; an event no queue is bound for yet is kept
(state `unrouted`) and can be replayed once a consumer exists.

Each event is signed when it is staged, by the service's own event key (loaded once in
setup()), and stored as the signed envelope's canonical text; the relay publishes the stored
text as is and never signs. A row stored unsigned (written before events were signed, or put
into the table by anyone but the service) goes out unsigned and every consumer dead-letters
it: signing at relay time would sign whatever is in the table, so write access to the
database would be enough to have a forged event accepted."""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.amqp.publish import UndeliverableMessage
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from shared.contracts.registry import Contract, envelope
from shared.errors import ValidationFailed
from shared.persistence.schema import UtcDateTime
from shared.persistence.transient import is_transient
from shared.trust.keys import KeyStore, SigningKey
from shared.trust.signatures import CanonicalError, sign

log = logging.getLogger(__name__)

PENDING, PUBLISHED, UNROUTED = "pending", "published", "unrouted"

# The relay's pick reads the pending rows in id order from a partial index of them alone: the
# rows published before (nearly all of a long-lived table) are in no part of its path. The
# few unrouted rows, which requeue_unrouted reads, have one of their own. A published row is
# in neither: the per-event write cost of a full index of `state` (an entry for every row,
# and another for every row's update to published) is gone with that index.
PENDING_INDEX = "ix_outbox_pending"
UNROUTED_INDEX = "ix_outbox_unrouted"
_PARTIAL = {PENDING_INDEX: f"state = '{PENDING}'", UNROUTED_INDEX: f"state = '{UNROUTED}'"}
# The published rows in id order, which retention's prune() walks from the oldest: an entry per
# row when it is marked published (none at insert, none for an unrouted row), so a pass reads
# the published rows past retention and never steps over the unrouted ones kept for good.
PUBLISHED_INDEX = "ix_outbox_published"
_PUBLISHED = f"state = '{PUBLISHED}'"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("message_id", String(36), nullable=False, unique=True),
        Column("event_type", String(80), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("state", String(12), nullable=False, default=PENDING),
        Column("published_at", UtcDateTime()),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
        *(Index(name, "id", postgresql_where=text(where), sqlite_where=text(where))
          for name, where in _PARTIAL.items()),
        Index(PUBLISHED_INDEX, "id", postgresql_where=text(_PUBLISHED),
              sqlite_where=text(_PUBLISHED)),
    )


def create_partial_indexes(op) -> None:
    """The migration step that gives a service's outbox its partial indexes (PENDING_INDEX,
    UNROUTED_INDEX) in place of the full index of `state`: one definition for every
    service's migration."""
    for name, where in _PARTIAL.items():
        op.create_index(name, "outbox", ["id"], postgresql_where=text(where),
                        sqlite_where=text(where))
    op.drop_index("ix_outbox_state", table_name="outbox")


def create_published_index(op) -> None:
    """The migration step that gives a service's outbox PUBLISHED_INDEX (retention's walk)."""
    op.create_index(PUBLISHED_INDEX, "outbox", ["id"], postgresql_where=text(_PUBLISHED),
                    sqlite_where=text(_PUBLISHED))


def drop_published_index(op) -> None:
    op.drop_index(PUBLISHED_INDEX, table_name="outbox")


def drop_partial_indexes(op) -> None:
    op.create_index("ix_outbox_state", "outbox", ["state"])
    for name in _PARTIAL:
        op.drop_index(name, table_name="outbox")


# What a staged event row holds (the rest is the relay's); in this order.
OUTBOX_COLUMNS = ("message_id", "event_type", "body", "created_at", "state", "attempts")


class OutboxWriter:
    """Per-worker handle: stage events into the caller's transaction."""

    def __init__(self, table: Table, contract: Contract, insert=None, *, signer: SigningKey):
        self.table = table
        self._insert = insert if insert is not None else table.insert()
        self.contract = contract
        self.signer = signer
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
        try:
            text = sign(body, self.signer)
        except CanonicalError as exc:
            # e.g. an integer no consumer's IEEE 754 double holds exactly: refused, not sent
            raise ValidationFailed.from_messages({"data": [f"cannot be signed: {exc}"]},
                                                 what=f"{event_type} data") from None
        self.staged += 1
        return body, {
            "message_id": body["message_id"], "event_type": event_type, "body": text,
            "created_at": datetime.now(UTC), "state": PENDING, "attempts": 0}


class ConfirmedPublisher:
    """Publishes a batch of outbox rows to one exchange, each `mandatory` and persistent,
    under publisher confirms — waiting once for the broker to confirm the whole batch instead
    of a round trip per message (which cost the relay most of its CPU). A message the broker
    returns (no queue bound for its routing key) is reported unrouted; one it nacks, or any
    left unconfirmed, fails the batch (ConfirmFailed) after reporting what was confirmed."""

    def __init__(self, amqp_uri: str, exchange, confirm_timeout: float = 30.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self._conn: Any = None
        self._channel: Any = None
        self._tag = 0
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._returned: set[str] = set()
        self._waiting: dict = {}

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # already broken: nothing to release
                pass

    def _open(self):
        if self._channel is None:
            from kombu import Connection
            conn = Connection(self.amqp_uri)
            try:
                conn.connect()
                channel = conn.channel()
                self.exchange(channel).declare()
                channel.confirm_select()
                channel.events["basic_ack"].add(self._on_ack)
                channel.events["basic_nack"].add(self._on_nack)
                channel.events["basic_return"].add(self._on_return)
            except BaseException:
                conn.release()
                raise
            self._conn, self._channel, self._tag = conn, channel, 0
        return self._channel

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(self._acked, tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(self._nacked, tag, multiple)

    def _settle(self, into: set[int], tag: int, multiple: bool) -> None:
        if multiple:
            into.update(t for t in self._waiting if t <= tag)
        else:
            into.add(tag)

    def _on_return(self, exc, exchange, routing_key, message) -> None:
        self._returned.add(message.properties.get("message_id"))

    def publish_rows(self, rows, states: dict[str, list[int]]) -> dict[str, list[int]]:
        """Publish (id, message_id, event_type, body) rows; fills and returns `states`
        (row ids per PUBLISHED / UNROUTED) with what the broker confirmed."""
        from amqp import Message
        if not rows:
            return states
        try:
            channel = self._open()
            self._acked, self._nacked, self._returned = set(), set(), set()
            # py-amqp may read (and so settle) confirms while still publishing: the tags
            # must be known from the first publish on
            by_tag = self._waiting = {}
            for row in rows:
                self._tag += 1
                by_tag[self._tag] = row
                # the stored text is already the JSON message: published as is
                channel.basic_publish(
                    Message(row.body.encode("utf-8"), content_type="application/json",
                            content_encoding="utf-8", delivery_mode=2, priority=0,
                            message_id=row.message_id, headers={}),
                    exchange=self.exchange.name, routing_key=row.event_type, mandatory=True)
            deadline = time.monotonic() + self.confirm_timeout
            while len(self._acked | self._nacked) < len(by_tag):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    self._conn.drain_events(timeout=remaining)
                except TimeoutError:
                    break
        except BaseException:
            self.close()  # a broken or half-used channel is not reused
            raise
        finally:
            self._waiting = {}
        for tag in sorted(self._acked - self._nacked):
            row = by_tag[tag]
            states[UNROUTED if row.message_id in self._returned else PUBLISHED].append(row.id)
        if len(self._acked - self._nacked) < len(by_tag):
            self.close()
            raise ConfirmFailed(f"{len(by_tag) - len(self._acked - self._nacked)} of "
                                f"{len(by_tag)} events not confirmed by the broker")
        return states


class ConfirmFailed(RuntimeError):
    """The broker nacked a message or did not confirm it in time: it stays pending."""


class Outbox(DependencyProvider):
    """Inject an OutboxWriter; run one relay green thread per container."""

    batch_size = 200
    idle_poll_seconds = 2.0
    gather_seconds = 0.025
    max_backoff_seconds = 10.0

    def __init__(self, contract: Contract, table: Table, database_attr: str = "db"):
        self.contract = contract
        self.table = table
        self.database_attr = database_attr
        self._wake: GreenEvent | None = None
        self._running = False
        self._writers: dict = {}
        self.publisher: ConfirmedPublisher | None = None
        self.signer: SigningKey | None = None

    def setup(self):
        self._insert = self.table.insert()
        # the service's own key; a missing one is a ConfigurationError naming the file
        self.signer = KeyStore.from_config(self.container.config).event_signing_key(
            self.contract.service)
        self.exchange_name = f"{self.contract.service}.events"
        from kombu import Exchange
        self.exchange = Exchange(self.exchange_name, type="topic", durable=True,
                                 auto_delete=False)
        self.publisher = ConfirmedPublisher(self.container.config[AMQP_URI_CONFIG_KEY],
                                            self.exchange)
        self._wake = GreenEvent()

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._relay_forever, identifier="outbox-relay")

    def stop(self):
        self._running = False
        self.kick()
        # give the relay a moment to finish what it holds; what remains is relayed next start
        eventlet.sleep(0)
        if self.publisher is not None:
            self.publisher.close()

    kill = stop

    def kick(self):
        if self._wake is not None and not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        assert self.signer is not None, "setup loads the signing key"
        writer = OutboxWriter(self.table, self.contract, self._insert, signer=self.signer)
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
            except Exception as exc:  # broker or database down: keep rows, retry later
                if is_transient(exc):  # a database restarting or full: expected, said briefly
                    log.warning("outbox relay: %s; retrying in %.1fs",
                                str(exc).strip().splitlines()[0], backoff)
                else:
                    log.exception("outbox relay failed; retrying in %.1fs", backoff)
                eventlet.sleep(backoff)
                # at most max_backoff_seconds behind the database or broker coming back
                backoff = min(backoff * 2, self.max_backoff_seconds)
                continue
            if sent >= self.batch_size:
                continue  # a backlog: on at once
            if not sent:
                self._wake = wake = GreenEvent()
                with eventlet.Timeout(self.idle_poll_seconds, False):
                    wake.wait()
            # Let the events of writes under way gather before the next pass: a pass costs
            # about as much as publishing a dozen events, so passes of one event each (one
            # per commit, under load) would cost the relay most of the service's CPU.
            eventlet.sleep(self.gather_seconds)


def relay_pending(db, table: Table, publisher, batch_size: int = 200) -> int:
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
    """The oldest pending rows: read from the partial index of pending rows (PENDING_INDEX),
    in its order, so a pick costs what is pending, however many rows went out before."""
    return session.execute(
        select(table.c.id, table.c.message_id, table.c.event_type, table.c.body)
        .where(table.c.state == PENDING).order_by(table.c.id).limit(limit)).all()


def _publish(rows, publisher, states: dict | None = None) -> dict[str, list[int]]:
    """Publish each row; `states` is filled as it goes, so a failure midway keeps what
    already went out."""
    states = states if states is not None else {PUBLISHED: [], UNROUTED: []}
    if isinstance(publisher, ConfirmedPublisher):
        return publisher.publish_rows(rows, states)
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
    """The relay's states recorded: one UPDATE per state and batch, of the rows' relay
    columns. An update, not an insert elsewhere, by design: the row is a queue entry whose
    state is what the pick filters on (PENDING_INDEX), and the pick must cost what is pending
    — a table of published marks beside it would make the pick an anti-join over everything
    ever sent (ids commit out of order, so no high-water mark can stand in for it). Rows
    published long enough ago are deleted in batches by prune(), not one by one here."""
    now = datetime.now(UTC)
    for state, ids in states.items():
        if ids:
            session.execute(update(table).where(table.c.id.in_(ids)).values(
                state=state, published_at=now, attempts=table.c.attempts + 1))


PRUNE_BATCH = 500


def prune(db, table: Table, older_than: datetime, *, batch_size: int = PRUNE_BATCH,
          claim=None, unrouted_older_than: datetime | None = None) -> int:
    """Delete the rows published before `older_than`, oldest first, a batch per short
    transaction; returns how many. The chain and the service's own tables are the record, not
    the outbox: a published row is a queue entry whose work is done. A pending row (not yet
    sent) and an unrouted one (kept for requeue_unrouted) are never deleted, whatever their age
    — unless `unrouted_older_than` is given (an operator's choice, OUTBOX_UNROUTED_RETENTION_DAYS):
    then unrouted rows returned by the broker before it go too.

    Each state's rows are walked in id order from the oldest, from their partial index
    (PUBLISHED_INDEX, UNROUTED_INDEX), so a pass reads no row of another state. A row created
    at or after the cutoff cannot have been published before it, so the walk stops at the first
    such row: a pass reads what it deletes and one batch more at most. `claim(session)`
    (shared.persistence.timers.claim for a timer and this table) is asked first in each
    transaction; False (another instance is pruning this table right now) ends the pass."""
    cutoffs = {PUBLISHED: older_than}
    if unrouted_older_than is not None:
        cutoffs[UNROUTED] = unrouted_older_than
    deleted = 0
    for state, cutoff in cutoffs.items():
        after: int | None = 0
        while after is not None:
            with db.transaction() as session:
                if claim is not None and not claim(session):
                    return deleted
                n, after = _prune_batch(session, table, state, cutoff, after, batch_size)
            deleted += n
    return deleted


def _prune_batch(session, table: Table, state: str, cutoff: datetime, after: int,
                 batch_size: int) -> tuple[int, int | None]:
    """One batch of `state` rows after id `after`: (rows deleted, the id to go on after, or
    None when the walk is done)."""
    rows = session.execute(
        select(table.c.id, table.c.published_at, table.c.created_at)
        .where(table.c.state == state, table.c.id > after)
        .order_by(table.c.id).limit(batch_size)).all()
    gone = [r.id for r in rows if r.published_at is not None and r.published_at < cutoff]
    n = 0
    if gone:
        # the state and age checked again by the DELETE itself
        n = session.execute(delete(table).where(
            table.c.id.in_(gone), table.c.state == state,
            table.c.published_at < cutoff)).rowcount
    done = len(rows) < batch_size or any(r.created_at >= cutoff for r in rows)
    return n, None if done else rows[-1].id


def requeue_unrouted(db, table: Table, *, agency: str | None = None,
                     event_types: list[str] | None = None,
                     since: datetime | None = None) -> int:
    """Put events that found no queue back in line (after a consumer was deployed);
    returns how many. Consumers are idempotent on message id, so a replay is safe.
    `agency`: only the events of that agency — the envelope's `agency`, which the row
    keeps only inside its stored body."""
    query = update(table).where(table.c.state == UNROUTED)  # from UNROUTED_INDEX
    if event_types:
        query = query.where(table.c.event_type.in_(event_types))
    if since is not None:
        query = query.where(table.c.created_at >= since)
    with db.transaction() as session:
        if agency is not None:
            query = query.where(_envelope_agency(table, session.bind.dialect.name) == agency)
        return session.execute(query.values(state=PENDING)).rowcount


def _envelope_agency(table: Table, dialect: str):
    """The envelope's `agency` read from the stored JSON text, in the database."""
    if dialect == "postgresql":
        return cast(table.c.body, JSONB)["agency"].astext
    return func.json_extract(table.c.body, "$.agency")


def emit(outbox: OutboxWriter, session: Session, *, agency: str, ruleset: str,
         actor: Any, event_type: str, data: dict) -> None:
    """Stage one event in the caller's transaction, naming its actor by reference (an Actor,
    or the reference itself as a dict)."""
    ref = actor if isinstance(actor, dict) else actor.ref()
    outbox.stage(session, event_type, data, agency=agency, actor=ref, ruleset=ruleset)


def backlog(db, table: Table | None = None, *, at: datetime | None = None) -> dict:
    """What the relay has still to do: rows `pending` (not yet confirmed by the broker),
    `unrouted` (no queue was bound for them: kept for a replay) and the oldest pending row's
    creation time and age in seconds (None when nothing is pending). Reads the two partial
    indexes only (PENDING_INDEX, UNROUTED_INDEX), never the published rows. `table`: the
    service's outbox (default: a table named outbox as outbox_table declares it); `at`: the time
    the age is counted to (default now)."""
    table = table if table is not None else _OUTBOX
    with db.read() as session:
        counts = dict(session.execute(
            select(table.c.state, func.count()).where(table.c.state.in_([PENDING, UNROUTED]))
            .group_by(table.c.state)).all())
        oldest = session.execute(select(func.min(table.c.created_at))
                                 .where(table.c.state == PENDING)).scalar()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age = (max(0.0, ((at or datetime.now(UTC)) - oldest).total_seconds())
           if oldest is not None else None)
    return {"pending": int(counts.get(PENDING, 0)), "unrouted": int(counts.get(UNROUTED, 0)),
            "oldest_pending_at": oldest.isoformat() if oldest is not None else None,
            "oldest_pending_seconds": round(age, 3) if age is not None else None}


_OUTBOX = outbox_table(MetaData())
