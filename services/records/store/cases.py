"""The case row: loaded (locked for writing), created, and its case number checked."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.records.models import (
    cases,
)
from shared.errors import DomainRuleViolated, NotFound
from shared.persistence.db import driver_fetch
from shared.trust.actor import Actor

CASE_COLUMNS = tuple(column.name for column in cases.c)
# On PostgreSQL the hot path speaks to the driver directly (SQLAlchemy's per-statement work
# was a third of an append's CPU): the case row locked for the writer …
PG_LOAD_CASE = f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE id = %s"
_PG_LOCK_CASE = PG_LOAD_CASE + " FOR UPDATE"


def on_postgresql(session: Session) -> bool:
    bind = session.bind
    assert bind is not None, "a service's sessions are bound to its engine"
    return bind.dialect.name == "postgresql"


def load_case(session: Session, case_id: str, *, lock: bool = False) -> dict:
    if on_postgresql(session):
        found = driver_fetch(session, _PG_LOCK_CASE if lock else PG_LOAD_CASE, (case_id,))
        row = dict(zip(CASE_COLUMNS, found, strict=False)) if found is not None else None
    else:
        # (SQLite has no row locks: its writers are serialised by BEGIN IMMEDIATE)
        found = session.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
        row = dict(found) if found is not None else None
    if row is None:
        raise NotFound(f"no case with id {case_id!r}", message_zh=f"未找到案件 {case_id!r}",
                       details={"case_id": case_id})
    return row


def writable_case(session: Session, case_id: str, actor: Actor) -> dict:
    """The case locked for writing, once it is of the actor's agency and not archived (who
    may write it the contract declares per RPC, and the kernel checked before this runs)."""
    case = load_case(session, case_id, lock=True)
    actor.require(agency=case["agency"])
    if case["status"] == "archived":
        raise DomainRuleViolated(f"case {case['case_no']} is archived; nothing more may be "
                                 "appended", code="case_archived",
                                 message_zh=f"案件 {case['case_no']} 已归档，不得再追加记录")
    return case


def case_no_taken(session: Session, agency: str, case_no: str) -> bool:
    return session.execute(select(cases.c.id).where(cases.c.agency == agency)
                           .where(cases.c.case_no == case_no)).first() is not None


def insert_case(session: Session, row: dict) -> dict:
    """A new case row; returns it as the dict the chain's first entry is appended to."""
    session.execute(insert(cases).values(**row))
    return dict(row)
