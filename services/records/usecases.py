"""Commands of the record keeper. Each takes the validated request and its dependencies as
keyword arguments, runs in one transaction, appends to the case's chain and stages its events
in the outbox of that same transaction."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import func, insert, select

from contracts.records import messages as m
from contracts.records.content import CONTENT
from services.records import chain, domain
from services.records.models import (av_records, cases, checkpoint_refusals, checkpoints,
                                     entries, situations)
from services.records.queries import archive_manifest
from shared.trust.actor import Actor
from shared.calendar.clock import iso, local_date, utc
from shared.contracts.registry import dump, load
from shared.errors import Conflict, DomainRuleViolated, NotFound, ValidationFailed
from shared.rulesets import provider as rulebook
from shared.persistence import timers
from shared.messaging.outbox import requeue_unrouted
from shared.rulesets.provider import Rules

log = logging.getLogger(__name__)

_INSERT_AV = insert(av_records)


def emit(outbox, session, case: dict, actor: Actor, event_type: str, data: dict) -> None:
    outbox.stage(session, event_type, data, agency=case["agency"], actor=actor.ref(),
                 ruleset=case["ruleset"])


def appended(outbox, session, case, actor, seq, entry_hash, kind, record_type=None) -> dict:
    emit(outbox, session, case, actor, "entry_appended.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "seq": seq, "kind": kind,
        "record_type": record_type, "stage": case["stage"], "entry_hash": entry_hash})
    return {"case_id": case["id"], "seq": seq, "entry_hash": entry_hash, "stage": case["stage"],
            "deadline": None, "classification": None}


def writable_case(session, case_id: str, actor: Actor, roles: tuple[str, ...] = ()) -> dict:
    case = chain.load_case(session, case_id, lock=True)
    actor.require(*roles, agency=case["agency"])
    if case["status"] == "archived":
        raise DomainRuleViolated(f"case {case['case_no']} is archived; nothing more may be "
                                 "appended", code="case_archived")
    return case


def open_case(p: dict, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    agency = rules.agency(p["agency"])
    actor.require(agency=agency.code)
    rs = agency.ruleset
    _check_start_mode(rs, p["start_mode"])
    emergency_due = None
    start_state = {"ex_officio": "approved", "emergency": "pending_approval",
                   "application": "pending_acceptance", "complaint": "pending_decision",
                   "referral": "pending_decision"}[p["start_mode"]]
    if p["start_mode"] == "emergency" and "emergency_start_approval" in rs.data["periods"]:
        # 沁源 sets 24 hours; where a seed sets no period (周村 第二十八条) the approval is
        # still owed, and a case closed without it is a finding
        period = rs.period("emergency_start_approval")
        emergency_due = rules.calendar.due(utc(p["occurred_at"]), period.amount, period.unit,
                                           rule=period.name, basis=period.basis,
                                           agency=agency.code).to_dict()
    body = dump(m.OpenCase, p)
    case_id = str(uuid.uuid4())
    with db.transaction() as session:
        if session.execute(select(cases.c.id).where(cases.c.agency == agency.code)
                           .where(cases.c.case_no == p["case_no"])).first():
            raise Conflict(f"case number {p['case_no']} already exists in {agency.code}",
                           code="duplicate_case_no", details={"case_no": p["case_no"]})
        row = {"id": case_id, "case_no": p["case_no"], "agency": agency.code, "ruleset": rs.ref,
               "act_type": p["act_type"], "title": p["title"], "start_mode": p["start_mode"],
               "start_state": start_state, "stage": "initiation", "status": "open",
               "parties": body["parties"], "persons": body["persons"],
               "handlers": p["handlers"], "opened_at": p["occurred_at"],
               "created_by": actor.id, "emergency_due": emergency_due, "head_seq": 0,
               "head_hash": domain.GENESIS}
        session.execute(insert(cases).values(**row))
        case = dict(row)
        seq, h, _ = chain.append(session, case, kind="case_opened", occurred_at=p["occurred_at"],
                                 actor=actor, content=body, now=now)
        emit(outbox, session, case, actor, "case_opened.v1", {
            "case_id": case_id, "case_no": p["case_no"], "act_type": p["act_type"],
            "title": p["title"], "start_mode": p["start_mode"], "parties": body["parties"],
            "opened_at": body["occurred_at"], "emergency_due": emergency_due})
        appended(outbox, session, case, actor, seq, h, "case_opened")
    return case


def _check_start_mode(rs, mode: str) -> None:
    """The start modes an agency's rule set provides (an emergency start is a variant of
    starting ex officio, allowed where the rule set says so)."""
    modes = {m["code"]: m for m in rs.section("records")["start_modes"]}
    if mode == "emergency":
        allowed = (modes.get("ex_officio", {}).get("emergency_start") or {}).get("allowed")
    else:
        allowed = mode in modes
    if not allowed:
        raise DomainRuleViolated(f"start mode {mode!r} is not provided by {rs.ref}",
                                 code="start_mode_not_allowed",
                                 details={"start_mode": mode, "ruleset": rs.ref})


def approve_emergency_start(p, *, actor, db, outbox, rules, now) -> dict:
    body = dump(m.ApproveEmergency, p)
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor, roles=("head",))
        if case["start_state"] != "pending_approval":
            raise DomainRuleViolated("only an emergency start awaits approval; this case "
                                     f"is {case['start_mode']} ({case['start_state']})",
                                     code="no_pending_approval")
        approved_at = p["filing_approval"]["approved_at"]
        seq, h, _ = chain.append(session, case, kind="emergency_approved", occurred_at=approved_at,
                                 actor=actor, content=body["filing_approval"], now=now,
                                 case_updates={"start_state": "approved",
                                               "emergency_approved_at": approved_at})
        result = appended(outbox, session, case, actor, seq, h, "emergency_approved")
    result["deadline"] = case["emergency_due"]
    return result


def decide_source(p, *, actor, db, outbox, rules, now) -> dict:
    body = dump(m.DecideSource, p)
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        if case["start_state"] != "pending_decision":
            raise DomainRuleViolated("only a complaint or referral awaits a decision to start",
                                     code="no_pending_decision")
        start = p["decision"] == "start"
        updates = {"start_state": "approved" if start else "not_started"}
        seq, h, _ = chain.append(session, case, kind="source_decided", occurred_at=p["notified_at"],
                                 actor=actor, content=body, now=now, case_updates=updates)
        result = appended(outbox, session, case, actor, seq, h, "source_decided")
        if not start:  # 不予立案: the 案源 record is closed and falls due for archiving
            result = _close(session, case, actor, outbox, rules, now, p["notified_at"],
                            f"不予立案: {p['reason']}")
    return result


def advance_stage(p, *, actor, db, outbox, rules, now) -> dict:
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        if case["status"] != "open":
            raise DomainRuleViolated(f"case is {case['status']}", code="case_closed")
        domain.check_advance(case["stage"], p["to_stage"])
        if case["start_state"] in ("pending_decision", "pending_acceptance", "not_started"):
            raise DomainRuleViolated(
                f"the procedure has not started ({case['start_state']}): record the decision "
                "to start (decide_source) or the acceptance receipt first",
                code="not_started")
        previous = case["stage"]
        seq, h, _ = chain.append(session, case, kind="stage_changed", occurred_at=p["occurred_at"],
                                 actor=actor, now=now, case_updates={"stage": p["to_stage"]},
                                 content={"from": previous, "to": p["to_stage"],
                                          "reason": p.get("reason")})
        emit(outbox, session, case, actor, "stage_changed.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "from_stage": previous,
            "to_stage": p["to_stage"], "seq": seq})
        return appended(outbox, session, case, actor, seq, h, "stage_changed")


def _situations(rules: Rules, declared: list[str]) -> set[str]:
    if not declared:
        return set()
    known = rulebook.situation_codes()
    bad = {f"situations.{i}": [f"unknown situation {code!r}; known: {', '.join(sorted(known))}"]
           for i, code in enumerate(declared) if code not in known}
    if bad:
        raise ValidationFailed.from_messages(bad)
    return set(declared)


def append_record(p, *, actor, db, outbox, rules, now) -> dict:
    record_type = p["record_type"]
    schema = CONTENT.get(record_type)
    if schema is None:
        raise ValidationFailed.from_messages({"record_type": [
            f"unknown record type {record_type!r}; one of {', '.join(sorted(CONTENT))}"]})
    content = dump(schema, load(schema, p["content"], what=f"{record_type} content",
                                path="content"))
    declared = _situations(rules, p.get("situations") or [])
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        if case["status"] != "open":
            raise DomainRuleViolated(f"case is {case['status']}; records go in before closing",
                                     code="case_closed")
        domain.check_record_stage(record_type, case["stage"])
        rs = rules.ruleset(case["ruleset"])
        _check_content(rs, record_type, content)
        if record_type == "collective_discussion" and content.get("proposal_seq") is not None:
            _check_proposal_named(session, case, content["proposal_seq"])
        found = declared | domain.implied_situations(record_type, content)
        updates = None
        if record_type == "application_receipt" and case["start_state"] == "pending_acceptance":
            updates = {"start_state": "approved" if content["accepted"] else "not_started"}
        entry = chain.prepare(case, kind="record", occurred_at=p["occurred_at"], actor=actor,
                              now=now, case_updates=updates, content={
                                  "record_type": record_type, "situations": sorted(found),
                                  **content})
        _write_appended(outbox, session, case, actor, entry, "record", record_type)
        if found:
            session.execute(insert(situations), [
                {"case_id": case["id"], "seq": entry.seq, "code": code}
                for code in sorted(found)])
        return _appended_result(case, entry)


def _write_appended(outbox, session, case, actor, entry, kind, record_type=None) -> int:
    """chain.write of a prepared entry together with its entry_appended.v1 event (the same
    event `appended` stages), in one statement where the database allows; returns the
    entry's id."""
    _, row = outbox.prepare("entry_appended.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "seq": entry.seq, "kind": kind,
        "record_type": record_type, "stage": entry.row["stage"],
        "entry_hash": entry.entry_hash}, agency=case["agency"], actor=actor.ref(),
        ruleset=case["ruleset"])
    return chain.write(session, case, entry, [row])


def _appended_result(case, entry) -> dict:
    return {"case_id": case["id"], "seq": entry.seq, "entry_hash": entry.entry_hash,
            "stage": case["stage"], "deadline": None, "classification": None}


def _check_content(rs, record_type: str, content: dict) -> None:
    """Content values whose vocabulary is the agency's (its rule set), not the contract's."""
    checks = {"investigation_document": ("document_kind", "investigation_document_kinds"),
              "service": ("method", "service_methods")}
    if record_type in checks:
        field, key = checks[record_type]
        allowed = rulebook.codes(rs, "records", key)
        if content[field] not in allowed:
            raise ValidationFailed.from_messages({f"content.{field}": [
                f"{content[field]!r} is not allowed by {rs.ref}; one of {', '.join(allowed)}"]})


def _check_proposal_named(session, case: dict, seq: int) -> None:
    """A collective discussion names the decision_proposed entry it discussed."""
    row = session.execute(select(entries.c.kind).where(entries.c.case_id == case["id"])
                          .where(entries.c.seq == seq)).first()
    if row is None or row.kind != "decision_proposed":
        found = f"seq {seq} is a {row.kind} entry" if row else f"it has no entry at seq {seq}"
        raise ValidationFailed.from_messages({"content.proposal_seq": [
            f"must be the seq of a decision_proposed entry of case {case['case_no']}; "
            f"{found}"]})


def record_av(p, *, actor, db, outbox, rules, now) -> dict:
    body = dump(m.RecordAv, p)
    declared = _situations(rules, p["situations"])
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        rs = rules.ruleset(case["ruleset"])
        period = rs.period("av_storage")
        due = rules.calendar.due(local_date(p["ended_at"]), period.amount, period.unit,
                                 rule=period.name, basis=period.basis, agency=case["agency"])
        late = local_date(p["stored_at"]) > due.due
        entry = chain.prepare(case, kind="av_record", actor=actor, now=now,
                              occurred_at=p["ended_at"], content={
                                  **body, "storage_due": due.to_dict(), "late": late})
        entry_id = _write_appended(outbox, session, case, actor, entry, "av_record")
        session.execute(_INSERT_AV, {
            "entry_id": entry_id, "case_id": case["id"], "seq": entry.seq,
            "ended_at": p["ended_at"], "stored_at": p["stored_at"],
            "storage_due": due.to_dict(), "late": late, "situations": sorted(declared)})
        result = _appended_result(case, entry)
    result["deadline"] = due.to_dict()
    return result


def entry_at(session, case_id: str, seq: int, kind: str | None = None):
    """The entry's kind and plain body (its texts as written, not their commitments)."""
    row = session.execute(select(entries.c.kind, chain.PLAIN_BODY).where(entries.c.case_id == case_id)
                          .where(entries.c.seq == seq)).first()
    if row is None or (kind and row.kind != kind):
        raise NotFound(f"case {case_id} has no {kind or 'entry'} at seq {seq}",
                       details={"seq": seq, "kind": kind})
    return row


def _close(session, case, actor, outbox, rules, now, closed_at, reason) -> dict:
    rs = rules.ruleset(case["ruleset"])
    period = rs.period("case_archive")
    due = rules.calendar.due(local_date(closed_at), period.amount, period.unit,
                             rule=period.name, basis=period.basis, agency=case["agency"])
    seq, h, _ = chain.append(session, case, kind="case_closed", occurred_at=closed_at,
                             actor=actor, now=now, content={"reason": reason,
                                                            "archive_due": due.to_dict()},
                             case_updates={"stage": "archive", "status": "closed",
                                           "closed_at": closed_at, "archive_due": due.to_dict()})
    emit(outbox, session, case, actor, "case_closed.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "closed_at": iso(closed_at),
        "reason": reason, "seq": seq})
    emit(outbox, session, case, actor, "archive_due.v1",
          archive_manifest(session, case, due.to_dict(), rules))
    result = appended(outbox, session, case, actor, seq, h, "case_closed")
    result["deadline"] = due.to_dict()
    return result


def close_case(p, *, actor, db, outbox, rules, now) -> dict:
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        if case["status"] != "open":
            raise DomainRuleViolated(f"case is already {case['status']}", code="case_closed")
        return _close(session, case, actor, outbox, rules, now, p["closed_at"], p["reason"])


def archive_case(p, *, actor, db, outbox, rules, now) -> dict:
    body = dump(m.ArchiveCase, p)
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor, roles=("officer", "head", "legal_unit"))
        if case["status"] != "closed":
            raise DomainRuleViolated("only a closed case is archived (结案后归档)",
                                     code="case_not_closed")
        seq, h, _ = chain.append(session, case, kind="case_archived", occurred_at=p["archived_at"],
                                 actor=actor, now=now, content=body,
                                 case_updates={"status": "archived",
                                               "archived_at": p["archived_at"]})
        return appended(outbox, session, case, actor, seq, h, "case_archived")


def correct_entry(p, *, actor, db, outbox, rules, now) -> dict:
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        target = entry_at(session, case["id"], p["seq"])
        seq, h, _ = chain.append(session, case, kind="correction", occurred_at=now, actor=actor,
                                 now=now, corrects=p["seq"],
                                 content={"reason": p["reason"], "corrected_kind": target.kind,
                                          "content": p["content"]})
        return appended(outbox, session, case, actor, seq, h, "correction")


def checkpoint_case(p, *, actor, db, signing_key, now) -> dict:
    """Sign the case's head — only a head whose whole chain verifies (from genesis, against
    every earlier checkpoint): a signature must never launder a rewritten chain."""
    with db.transaction() as session:
        case = chain.load_case(session, p["case_id"], lock=True)
        actor.require("officer", "head", "legal_unit", "supervisor", agency=case["agency"])
        verdict = chain.verify(session, case, signing_key)
        if verdict.broken is not None:
            raise chain_not_verified(case, verdict.broken)
        return chain.sign_head(session, case, signing_key, now)


def chain_not_verified(case: dict, bad: domain.ChainBreak) -> DomainRuleViolated:
    return DomainRuleViolated(
        f"case {case['case_no']}: the chain does not verify ({bad.failure} at seq {bad.seq}: "
        f"{bad.problem}); its head is not signed",
        code="chain_not_verified", message_zh="执法记录链校验未通过，不予签署",
        details={"failure": bad.failure, "first_bad": bad.to_dict(),
                 "head_seq": case["head_seq"], "head_hash": case["head_hash"]})


CHECKPOINT_TIMER = "records.checkpoint_heads"


def checkpoint_moved_heads(*, db, signing_key, now, limit: int = 1000) -> dict:
    """Sign each case head that moved since its latest checkpoint (timer-driven), verifying
    each chain from its last valid checkpoint to the head first. A head that does not verify
    is not signed: it is logged and recorded in checkpoint_refusals, and later ticks pass it
    by until the head moves again.

    Once per head across instances (shared.persistence.timers): each case is claimed in its own
    transaction and judged again there, so a head another instance signed (or refused) a
    moment ago is not signed twice."""
    with db.read() as session:
        moved = session.execute(_moved_heads().order_by(cases.c.id).limit(limit)).scalars().all()
    done = timers.each(CHECKPOINT_TIMER, moved, lambda case_id: _checkpoint(
        case_id, db=db, signing_key=signing_key, now=now))
    return {"signed": done.get("signed", 0), "refused": done.get("refused", 0),
            "failed": done.get("failed", 0)}


def _moved_heads():
    """Ids of the cases whose head has neither a checkpoint nor a refusal."""
    last = (select(checkpoints.c.case_id, func.max(checkpoints.c.id).label("id"))
            .group_by(checkpoints.c.case_id).subquery())
    signed_cp = checkpoints.alias("signed_cp")
    refused = (select(checkpoint_refusals.c.id)
               .where(checkpoint_refusals.c.case_id == cases.c.id)
               .where(checkpoint_refusals.c.head_seq == cases.c.head_seq)
               .where(checkpoint_refusals.c.head_hash == cases.c.head_hash).exists())
    return (select(cases.c.id).outerjoin(last, last.c.case_id == cases.c.id)
            .outerjoin(signed_cp, signed_cp.c.id == last.c.id)
            .where(signed_cp.c.id.is_(None) | (signed_cp.c.seq != cases.c.head_seq)
                   | (signed_cp.c.head_hash != cases.c.head_hash))
            .where(~refused))


def _checkpoint(case_id: str, *, db, signing_key, now) -> str | None:
    with db.transaction() as session:
        if not timers.claim(session, CHECKPOINT_TIMER, case_id):
            return None
        case = chain.load_case(session, case_id, lock=True)
        if session.execute(_moved_heads().where(cases.c.id == case_id)).first() is None:
            return None     # signed or refused meanwhile
        verdict = chain.verify(session, case, signing_key, from_checkpoint=True)
        bad = verdict.broken
        if bad is None:
            chain.sign_head(session, case, signing_key, now)
            return "signed"
        log.error("checkpoint of case %s (%s) refused: %s at seq %s: %s", case["id"],
                  case["case_no"], bad.failure, bad.seq, bad.problem)
        session.execute(insert(checkpoint_refusals).values(
            case_id=case["id"], head_seq=case["head_seq"], head_hash=case["head_hash"],
            failure=bad.failure, first_bad_seq=bad.seq, problem=bad.problem, at=now))
        return "refused"


def replay_events(p, *, actor, db, now, table, rules=None) -> dict:
    """A legal unit replays its own agency's events only (naming another agency is refused);
    a supervisor oversees every agency (as Actor.require lets it everywhere), or narrows the
    replay to the one it names — which must be an agency this deployment serves."""
    actor.require("supervisor", "legal_unit", agency=p.get("agency"))
    if p.get("agency") and rules is not None:
        rules.agency(p["agency"])  # NotFound naming the agencies served, not "0 requeued"
    agency = p.get("agency") or (None if actor.role == "supervisor" else actor.agency)
    return {"requeued": requeue_unrouted(db, table, agency=agency,
                                         event_types=p.get("event_types"),
                                         since=p.get("since"))}
