"""The vault's tables inside a use case's transaction: uploads, objects (loaded, locked for
writing, saved), their fixity events, disposals, the vault log and its events, and the record
of a refused call."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from services.vault.models import (
    anchored_checkpoints,
    anchored_tree_heads,
    disposals,
    fixity_events,
    objects,
    package_intents,
    packages,
    uploads,
    vault_log,
)
from shared.errors import NotFound, SanxiangError
from shared.messaging.outbox import emit as emit
from shared.persistence import actions
from shared.service.entrypoint import refusal_reason
from shared.service.ports import Db
from shared.trust.actor import Actor


def _locked(session: Session, query):
    return query.with_for_update() if session.get_bind().dialect.name == "postgresql" else query


# ---- uploads -----------------------------------------------------------------------------------

def insert_upload(session: Session, row: dict) -> None:
    session.execute(insert(uploads), row)


def load_upload(session: Session, upload_id: str, *, lock: bool = False) -> dict:
    query = select(uploads).where(uploads.c.id == upload_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    if row is None:
        raise _no("upload", upload_id)
    return dict(row)


def complete_upload(session: Session, upload_id: str, object_id: str) -> None:
    session.execute(update(uploads).where(uploads.c.id == upload_id)
                    .values(state="completed", object_id=object_id))


# ---- objects -----------------------------------------------------------------------------------

def load_object(session: Session, object_id: str, *, lock: bool = False) -> dict:
    query = select(objects).where(objects.c.id == object_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    if row is None:
        raise _no("object", object_id)
    return dict(row)


def object_of(session: Session, agency: str, sha256: str) -> dict | None:
    row = session.execute(select(objects).where(objects.c.agency == agency)
                          .where(objects.c.sha256 == sha256)).mappings().first()
    return dict(row) if row else None


def insert_object(session: Session, row: dict) -> None:
    session.execute(insert(objects), row)


def save_object(session: Session, object_id: str, **values: Any) -> None:
    session.execute(update(objects).where(objects.c.id == object_id).values(**values))


def agencies_stored(session: Session) -> list[str]:
    return list(session.execute(select(objects.c.agency).where(objects.c.state == "stored")
                                .distinct().order_by(objects.c.agency)).scalars())


def count_stored(session: Session, agency: str) -> int:
    return int(session.execute(select(func.count()).select_from(objects)
                               .where(objects.c.agency == agency)
                               .where(objects.c.state == "stored")).scalar() or 0)


def due_for_audit(session: Session, agency: str, limit: int) -> Sequence[RowMapping]:
    """The agency's stored objects least recently audited (never audited first)."""
    never = objects.c.last_fixity_at.is_(None)
    return session.execute(select(objects).where(objects.c.agency == agency)
                           .where(objects.c.state == "stored")
                           .order_by(never.desc(), objects.c.last_fixity_at, objects.c.id)
                           .limit(limit)).mappings().all()


def view(row: dict, fixity: list[dict] | None = None) -> dict:
    """An object as the contract answers it, with its latest fixity events."""
    out = {k: row[k] for k in ("id", "agency", "subject", "name", "media_type", "size",
                               "sha256", "digests", "case_id", "facts", "retention",
                               "retain_until", "lock_mode", "legal_hold", "state", "store",
                               "replica", "stored_at", "stored_by", "last_fixity_at",
                               "last_fixity_outcome")}
    out["fixity"] = fixity or []
    out["stamp"] = row.get("stamp")
    return out


# ---- fixity ------------------------------------------------------------------------------------

def add_fixity(session: Session, object_id: str, *, at: datetime, algorithm: str, outcome: str,
               copy: str, detail: dict | None = None) -> None:
    session.execute(insert(fixity_events), {"object_id": object_id, "at": at,
                                            "algorithm": algorithm, "outcome": outcome,
                                            "copy": copy, "detail": detail})


def fixity_of(session: Session, object_id: str, limit: int = 20) -> list[dict]:
    rows = session.execute(select(fixity_events).where(fixity_events.c.object_id == object_id)
                           .order_by(fixity_events.c.id.desc()).limit(limit)).mappings().all()
    return [{k: r[k] for k in ("at", "algorithm", "outcome", "copy", "detail")} for r in rows]


# ---- disposals ---------------------------------------------------------------------------------

def insert_disposal(session: Session, row: dict) -> None:
    session.execute(insert(disposals), row)


def load_disposal(session: Session, disposal_id: str, *, lock: bool = False) -> dict:
    query = select(disposals).where(disposals.c.id == disposal_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    if row is None:
        raise _no("disposal", disposal_id)
    return dict(row)


def save_disposal(session: Session, disposal_id: str, **values: Any) -> None:
    session.execute(update(disposals).where(disposals.c.id == disposal_id).values(**values))


# ---- case packages -----------------------------------------------------------------------------

def objects_of_case(session: Session, agency: str, case_id: str) -> list[dict]:
    """The agency's stored objects of a case, in the order they were stored."""
    rows = session.execute(select(objects).where(objects.c.agency == agency)
                           .where(objects.c.case_id == case_id)
                           .where(objects.c.state == "stored")
                           .order_by(objects.c.stored_at, objects.c.id)).mappings().all()
    return [dict(r) for r in rows]


def objects_by_sha256(session: Session, agency: str, digests: Sequence[str]) -> dict[str, dict]:
    if not digests:
        return {}
    rows = session.execute(select(objects).where(objects.c.agency == agency)
                           .where(objects.c.sha256.in_(list(digests)))).mappings().all()
    return {r["sha256"]: dict(r) for r in rows}


def package_of(session: Session, agency: str, case_id: str) -> dict | None:
    row = session.execute(select(packages).where(packages.c.agency == agency)
                          .where(packages.c.case_id == case_id)).mappings().first()
    return dict(row) if row else None


def load_package(session: Session, package_id: str, *, lock: bool = False) -> dict:
    query = select(packages).where(packages.c.id == package_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    if row is None:
        raise _no("package", package_id)
    return dict(row)


def insert_package(session: Session, row: dict) -> None:
    session.execute(insert(packages), row)


def save_package(session: Session, package_id: str, **values: Any) -> None:
    session.execute(update(packages).where(packages.c.id == package_id).values(**values))


# ---- the record keeper's statements kept (usecases.anchors) -----------------------------------

def kept_checkpoint(session: Session, agency: str, case_id: str, seq: int) -> dict | None:
    row = session.execute(select(anchored_checkpoints)
                          .where(anchored_checkpoints.c.agency == agency)
                          .where(anchored_checkpoints.c.case_id == case_id)
                          .where(anchored_checkpoints.c.seq == seq)).mappings().first()
    return dict(row) if row else None


def last_checkpoint(session: Session, agency: str, case_id: str) -> dict | None:
    row = session.execute(select(anchored_checkpoints)
                          .where(anchored_checkpoints.c.agency == agency)
                          .where(anchored_checkpoints.c.case_id == case_id)
                          .order_by(anchored_checkpoints.c.seq.desc()).limit(1)
                          ).mappings().first()
    return dict(row) if row else None


def last_tree_head(session: Session, agency: str, source: str = "records") -> dict | None:
    """The last tree head kept of the agency's log at `source` (records: of checkpoints)."""
    row = session.execute(select(anchored_tree_heads)
                          .where(anchored_tree_heads.c.source == source)
                          .where(anchored_tree_heads.c.agency == agency)
                          .order_by(anchored_tree_heads.c.size.desc()).limit(1)
                          ).mappings().first()
    return dict(row) if row else None


def tree_head_of_size(session: Session, agency: str, size: int,
                      source: str = "records") -> dict | None:
    row = session.execute(select(anchored_tree_heads)
                          .where(anchored_tree_heads.c.source == source)
                          .where(anchored_tree_heads.c.agency == agency)
                          .where(anchored_tree_heads.c.size == size)).mappings().first()
    return dict(row) if row else None


# ---- history, events, refusals -----------------------------------------------------------------

def log(session: Session, object_id: str, actor: Actor | dict, action: str, body: dict,
        now: datetime) -> None:
    actions.log_act(session, vault_log, "object_id", object_id, actor, action, body, now)


def history(session: Session, object_id: str) -> list[dict]:
    rows = session.execute(select(vault_log).where(vault_log.c.object_id == object_id)
                           .order_by(vault_log.c.id)).mappings().all()
    return [{k: r[k] for k in ("at", "actor_id", "actor_role", "action", "body")} for r in rows]


def record_refusal(db: Db, actor: Actor, method: str, request: dict, exc: Exception,
                   now: datetime) -> None:
    """A refused call is itself recorded: who (for a refused token: who it claimed to be, role
    "unverified"), what, why."""
    subject = next((str(request[k]) for k in ("object_id", "upload_id", "disposal_id",
                                              "package_id")
                    if isinstance(request.get(k), str)), "")
    with db.transaction() as session:
        log(session, subject[:36], actor, "refused",
            {"method": method, "agency": request.get("agency"), "reason": refusal_reason(exc),
             "code": exc.code if isinstance(exc, SanxiangError) else SanxiangError.code,
             "rule": exc.details.get("rule") if isinstance(exc, SanxiangError)
             and isinstance(exc.details, dict) else None,
             "verified": actor.verified}, now)


WHAT_ZH = {"object": "存储对象", "upload": "上传", "disposal": "销毁申请", "package": "归档包"}


def _no(what: str, ident: str) -> NotFound:
    return NotFound(f"no {what} {ident}", message_zh=f"未找到{WHAT_ZH[what]} {ident}",
                    details={f"{what}_id": ident})


def missing(request: dict) -> NotFound | None:
    """What a caller is told of an object, upload or disposal of another agency: exactly what
    a load says of an id that does not exist."""
    for what in ("object", "upload", "disposal", "package"):
        ident = request.get(f"{what}_id")
        if isinstance(ident, str):
            return _no(what, ident)
    return None


# ---- a package's writes announced (usecases.package) ----------------------------------------

def intent_of(session: Session, agency: str, case_id: str, *, lock: bool = False) -> dict | None:
    query = select(package_intents).where(package_intents.c.agency == agency) \
        .where(package_intents.c.case_id == case_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    return dict(row) if row else None


def insert_intent(session: Session, row: dict) -> None:
    session.execute(insert(package_intents), row)


def save_intent(session: Session, package_id: str, **values: Any) -> None:
    session.execute(update(package_intents).where(package_intents.c.package_id == package_id)
                    .values(**values))


def unfinished_intents(session: Session, before: datetime) -> list[dict]:
    """The package writes announced before `before` and never recorded as a package."""
    rows = session.execute(select(package_intents)
                           .where(package_intents.c.state == "pending")
                           .where(package_intents.c.updated_at < before)
                           .order_by(package_intents.c.updated_at)).mappings().all()
    return [dict(r) for r in rows]
