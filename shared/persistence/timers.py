"""Timers that act once per subject across instances.

Every instance of a service runs its own nameko timers, so two instances tick side by side.
A timer that writes (sends a reminder, signs a checkpoint) therefore works subject by subject,
each in a short transaction of its own that:

1. claims the subject for this tick — on PostgreSQL `pg_try_advisory_xact_lock(timer,
   subject)`: an instance that finds the claim taken passes the subject by, since another
   instance is doing it right now; on SQLite (one instance, writers serialised by
   BEGIN IMMEDIATE) the transaction itself is the claim;
2. reads the subject again inside the transaction and acts only if what it stored says the
   act is still owed (the idempotency key: a review's due date a reminder was sent for, a
   case head a checkpoint was signed for) — an instance that ran a moment earlier, or a
   tick repeated after a crash, finds it done and writes nothing.

One subject that fails is logged and left for the next tick; it holds nobody else back and
never ends the timer."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

T = TypeVar("T")

_CLAIM = text("SELECT pg_try_advisory_xact_lock(hashtext(:timer), hashtext(:subject))")


def claim(session: Session, timer: str, subject: str) -> bool:
    """Whether this transaction holds (timer, subject) until it ends; False when another
    instance holds it. Call it first in a write transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(_CLAIM, {"timer": timer, "subject": subject}).scalar())


def each(timer: str, subjects: Iterable[T], act: Callable[[T], str | None]) -> dict:
    """Run `act` on every subject; its answer (a kind of outcome, or None for nothing done)
    is counted. A subject that raises is logged and counted as "failed"; the rest go on."""
    done: dict[str, int] = {}
    for subject in subjects:
        try:
            outcome = act(subject)
        except Exception:
            log.exception("timer %s: %s failed; it is tried again next tick", timer,
                          _name(subject))
            outcome = "failed"
        if outcome:
            done[outcome] = done.get(outcome, 0) + 1
    return done


def _name(subject) -> str:
    return str(subject.get("id", subject)) if hasattr(subject, "get") else str(subject)
