"""Commands of the review board, one function per write RPC, event and timer tick: a review
requested and its materials (`requests`), the board's people (`staffing`), the review clock
and its watch (`clock`), findings, opinions, disagreement and collective discussion
(`opinions`). Each runs in one transaction and stages its events in the outbox of that
transaction."""
from __future__ import annotations

from services.review.usecases.clock import (
    CLOCK_WATCH,
    check_clocks,
    extend_deadline,
    resume_clock,
    stop_clock,
)
from services.review.usecases.opinions import (
    contest_opinion,
    head_decide,
    issue_opinion,
    record_collective_discussion,
    record_consultation,
    record_finding,
)
from services.review.usecases.requests import (
    _new_review,
    on_decision_proposed,
    request_review,
    submit_materials,
)
from services.review.usecases.staffing import assign_reviewer, declare_interest, register_staff

__all__ = [
    # _new_review: a review stood up as request_review does, without its checks — for the
    # record keeper's tests that need the board to hold a review of a proposal
    "request_review", "on_decision_proposed", "submit_materials", "_new_review",
    "register_staff", "assign_reviewer", "declare_interest",
    "stop_clock", "resume_clock", "extend_deadline", "check_clocks", "CLOCK_WATCH",
    "record_finding", "issue_opinion", "contest_opinion", "record_consultation",
    "head_decide", "record_collective_discussion",
]
