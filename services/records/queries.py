"""Reads of the record keeper. Every read of a case is itself recorded in the access log
(002 第十九条 实时调阅; 003 调阅监督); a party sees its own case with informants, complainants
and third parties masked (000 第三十四条). The findings (domain.findings) are read here too:
of one case, or of a page of an agency's cases."""
from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import TextClause

from contracts.records.messages import MAX_FINDINGS_PAGE
from services.records import store
from services.records.domain import anchor, annual, chain, findings, personal
from services.records.models import cases, entries
from shared.calendar.clock import CST, iso, local_date, utc
from shared.errors import DomainRuleViolated, NotFound, ValidationFailed
from shared.persistence import paging
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor, out_of_reach

if TYPE_CHECKING:
    from services.records.register import RegisterClient
    from services.records.vault import VaultClient

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
        classified = _classified(session, case["id"]) if masked else {}
    secrets = personal.protected_persons(case["persons"])[1] if masked else []
    return [_entry_item(row, secrets if masked else None, withheld_from, classified)
            for row in rows]


def _classified(session: Session, case_id: str) -> dict[int, list[personal.Secret]]:
    """The case's classified content, per entry (its classification entries)."""
    marks = session.execute(select(entries.c.seq, store.PLAIN_BODY)
                            .where(entries.c.case_id == case_id)
                            .where(entries.c.kind == personal.CLASSIFICATION)
                            .order_by(entries.c.seq)).all()
    return personal.secrets_by_entry([(seq, json.loads(body)["content"])
                                      for seq, body in marks])


def _entry_item(row: Any, secrets: list[str] | None, withheld_from: int | None,
                classified: dict[int, list[personal.Secret]] | None = None) -> dict:
    """An entry as get_entries answers it; `secrets`: masked for a party, and `classified`
    content left out of its view (000 第三十三、三十四条)."""
    body = json.loads(row["plain"] or row["body"])
    item = {"seq": row["seq"], "kind": row["kind"], "stage": row["stage"],
            "occurred_at": utc(row["occurred_at"]), "recorded_at": utc(row["recorded_at"]),
            "actor_id": row["actor_id"], "actor_role": row["actor_role"],
            "corrects_seq": row["corrects_seq"], "content": body["content"]}
    marks = (classified or {}).get(row["seq"], []) + \
        (classified or {}).get(row["corrects_seq"], [])
    if marks:
        item["content"], item["withheld"] = personal.withhold(
            item["content"], marks, correction=row["corrects_seq"] is not None)
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
    if marks:  # the hashed text holds what was withheld
        item["hashed_body"] = None
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
                         reason=f"agency={p['agency']}", agency=p["agency"])
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
        store.log_access(session, actor, "list_cases_v2", case=None, outcome="granted",
                         now=now, reason=f"agency={p['agency']}", agency=p["agency"])
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
                now: datetime, vault: VaultClient | None = None) -> dict:
    with db.autocommit() as session:
        case = store.load_case(session, p["case_id"])
        actor.require("officer", "head", "legal_unit", "supervisor", agency=case["agency"])
        store.log_access(session, actor, "verify_case", case=case, outcome="granted", now=now)
    with db.read() as session:
        verdict = store.verify(session, case, signing_key)
    return anchored(verification(case, verdict), case, db, vault)


def anchored(answer: dict, case: dict, db: Db, vault: VaultClient | None) -> dict:
    """The verification judged against what the vault keeps (domain.anchor): the case's last
    checkpoint the vault stored and its inclusion in the agency's last stored tree head. Not
    anchored, and saying why, where the deployment has no vault or the vault has none yet."""
    held = anchor.VAULT_NOT_DEPLOYED if vault is None else vault.held(case["agency"],
                                                                      case["id"])
    if isinstance(held, str):
        answer["anchor"] = anchor.not_anchored(held, NOT_ANCHORED[held])
        return answer
    with db.read() as session:
        entry_hash, log = store.anchor_facts(session, case["agency"], case["id"], held)
    answer["anchor"], bad = anchor.judge(case, held, entry_hash, log)
    if bad is not None:
        answer["ok"] = False
        if answer["failure"] is None:  # the chain agrees with itself: the vault shows it
            answer.update(failure=bad.failure, first_bad=bad.to_dict())
    return answer


def log_consistency(p: dict, *, actor: Actor, db: Db, **_: object) -> dict:
    """The consistency proof between two sizes of the caller's agency's Merkle log of
    checkpoints (RFC 9162 §2.1.4), read from the log's stored nodes: what the vault asks for
    when a tree head reaches it ahead of (or behind) the one it kept last. The proof proves
    nothing by itself: the vault checks it against the two signed roots it holds."""
    actor.require("head", "legal_unit", "supervisor")
    agency, first, second = actor.agency, p["first"], p["second"]
    if first > second:
        raise ValidationFailed.from_messages({"second": ["must not be below first"]},
                                             what="log_consistency")
    with db.read() as session:
        size = store.log_size(session, agency)
        proof = store.log_consistency_proof(session, agency, first, second) \
            if second <= size else None
    if second > size:
        raise DomainRuleViolated(
            f"the agency's log has {size} leaves, not {second}", code="log_shorter",
            message_zh=f"机构记录日志只有 {size} 个叶节点，不足 {second} 个",
            details={"agency": agency, "size": size, "second": second})
    if proof is None:
        raise DomainRuleViolated(
            f"the agency's log no longer holds the nodes of a proof from {first} to {second}",
            code="log_incomplete", message_zh=f"机构记录日志缺少从 {first} 到 {second} 的一致性"
            "证明所需节点（日志被截断或改动）",
            details={"agency": agency, "first": first, "second": second})
    return {"agency": agency, "first": first, "second": second,
            "proof": [h.hex() for h in proof]}


NOT_ANCHORED = {
    anchor.VAULT_NOT_DEPLOYED: "this deployment has no vault: the chain was checked against "
                               "the database's own checkpoints only",
    anchor.NOT_IN_VAULT: "the vault holds no checkpoint of this case yet: the chain was "
                         "checked against the database's own checkpoints only"}


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

def findings_of(session: Session, case: dict, rules: Rules, now: datetime,
                register: RegisterClient | None = None) -> list[dict]:
    """The findings of one case (domain.findings over what the store reads of it), the
    officers its records name checked on the register where one is given."""
    check = register.check(case["agency"], case["act_type"]) if register is not None else None
    return findings.case_findings(
        findings.CaseState.of(case), store.entry_rows(session, case["id"]),
        store.av_rows(session, case["id"]), store.refused_reads(session, case["id"]),
        rules.ruleset(case["ruleset"]), now, check)


def findings_page(session: Session, agency: str, rules: Rules, now: datetime, *, limit: int,
                  cursor: str | None = None, register: RegisterClient | None = None) -> dict:
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
        out.extend(findings_of(session, dict(case), rules, now, register))
    return {"items": out, "cases": len(rows), "next": after}


def case_findings(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                  register: RegisterClient | None = None) -> list[dict]:
    with db.transaction() as session:
        case = store.load_case(session, p["case_id"])
        actor.require("head", "legal_unit", "supervisor", agency=case["agency"])
        store.log_access(session, actor, "case_findings", case=case, outcome="granted",
                         now=now)
        return findings_of(session, case, rules, now, register)


def agency_findings(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                    register: RegisterClient | None = None) -> list[dict]:
    """agency_findings (v1): every finding of the agency in one list — for an agency of at
    most MAX_FINDINGS_PAGE cases; a larger one is refused (too_many_cases) rather than walked
    whole, and pages through agency_findings_v2."""
    _granted(p, actor, rules, db, now, "agency_findings")
    with db.read() as session:
        found = findings_page(session, p["agency"], rules, now, limit=MAX_FINDINGS_PAGE,
                              register=register)
    if found["next"] is not None:
        raise DomainRuleViolated(
            f"agency {p['agency']} has more than {MAX_FINDINGS_PAGE} cases: agency_findings "
            f"answers only that many in one list; page through them with agency_findings_v2",
            message_zh=f"执法机关 {p['agency']} 的案件超过 {MAX_FINDINGS_PAGE} 件：agency_findings "
                       "一次只能列出这么多，请用 agency_findings_v2 分页查询",
            code="too_many_cases", details={"limit": MAX_FINDINGS_PAGE})
    return found["items"]


def agency_findings_page(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                         register: RegisterClient | None = None) -> dict:
    """agency_findings_v2: the findings of a page of the agency's cases."""
    _granted(p, actor, rules, db, now, "agency_findings_v2")
    with db.read() as session:
        return findings_page(session, p["agency"], rules, now, limit=p["limit"],
                             cursor=p.get("cursor"), register=register)


def _granted(p: dict, actor: Actor, rules: Rules, db: Db, now: datetime, method: str) -> None:
    actor.require("head", "legal_unit", "supervisor", agency=p["agency"])
    rules.agency(p["agency"])
    with db.autocommit() as session:  # every read is recorded (002 第十九条), as list_cases
        store.log_access(session, actor, method, case=None, outcome="granted", now=now,
                         reason=f"agency={p['agency']}", agency=p["agency"])


# ---- the access log (调阅监督) --------------------------------------------------------------

def access_log(p: dict, *, actor: Actor, db: Db, now: datetime) -> dict:
    """access_log: a page of the agency's access log for its supervisor (002 第十九条 实时调阅;
    003 二(二) 记录信息调阅监督) — who read or was refused which case, when, by which call and
    why. Looking at the log is itself a read, and logged."""
    actor.require(agency=p["agency"])
    with db.autocommit() as session:
        found = store.access_page(session, p)
        store.log_access(session, actor, "access_log", case=None, outcome="granted", now=now,
                         case_id=p.get("case_id"), agency=p["agency"],
                         reason=_scope(p, ("agency", "case_id", "reader", "since", "until",
                                           "outcome")))
    found["items"] = [dict(row, at=utc(row["at"])) for row in found["items"]]
    return found


def _scope(p: dict, keys: tuple[str, ...]) -> str:
    """What a listing was asked for, as its access row's reason."""
    return " ".join(f"{k}={iso(v) if isinstance(v, datetime) else v}" for k in keys
                    if (v := p.get(k)) not in (None, False))


# ---- finding work ------------------------------------------------------------------------

def find_cases(p: dict, *, actor: Actor, db: Db, now: datetime) -> dict:
    """find_cases: a page of the agency's cases matching every filter given, newest opened
    first (ties by id), after `cursor` — the keyset of list_cases_v2 over the agency's
    opening-order index."""
    actor.require(agency=p["agency"])
    handler = actor.id if p.get("mine") else p.get("handler")
    with db.autocommit() as session:
        query = _agency_cases(p)
        for condition in _case_filters(session, p, handler):
            query = query.where(condition)
        if p.get("cursor"):
            at, case_id = paging.decode(p["cursor"], 2)
            at = cursor_moment(at)
            query = query.where(or_(cases.c.opened_at < at,
                                    and_(cases.c.opened_at == at, cases.c.id < case_id)))
        rows = list(session.execute(query.order_by(cases.c.opened_at.desc(), cases.c.id.desc())
                                    .limit(p["limit"] + 1)).mappings())
        store.log_access(session, actor, "find_cases", case=None, outcome="granted", now=now,
                         agency=p["agency"], reason=_scope(dict(p, handler=handler), (
                             "agency", "handler", "party", "stage", "status", "opened_from",
                             "opened_to", "open_deadlines")))
    rows, after = paging.page(rows, p["limit"], lambda r: (iso(r["opened_at"]), r["id"]))
    return {"items": [case_view(dict(r), False) for r in rows], "next": after}


def _case_filters(session: Session, p: dict,
                  handler: str | None) -> list[ColumnElement | TextClause]:
    out: list[ColumnElement | TextClause] = []
    if p.get("status"):
        out.append(cases.c.status == p["status"])
    if p.get("opened_from"):
        out.append(cases.c.opened_at >= _cst_moment(p["opened_from"], time.min))
    if p.get("opened_to"):
        out.append(cases.c.opened_at <= _cst_moment(p["opened_to"], time.max))
    if p.get("open_deadlines"):
        out.append(or_(cases.c.start_state == "pending_approval", cases.c.status == "closed"))
    postgresql = session.get_bind().dialect.name == "postgresql"
    if handler:
        out.append(_json_match(postgresql, "handlers", {"handler": handler}))
    if p.get("party"):
        out.append(_json_match(postgresql, "parties", {"name": p["party"],
                                                       "id_number": p["party"]}))
    return out


def _json_match(postgresql: bool, column: str, wanted: dict[str, str]) -> TextClause:
    """The case's JSON list `column` holds the value wanted (handlers: an actor id), or an
    object with one of the wanted keys at its value (parties: a name or an id number)."""
    names = sorted(wanted)
    if column == "handlers":
        sql = ("CAST(cases.handlers AS jsonb) @> CAST(:handler AS jsonb)" if postgresql else
               "EXISTS (SELECT 1 FROM json_each(cases.handlers) "
               "WHERE json_each.value = :handler)")
        value = json.dumps([wanted["handler"]]) if postgresql else wanted["handler"]
        return text(sql).bindparams(handler=value)
    if postgresql:
        sql = " OR ".join(f"CAST(cases.{column} AS jsonb) @> CAST(:{k} AS jsonb)" for k in names)
        values = {k: json.dumps([{k: wanted[k]}], ensure_ascii=False) for k in names}
    else:
        sql = (f"EXISTS (SELECT 1 FROM json_each(cases.{column}) WHERE " + " OR ".join(
            f"json_extract(json_each.value, '$.{k}') = :{k}" for k in names) + ")")
        values = dict(wanted)
    return text(f"({sql})").bindparams(**values)


def _cst_moment(day: date, at: time) -> datetime:
    """The moment `at` of a calendar day in China Standard Time, in UTC."""
    return utc(datetime.combine(day, at, tzinfo=CST))


def due_deadlines(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime) -> dict:
    """due_deadlines: the agency's open deadlines — an emergency start's approval still
    owed, a closed case's archive — due by the `within`-th working day after today (the
    shared calendar's, with the agency's own closures), overdue ones included, soonest first
    (ties by case id and kind), a page after `cursor`."""
    actor.require(agency=p["agency"])
    today = local_date(now)
    until = rules.calendar.due(today, p["within"], "workdays", rule="due_within",
                               agency=p["agency"]).due
    with db.autocommit() as session:
        rows = session.execute(select(cases).where(cases.c.agency == p["agency"]).where(
            or_(cases.c.start_state == "pending_approval", cases.c.status == "closed")))
        items = sorted((item for row in rows.mappings()
                        for item in _open_deadlines(dict(row), today, until, rules)
                        if not p.get("mine") or actor.id in item["handlers"]),
                       key=_due_key)
        store.log_access(session, actor, "due_deadlines", case=None, outcome="granted",
                         now=now, agency=p["agency"],
                         reason=_scope(p, ("agency", "within", "mine")))
    if p.get("cursor"):
        after = tuple(paging.decode(p["cursor"], 3))
        items = [item for item in items if _due_key(item) > after]
    page, after_page = paging.page(items[:p["limit"] + 1], p["limit"], _due_key)
    return {"until": until.isoformat(), "items": page, "next": after_page}


def _due_key(item: dict) -> tuple[str, str, str]:
    return item["due"], item["case_id"], item["kind"]


def _open_deadlines(case: dict, today: date, until: date, rules: Rules) -> list[dict]:
    """The case's open deadlines due by `until`."""
    held = []
    if case["start_state"] == "pending_approval" and case["emergency_due"]:
        held.append(("emergency_approval", case["emergency_due"]))
    if case["status"] == "closed" and case["archive_due"]:
        held.append(("case_archive", case["archive_due"]))
    out = []
    for kind, deadline in held:
        due = _due_day(deadline["due"])
        if due > until:
            continue
        left = (rules.calendar.workdays_between(today, due, case["agency"]) if due >= today
                else -rules.calendar.workdays_between(due, today, case["agency"]))
        out.append({"case_id": case["id"], "case_no": case["case_no"], "title": case["title"],
                    "handlers": case["handlers"], "kind": kind, "due": due.isoformat(),
                    "overdue": due < today, "workdays_left": left, "deadline": deadline})
    return out


def _due_day(due: str) -> date:
    """The day a deadline falls due (a moment, for a period in hours: its day in CST)."""
    return local_date(datetime.fromisoformat(due)) if "T" in due else date.fromisoformat(due)


# ---- the annual statistics report's figures (domain.annual) ---------------------------------

def annual_figures(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime) -> dict:
    """The record keeper's figures of an agency's year (China time), for the disclosure
    publisher's annual report (called as itself) and the agency's staff; the read recorded."""
    actor.require(agency=p["agency"])
    rules.agency(p["agency"])
    start = datetime(p["year"], 1, 1, tzinfo=CST)
    end = datetime(p["year"] + 1, 1, 1, tzinfo=CST)
    with db.autocommit() as session:
        store.log_access(session, actor, "annual_figures", case=None, outcome="granted",
                         now=now, reason=f"agency={p['agency']} year={p['year']}",
                         agency=p["agency"])
        year = store.annual_year(session, p["agency"], utc(start), utc(end))
    return {"agency": p["agency"], "year": p["year"], "figures": annual.figures(year),
            "counted_at": iso(now)}
