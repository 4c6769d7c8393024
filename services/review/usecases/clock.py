"""The review clock: stopped and resumed by the reviewers, extended once by the head, and
watched — a reminder before a review falls due and an overdue notice after."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime

from services.review import domain, store
from services.review.usecases.common import begin, recompute_deadline, view
from shared.calendar.clock import local_date
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

CLOCK_WATCH = "review.watch_clocks"
BATCH = 200     # reviews read at a time by the watch


def stop_clock(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
               now: datetime) -> dict:
    with db.transaction() as session:
        review = begin(session, p["review_id"], "stop_clock", actor)
        reason = domain.pause_reason(rules.ruleset(review["ruleset"]), p["reason"])
        day = local_date(p["stopped_at"])
        review["stops"] = domain.stopped(review, reason, day, p["note"])
        review["state"] = domain.next_state("stop_clock", review["state"])
        recompute_deadline(review, rules)
        store.log(session, review["id"], actor, "clock_stopped",
                  {"reason": reason["code"], "stopped_on": day.isoformat(), "note": p["note"]},
                  now)
        store.save(session, review, now)
        store.emit(outbox, session, review, actor, "clock_stopped.v1", {
            "reason": reason["code"], "label": reason["label"], "basis": reason["basis"],
            "stopped_on": day.isoformat(), "note": p["note"]})
        return view(review, rules)


def resume_clock(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                 now: datetime) -> dict:
    with db.transaction() as session:
        review = begin(session, p["review_id"], "resume_clock", actor)
        day = local_date(p["resumed_at"])
        review["stops"] = domain.resumed(review, day)
        last = review["stops"][-1]
        review["state"] = domain.next_state("resume_clock", review["state"])
        recompute_deadline(review, rules)
        store.log(session, review["id"], actor, "clock_resumed",
                  {"resumed_on": day.isoformat(), "note": p["note"]}, now)
        store.save(session, review, now)
        store.emit(outbox, session, review, actor, "clock_resumed.v1", {
            "reason": last["reason"], "stopped_on": last["stopped_on"],
            "resumed_on": day.isoformat(), "deadline": review["deadline"]})
        return view(review, rules)


def extend_deadline(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                    now: datetime) -> dict:
    """经批准可以延长 (000 第十条, 002 第十四条, 001 附件3 第四条): the head approves, once."""
    with db.transaction() as session:
        review = begin(session, p["review_id"], "extend_deadline", actor)
        extension = domain.extension(review, actor.id, p["reason"], p["approved_at"])
        review["extension"] = extension
        recompute_deadline(review, rules)
        store.log(session, review["id"], actor, "extension_approved", extension, now)
        store.save(session, review, now)
        return view(review, rules)


# ---- the watch ----------------------------------------------------------------------------------

def check_clocks(*, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime,
                 remind_workdays: int, batch: int = BATCH) -> dict:
    """Reminders `remind_workdays` working days before a review falls due, and one overdue
    event the day after (each once per due date; a new due date after an extension or a
    stop gets its own).

    The tick reads only the reviews owed a notice today: each review notes, as it is saved,
    the due date a reminder and an overdue notice are still owed for (domain.watch_marks),
    and the tick reads those before today's reminder horizon or before today from their
    partial indexes, `batch` at a time, each batch in a short read — a tick with nothing due
    costs the same however many reviews are open.

    Once per review and due date across instances (shared.persistence.timers): each review
    owed an event gets its own short transaction that claims it, reads it again locked and
    sends only what its stored reminded_for / overdue_for says is still owed."""
    today = local_date(now)
    horizon = domain.reminder_horizon(rules.calendar, today, remind_workdays,
                                      [None, *rules.agencies])
    done = timers.each(CLOCK_WATCH, _due(db, today, horizon, batch), lambda row: _send_clock_event(
        row, db=db, outbox=outbox, rules=rules, now=now, today=today,
        remind_workdays=remind_workdays))
    return {"reminders": done.get("reminders", 0), "overdue": done.get("overdue", 0),
            "failed": done.get("failed", 0)}


def _due(db: Db, today: date, horizon: date, batch: int) -> Iterator[Mapping]:
    """The reviews owed a notice, a batch per short read, none held open while acting."""
    after = None
    while True:
        with db.read() as session:
            rows = store.due_clocks(session, today, horizon, after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


def _send_clock_event(row: Mapping, *, db: Db, outbox: OutboxWriter, rules: Rules,
                      now: datetime, today: date, remind_workdays: int) -> str | None:
    if row["state"] not in domain.WATCHED or \
            domain.clock_owes(rules.calendar, row, today, remind_workdays) is None:
        return None         # not owed under its agency's calendar: no write transaction
    with db.transaction() as session:
        if not timers.claim(session, CLOCK_WATCH, row["id"]):
            return None
        review = store.load(session, row["id"], lock=True)
        owed = domain.clock_owes(rules.calendar, review, today, remind_workdays) \
            if review["state"] in domain.WATCHED else None
        if owed is None:
            return None     # sent meanwhile (another instance), or the review moved on
        event = domain.CLOCK_EVENTS[owed.kind]
        review[event.sent_for] = owed.due
        store.emit(outbox, session, review, domain.SYSTEM_ACTOR, event.event_type, {
            "due": owed.due.isoformat(), "deadline": review["deadline"], event.count: owed.days})
        store.log(session, review["id"], domain.SYSTEM_ACTOR, event.action,
                  {"due": owed.due.isoformat()}, now)
        store.save(session, review, now)
        return owed.kind
