"""Retention of the outbox and the inbox: what a service keeps of the events it sent and
handled once they have done their work.

A published outbox row is a queue entry whose message the broker confirmed; the facts it
announced are in the service's own tables (the record keeper's chain, a review's log), which
are the record. An inbox row is what makes a redelivered message do nothing twice; it is needed
only as long as the same message can come again. Kept forever, both grow with every call (a
county year left 3.9–4.3 kB per chain entry in the record keeper's database, 1.8 kB of it outbox
rows). So every `tick_seconds` the service deletes, oldest first, in batches of short
transactions:

- outbox rows published more than OUTBOX_RETENTION_DAYS ago (default 7) — never a pending row
  (not yet sent);
- inbox rows handled more than INBOX_RETENTION_DAYS ago (default 30);
- outbox rows the broker returned unrouted more than OUTBOX_UNROUTED_RETENTION_DAYS ago
  (default 30; `never` keeps them for good). An event no queue was bound for is kept so that it
  can be requeued once a consumer is deployed; in a deployment where no service consumes an
  event type (the record keeper's entry_appended.v1 in the suite as it stands) every such event
  is unrouted, and kept for good the outbox would grow by one signed event per entry.

The inbox's retention must outlast any redelivery of a message already handled (a message
redelivered after its row is gone is handled again); compose/README.md ("Storage") says what
bounds that age. A service's own INBOX_RETENTION_DAYS must therefore be longer than its
OUTBOX_RETENTION_DAYS (a replay from an outbox reaches back no further than the outbox keeps),
and the deployment keeps every consumer's inbox longer than every producer's outbox.

Instances of a service prune side by side without conflict: each transaction first claims
(timer, table) through shared.persistence.timers.claim, and an instance that finds the claim
taken leaves the table to the one that holds it until the next tick; deleting a row another
instance deleted a moment before deletes nothing."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import Table

from shared import settings
from shared.errors import ConfigurationError
from shared.messaging import consumer, outbox
from shared.persistence import timers
from shared.persistence.transient import is_transient

log = logging.getLogger(__name__)

TIMER = "sanxiang-retention"
DEFAULTS = {"OUTBOX_RETENTION_DAYS": 7.0, "INBOX_RETENTION_DAYS": 30.0,
            "OUTBOX_UNROUTED_RETENTION_DAYS": 30.0}
KEEP_FOR_GOOD = "never"


def _days(config: dict, key: str, default: float | None) -> float | None:
    return settings.positive_number(config, key, default, unit="days")


def unrouted_days(config: dict) -> float | None:
    """OUTBOX_UNROUTED_RETENTION_DAYS in days (default 30); None for `never`: kept for good."""
    key = "OUTBOX_UNROUTED_RETENTION_DAYS"
    if str(config.get(key) or "").strip().lower() == KEEP_FOR_GOOD:
        return None
    return _days(config, key, DEFAULTS[key])


def retention_days(config: dict) -> tuple[float, float]:
    """(outbox days, inbox days) from the config, each a number > 0 (fractions allowed), the
    inbox's longer than the outbox's — else ConfigurationError naming the key and rule."""
    out = _days(config, "OUTBOX_RETENTION_DAYS", DEFAULTS["OUTBOX_RETENTION_DAYS"])
    inbox = _days(config, "INBOX_RETENTION_DAYS", DEFAULTS["INBOX_RETENTION_DAYS"])
    assert out is not None and inbox is not None
    if inbox <= out:
        raise ConfigurationError(
            f"INBOX_RETENTION_DAYS ({inbox:g}) must be longer than OUTBOX_RETENTION_DAYS "
            f"({out:g}): a message replayed from an outbox must still be remembered by the "
            "inbox, or it is handled twice",
            message_zh=f"INBOX_RETENTION_DAYS（{inbox:g}）应长于 OUTBOX_RETENTION_DAYS"
                       f"（{out:g}）：从发件箱重放的消息须仍在收件箱记录之内，否则会被处理两次")
    return out, inbox


def prune_once(db, outbox_table: Table | None, inbox_table: Table | None, *,
               outbox_days: float, inbox_days: float, now: datetime | None = None,
               batch_size: int = outbox.PRUNE_BATCH,
               unrouted_days: float | None = None) -> dict[str, int]:
    """One pass over the service's outbox and inbox; how many rows each lost."""
    now = now or datetime.now(UTC)
    done: dict[str, int] = {}
    if outbox_table is not None:
        done["outbox"] = outbox.prune(
            db, outbox_table, now - timedelta(days=outbox_days), batch_size=batch_size,
            claim=lambda session: timers.claim(session, TIMER, outbox_table.name),
            unrouted_older_than=(None if unrouted_days is None
                                 else now - timedelta(days=unrouted_days)))
    if inbox_table is not None:
        done["inbox"] = consumer.prune(
            db, inbox_table, now - timedelta(days=inbox_days), batch_size=batch_size,
            claim=lambda session: timers.claim(session, TIMER, inbox_table.name))
    return done


class Retention(DependencyProvider):
    """Prune the service's outbox (and inbox, if it has one) every `tick_seconds`, in a
    managed green thread of the container; the first pass a minute after start."""

    tick_seconds = 3600.0
    first_delay_seconds = 60.0

    def __init__(self, outbox_table: Table, inbox_table: Table | None = None,
                 database_attr: str = "db"):
        self.outbox_table = outbox_table
        self.inbox_table = inbox_table
        self.database_attr = database_attr
        self._running = False

    def setup(self):
        self.outbox_days, self.inbox_days = retention_days(self.container.config)
        self.unrouted_days = unrouted_days(self.container.config)

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._prune_forever, identifier="retention")

    def stop(self):
        self._running = False

    kill = stop

    def get_dependency(self, worker_ctx):
        return None

    def _database(self):
        for ext in self.container.dependencies:
            if getattr(ext, "attr_name", None) == self.database_attr:
                return ext.db
        raise RuntimeError(f"no database dependency named {self.database_attr!r}")

    def prune(self) -> dict[str, int]:
        return prune_once(self._database(), self.outbox_table, self.inbox_table,
                          outbox_days=self.outbox_days, inbox_days=self.inbox_days,
                          unrouted_days=self.unrouted_days)

    def _prune_forever(self):
        eventlet.sleep(self.first_delay_seconds)
        while self._running:
            try:
                done = self.prune()
                if any(done.values()):
                    log.info("retention: pruned %s", ", ".join(
                        f"{n} {table} rows" for table, n in done.items()))
            except Exception as exc:  # the database away: next tick
                if is_transient(exc):
                    log.warning("retention: %s; next tick",
                                str(exc).strip().splitlines()[0])
                else:
                    log.exception("retention pass failed; next tick")
            eventlet.sleep(self.tick_seconds)
