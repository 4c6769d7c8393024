"""Rules of the review board, free of any framework and of any storage: the review's state
machine (`states`), its materials, its clock, who may review (`reviewers`), the opinion and
what follows it (`opinions`), and the data of the 法制审核意见书 (`document`). Everything
agency-specific comes from the rule set; legal periods from the shared calendar."""
from __future__ import annotations

from services.review.domain.clock import (
    CLOCK_EVENTS,
    SYSTEM_ACTOR,
    WATCHED,
    ClockEvent,
    Owed,
    Stop,
    WatchMarks,
    clock_owes,
    deadline_fields,
    extension,
    pause_reason,
    pauses,
    reminder_horizon,
    resumed,
    review_deadline,
    stopped,
    stops_of,
    watch_marks,
)
from services.review.domain.document import RESULT_ZH, copies, opinion_document
from services.review.domain.materials import (
    clock_starts_on_receipt,
    completed,
    known_materials,
    material_codes,
    materials_missing,
    missing,
    received,
    submission_outcome,
)
from services.review.domain.opinions import (
    FINDING_RESULTS,
    check_opinion,
    consulted,
    counsel_opinion,
    disagreement,
    disagreement_of,
    discussed,
    finding,
    issued,
    opinion_kind,
    opinion_kinds,
    opinion_of,
    opinion_outcome,
    replaced,
    require_consulted,
    review_points,
)
from services.review.domain.review import DATES, Review, new_review, view
from services.review.domain.reviewers import (
    STAFF_FIELDS,
    Reviewer,
    assignment,
    assignment_reason,
    penalty_credits,
    qualification_problems,
    recusal_grounds,
    recused,
    require_eligible,
    require_own_interest,
    require_unassigned,
    staffing,
)
from services.review.domain.states import (
    ACCEPTED,
    ASSIGNED_REVIEWER,
    AWAITING_COLLECTIVE,
    AWAITING_MATERIALS,
    BOARD,
    CLOCK,
    COMPLETE,
    CONSULTED,
    CONTESTED,
    DECIDED,
    DECLARANT,
    DOING,
    FINAL,
    HANDLING_UNIT,
    HEAD,
    INCOMPLETE,
    NO_AGREEMENT,
    OPEN_STATES,
    OPINION_ISSUED,
    OWES_COLLECTIVE,
    PAUSED,
    PREVIOUS,
    STATES,
    TO_REVISE,
    TRANSITIONS,
    UNDER_REVIEW,
    UPHOLD,
    Party,
    Transition,
    acts,
    may,
    next_state,
    party,
    require_assigned,
    require_state,
    sources,
)

__all__ = [
    # the state machine
    "STATES", "AWAITING_MATERIALS", "UNDER_REVIEW", "PAUSED", "OPINION_ISSUED", "CONTESTED",
    "AWAITING_COLLECTIVE", "DECIDED", "OPEN_STATES", "PREVIOUS", "COMPLETE", "INCOMPLETE",
    "FINAL", "OWES_COLLECTIVE", "ACCEPTED", "TO_REVISE", "NO_AGREEMENT", "UPHOLD",
    "Party", "HANDLING_UNIT", "BOARD", "HEAD", "ASSIGNED_REVIEWER", "DECLARANT", "CONSULTED",
    "CLOCK", "Transition", "TRANSITIONS", "DOING", "acts", "sources", "party", "may", "next_state",
    "require_state", "require_assigned",
    # the review
    "Review", "DATES", "new_review", "view",
    # materials
    "materials_missing", "missing", "material_codes", "clock_starts_on_receipt",
    "known_materials", "received", "completed", "submission_outcome",
    # the clock
    "Stop", "pauses", "review_deadline", "stops_of", "deadline_fields", "pause_reason",
    "stopped", "resumed", "extension", "SYSTEM_ACTOR", "ClockEvent", "CLOCK_EVENTS", "Owed",
    "clock_owes", "WATCHED", "WatchMarks", "watch_marks", "reminder_horizon",
    # reviewers and staffing
    "Reviewer", "STAFF_FIELDS", "recusal_grounds", "qualification_problems",
    "assignment_reason", "require_unassigned", "require_eligible", "assignment",
    "require_own_interest", "recused", "staffing", "penalty_credits",
    # findings, opinions, disagreement, collective discussion
    "FINDING_RESULTS", "review_points", "opinion_kinds", "opinion_kind", "finding",
    "check_opinion", "counsel_opinion", "opinion_outcome", "issued", "opinion_of",
    "disagreement", "disagreement_of", "consulted", "require_consulted", "replaced", "discussed",
    # the 法制审核意见书
    "RESULT_ZH", "copies", "opinion_document",
]
