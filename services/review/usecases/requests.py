"""A review requested — by RPC, or from the record keeper's decision_proposed event — and its
materials submitted until they are complete and the clock runs."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from contracts.records import CONTRACT as RECORDS
from services.review import domain, store
from services.review.models import inbox
from services.review.usecases.common import begin, recompute_deadline, view
from shared.calendar.clock import local_date
from shared.errors import Conflict, DomainRuleViolated
from shared.law.major import DecisionProposal, classify
from shared.messaging import consumer
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor


def _classify(rs: RuleSet, decision: dict, party_kind: str) -> dict:
    return classify(rs, DecisionProposal.from_request(decision, party_kind)).to_dict()


def _new_review(session: Session, *, agency: str, ruleset: RuleSet, p: dict, verdict: dict,
                actor: dict, now: datetime, source_message_id: str | None) -> domain.Review:
    """A new review of the proposal; a proposal has one review."""
    exists = store.review_of_proposal(session, p["case_id"], p["proposal_seq"])
    if exists:
        raise Conflict(f"proposal {p['proposal_seq']} of case {p['case_no']} already has "
                       f"review {exists}", code="review_exists",
                       message_zh=f"案件 {p['case_no']} 的第{p['proposal_seq']}号拟作决定"
                                  f"已有审核 {exists}",
                       details={"review_id": exists})
    review = domain.new_review(str(uuid.uuid4()), agency=agency, ruleset=ruleset.ref, p=p,
                               verdict=verdict, requested_by=actor["id"], now=now,
                               source_message_id=source_message_id)
    store.insert_review(session, review)
    return review


def request_review(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                   now: datetime) -> dict:
    agency = rules.agency(p["agency"])
    actor.require(*domain.party("request_review").roles, agency=agency.code)
    rs = agency.ruleset
    verdict = _classify(rs, p["decision"], p["party"]["kind"])
    if not (verdict["major"] or verdict.get("review_allowed")):
        raise DomainRuleViolated(
            f"not a major decision under {rs.ref} and the rule set allows no optional review",
            code="not_major", details={"classification": verdict},
            message_zh=f"依规则集 {rs.ref}，该决定不属于重大执法决定，且规则集未规定可以申请"
                       "非重大执法决定的法制审核")
    with db.transaction() as session:
        review = _new_review(session, agency=agency.code, ruleset=rs, p=p, verdict=verdict,
                             actor=actor.ref(), now=now, source_message_id=None)
        store.log(session, review["id"], actor, "requested", {"via": "rpc"}, now)
        store.emit(outbox, session, review, actor, "review_requested.v1", _requested(review))
        if p.get("materials"):
            _submit(session, review, p["materials"], p.get("applicable", []),
                    p["requested_at"], actor, outbox, rules, now)
        return view(review, rules)


def on_decision_proposed(body: dict, *, db: Db, outbox: OutboxWriter, rules: Rules,
                         now: datetime) -> str | None:
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


def _requested(review: domain.Review) -> dict:
    return {"decision": review["decision"], "party": review["party"],
            "fired": review["classification"]["fired"], "handlers": review["handlers"],
            "requested_at": review["requested_at"].isoformat()}


def submit_materials(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                     now: datetime) -> dict:
    with db.transaction() as session:
        review = begin(session, p["review_id"], "submit_materials", actor)
        _submit(session, review, p["materials"], p["applicable"], p["submitted_at"], actor,
                outbox, rules, now)
        return view(review, rules)


def _submit(session: Session, review: domain.Review, materials: Sequence[dict],
            applicable: Sequence[str], submitted_at: datetime, actor: Actor,
            outbox: OutboxWriter, rules: Rules, now: datetime) -> None:
    """Materials in: returned with what is missing, or complete now (once: a later
    submission completes nothing new), when the clock starts unless it runs from receipt."""
    rs = rules.ruleset(review["ruleset"])
    known = domain.known_materials(rs, materials, applicable)
    day = local_date(submitted_at)
    review.update(domain.received(review, rs, known, materials, applicable, day, actor.id))
    lacking = domain.missing(rs, review)
    outcome = domain.submission_outcome(lacking, review["complete_on"])
    store.log(session, review["id"], actor, "materials_submitted",
              {"codes": [m["code"] for m in materials], "missing": [m["code"] for m in lacking]},
              now)
    if lacking and review["state"] == domain.AWAITING_MATERIALS:
        store.log(session, review["id"], actor, "returned_incomplete", {"missing": lacking}, now)
    if outcome == domain.COMPLETE:
        review.update(domain.completed(review, day))
    review["state"] = domain.next_state("submit_materials", review["state"], outcome)
    recompute_deadline(review, rules)
    store.save(session, review, now)
    clock_start = review["clock_start"]
    if outcome == domain.COMPLETE and clock_start is not None:
        store.emit(outbox, session, review, actor, "materials_completed.v1", {
            "complete_on": day.isoformat(), "clock_start": clock_start.isoformat(),
            "deadline": review["deadline"]})
