"""Reads of the record keeper. Every read of a case is itself recorded in the access log
(002 第十九条 实时调阅; 003 调阅监督); a party sees its own case with informants, complainants
and third parties masked (000 第三十四条)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, insert, or_, select

from services.records import chain, domain, personal
from services.records.models import access_log, av_records, cases, entries, situations
from shared.rulesets import provider as rulebook
from shared.trust.actor import Actor, out_of_reach
from shared.calendar.clock import iso, utc
from shared.persistence.db import driver_fetch
from shared.persistence import paging
from shared.errors import NotFound, ValidationFailed
from shared.service.entrypoint import refusal_reason

STAFF = ("officer", "head", "legal_unit", "reviewer", "supervisor")


_ACCESS_COLUMNS = ("at", "actor_id", "actor_role", "actor_agency", "action", "case_id",
                   "agency", "outcome", "reason")
_INSERT_ACCESS = insert(access_log)  # built once, as the chain's statements
_PG_INSERT_ACCESS = (f"INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
                     f"VALUES ({', '.join(['%s'] * len(_ACCESS_COLUMNS))})")


def log_access(session, actor: Actor, action: str, *, case: dict | None, outcome: str,
               now: datetime, reason: str | None = None, case_id: str | None = None) -> None:
    values = (now, actor.id, actor.role, actor.agency, action,
              case["id"] if case else case_id, case["agency"] if case else None, outcome, reason)
    if session.bind.dialect.name == "postgresql":
        driver_fetch(session, _PG_INSERT_ACCESS, values)
    else:
        session.execute(_INSERT_ACCESS, dict(zip(_ACCESS_COLUMNS, values)))


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
    """What a caller is told about a case out of its reach: exactly what chain.load_case says
    of an id that does not exist."""
    case_id = request.get("case_id")
    if not isinstance(case_id, str):
        return None
    return NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})


def case_view(case: dict, masked: bool) -> dict:
    view = {k: case[k] for k in ("id", "case_no", "agency", "ruleset", "act_type", "title",
                                 "start_mode", "stage", "status", "parties", "persons",
                                 "handlers", "emergency_due", "archive_due", "head_seq",
                                 "head_hash")}
    for key in ("opened_at", "emergency_approved_at", "closed_at", "archived_at"):
        view[key] = utc(case[key]) if case[key] else None
    if masked:
        view["persons"], secrets = domain.protected_persons(case["persons"])
        view = domain.mask_for_party(view, secrets)
    return view


# The case row and, in the same statement, the reader's access row — written only when the
# case belongs to the reader's agency. read_case sends it only for a staff reader, whom
# authorize_read grants exactly then, so the statement never logs a read Python refuses.
_PG_READ_AND_LOG = (
    f"WITH c AS ({chain.PG_LOAD_CASE}), "
    f"l AS (INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
    "SELECT %s, %s, %s, %s, %s, c.id, c.agency, 'granted', NULL FROM c "
    "WHERE c.agency = %s RETURNING 1) "
    f"SELECT {', '.join('c.' + column for column in chain.CASE_COLUMNS)}, "
    "(SELECT count(*) FROM l) FROM c")


def read_case(session, actor: Actor, action: str, case_id: str, now: datetime):
    """A read of one case, recorded: (case, masked). On PostgreSQL a staff member of the
    case's own agency — nearly every read — costs one round trip (case and access row in one
    statement); any other reader is judged by authorize_read and logged after it."""
    if session.bind.dialect.name == "postgresql" and actor.role in STAFF:
        found = driver_fetch(session, _PG_READ_AND_LOG, (
            case_id, now, actor.id, actor.role, actor.agency, action, actor.agency))
        if found is None:
            raise NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})
        case, logged = dict(zip(chain.CASE_COLUMNS, found[:-1])), found[-1]
    else:
        case, logged = chain.load_case(session, case_id), 0
    masked = authorize_read(actor, case)
    if not logged:
        log_access(session, actor, action, case=case, outcome="granted", now=now)
    return case, masked


def get_case(p, *, actor, db, now) -> dict:
    with db.autocommit() as session:
        case, masked = read_case(session, actor, "get_case", p["case_id"], now)
        withheld = masked and _hashes_withheld_from(session, case) is not None
    view = case_view(case, masked)
    if withheld:
        view["head_hash"] = None
    return view


def get_entries(p, *, actor, db, now) -> list[dict]:
    with db.autocommit() as session:
        case, masked = read_case(session, actor, "get_entries", p["case_id"], now)
        rows = session.execute(
            select(entries).where(entries.c.case_id == case["id"])
            .where(entries.c.seq >= p["from_seq"]).order_by(entries.c.seq)
            .limit(p["limit"])).mappings().all()
        withheld_from = _hashes_withheld_from(session, case) if masked else None
    secrets = domain.protected_persons(case["persons"])[1] if masked else []
    out = []
    for row in rows:
        body = json.loads(row["plain"] or row["body"])
        item = {"seq": row["seq"], "kind": row["kind"], "stage": row["stage"],
                "occurred_at": utc(row["occurred_at"]), "recorded_at": utc(row["recorded_at"]),
                "actor_id": row["actor_id"], "actor_role": row["actor_role"],
                "corrects_seq": row["corrects_seq"], "content": body["content"]}
        if masked:
            item = domain.mask_for_party(item, secrets)
        # the exact text that was hashed: anyone recomputes entry_hash from it and prev_hash
        # (a protected person's data is in it only as salted commitments) …
        item.update(hashed_body=row["body"], prev_hash=row["prev_hash"],
                    entry_hash=row["entry_hash"])
        # … except where a hashed body still spells it (an entry written before commitments):
        # from there on every hash would let a party test guesses, so none is shown
        if withheld_from is not None and row["seq"] >= withheld_from:
            item.update(hashed_body=None, entry_hash=None,
                        prev_hash=None if row["seq"] > withheld_from else item["prev_hash"])
        out.append(item)
    return out


def _hashes_withheld_from(session, case: dict) -> int | None:
    """The first seq whose hashed body spells a protected person's data (for a party's view),
    or None. Every later hash depends on it, so a party is shown none from there on."""
    pattern = personal.detector(tuple(domain.protected_persons(case["persons"])[1]))
    if pattern is None:
        return None
    for seq, body in session.execute(select(entries.c.seq, entries.c.body)
                                     .where(entries.c.case_id == case["id"])
                                     .order_by(entries.c.seq)):
        if personal.leaks(json.loads(body), pattern):
            return seq
    return None


def list_cases(p, *, actor, db, now) -> list[dict]:
    """list_cases (v1): `limit` of the agency's cases after `offset`, newest opened first;
    the offset is bounded by the contract, so the work is too."""
    actor.require(*STAFF, agency=p["agency"])
    with db.autocommit() as session:
        rows = session.execute(_agency_cases(p).order_by(cases.c.opened_at.desc(), cases.c.id)
                               .limit(p["limit"]).offset(p["offset"])).mappings().all()
        log_access(session, actor, "list_cases", case=None, outcome="granted", now=now,
                   reason=f"agency={p['agency']}")
    return [case_view(dict(r), False) for r in rows]


def _agency_cases(p):
    query = select(cases).where(cases.c.agency == p["agency"])
    if p.get("stage"):
        query = query.where(cases.c.stage == p["stage"])
    return query


def list_cases_page(p, *, actor, db, now) -> dict:
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
        rows = session.execute(query.order_by(cases.c.opened_at.desc(), cases.c.id.desc())
                               .limit(p["limit"] + 1)).mappings().all()
        log_access(session, actor, "list_cases_v2", case=None, outcome="granted", now=now,
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


def verify_case(p, *, actor, db, signing_key, now) -> dict:
    with db.autocommit() as session:
        case = chain.load_case(session, p["case_id"])
        actor.require("officer", "head", "legal_unit", "supervisor", agency=case["agency"])
        log_access(session, actor, "verify_case", case=case, outcome="granted", now=now)
    with db.read() as session:
        verdict = chain.verify(session, case, signing_key)
    return verification(case, verdict)


def verification(case: dict, verdict: chain.Verdict) -> dict:
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


def _checkpoint_report(row, head, recomputed: str | None) -> dict:
    matches = recomputed == head.head_hash
    return {"seq": head.seq, "signed_at": iso(row["signed_at"]), "key_id": row["key_id"],
            "head_hash": head.head_hash, "recomputed": recomputed,
            "signature_valid": head.signature_valid, "head_matches": matches,
            "valid": head.signature_valid and matches}


AV_LABELS = ("party", "handler", "unit", "device_no", "started_at", "ended_at", "place")


def archive_manifest(session, case: dict, due: dict, rules) -> dict:
    avs = session.execute(select(av_records.c.seq, chain.PLAIN_BODY)
                          .join(entries, entries.c.id == av_records.c.entry_id)
                          .where(av_records.c.case_id == case["id"])
                          .order_by(av_records.c.seq)).all()
    av_objects = []
    for seq, body in avs:
        content = json.loads(body)["content"]
        media = content["media"]
        # the storage labels the AV record carries (001 附件2 第七条; 000 第三十二条); one
        # registered before a label existed (unit) simply lacks it
        labels = {k: content[k] for k in AV_LABELS if content.get(k) is not None}
        av_objects.append({"seq": seq, "object_ref": media["object_ref"],
                           "sha256": media["sha256"], **labels})
    return {"case_id": case["id"], "case_no": case["case_no"], "title": case["title"],
            "act_type": case["act_type"], "parties": [p["name"] for p in case["parties"]],
            "handlers": case["handlers"], "due": due, "head_seq": case["head_seq"],
            "head_hash": case["head_hash"], "entries": case["head_seq"],
            "av_objects": av_objects, "retention": retention_for(session, case, rules)}


def case_facts(session, case: dict) -> set[str]:
    """Facts of a case that retention conditions are written against."""
    facts = set(session.execute(select(situations.c.code)
                                .where(situations.c.case_id == case["id"])).scalars())
    for kind, body in session.execute(
            select(entries.c.kind, chain.PLAIN_BODY).where(entries.c.case_id == case["id"])
            .where(entries.c.kind.in_(["decision_issued", "decision_proposed", "av_record"]))):
        content = json.loads(body)["content"]
        if kind == "decision_proposed" and content["classification"]["major"]:
            facts.add("major_difficult_complex")
        elif kind == "decision_issued" and case["act_type"] == "penalty":
            facts.add("penalty_evidence")
        elif kind == "av_record" and content.get("evidence_note"):
            facts.add("used_as_evidence")
    if "non_cooperation" in facts:
        facts.add("obstruction")
    if "mass_incident" in facts:
        facts.add("major_emergency_mass_incident")
    return facts


def retention_for(session, case: dict, rules) -> list[dict]:
    return rulebook.retention_classes(rules.ruleset(case["ruleset"]), case_facts(session, case))



def record_refusal(db, actor: Actor, action: str, case_id: str | None, exc: Exception,
                   now: datetime) -> None:
    """A refused call is recorded in its own transaction (the call's own was rolled back):
    who (for a refused token: who it claimed to be, role "unverified"), what, which case if
    it exists, why."""
    with db.transaction() as session:
        case = None
        if isinstance(case_id, str) and case_id:
            case = session.execute(select(cases.c.id, cases.c.agency)
                                   .where(cases.c.id == case_id)).mappings().first()
        log_access(session, actor, action, case=dict(case) if case else None,
                   case_id=None, outcome="refused", now=now, reason=refusal_reason(exc))
