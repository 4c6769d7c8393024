"""Reads of the record keeper. Every read of a case is itself recorded in the access log
(002 第十九条 实时调阅; 003 调阅监督); a party sees its own case with informants, complainants
and third parties masked (000 第三十四条). The findings (domain.findings) are read here too:
of one case, or of a page of an agency's cases."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from contracts.records.messages import MAX_FINDINGS_PAGE
from services.records import store
from services.records.domain import chain, findings, personal
from services.records.models import cases, entries
from shared.calendar.clock import iso, utc
from shared.errors import DomainRuleViolated, NotFound, ValidationFailed
from shared.persistence import paging
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor, out_of_reach

STAFF = ("officer", "head", "legal_unit", "reviewer", "supervisor")


def authorize_read(actor: Actor, case: dict) -> bool:
    """Returns True when the reader is the case's party (and must get the masked view).
    Party ids are labels chosen per case by whoever opens it (`party-1` in many cases), so a
    party token is bound to one case (claim `case`) and reads that case alone, as the party
    it names, in the agency that issued it. Anything else is out of reach: answered as a
    missing case (shared.service.entrypoint.handle), recorded as refused."""
    if actor.role == "party":
        if (actor.case_id and actor.party_id and actor.case_id == case["id"]
                and actor.agency == case["agency"]
                and any(p["id"] == actor.party_id for p in case["parties"])):
            return True
        raise out_of_reach("a party token reads only the case it is bound to, as the party "
                           "it names", message_zh="当事人只能查阅与其相关的执法记录")
    actor.require(*STAFF, agency=case["agency"])
    return False


def missing_case(request: dict) -> NotFound | None:
    """What a caller is told about a case out of its reach: exactly what store.load_case says
    of an id that does not exist."""
    case_id = request.get("case_id")
    if not isinstance(case_id, str):
        return None
    return NotFound(f"no case with id {case_id!r}", message_zh=f"未找到案件 {case_id!r}",
                    details={"case_id": case_id})


def case_view(case: dict, masked: bool) -> dict:
    view = {k: case[k] for k in ("id", "case_no", "agency", "ruleset", "act_type", "title",
                                 "start_mode", "stage", "status", "parties", "persons",
                                 "handlers", "emergency_due", "archive_due", "head_seq",
                                 "head_hash")}
    for key in ("opened_at", "emergency_approved_at", "closed_at", "archived_at"):
        view[key] = utc(case[key]) if case[key] else None
    if masked:
        view["persons"], secrets = personal.protected_persons(case["persons"])
        view = personal.mask(view, secrets)
    return view


def read_case(session: Session, actor: Actor, action: str, case_id: str,
              now: datetime) -> tuple[dict, bool]:
    """A read of one case, recorded: (case, masked). On PostgreSQL a staff member of the
    case's own agency — nearly every read — costs one round trip (case and access row in one
    statement, store.load_case_logged); any other reader is judged by authorize_read and
    logged after it."""
    if actor.role in STAFF:
        case, logged = store.load_case_logged(session, actor, action, case_id, now)
    else:
        case, logged = store.load_case(session, case_id), False
    masked = authorize_read(actor, case)
    if not logged:
        store.log_access(session, actor, action, case=case, outcome="granted", now=now)
    return case, masked


def get_case(p: dict, *, actor: Actor, db: Db, now: datetime) -> dict:
    with db.autocommit() as session:
        case, masked = read_case(session, actor, "get_case", p["case_id"], now)
        withheld = masked and _hashes_withheld_from(session, case) is not None
    view = case_view(case, masked)
    if withheld:
        view["head_hash"] = None
    return view


def get_entries(p: dict, *, actor: Actor, db: Db, now: datetime) -> list[dict]:
    with db.autocommit() as session:
        case, masked = read_case(session, actor, "get_entries", p["case_id"], now)
        rows = session.execute(
            select(entries).where(entries.c.case_id == case["id"])
            .where(entries.c.seq >= p["from_seq"]).order_by(entries.c.seq)
            .limit(p["limit"])).mappings().all()
        withheld_from = _hashes_withheld_from(session, case) if masked else None
    secrets = personal.protected_persons(case["persons"])[1] if masked else []
    return [_entry_item(row, secrets if masked else None, withheld_from) for row in rows]


def _entry_item(row: Any, secrets: list[str] | None, withheld_from: int | None) -> dict:
    """An entry as get_entries answers it; `secrets`: masked for a party."""
    body = json.loads(row["plain"] or row["body"])
    item = {"seq": row["seq"], "kind": row["kind"], "stage": row["stage"],
            "occurred_at": utc(row["occurred_at"]), "recorded_at": utc(row["recorded_at"]),
            "actor_id": row["actor_id"], "actor_role": row["actor_role"],
            "corrects_seq": row["corrects_seq"], "content": body["content"]}
    if secrets is not None:
        item = personal.mask(item, secrets)
    # the exact text that was hashed: anyone recomputes entry_hash from it and prev_hash
    # (a protected person's data is in it only as salted commitments) …
    item.update(hashed_body=row["body"], prev_hash=row["prev_hash"],
                entry_hash=row["entry_hash"])
    # … except where a hashed body still spells it (an entry written before commitments):
    # from there on every hash would let a party test guesses, so none is shown
    if withheld_from is not None and row["seq"] >= withheld_from:
        item.update(hashed_body=None, entry_hash=None,
                    prev_hash=None if row["seq"] > withheld_from else item["prev_hash"])
    return item


def _hashes_withheld_from(session: Session, case: dict) -> int | None:
    """The first seq whose hashed body spells a protected person's data (for a party's view),
    or None. Every later hash depends on it, so a party is shown none from there on."""
    pattern = personal.detector(tuple(personal.protected_persons(case["persons"])[1]))
    if pattern is None:
        return None
    for seq, body in session.execute(select(entries.c.seq, entries.c.body)
                                     .where(entries.c.case_id == case["id"])
                                     .order_by(entries.c.seq)):
        if personal.leaks(json.loads(body), pattern):
            return seq
    return None


def list_cases(p: dict, *, actor: Actor, db: Db, now: datetime) -> list[dict]:
    """list_cases (v1): `limit` of the agency's cases after `offset`, newest opened first;
    the offset is bounded by the contract, so the work is too."""
    actor.require(*STAFF, agency=p["agency"])
    with db.autocommit() as session:
        rows = session.execute(_agency_cases(p).order_by(cases.c.opened_at.desc(), cases.c.id)
                               .limit(p["limit"]).offset(p["offset"])).mappings().all()
        store.log_access(session, actor, "list_cases", case=None, outcome="granted", now=now,
                   reason=f"agency={p['agency']}")
    return [case_view(dict(r), False) for r in rows]


def _agency_cases(p: dict) -> Select:
    query = select(cases).where(cases.c.agency == p["agency"])
    if p.get("stage"):
        query = query.where(cases.c.stage == p["stage"])
    return query


def list_cases_page(p: dict, *, actor: Actor, db: Db, now: datetime) -> dict:
    """list_cases_v2: a page of the agency's cases, newest opened first (ties by id), after
    `cursor`."""
    actor.require(*STAFF, agency=p["agency"])
    with db.autocommit() as session:
        query = _agency_cases(p)
        if p.get("cursor"):
            at, case_id = paging.decode(p["cursor"], 2)
            at = cursor_moment(at)
            query = query.where(or_(cases.c.opened_at < at,
                                    and_(cases.c.opened_at == at, cases.c.id < case_id)))
        rows = list(session.execute(query.order_by(cases.c.opened_at.desc(), cases.c.id.desc())
                                    .limit(p["limit"] + 1)).mappings())
        store.log_access(session, actor, "list_cases_v2", case=None, outcome="granted", now=now,
                   reason=f"agency={p['agency']}")
    rows, after = paging.page(rows, p["limit"], lambda r: (iso(r["opened_at"]), r["id"]))
    return {"items": [case_view(dict(r), False) for r in rows], "next": after}


def cursor_moment(text: str) -> datetime:
    """The opened_at a cursor of a case listing names."""
    try:
        return utc(datetime.fromisoformat(text))
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed.from_messages(
            {"cursor": ["not a cursor this listing returned"]}, what="cursor") from None


def verify_case(p: dict, *, actor: Actor, db: Db, signing_key: chain.CheckpointKeys | None,
                now: datetime) -> dict:
    with db.autocommit() as session:
        case = store.load_case(session, p["case_id"])
        actor.require("officer", "head", "legal_unit", "supervisor", agency=case["agency"])
        store.log_access(session, actor, "verify_case", case=case, outcome="granted", now=now)
    with db.read() as session:
        verdict = store.verify(session, case, signing_key)
    return verification(case, verdict)


def verification(case: dict, verdict: store.Verdict) -> dict:
    """verify_case's answer: whether the chain verifies and, if not, what failed first —
    with the head and the checkpoints it was compared against."""
    walk, bad = verdict.walk, verdict.broken
    checked = [_checkpoint_report(row, head, walk.noted.get(head.seq))
               for row, head in verdict.checkpoints]
    return {"case_id": case["id"], "ok": bad is None,
            "failure": bad.failure if bad else None,
            "entries_checked": walk.checked, "head_seq": case["head_seq"],
            "head_hash": case["head_hash"],
            "chain_head": {"seq": walk.last_seq, "hash": walk.last_hash},
            "first_bad": bad.to_dict() if bad else None,
            "checkpoint": checked[-1] if checked else None,
            "checkpoints_checked": len(checked)}


def _checkpoint_report(row: Any, head: chain.SignedHead, recomputed: str | None) -> dict:
    matches = recomputed == head.head_hash
    return {"seq": head.seq, "signed_at": iso(row["signed_at"]), "key_id": row["key_id"],
            "head_hash": head.head_hash, "recomputed": recomputed,
            "signature_valid": head.signature_valid, "head_matches": matches,
            "valid": head.signature_valid and matches}




# ---- findings ---------------------------------------------------------------------------

def findings_of(session: Session, case: dict, rules: Rules, now: datetime) -> list[dict]:
    """The findings of one case (domain.findings over what the store reads of it)."""
    return findings.case_findings(
        findings.CaseState.of(case), store.entry_rows(session, case["id"]),
        store.av_rows(session, case["id"]), store.refused_reads(session, case["id"]),
        rules.ruleset(case["ruleset"]), now)


def findings_page(session: Session, agency: str, rules: Rules, now: datetime, *, limit: int,
                  cursor: str | None = None) -> dict:
    """The findings of a page of the agency's cases — at most `limit` cases, in opening
    order (ties by id), after `cursor` — and the cursor after the last case examined: a
    supervisor walks an agency's history a bounded page at a time."""
    query = select(cases).where(cases.c.agency == agency)
    if cursor:
        at, case_id = paging.decode(cursor, 2)
        at = cursor_moment(at)
        query = query.where(or_(cases.c.opened_at > at,
                                and_(cases.c.opened_at == at, cases.c.id > case_id)))
    rows = list(session.execute(query.order_by(cases.c.opened_at, cases.c.id)
                                .limit(limit + 1)).mappings())
    rows, after = paging.page(rows, limit, lambda r: (iso(r["opened_at"]), r["id"]))
    out = []
    for case in rows:
        out.extend(findings_of(session, dict(case), rules, now))
    return {"items": out, "cases": len(rows), "next": after}


def case_findings(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime) -> list[dict]:
    with db.transaction() as session:
        case = store.load_case(session, p["case_id"])
        actor.require("head", "legal_unit", "supervisor", agency=case["agency"])
        store.log_access(session, actor, "case_findings", case=case, outcome="granted",
                         now=now)
        return findings_of(session, case, rules, now)


def agency_findings(p: dict, *, actor: Actor, db: Db, rules: Rules,
                    now: datetime) -> list[dict]:
    """agency_findings (v1): every finding of the agency in one list — for an agency of at
    most MAX_FINDINGS_PAGE cases; a larger one is refused (too_many_cases) rather than walked
    whole, and pages through agency_findings_v2."""
    _granted(p, actor, rules, db, now, "agency_findings")
    with db.read() as session:
        found = findings_page(session, p["agency"], rules, now, limit=MAX_FINDINGS_PAGE)
    if found["next"] is not None:
        raise DomainRuleViolated(
            f"agency {p['agency']} has more than {MAX_FINDINGS_PAGE} cases: agency_findings "
            f"answers only that many in one list; page through them with agency_findings_v2",
            message_zh=f"执法机关 {p['agency']} 的案件超过 {MAX_FINDINGS_PAGE} 件：agency_findings "
                       "一次只能列出这么多，请用 agency_findings_v2 分页查询",
            code="too_many_cases", details={"limit": MAX_FINDINGS_PAGE})
    return found["items"]


def agency_findings_page(p: dict, *, actor: Actor, db: Db, rules: Rules,
                         now: datetime) -> dict:
    """agency_findings_v2: the findings of a page of the agency's cases."""
    _granted(p, actor, rules, db, now, "agency_findings_v2")
    with db.read() as session:
        return findings_page(session, p["agency"], rules, now, limit=p["limit"],
                             cursor=p.get("cursor"))


def _granted(p: dict, actor: Actor, rules: Rules, db: Db, now: datetime, method: str) -> None:
    actor.require("head", "legal_unit", "supervisor", agency=p["agency"])
    rules.agency(p["agency"])
    with db.autocommit() as session:  # every read is recorded (002 第十九条), as list_cases
        store.log_access(session, actor, method, case=None, outcome="granted", now=now,
                         reason=f"agency={p['agency']}")
