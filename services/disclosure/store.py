"""The disclosure publisher's tables inside a use case's transaction: publications (loaded,
locked for writing, saved), their history, the agency's Merkle log of public acts (a leaf
appended under the log row's lock and the tree head signed after it), the registers published
before enforcement (a revision made under the register row's lock, its versions appended, an
officer's lapse marked once), the disclosure log and its events, and the record of a refused
call."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.disclosure import models
from services.disclosure.domain import log as merkle_log
from services.disclosure.domain import registers as reg
from services.disclosure.models import (
    annual_report_notices,
    annual_reports,
    correction_counters,
    corrections,
    disclosure_log,
    form_windows,
    officer_lapses,
    publication_history,
    publications,
    register_revisions,
    register_versions,
)
from services.disclosure.models import merkle_log as agency_log
from services.disclosure.models import registers as register_heads
from shared.calendar.clock import local_date
from shared.errors import NotFound, SanxiangError, ValidationFailed
from shared.messaging.outbox import emit as emit
from shared.persistence import actions
from shared.persistence.merkle_log import Appended
from shared.service.entrypoint import refusal_reason
from shared.service.ports import Db
from shared.trust.actor import Actor


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _locked(session: Session, query):
    return query.with_for_update() if on_postgresql(session) else query


# ---- publications ------------------------------------------------------------------------------

def insert_publication(session: Session, row: dict) -> None:
    session.execute(insert(publications), row)


def load(session: Session, publication_id: str, *, lock: bool = False) -> dict:
    query = select(publications).where(publications.c.id == publication_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    if row is None:
        raise _no(publication_id)
    return dict(row)


def of_decision(session: Session, agency: str, decision_no: str) -> dict | None:
    row = session.execute(select(publications).where(publications.c.agency == agency)
                          .where(publications.c.decision_no == decision_no)).mappings().first()
    return dict(row) if row else None


def save(session: Session, publication_id: str, **values: Any) -> None:
    session.execute(update(publications).where(publications.c.id == publication_id)
                    .values(**values))


def drafts_due(session: Session, horizon: date, after: str | None, batch: int) -> list[dict]:
    """Drafts falling due by `horizon` (or overdue), `batch` at a time after id `after`."""
    query = (select(publications).where(publications.c.state == "draft")
             .where(publications.c.due <= horizon).order_by(publications.c.id).limit(batch))
    if after is not None:
        query = query.where(publications.c.id > after)
    return [dict(r) for r in session.execute(query).mappings().all()]


def windows_ended(session: Session, today: date, after: str | None,
                  batch: int) -> list[dict]:
    """Published decisions whose display window ended before `today`, `batch` at a time after
    id `after` (domain.windows: shown through the end day, taken down the day after)."""
    query = (select(publications.c.id).where(publications.c.state == "published")
             .where(publications.c.display_until < today).order_by(publications.c.id)
             .limit(batch))
    if after is not None:
        query = query.where(publications.c.id > after)
    return [dict(r) for r in session.execute(query).mappings().all()]


def page(session: Session, agency: str, state: str | None, after: tuple[str, str] | None,
         limit: int) -> list[dict]:
    """Up to `limit` of the agency's publications (of `state`), by due date and id, after the
    (due, id) `after`."""
    query = select(publications).where(publications.c.agency == agency)
    if state is not None:
        query = query.where(publications.c.state == state)
    if after is not None:
        due = _day(after[0])
        query = query.where(or_(publications.c.due > due,
                                and_(publications.c.due == due, publications.c.id > after[1])))
    query = query.order_by(publications.c.due, publications.c.id).limit(limit)
    return [dict(r) for r in session.execute(query).mappings().all()]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.from_messages(
            {"cursor": ["not a cursor this listing returned"]}, what="cursor") from None


# ---- history -----------------------------------------------------------------------------------

def add_history(session: Session, pub: dict, actor: Actor | dict, action: str, body: dict,
                now: datetime, leaf_index: int | None = None) -> int:
    """The next row of the publication's history (its seq kept on the publication)."""
    ref = actor if isinstance(actor, dict) else {"id": actor.id, "role": actor.role}
    seq = int(pub["history_seq"]) + 1
    session.execute(insert(publication_history), {
        "publication_id": pub["id"], "seq": seq, "action": action, "at": now,
        "actor_id": ref["id"], "actor_role": ref["role"], "body": body,
        "leaf_index": leaf_index})
    pub["history_seq"] = seq
    return seq


def history(session: Session, publication_id: str) -> list[dict]:
    rows = session.execute(select(publication_history)
                           .where(publication_history.c.publication_id == publication_id)
                           .order_by(publication_history.c.seq)).mappings().all()
    return [{k: r[k] for k in ("seq", "action", "at", "actor_id", "actor_role", "body",
                               "leaf_index")} for r in rows]


def view(row: dict, items: list[dict]) -> dict:
    """A publication as the contract answers it, with its history."""
    out = {k: row[k] for k in ("id", "agency", "ruleset", "source", "case_id", "decision_no",
                               "act_type", "party_kind", "decision_date", "state", "summary",
                               "credit", "missing", "published", "deadline", "review",
                               "withdrawal", "created_at")}
    out["redaction"] = row.get("redaction")
    out["display_window"] = row.get("display_window")
    out["credit_repair"] = row.get("credit_repair")
    out["history"] = items
    return out


# ---- the agency's Merkle log -------------------------------------------------------------------

def append_leaf(session: Session, agency: str, publication_id: str, leaf: str,
                keys: merkle_log.LogKeys, now: datetime) -> Appended:
    """`leaf` appended to the agency's log, and the tree head signed after it (its index, the
    tree head row, the consistency proof from the head before). O(log n) whatever the log's
    size."""
    return agency_log.append(
        session, agency, leaf,
        lambda a, size, root, at: merkle_log.signed_tree_head(a, size, root, keys, at), now,
        publication_id=publication_id)


# the log's reads (shared.persistence.merkle_log)
latest_tree_head = agency_log.latest_tree_head
log_size = agency_log.size
leaf_at = agency_log.leaf_at
inclusion_proof = agency_log.inclusion_proof
consistency_proof = agency_log.consistency_proof


def completed_nodes(session: Session, agency: str, first: int,
                    second: int) -> list[tuple[int, int, str]]:
    """(level, index, hex hash) of every perfect subtree of the agency's log completed by the
    leaves [first, second): the leaves themselves (level 0) and the nodes they closed — the
    node (level, i) is closed by leaf (i + 1)·2^level − 1. O(second − first) rows."""
    if second <= first:
        return []
    leaves_t, nodes_t = agency_log.leaves, agency_log.nodes
    out = [(0, int(i), str(h)) for i, h in session.execute(
        select(leaves_t.c.idx, leaves_t.c.leaf_hash).where(leaves_t.c.agency == agency)
        .where(leaves_t.c.idx >= first).where(leaves_t.c.idx < second)
        .order_by(leaves_t.c.idx)).all()]
    ranges = [and_(nodes_t.c.level == level, nodes_t.c.idx >= first >> level,
                   nodes_t.c.idx <= (second >> level) - 1)
              for level in range(1, second.bit_length())
              if (second >> level) - 1 >= first >> level]
    if ranges:
        out += [(int(lv), int(i), str(h)) for lv, i, h in session.execute(
            select(nodes_t.c.level, nodes_t.c.idx, nodes_t.c.hash)
            .where(nodes_t.c.agency == agency).where(or_(*ranges))
            .order_by(nodes_t.c.level, nodes_t.c.idx)).all()]
    return out


def leaves(session: Session, agency: str) -> list[dict]:
    """The agency's leaves in order (for a reader checking the whole log)."""
    rows = session.execute(select(agency_log.leaves).where(agency_log.leaves.c.agency == agency)
                           .order_by(agency_log.leaves.c.idx)).mappings().all()
    return [dict(r) for r in rows]


# ---- the registers published before enforcement ----------------------------------------------

def entry_json(entry: reg.Entry) -> dict[str, Any]:
    """An entry as its version row keeps it: dates as YYYY-MM-DD, lists as lists."""
    out: dict[str, Any] = {}
    for key, value in reg.values(entry).items():
        out[key] = (value.isoformat() if isinstance(value, date)
                    else list(value) if isinstance(value, tuple) else value)
    return out


def entry_of(kind: reg.RegisterKind, data: dict[str, Any]) -> reg.Entry:
    got: dict[str, Any] = {}
    for column in kind.columns:
        value = data.get(column.key)
        if column.type == "date":
            got[column.key] = date.fromisoformat(value) if value else None
        elif column.type == "list":
            got[column.key] = tuple(value or ())
        else:
            got[column.key] = value
    return kind.entry(**got)


def key_hash(key: tuple[str, ...]) -> str:
    """What names an entry of a register in its version rows: its key columns' values (an item
    name may run to a thousand characters), hashed."""
    return hashlib.sha256(json.dumps(list(key), ensure_ascii=False).encode()).hexdigest()


def register_kinds(codes: Iterable[str]) -> list[reg.RegisterKind]:
    """The register kinds named, in the order of the registers (reg.KINDS)."""
    wanted = set(codes)
    return [k for k in reg.KINDS if k.code in wanted]


def standing(history: Iterable[reg.Version], on: date | None) -> list[reg.Version]:
    """The latest version of each entry still on the register (as it stood at the end of `on`,
    China time; None: as it stands), in the order the entries first came."""
    latest: dict[tuple[str, ...], reg.Version] = {}
    for v in history:
        if on is not None and local_date(v.recorded_at) > on:
            continue
        if v.key not in latest or v.number > latest[v.key].number:
            latest[v.key] = v
    return [v for v in latest.values() if v.entry is not None]


def lock_register(session: Session, agency: str, kind: str, now: datetime) -> int:
    """The register's latest revision, its row created if need be and locked until the
    transaction ends: revisions of one register are made one at a time."""
    upsert = pg_insert if on_postgresql(session) else sqlite_insert
    session.execute(upsert(register_heads).values(agency=agency, kind=kind, revision=0,
                                                  updated_at=now).on_conflict_do_nothing())
    query = select(register_heads.c.revision).where(register_heads.c.agency == agency).where(
        register_heads.c.kind == kind)
    return int(session.execute(_locked(session, query)).scalar_one())


def register_revision(session: Session, agency: str, kind: str) -> int:
    return int(session.execute(select(register_heads.c.revision)
                               .where(register_heads.c.agency == agency)
                               .where(register_heads.c.kind == kind)).scalar() or 0)


def add_revision(session: Session, agency: str, kind: str, revision: int,
                 versions: tuple[reg.Version, ...], sha256: str, now: datetime, by: str,
                 counts: dict[str, int], reason: str | None = None,
                 reason_text: str | None = None) -> None:
    """A revision of the register: its row (with why it was made, when given), its versions
    appended, the register's latest."""
    session.execute(insert(register_revisions), {
        "agency": agency, "kind": kind, "revision": revision, "at": now, "by": by,
        "sha256": sha256, "counts": counts, "reason": reason, "reason_text": reason_text})
    session.execute(insert(register_versions), [{
        "agency": agency, "kind": kind, "entry_key": list(v.key), "key_hash": key_hash(v.key),
        "number": v.number, "revision": revision,
        "entry": None if v.entry is None else entry_json(v.entry),
        "recorded_at": v.recorded_at, "recorded_by": v.recorded_by} for v in versions])
    session.execute(update(register_heads).where(register_heads.c.agency == agency)
                    .where(register_heads.c.kind == kind)
                    .values(revision=revision, updated_at=now))


def versions(session: Session, agency: str, kind: str,
             up_to: int | None = None) -> list[tuple[int, reg.Version]]:
    """Every version of the register (up to revision `up_to`), with its revision, in order."""
    of = reg.KIND[kind]
    query = (select(register_versions).where(register_versions.c.agency == agency)
             .where(register_versions.c.kind == kind))
    if up_to is not None:
        query = query.where(register_versions.c.revision <= up_to)
    rows = session.execute(query.order_by(register_versions.c.id)).mappings().all()
    return [(int(r["revision"]), reg.Version(
        kind, tuple(r["entry_key"]), int(r["number"]),
        None if r["entry"] is None else entry_of(of, r["entry"]), r["recorded_at"],
        r["recorded_by"])) for r in rows]


def revisions(session: Session, agency: str, kind: str) -> list[dict]:
    rows = session.execute(select(register_revisions)
                           .where(register_revisions.c.agency == agency)
                           .where(register_revisions.c.kind == kind)
                           .order_by(register_revisions.c.revision)).mappings().all()
    return [{k: r[k] for k in ("revision", "at", "by", "sha256", "counts", "reason",
                               "reason_text")} for r in rows]


def agencies_with(session: Session, kind: str) -> list[str]:
    return list(session.execute(select(register_heads.c.agency)
                                .where(register_heads.c.kind == kind)
                                .where(register_heads.c.revision > 0)
                                .order_by(register_heads.c.agency)).scalars())


def agencies_with_registers(session: Session) -> list[str]:
    """The agencies with at least one register revised, in code order."""
    return list(session.execute(select(register_heads.c.agency).distinct()
                                .where(register_heads.c.revision > 0)
                                .order_by(register_heads.c.agency)).scalars())


def mark_lapse(session: Session, agency: str, certificate_no: str, valid_until: date,
               today: date, now: datetime) -> bool:
    """Whether this lapse of the officer's certificate is noticed now for the first time."""
    upsert = pg_insert if on_postgresql(session) else sqlite_insert
    done = cast("CursorResult[Any]", session.execute(upsert(officer_lapses).values(
        agency=agency, certificate_no=certificate_no, valid_until=valid_until,
        noticed_on=today, at=now).on_conflict_do_nothing()))
    return bool(done.rowcount)


# ---- the disclosure log, events, refusals ------------------------------------------------------

def log(session: Session, publication_id: str, actor: Actor | dict, action: str, body: dict,
        now: datetime) -> None:
    actions.log_act(session, disclosure_log, "publication_id", publication_id, actor, action,
                    body, now)


def record_refusal(db: Db, actor: Actor, method: str, request: dict, exc: Exception,
                   now: datetime) -> None:
    """A refused call is itself recorded: who (for a refused token: who it claimed to be, role
    "unverified"), what, why."""
    subject = request.get("publication_id") or request.get("correction_id")
    with db.transaction() as session:
        log(session, subject[:36] if isinstance(subject, str) else "", actor, "refused",
            {"method": method, "agency": request.get("agency"), "reason": refusal_reason(exc),
             "code": exc.code if isinstance(exc, SanxiangError) else SanxiangError.code,
             "rule": exc.details.get("rule") if isinstance(exc, SanxiangError)
             and isinstance(exc.details, dict) else None,
             "verified": actor.verified}, now)


def _no(publication_id: str) -> NotFound:
    return NotFound(f"no publication {publication_id}",
                    message_zh=f"未找到公示信息 {publication_id}",
                    details={"publication_id": publication_id})


def missing(request: dict) -> NotFound | None:
    """What a caller is told of a publication of another agency: exactly what a load says of an
    id that does not exist."""
    ident = request.get("publication_id")
    if isinstance(ident, str):
        return _no(ident)
    ident = request.get("correction_id")
    return _no_correction(ident) if isinstance(ident, str) else None


# ---- requests to correct a publication (usecases.corrections) ---------------------------------

def next_correction_seq(session: Session, agency: str, year: int) -> int:
    """The agency's next correction number of `year`, its counter row created if need be and
    locked until the transaction ends: numbers run without gaps (a rolled-back filing gives
    its number back with the rollback)."""
    upsert = pg_insert if on_postgresql(session) else sqlite_insert
    session.execute(upsert(correction_counters).values(agency=agency, year=year, last=0)
                    .on_conflict_do_nothing())
    query = select(correction_counters.c.last).where(
        correction_counters.c.agency == agency).where(correction_counters.c.year == year)
    seq = int(session.execute(_locked(session, query)).scalar_one()) + 1
    session.execute(update(correction_counters).where(correction_counters.c.agency == agency)
                    .where(correction_counters.c.year == year).values(last=seq))
    return seq


def insert_correction(session: Session, row: dict) -> None:
    session.execute(insert(corrections), row)


def load_correction(session: Session, correction_id: str, *, lock: bool = False) -> dict:
    query = select(corrections).where(corrections.c.id == correction_id)
    row = session.execute(_locked(session, query) if lock else query).mappings().first()
    if row is None:
        raise _no_correction(correction_id)
    return dict(row)


def save_correction(session: Session, correction_id: str, **values: Any) -> None:
    session.execute(update(corrections).where(corrections.c.id == correction_id)
                    .values(**values))


def correction_page(session: Session, agency: str, state: str | None,
                    publication_id: str | None, after: tuple[int, int] | None,
                    limit: int) -> list[dict]:
    """Up to `limit` of the agency's requests by number (year, then seq) after `after`."""
    query = select(corrections).where(corrections.c.agency == agency)
    if state is not None:
        query = query.where(corrections.c.state == state)
    if publication_id is not None:
        query = query.where(corrections.c.publication_id == publication_id)
    if after is not None:
        query = query.where(or_(corrections.c.year > after[0],
                                and_(corrections.c.year == after[0],
                                     corrections.c.seq > after[1])))
    query = query.order_by(corrections.c.year, corrections.c.seq).limit(limit)
    return [dict(r) for r in session.execute(query).mappings().all()]


def _no_correction(correction_id: str) -> NotFound:
    return NotFound(f"no correction request {correction_id}",
                    message_zh=f"未找到更正申请 {correction_id}",
                    details={"correction_id": correction_id})


# ---- the 双公示 file (queries.export_credit) -------------------------------------------------

def public_penalties(session: Session, agency: str, party_kind: str, start: date,
                     end: date) -> list[dict]:
    """The agency's penalties public now (published: not withdrawn, expired nor taken down) of
    a kind of party decided from `start` through `end`, by decision date and id."""
    query = (select(publications).where(publications.c.agency == agency)
             .where(publications.c.state == "published")
             .where(publications.c.act_type == "penalty")
             .where(publications.c.party_kind == party_kind)
             .where(publications.c.decision_date >= start)
             .where(publications.c.decision_date <= end)
             .order_by(publications.c.decision_date, publications.c.id))
    return [dict(r) for r in session.execute(query).mappings().all()]


# ---- the public portal rebuilt from the tables (usecases.portal) --------------------------------

def public_ids(session: Session, agency: str | None = None) -> list[str]:
    """Every publication ever made public (of one agency, or of all), by id."""
    query = select(publications.c.id).where(publications.c.published.is_not(None))
    if agency is not None:
        query = query.where(publications.c.agency == agency)
    return list(session.execute(query.order_by(publications.c.id)).scalars())


def history_of(session: Session, ids: list[str]) -> dict[str, list[dict]]:
    """The histories of these publications at once, each oldest first."""
    out: dict[str, list[dict]] = {i: [] for i in ids}
    h = publication_history
    for i in range(0, len(ids), 500):
        rows = session.execute(select(h).where(h.c.publication_id.in_(ids[i:i + 500]))
                               .order_by(h.c.publication_id, h.c.seq)).mappings().all()
        for r in rows:
            out[r["publication_id"]].append(
                {k: r[k] for k in ("seq", "action", "at", "actor_id", "actor_role", "body",
                                   "leaf_index")})
    return out


def publications_of(session: Session, ids: list[str]) -> list[dict]:
    rows: list[dict] = []
    for i in range(0, len(ids), 500):
        rows += [dict(r) for r in session.execute(
            select(publications).where(publications.c.id.in_(ids[i:i + 500]))).mappings()]
    return sorted(rows, key=lambda r: r["id"])


def portal_slots(session: Session) -> dict[str, list[dict]]:
    """The list slots each publication was given, by publication."""
    out: dict[str, list[dict]] = {}
    for r in session.execute(select(models.portal_slots)).mappings():
        out.setdefault(r["publication_id"], []).append(
            {"folder": r["folder"], "title": r["title"], "page": r["page"]})
    return out


def record_slots(session: Session, publication_id: str, slots: Iterable[dict]) -> None:
    """The list slots the portal gave the publication, each kept from its first listing."""
    t = models.portal_slots
    upsert = pg_insert if on_postgresql(session) else sqlite_insert
    for slot in slots:
        session.execute(upsert(t).values(
            publication_id=publication_id, folder=slot["folder"], title=slot["title"],
            page=int(slot["page"])).on_conflict_do_nothing())


def agencies_public(session: Session) -> list[str]:
    """The agencies with a publication ever made public."""
    return list(session.execute(select(publications.c.agency).distinct()
                                .where(publications.c.published.is_not(None))
                                .order_by(publications.c.agency)).scalars())


# ---- the portal's correction form (usecases.submissions) --------------------------------------

def count_submission(session: Session, scope: str, key: str, window: int, limit: int,
                     keep_after: int) -> bool:
    """One more submission counted in `scope`/`key`'s window starting at `window` if the window
    holds fewer than `limit`: True; False when it is full, nothing changed. The row is made if
    need be and raised by one statement whose condition every instance's is judged against (the
    row locked by the update), so however many instances count, no window passes its limit.
    Windows of the scope that started before `keep_after` are dropped."""
    upsert = pg_insert if on_postgresql(session) else sqlite_insert
    session.execute(upsert(form_windows).values(scope=scope, key=key, window=window, count=0)
                    .on_conflict_do_nothing())
    done = cast(CursorResult, session.execute(
        update(form_windows).where(form_windows.c.scope == scope)
        .where(form_windows.c.key == key).where(form_windows.c.window == window)
        .where(form_windows.c.count < limit).values(count=form_windows.c.count + 1)))
    session.execute(delete(form_windows).where(form_windows.c.scope == scope)
                    .where(form_windows.c.window < keep_after))
    return done.rowcount == 1


# ---- the annual statistics report (usecases.annual, queries) -----------------------------------

def annual_rows(session: Session, agency: str) -> list[dict]:
    """The agency's publications as the annual figures and the supervisor's view read them,
    each with `published_on`, the China day its review published it (None if never)."""
    rows = session.execute(
        select(publications.c.id, publications.c.decision_no, publications.c.act_type,
               publications.c.decision_date, publications.c.state, publications.c.due,
               publications.c.review, publications.c.withdrawal, publications.c.published,
               publications.c.display_until)
        .where(publications.c.agency == agency).order_by(publications.c.decision_date,
                                                         publications.c.id)).mappings().all()
    out = []
    for r in rows:
        row = dict(r)
        review = row["review"] or {}
        published = review.get("outcome") in ("publish", "partial") and review.get("at")
        row["published_on"] = (local_date(datetime.fromisoformat(review["at"]))
                               if published else None)
        out.append(row)
    return out


def annual_corrections(session: Session, agency: str) -> list[dict]:
    return [dict(r) for r in session.execute(
        select(corrections.c.publication_id, corrections.c.number, corrections.c.year,
               corrections.c.state, corrections.c.created_at)
        .where(corrections.c.agency == agency)
        .order_by(corrections.c.year, corrections.c.seq)).mappings().all()]


def annual_version(versions: list[dict], p: dict) -> dict:
    """The version `p` names (agency, year, version: the latest where null) among `versions`
    (annual_versions), or the service's not_found."""
    wanted = p.get("version") or (versions[-1]["version"] if versions else None)
    row = next((v for v in versions if v["version"] == wanted), None)
    if row is None:
        raise NotFound(f"no annual report of {p['agency']} on {p['year']}"
                       + (f" version {wanted}" if wanted else ""),
                       message_zh=f"未找到{p['year']}年度统计年报",
                       details={"agency": p["agency"], "year": p["year"], "version": wanted})
    return row


def annual_versions(session: Session, agency: str, year: int, *,
                    lock: bool = False) -> list[dict]:
    """Every version of the agency's report on `year`, oldest first."""
    query = (select(annual_reports).where(annual_reports.c.agency == agency)
             .where(annual_reports.c.year == year).order_by(annual_reports.c.version))
    if lock:
        query = query.with_for_update()
    return [dict(r) for r in session.execute(query).mappings().all()]


def insert_annual(session: Session, row: dict) -> None:
    session.execute(insert(annual_reports).values(**row))


def save_annual(session: Session, report_id: str, **values: Any) -> None:
    session.execute(update(annual_reports).where(annual_reports.c.id == report_id)
                    .values(**values))


def annual_noticed(session: Session, agency: str, year: int, today: date) -> bool:
    """Marks the overdue notice of the agency's report on `year` sent: False where it was."""
    if session.execute(select(annual_report_notices.c.year)
                       .where(annual_report_notices.c.agency == agency)
                       .where(annual_report_notices.c.year == year)).first() is not None:
        return False
    session.execute(insert(annual_report_notices).values(agency=agency, year=year,
                                                         noticed_on=today))
    return True


def annual_view(row: dict, *, versions: int) -> dict:
    compiled = row["compiled_at"]
    return {"id": row["id"], "agency": row["agency"], "ruleset": row["ruleset"],
            "year": row["year"], "version": row["version"], "versions": versions,
            "state": row["state"], "due": row["due"], "figures": row["figures"],
            "gaps": row["gaps"], "document": row["document"],
            "compiled_at": compiled.isoformat() if isinstance(compiled, datetime) else compiled,
            "compiled_by": row["compiled_by"], "published": row["published"]}
