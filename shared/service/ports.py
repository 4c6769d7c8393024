"""What a use case is handed, as typed interfaces: the nameko dependency providers give these
objects to a worker, and a test can hand a use case any plain object of the same shape.

A use case names only what it uses: `def command(p: dict, *, actor: Actor, db: Db,
outbox: Outbox, rules: Rules, now: datetime) -> dict`."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shared.calendar.legal import Coverage
from shared.rulesets.provider import Agency
from shared.rulesets.repository import RuleSet


class Db(Protocol):
    """Transactions, not an engine (shared.persistence.db.Db)."""

    dialect: str

    def transaction(self) -> AbstractContextManager[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        ...

    def read(self) -> AbstractContextManager[Session]:
        """A read-only session."""
        ...

    def autocommit(self) -> AbstractContextManager[Session]:
        """Statements that each commit on their own (a read and the access-log row it leaves)."""
        ...


class Outbox(Protocol):
    """Events staged into the caller's transaction (shared.messaging.outbox.OutboxWriter)."""

    def stage(self, session: Session, event_type: str, data: dict, *, agency: str, actor: dict,
              ruleset: str, occurred_at: datetime | None = None) -> dict:
        ...


class Calendar(Protocol):
    """The legal calendar (shared.calendar.legal.Calendar), as far as a service reads it."""

    def coverage(self, today: date) -> Coverage:
        ...


class Rules(Protocol):
    """The agencies a service serves, their rule sets and the legal calendar
    (shared.rulesets.provider.Rules)."""

    calendar: Any

    def agency(self, code: str) -> Agency:
        ...

    def ruleset(self, ref: str) -> RuleSet:
        ...

    def refs(self) -> list[str]:
        ...


class Peers(Protocol):
    """Which peer services are deployed (shared.messaging.peers.PeerDirectory)."""

    def deployed(self, service: str) -> bool:
        ...


class SigningKey(Protocol):
    """A private key with the id its public half is published under
    (shared.trust.keys.SigningKey)."""

    kid: str
    signer: str

    def sign(self, data: bytes) -> bytes:
        ...


class Clock(Protocol):
    """The time a call runs at (shared.calendar.clock.now): aware, Asia/Shanghai."""

    def __call__(self) -> datetime:
        ...


class RefusalLog(Protocol):
    """A service's store as far as refusals go: every refused call is recorded through this one
    signature, in its own transaction (the call's was rolled back)."""

    def record_refusal(self, db: Db, actor: Any, method: str, request: dict, exc: Exception,
                       now: datetime) -> None:
        ...
