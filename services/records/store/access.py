"""The access log: every read of a case and every refused call, who, what, why (002
第十九条 调阅监督)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.records.models import (
    access_log,
    cases,
)
from services.records.store.cases import CASE_COLUMNS, PG_LOAD_CASE, load_case, on_postgresql
from shared.errors import NotFound
from shared.persistence import paging
from shared.persistence.db import driver_fetch
from shared.service.entrypoint import refusal_reason
from shared.service.ports import Db
from shared.trust.actor import Actor

_ACCESS_COLUMNS = ("at", "actor_id", "actor_role", "actor_agency", "action", "case_id",
                   "agency", "outcome", "reason")
_INSERT_ACCESS = insert(access_log)  # built once, as the chain's statements
_PG_INSERT_ACCESS = (f"INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
                     f"VALUES ({', '.join(['%s'] * len(_ACCESS_COLUMNS))})")


def log_access(session: Session, actor: Actor, action: str, *, case: dict | None,
               outcome: str, now: datetime, reason: str | None = None,
               case_id: str | None = None, agency: str | None = None) -> None:
    """One row of the access log; `agency`: the agency a read of no single case concerned
    (a listing), so that its supervisor finds it."""
    values = (now, actor.id, actor.role, actor.agency, action,
              case["id"] if case else case_id, case["agency"] if case else agency, outcome,
              reason)
    if on_postgresql(session):
        driver_fetch(session, _PG_INSERT_ACCESS, values)
    else:
        session.execute(_INSERT_ACCESS, dict(zip(_ACCESS_COLUMNS, values, strict=False)))


# The case row and, in the same statement, the reader's access row — written only when the
# case belongs to the reader's agency. queries.read_case sends it only for a staff reader,
# whom authorize_read grants exactly then, so the statement never logs a read it refuses.
_PG_READ_AND_LOG = (
    f"WITH c AS ({PG_LOAD_CASE}), "
    f"l AS (INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
    "SELECT %s, %s, %s, %s, %s, c.id, c.agency, 'granted', NULL FROM c "
    "WHERE c.agency = %s RETURNING 1) "
    f"SELECT {', '.join('c.' + column for column in CASE_COLUMNS)}, "
    "(SELECT count(*) FROM l) FROM c")


def load_case_logged(session: Session, actor: Actor, action: str, case_id: str,
                     now: datetime) -> tuple[dict, bool]:
    """(case, logged): on PostgreSQL the case and, where it is of the reader's own agency,
    the reader's granted access row, in one round trip; elsewhere the case alone."""
    if not on_postgresql(session):
        return load_case(session, case_id), False
    found = driver_fetch(session, _PG_READ_AND_LOG, (
        case_id, now, actor.id, actor.role, actor.agency, action, actor.agency))
    if found is None:
        raise NotFound(f"no case with id {case_id!r}", message_zh=f"未找到案件 {case_id!r}",
                       details={"case_id": case_id})
    return dict(zip(CASE_COLUMNS, found[:-1], strict=False)), bool(found[-1])


def record_refusal(db: Db, actor: Actor, method: str, request: dict, exc: Exception,
                   now: datetime) -> None:
    """A refused call is recorded in its own transaction (the call's own was rolled back):
    who (for a refused token: who it claimed to be, role "unverified"), what, which case if
    it exists, why."""
    case_id = request.get("case_id")
    with db.transaction() as session:
        case = None
        if isinstance(case_id, str) and case_id:
            case = session.execute(select(cases.c.id, cases.c.agency)
                                   .where(cases.c.id == case_id)).mappings().first()
        log_access(session, actor, method, case=dict(case) if case else None,
                   case_id=None, outcome="refused", now=now, reason=refusal_reason(exc))


def access_page(session: Session, p: dict) -> dict:
    """A page of the agency's access log, newest first, filtered as `p` asks (a query of
    the access_log RPC: agency, case_id, reader, since, until, outcome, limit, cursor)."""
    return paging.log_page(session, access_log, p, (
        ("case_id", "case_id"), ("actor_id", "reader"), ("outcome", "outcome")))
