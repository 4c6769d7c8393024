"""The review clock: the period from the day it starts (the materials complete, or received
where the rule set says so), the stops that do not count, the one extension, and the
reminder and overdue notice the board owes before and after the due date."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, Required, TypedDict

from services.review.domain import states
from shared import settings
from shared.calendar.legal import Calendar, Deadline, clock_pause
from shared.errors import Conflict, DomainRuleViolated, ValidationFailed
from shared.rulesets.repository import RuleSet

# the board acts through the clock, not through a person
SYSTEM_ACTOR: Final = {"id": "review-clock", "role": "legal_unit", "name": "审核时限提醒"}


@dataclass(frozen=True)
class Stop:
    stopped_on: date
    resumed_on: date | None
    reason: str
    label: str


def pauses(stops: list[Stop]) -> list[tuple]:
    """Calendar pauses of the finished stops; an open stop has no end yet."""
    out = []
    for s in stops:
        if s.resumed_on is not None:
            p = clock_pause(s.stopped_on, s.resumed_on, s.label)
            if p:
                out.append(p)
    return out


def review_deadline(calendar: Calendar, rs: RuleSet, start: date, *,
                    stops: Sequence[Stop] = (), extended: bool = False,
                    agency: str | None = None) -> tuple[Deadline, Deadline | None]:
    """The review period from `start` (the day materials were complete, or received where the
    rule set says so) with the stopped days not counted; with an approved extension, the
    extension runs on from the first due date (10 + 10 工作日 in 000/002; 7 工作日 + at most
    3 日 in 001)."""
    periods = rs.data["periods"]
    held = pauses(list(stops))
    base = periods["review"]
    first = calendar.due(start, base["amount"], base["unit"], rule="review",
                         basis=base["basis"], agency=agency, paused=held)
    if not extended:
        return first, None
    ext = periods.get("review_extension")
    if ext is None:
        raise DomainRuleViolated(f"rule set {rs.ref} allows no extension of the review period",
                                 message_zh=f"规则集 {rs.ref} 未规定可以延长审核期限",
                                 code="no_extension")
    second = calendar.due(first.due, ext["amount"], ext["unit"], rule="review_extension",
                          basis=ext["basis"], agency=agency, paused=held)
    return first, second


def stops_of(review: Mapping) -> list[Stop]:
    """The review's stops as the calendar counts them."""
    return [Stop(date.fromisoformat(s["stopped_on"]), _day(s["resumed_on"]), s["reason"],
                 s["label"]) for s in review["stops"]]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class DeadlineFields(TypedDict, total=False):
    """The review's due dates (Review's keys), as Deadline.to_dict() gives them."""
    deadline: Required[dict | None]
    first_deadline: dict | None


def deadline_fields(calendar: Calendar, rs: RuleSet, review: Mapping) -> DeadlineFields:
    """The review's due dates from the clock start, the finished stops and the extension;
    none while the clock has not started or is stopped (the days left are frozen until it
    resumes)."""
    if review["clock_start"] is None or review["state"] == states.PAUSED:
        return {"deadline": None}
    first, second = review_deadline(calendar, rs, review["clock_start"], stops=stops_of(review),
                                    extended=review["extension"] is not None,
                                    agency=review["agency"])
    return {"first_deadline": first.to_dict(), "deadline": (second or first).to_dict()}


def pause_reason(rs: RuleSet, code: str) -> dict:
    reasons = {r["code"]: r for r in rs.section("review")["pause_reasons"]}
    if code not in reasons:
        allowed = ", ".join(reasons) or "none — this rule set stops the clock for nothing"
        raise ValidationFailed.from_messages({"reason": [
            f"not a reason that stops the review clock under {rs.ref}; one of: {allowed}"]})
    return reasons[code]


def stopped(review: Mapping, reason: Mapping, day: date, note: str | None) -> list[dict]:
    """The review's stops with a new one from `day` (the stop day itself still counts)."""
    return review["stops"] + [{"stopped_on": day.isoformat(), "resumed_on": None,
                               "reason": reason["code"], "label": reason["label"],
                               "note": note}]


def resumed(review: Mapping, day: date) -> list[dict]:
    """The review's stops with the open one ended on `day`, which is not before it began."""
    last = review["stops"][-1]
    if day.isoformat() < last["stopped_on"]:
        raise ValidationFailed.from_messages({"resumed_at": [
            f"before the clock stopped on {last['stopped_on']}"]})
    return review["stops"][:-1] + [dict(last, resumed_on=day.isoformat())]


def extension(review: Mapping, by: str, reason: str, approved_at: datetime) -> dict:
    """经批准可以延长 (000 第十条, 002 第十四条, 001 附件3 第四条): once, and only once the
    clock runs."""
    if review["extension"] is not None:
        raise Conflict("the review period was already extended once", code="already_extended",
                       message_zh="审核期限已延长过一次，不得再次延长")
    if review["clock_start"] is None:
        raise DomainRuleViolated("the clock has not started: materials are incomplete",
                                 message_zh="审核期限尚未起算：审核材料不齐全",
                                 code="clock_not_started")
    return {"approved_by": by, "reason": reason, "approved_at": approved_at.isoformat()}


# ---- the watch: a reminder before the due date, an overdue notice after ----------------------

@dataclass(frozen=True)
class ClockEvent:
    """What the watch sends for one kind of notice, and where it notes it was sent."""
    event_type: str
    # the review's column holding the due date it was sent for
    sent_for: Literal["reminded_for", "overdue_for"]
    count: str          # the event's field for the days left / overdue
    action: str         # the review history's action


CLOCK_EVENTS: Final = {
    "reminders": ClockEvent("review_due_soon.v1", "reminded_for", "workdays_left", "reminded"),
    "overdue": ClockEvent("review_overdue.v1", "overdue_for", "days_overdue", "overdue"),
}


@dataclass(frozen=True)
class Owed:
    kind: str           # "reminders" | "overdue" (a key of CLOCK_EVENTS)
    days: int           # working days left, or overdue
    due: date


def clock_owes(calendar: Calendar, review: Mapping, today: date,
               remind_workdays: int) -> Owed | None:
    """The notice owed for the review today, once per due date: a reminder from
    `remind_workdays` working days before the due date, an overdue notice after it; none
    for a review without a due date (clock not started, or stopped)."""
    if review["deadline"] is None:
        return None
    due = date.fromisoformat(review["deadline"]["due"])
    if today > due:
        if review["overdue_for"] == due:
            return None
        return Owed("overdue", calendar.workdays_between(due, today, review["agency"]), due)
    if review["reminded_for"] == due:
        return None
    left = calendar.workdays_between(today, due, review["agency"])
    return Owed("reminders", left, due) if left <= remind_workdays else None


# ---- what the watch may still owe, as the columns its index reads -----------------------------

# the states the watch looks at (its table's sources for watch_clock)
WATCHED: Final = tuple(s for s in states.sources("watch_clock") if s is not None)


class WatchMarks(TypedDict):
    """The review's columns the watch picks its candidates by (Review's keys)."""
    remind_due: date | None     # the due date a reminder is still owed for
    overdue_due: date | None    # the due date an overdue notice is still owed for


def watch_marks(review: Mapping) -> WatchMarks:
    """What the watch may still owe the review, whatever the day: a reminder for its due date
    until one was sent for it (or the overdue notice, which supersedes it), an overdue notice
    until one was sent for it; nothing for a review it passes by (no due date — clock not
    started or stopped — or a state it does not watch). Worked out again whenever the review
    is saved, so a new due date (an extension, a stop resumed) is owed its own notices."""
    if review["deadline"] is None or review["state"] not in WATCHED:
        return {"remind_due": None, "overdue_due": None}
    due = date.fromisoformat(review["deadline"]["due"])
    if review["overdue_for"] == due:
        return {"remind_due": None, "overdue_due": None}
    return {"remind_due": None if review["reminded_for"] == due else due, "overdue_due": due}


def remind_workdays(config: Mapping[str, object]) -> int:
    """REVIEW_REMIND_WORKDAYS: working days before a review's due date its reminder is sent
    (default 2) — what the clock watch sends and the metrics count as due soon."""
    return settings.whole_number(config, "REVIEW_REMIND_WORKDAYS", 2, least=0)


def reminder_horizon(calendar: Calendar, today: date, remind_workdays: int,
                     agencies: Iterable[str | None]) -> date:
    """The first due date a reminder is not yet owed for today under any of the agencies'
    calendars: the (remind_workdays + 1)th working day after today. A due date before it is
    at most `remind_workdays` working days away (or past) — clock_owes then decides for the
    review's own agency."""
    return max(calendar.due(today, remind_workdays + 1, "workdays", rule="review_reminder",
                            agency=agency).due for agency in agencies)
