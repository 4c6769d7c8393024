"""A review as the board holds it — one record of its parts (materials, stops, assignments,
findings, opinion, disagreement) — how a new one starts, and how the contract shows it."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Final, TypedDict

from services.review.domain import materials, states
from shared.rulesets.repository import RuleSet

# the review's days, shown as ISO dates
DATES: Final = ("received_on", "complete_on", "clock_start", "reminded_for", "overdue_for")
# the board's own bookkeeping, kept as the review is saved and not shown: what the clock watch
# may still owe it (clock.watch_marks) and whom it counts for (reviewers.penalty_credits)
BOOKKEEPING: Final = ("remind_due", "overdue_due", "credited")


class Review(TypedDict):
    id: str
    agency: str
    ruleset: str                    # the rule set's ref (id@version) it is reviewed under
    case_id: str
    case_no: str
    case_title: str | None
    proposal_seq: int
    decision: dict
    party: dict | None
    classification: dict            # {major, fired}
    handlers: list[str]             # the case's handlers: they recuse
    participants: list[str]         # everyone who acted in the case
    state: str                      # one of states.STATES
    requested_at: datetime
    requested_by: str
    source_message_id: str | None   # the decision_proposed event it came from, if any
    materials: list[dict]
    applicable: list[str]           # when_applicable materials owed
    received_on: date | None
    complete_on: date | None
    clock_start: date | None
    stops: list[dict]
    extension: dict | None
    deadline: dict | None           # Deadline.to_dict() of the current due date
    first_deadline: dict | None     # before any extension
    reminded_for: date | None
    overdue_for: date | None
    assignments: list[dict]
    interests: list[dict]
    findings: dict[str, dict]
    opinion: dict | None
    disagreement: dict | None
    collective: dict | None
    document_info: dict | None
    updated_at: datetime
    remind_due: date | None         # a reminder is still owed for this due date
    overdue_due: date | None        # an overdue notice is still owed for this due date
    credited: list[str] | None      # the reviewers it counts a penalty review for


def new_review(review_id: str, *, agency: str, ruleset: str, p: Mapping, verdict: Mapping,
               requested_by: str, now: datetime, source_message_id: str | None) -> Review:
    """A review of the proposal `p` (case, proposal, decision, party, handlers), classified as
    `verdict` says; nothing submitted yet."""
    return {
        "id": review_id, "agency": agency, "ruleset": ruleset,
        "case_id": p["case_id"], "case_no": p["case_no"], "proposal_seq": p["proposal_seq"],
        "case_title": p.get("case_title"), "decision": p["decision"], "party": p["party"],
        "classification": {"major": verdict["major"], "fired": verdict["fired"]},
        "handlers": p["handlers"], "participants": p.get("participants", []),
        "state": states.next_state("request_review", None), "requested_at": now,
        "requested_by": requested_by,
        "source_message_id": source_message_id, "materials": [], "applicable": [],
        "received_on": None, "complete_on": None, "clock_start": None, "stops": [],
        "extension": None, "deadline": None, "first_deadline": None, "reminded_for": None,
        "overdue_for": None, "assignments": [], "interests": [], "findings": {},
        "opinion": None, "disagreement": None, "collective": None, "document_info": None,
        "updated_at": now, "remind_due": None, "overdue_due": None, "credited": []}


def view(review: Mapping, rs: RuleSet) -> dict:
    """The review as the contract shows it (dates as ISO strings, what is missing)."""
    out = {k: v for k, v in review.items() if k not in BOOKKEEPING}
    for key in DATES:
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    out["missing"] = materials.missing(rs, review)
    return out
