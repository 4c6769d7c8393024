"""Commands on a case as a whole: open it, approve an emergency start, decide whether a
complaint or referral starts the procedure, advance its stage, close and archive it."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from contracts.records import messages as m
from services.records import store
from services.records.domain import archive, chain, stages
from shared.calendar.clock import iso, local_date, utc
from shared.contracts.registry import dump
from shared.errors import Conflict, DomainRuleViolated
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Agency, Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor


def open_case(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
              now: datetime) -> dict:
    agency = rules.agency(p["agency"])
    actor.require(agency=agency.code)
    stages.check_start_mode(agency.ruleset, p["start_mode"])
    emergency_due = _emergency_due(p, agency, rules)
    body = dump(m.OpenCase, p)
    with db.transaction() as session:
        if store.case_no_taken(session, agency.code, p["case_no"]):
            raise Conflict(f"case number {p['case_no']} already exists in {agency.code}",
                           message_zh=f"执法机关 {agency.code} 已有案号 {p['case_no']}",
                           code="duplicate_case_no", details={"case_no": p["case_no"]})
        case = store.insert_case(session, _case_row(p, body, agency, actor, emergency_due))
        seq, h, _ = store.append(session, case, kind="case_opened", actor=actor, now=now,
                                 occurred_at=p["occurred_at"], content=body)
        store.emit(outbox, session, case, actor, "case_opened.v1", {
            "case_id": case["id"], "case_no": p["case_no"], "act_type": p["act_type"],
            "title": p["title"], "start_mode": p["start_mode"], "parties": body["parties"],
            "opened_at": body["occurred_at"], "emergency_due": emergency_due})
        store.appended(outbox, session, case, actor, seq, h, "case_opened")
    return case


def _emergency_due(p: dict, agency: Agency, rules: Rules) -> dict | None:
    """沁源 sets 24 hours for an emergency start's approval; where a seed sets no period (周村
    第二十八条) the approval is still owed, and a case closed without it is a finding."""
    rs = agency.ruleset
    if p["start_mode"] != "emergency" or "emergency_start_approval" not in rs.data["periods"]:
        return None
    period = rs.period("emergency_start_approval")
    return rules.calendar.due(utc(p["occurred_at"]), period.amount, period.unit,
                              rule=period.name, basis=period.basis,
                              agency=agency.code).to_dict()


def _case_row(p: dict, body: dict, agency: Agency, actor: Actor,
              emergency_due: dict | None) -> dict:
    return {"id": str(uuid.uuid4()), "case_no": p["case_no"], "agency": agency.code,
            "ruleset": agency.ruleset.ref, "act_type": p["act_type"], "title": p["title"],
            "start_mode": p["start_mode"], "start_state": stages.START_STATES[p["start_mode"]],
            "stage": "initiation", "status": "open", "parties": body["parties"],
            "persons": body["persons"], "handlers": p["handlers"],
            "opened_at": p["occurred_at"], "created_by": actor.id,
            "emergency_due": emergency_due, "head_seq": 0, "head_hash": chain.GENESIS}


def approve_emergency_start(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter,
                            rules: Rules, now: datetime) -> dict:
    body = dump(m.ApproveEmergency, p)
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        if case["start_state"] != "pending_approval":
            raise DomainRuleViolated("only an emergency start awaits approval; this case "
                                     f"is {case['start_mode']} ({case['start_state']})",
                                     message_zh="只有紧急情况下先行启动的案件待补批；本案启动方式为"
                                                f"{_started(case)}",
                                     code="no_pending_approval")
        approved_at = p["filing_approval"]["approved_at"]
        seq, h, _ = store.append(session, case, kind="emergency_approved", actor=actor,
                                 occurred_at=approved_at, content=body["filing_approval"],
                                 now=now, case_updates={"start_state": "approved",
                                                        "emergency_approved_at": approved_at})
        result = store.appended(outbox, session, case, actor, seq, h, "emergency_approved")
    result["deadline"] = case["emergency_due"]
    return result


def decide_source(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                  now: datetime) -> dict:
    body = dump(m.DecideSource, p)
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        if case["start_state"] != "pending_decision":
            raise DomainRuleViolated("only a complaint or referral awaits a decision to start",
                                     message_zh="只有投诉、举报或移送的案件待作出是否立案的决定；"
                                                f"本案启动方式为{_started(case)}",
                                     code="no_pending_decision")
        start = p["decision"] == "start"
        updates = {"start_state": "approved" if start else "not_started"}
        seq, h, _ = store.append(session, case, kind="source_decided", actor=actor, now=now,
                                 occurred_at=p["notified_at"], content=body,
                                 case_updates=updates)
        result = store.appended(outbox, session, case, actor, seq, h, "source_decided")
        if not start:  # 不予立案: the 案源 record is closed and falls due for archiving
            result = _close(session, case, actor, outbox, rules, now, p["notified_at"],
                            f"不予立案: {p['reason']}")
    return result


def advance_stage(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                  now: datetime) -> dict:
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        if case["status"] != "open":
            raise DomainRuleViolated(f"case is {case['status']}", code="case_closed",
                                     message_zh=f"案件 {case['case_no']}"
                                                f"{stages.STATUS_LABELS[case['status']]}，不在办理中")
        stages.check_advance(case["stage"], p["to_stage"])
        stages.check_not_started(case["start_state"])
        previous = case["stage"]
        seq, h, _ = store.append(session, case, kind="stage_changed", actor=actor, now=now,
                                 occurred_at=p["occurred_at"],
                                 case_updates={"stage": p["to_stage"]},
                                 content={"from": previous, "to": p["to_stage"],
                                          "reason": p.get("reason")})
        store.emit(outbox, session, case, actor, "stage_changed.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "from_stage": previous,
            "to_stage": p["to_stage"], "seq": seq})
        return store.appended(outbox, session, case, actor, seq, h, "stage_changed")


def _close(session: Session, case: dict, actor: Actor, outbox: OutboxWriter, rules: Rules,
           now: datetime, closed_at: datetime, reason: str) -> dict:
    rs = rules.ruleset(case["ruleset"])
    period = rs.period("case_archive")
    due = rules.calendar.due(local_date(closed_at), period.amount, period.unit,
                             rule=period.name, basis=period.basis, agency=case["agency"])
    seq, h, _ = store.append(session, case, kind="case_closed", occurred_at=closed_at,
                             actor=actor, now=now, content={"reason": reason,
                                                            "archive_due": due.to_dict()},
                             case_updates={"stage": "archive", "status": "closed",
                                           "closed_at": closed_at, "archive_due": due.to_dict()})
    store.emit(outbox, session, case, actor, "case_closed.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "closed_at": iso(closed_at),
        "reason": reason, "seq": seq})
    store.emit(outbox, session, case, actor, "archive_due.v1",
               archive_manifest(session, case, due.to_dict(), rs))
    result = store.appended(outbox, session, case, actor, seq, h, "case_closed")
    result["deadline"] = due.to_dict()
    return result


def archive_manifest(session: Session, case: dict, due: dict, rs: RuleSet) -> dict:
    """archive_due.v1's data: the case, its AV objects with their labels, and the retention
    classes its facts call for."""
    av_objects = [archive.av_object(seq, content)
                  for seq, content in store.av_contents(session, case["id"])]
    facts = archive.case_facts(case, store.situation_codes(session, case["id"]),
                               store.fact_entries(session, case["id"]))
    return archive.manifest(case, due, av_objects, rs, facts)


def close_case(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
               now: datetime) -> dict:
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        if case["status"] != "open":
            raise DomainRuleViolated(f"case is already {case['status']}", code="case_closed",
                                     message_zh=f"案件 {case['case_no']}"
                                                f"{stages.STATUS_LABELS[case['status']]}")
        return _close(session, case, actor, outbox, rules, now, p["closed_at"], p["reason"])


def archive_case(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                 now: datetime) -> dict:
    body = dump(m.ArchiveCase, p)
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        if case["status"] != "closed":
            raise DomainRuleViolated("only a closed case is archived (结案后归档)",
                                     message_zh=f"结案后归档：案件 {case['case_no']}"
                                                f"{stages.STATUS_LABELS[case['status']]}，尚未结案",
                                     code="case_not_closed")
        seq, h, _ = store.append(session, case, kind="case_archived", actor=actor, now=now,
                                 occurred_at=p["archived_at"], content=body,
                                 case_updates={"status": "archived",
                                               "archived_at": p["archived_at"]})
        return store.appended(outbox, session, case, actor, seq, h, "case_archived")


def _started(case: dict) -> str:
    """How the case started, as a Chinese reader knows it, and where that left it."""
    mode = case["start_mode"]
    return f"{stages.START_MODE_LABELS.get(mode, mode)}（{mode}，{case['start_state']}）"
