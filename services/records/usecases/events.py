"""Events in and out: the review board's opinion becomes a legal_review entry of the case's
chain (review.opinion_issued.v1), and the outbox's unrouted events are replayed on request."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table

from contracts.review import CONTRACT as REVIEW
from services.records import store
from services.records.domain import gate
from services.records.models import inbox
from shared.errors import DomainRuleViolated
from shared.messaging import consumer
from shared.messaging.outbox import OutboxWriter, requeue_unrouted
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor


def record_review_opinion(body: dict, *, db: Db, outbox: OutboxWriter, rules: Rules,
                          now: datetime) -> int | None:
    """review.opinion_issued.v1 → a legal_review entry in the case's chain, once per message.
    The review board's opinion carries its reviewers, findings and the data of the 意见书
    (the copy routed into the case file, 000 第九条, 002 第十三条)."""
    with consumer.once(db, inbox, REVIEW, body, now) as (session, event):
        if event is None:
            return None
        d = event["data"]
        case = store.load_case(session, d["case_id"], lock=True)
        if case["agency"] != event["agency"]:
            raise DomainRuleViolated(f"opinion of agency {event['agency']} for a case of "
                                     f"{case['agency']}", code="agency_mismatch",
                                     message_zh=f"执法机关 {event['agency']} 的审核意见不能用于"
                                                f"执法机关 {case['agency']} 的案件")
        store.entry_at(session, case["id"], d["proposal_seq"], "decision_proposed")
        gate.refuse_other_board_review(store.reviews_of(session, case["id"], d["proposal_seq"]),
                                       d["proposal_seq"], d["review_id"])
        reviewer = Actor(id=event["actor"]["id"], role=event["actor"]["role"],
                         agency=event["agency"], name=event["actor"].get("name") or "")
        seq, h, _ = store.append(session, case, kind="legal_review", actor=reviewer, now=now,
                                 occurred_at=datetime.fromisoformat(d["issued_at"]),
                                 content=_opinion_content(case, d, event["message_id"]))
        store.appended(outbox, session, case, reviewer, seq, h, "legal_review")
        return seq


def _opinion_content(case: dict, d: dict, message_id: str) -> dict:
    return {"case_id": case["id"], "proposal_seq": d["proposal_seq"],
            "opinion": d["opinion"], "reasons": d["reasons"],
            "reviewers": d["reviewers"], "reviewed_at": d["issued_at"],
            "approving": d["approving"], "final": d["final"], "stage": d["stage"],
            "review_id": d["review_id"], "message_id": message_id,
            "on_time": d["on_time"], "findings": d["findings"],
            "collective": d["collective"], "document": d["document"]}


def replay_events(p: dict, *, actor: Actor, db: Db, now: datetime, table: Table,
                  rules: Rules | None = None) -> dict:
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
