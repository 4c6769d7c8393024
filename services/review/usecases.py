"""Commands of the review board up to the opinion: request a review (by RPC or from the
record keeper's decision_proposed event), submit materials, assign reviewers with recusal,
stop, resume and extend the clock. Each runs in one transaction and stages its events in the
outbox of that transaction."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select

from contracts.records import CONTRACT as RECORDS
from services.review import domain, store
from services.review.models import inbox, reviews, staff
from shared.messaging import consumer
from shared.trust.actor import Actor
from shared.law.major import DecisionProposal, classify
from shared.calendar.clock import local_date
from shared.errors import Conflict, DomainRuleViolated, ValidationFailed
from shared.rulesets.provider import Rules

HANDLING_UNIT = ("officer", "head")
BOARD = ("legal_unit", "head")


def _classify(rs, decision: dict, party_kind: str) -> dict:
    return classify(rs, DecisionProposal.from_request(decision, party_kind)).to_dict()


def _new_review(session, *, agency: str, ruleset, p: dict, verdict: dict, actor: dict,
                now: datetime, source_message_id: str | None) -> dict:
    exists = session.execute(select(reviews.c.id).where(reviews.c.case_id == p["case_id"])
                             .where(reviews.c.proposal_seq == p["proposal_seq"])).first()
    if exists:
        raise Conflict(f"proposal {p['proposal_seq']} of case {p['case_no']} already has "
                       f"review {exists[0]}", code="review_exists",
                       details={"review_id": exists[0]})
    review = {
        "id": str(uuid.uuid4()), "agency": agency, "ruleset": ruleset.ref,
        "case_id": p["case_id"], "case_no": p["case_no"], "proposal_seq": p["proposal_seq"],
        "case_title": p.get("case_title"), "decision": p["decision"], "party": p["party"],
        "classification": {"major": verdict["major"], "fired": verdict["fired"]},
        "handlers": p["handlers"], "participants": p.get("participants", []),
        "state": domain.AWAITING_MATERIALS, "requested_at": now, "requested_by": actor["id"],
        "source_message_id": source_message_id, "materials": [], "applicable": [],
        "received_on": None, "complete_on": None, "clock_start": None, "stops": [],
        "extension": None, "deadline": None, "first_deadline": None, "reminded_for": None,
        "overdue_for": None, "assignments": [], "interests": [], "findings": {},
        "opinion": None, "disagreement": None, "collective": None, "document_info": None,
        "updated_at": now}
    session.execute(insert(reviews), review)
    return review


def request_review(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    agency = rules.agency(p["agency"])
    actor.require(*HANDLING_UNIT, agency=agency.code)
    rs = agency.ruleset
    verdict = _classify(rs, p["decision"], p["party"]["kind"])
    if not (verdict["major"] or verdict.get("review_allowed")):
        raise DomainRuleViolated(
            f"not a major decision under {rs.ref} and the rule set allows no optional review",
            code="not_major", details={"classification": verdict})
    with db.transaction() as session:
        review = _new_review(session, agency=agency.code, ruleset=rs, p=p, verdict=verdict,
                             actor=actor.ref(), now=now, source_message_id=None)
        store.log(session, review["id"], actor, "requested", {"via": "rpc"}, now)
        store.emit(outbox, session, review, actor, "review_requested.v1", _requested(review))
        if p.get("materials"):
            _submit(session, review, p["materials"], p.get("applicable", []),
                    p["requested_at"], actor, outbox, rules, now)
        return store.view(review, rules)


def on_decision_proposed(body: dict, *, db, outbox, rules: Rules, now: datetime) -> str | None:
    """records.decision_proposed.v1 → a review request for a major decision. Idempotent on
    the message id; a non-major proposal is remembered and needs nothing."""
    with consumer.once(db, inbox, RECORDS, body, now) as (session, event):
        if event is None or not event["data"]["major"]:
            return None
        data = event["data"]
        rs = rules.ruleset(event["ruleset"])
        verdict = {"major": True, "fired": data["fired"]}
        p = dict(data, decision=data["decision"])
        review = _new_review(session, agency=event["agency"], ruleset=rs, p=p, verdict=verdict,
                             actor=event["actor"], now=now,
                             source_message_id=event["message_id"])
        store.log(session, review["id"], event["actor"], "requested",
                  {"via": "records.decision_proposed.v1", "message_id": event["message_id"]},
                  now)
        store.emit(outbox, session, review, event["actor"], "review_requested.v1",
                   _requested(review))
        return review["id"]


def _requested(review: dict) -> dict:
    return {"decision": review["decision"], "party": review["party"],
            "fired": review["classification"]["fired"], "handlers": review["handlers"],
            "requested_at": review["requested_at"].isoformat()}


# ---- materials ----------------------------------------------------------------------------

def submit_materials(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require(*HANDLING_UNIT, agency=review["agency"])
        store.require_state(review, domain.AWAITING_MATERIALS, domain.UNDER_REVIEW,
                            domain.PAUSED, doing="submit materials")
        _submit(session, review, p["materials"], p["applicable"], p["submitted_at"], actor,
                outbox, rules, now)
        return store.view(review, rules)


def _submit(session, review, materials, applicable, submitted_at, actor, outbox, rules, now):
    rs = rules.ruleset(review["ruleset"])
    known = {m["code"]: m for m in rs.section("review")["materials"]}
    bad = {f"materials.{i}.code": [f"not a material of {rs.ref}; one of: {', '.join(known)}"]
           for i, m in enumerate(materials) if m["code"] not in known}
    bad.update({f"applicable.{i}": [f"not a material of {rs.ref}"]
                for i, code in enumerate(applicable) if code not in known})
    if bad:
        raise ValidationFailed.from_messages(bad)
    day = local_date(submitted_at)
    by_code = {m["code"]: m for m in review["materials"]}
    for m in materials:
        by_code[m["code"]] = dict(m, label=known[m["code"]]["label"],
                                  submitted_on=day.isoformat(), submitted_by=actor.id)
    review["materials"] = list(by_code.values())
    review["applicable"] = sorted(set(review["applicable"]) | set(applicable))
    if review["received_on"] is None:
        review["received_on"] = day
        if domain.clock_starts_on_receipt(rs):
            review["clock_start"] = day
    lacking = store.missing(review, rules)
    completed_now = not lacking and review["complete_on"] is None
    store.log(session, review["id"], actor, "materials_submitted",
              {"codes": [m["code"] for m in materials], "missing": [m["code"] for m in lacking]},
              now)
    if lacking:
        if review["state"] == domain.AWAITING_MATERIALS:
            store.log(session, review["id"], actor, "returned_incomplete",
                      {"missing": lacking}, now)
    elif completed_now:
        review["complete_on"] = day
        if review["clock_start"] is None:
            review["clock_start"] = day
        review["state"] = domain.UNDER_REVIEW
    store.recompute_deadline(review, rules)
    store.save(session, review, now)
    if completed_now:  # once: a later submission on the same day completes nothing new
        store.emit(outbox, session, review, actor, "materials_completed.v1", {
            "complete_on": day.isoformat(), "clock_start": review["clock_start"].isoformat(),
            "deadline": review["deadline"]})


# ---- staff and reviewers --------------------------------------------------------------------

def register_staff(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    agency = rules.agency(p["agency"])
    actor.require(*BOARD, agency=agency.code)
    row = dict(p, agency=agency.code, updated_at=now)
    with db.transaction() as session:
        found = session.execute(select(staff.c.person_id).where(staff.c.agency == agency.code)
                                .where(staff.c.person_id == p["person_id"])).first()
        if found:
            session.execute(staff.update().where(staff.c.agency == agency.code)
                            .where(staff.c.person_id == p["person_id"]).values(**row))
        else:
            session.execute(insert(staff), row)
    return {k: row[k] for k in ("agency", "person_id", "name", "position", "roles",
                                "legal_qualification",
                                "qualification_no", "prior_penalty_reviews", "active", "note")}


def assign_reviewer(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    try:
        return _assign(p, actor=actor, db=db, rules=rules, now=now)
    except DomainRuleViolated as exc:
        if exc.code not in ("recusal_required", "not_qualified"):
            raise
        # the refused transaction rolled back; the refusal itself must stay on record
        # (not recusing is accountable afterwards: 000 第十一条, 002 第十六条)
        with db.transaction() as session:
            store.log(session, p["review_id"], actor, "assignment_refused",
                      dict(exc.details, reviewer_id=p["reviewer_id"], refused=exc.code,
                           message=exc.message), now)
        raise


def _assign(p, *, actor: Actor, db, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require(*BOARD, agency=review["agency"])
        store.require_state(review, *domain.OPEN_STATES, doing="assign a reviewer")
        rs = rules.ruleset(review["ruleset"])
        if any(a["reviewer_id"] == p["reviewer_id"] and a["status"] == "active"
               for a in review["assignments"]):
            raise Conflict(f"{p['reviewer_id']} is already assigned", code="already_assigned")
        person = store.reviewer(session, review["agency"], p["reviewer_id"])
        grounds = domain.recusal_grounds(rs, person.person_id, handlers=review["handlers"],
                                         participants=review["participants"],
                                         interests=review["interests"])
        if grounds:
            raise DomainRuleViolated(
                f"{person.name} ({person.person_id}) must recuse (回避): "
                + "; ".join(g["message"] for g in grounds), code="recusal_required",
                message_zh="法制审核人员与案件有利害关系，应当回避",
                details={"grounds": [g["code"] for g in grounds], "basis": grounds[0]["basis"]})
        problems = domain.qualification_problems(rs, person, review["decision"]["act_type"])
        if problems:
            raise DomainRuleViolated(
                f"{person.name} ({person.person_id}) may not review this: "
                + "; ".join(x["message"] for x in problems), code="not_qualified",
                details={"problems": [x["code"] for x in problems],
                         "basis": problems[0]["basis"]})
        assignment = {"reviewer_id": person.person_id, "name": person.name,
                      "position": person.position,
                      "reason": domain.assignment_reason(person, review["decision"]["act_type"],
                                                         rs, p["reason"]),
                      "legal_qualification": person.legal_qualification,
                      "assigned_at": now.isoformat(), "assigned_by": actor.id,
                      "status": "active"}
        review["assignments"] = review["assignments"] + [assignment]
        store.log(session, review["id"], actor, "reviewer_assigned", assignment, now)
        store.save(session, review, now)
        return store.view(review, rules)


def declare_interest(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    """A declared interest (利害关系) bars the person; an active assignment ends (回避)."""
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require("reviewer", *BOARD, agency=review["agency"])
        if actor.role == "reviewer" and actor.id != p["person_id"]:
            raise DomainRuleViolated("a reviewer declares only their own interest",
                                     code="not_own_interest")
        interest = {"person_id": p["person_id"], "interest": p["interest"],
                    "declared_at": now.isoformat(), "declared_by": actor.id}
        review["interests"] = review["interests"] + [interest]
        assignments = []
        for a in review["assignments"]:
            if a["reviewer_id"] == p["person_id"] and a["status"] == "active":
                a = dict(a, status="recused", recused_at=now.isoformat(),
                         recusal_reason=p["interest"])
            assignments.append(a)
        review["assignments"] = assignments
        store.log(session, review["id"], actor, "interest_declared", interest, now)
        store.save(session, review, now)
        return store.view(review, rules)


# ---- the clock --------------------------------------------------------------------------------

def stop_clock(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        store.require_assigned(review, actor)
        store.require_state(review, domain.UNDER_REVIEW, doing="stop the clock")
        reason = domain.pause_reason(rules.ruleset(review["ruleset"]), p["reason"])
        day = local_date(p["stopped_at"])
        review["stops"] = review["stops"] + [{"stopped_on": day.isoformat(), "resumed_on": None,
                                              "reason": reason["code"],
                                              "label": reason["label"], "note": p["note"]}]
        review["state"] = domain.PAUSED
        store.recompute_deadline(review, rules)
        store.log(session, review["id"], actor, "clock_stopped",
                  {"reason": reason["code"], "stopped_on": day.isoformat(), "note": p["note"]},
                  now)
        store.save(session, review, now)
        store.emit(outbox, session, review, actor, "clock_stopped.v1", {
            "reason": reason["code"], "label": reason["label"], "basis": reason["basis"],
            "stopped_on": day.isoformat(), "note": p["note"]})
        return store.view(review, rules)


def resume_clock(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        store.require_assigned(review, actor)
        store.require_state(review, domain.PAUSED, doing="resume the clock")
        day = local_date(p["resumed_at"])
        last = review["stops"][-1]
        if day.isoformat() < last["stopped_on"]:
            raise ValidationFailed.from_messages({"resumed_at": [
                f"before the clock stopped on {last['stopped_on']}"]})
        review["stops"] = review["stops"][:-1] + [dict(last, resumed_on=day.isoformat())]
        review["state"] = domain.UNDER_REVIEW
        store.recompute_deadline(review, rules)
        store.log(session, review["id"], actor, "clock_resumed",
                  {"resumed_on": day.isoformat(), "note": p["note"]}, now)
        store.save(session, review, now)
        store.emit(outbox, session, review, actor, "clock_resumed.v1", {
            "reason": last["reason"], "stopped_on": last["stopped_on"],
            "resumed_on": day.isoformat(), "deadline": review["deadline"]})
        return store.view(review, rules)


def extend_deadline(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    """经批准可以延长 (000 第十条, 002 第十四条, 001 附件3 第四条): the head approves, once."""
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require("head", agency=review["agency"])
        # where the clock runs from receipt (陵川) it may run before the materials are complete
        store.require_state(review, domain.UNDER_REVIEW, domain.PAUSED,
                            domain.AWAITING_MATERIALS, doing="extend the review period")
        if review["extension"] is not None:
            raise Conflict("the review period was already extended once", code="already_extended")
        if review["clock_start"] is None:
            raise DomainRuleViolated("the clock has not started: materials are incomplete",
                                     code="clock_not_started")
        review["extension"] = {"approved_by": actor.id, "reason": p["reason"],
                               "approved_at": p["approved_at"].isoformat()}
        store.recompute_deadline(review, rules)
        store.log(session, review["id"], actor, "extension_approved", review["extension"], now)
        store.save(session, review, now)
        return store.view(review, rules)
