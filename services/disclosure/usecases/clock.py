"""The publication clock: a reminder before a draft not yet reviewed falls due and an overdue
notice after, each once per publication and due date however many instances tick
(shared.persistence.timers)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from services.disclosure import store
from services.disclosure.domain import publication as rules_of
from services.disclosure.usecases.common import SYSTEM
from shared.calendar.clock import local_date
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.rulesets.provider import Rules

CLOCK_WATCH = "disclosure.watch_deadlines"
BATCH = 200
EVENTS = {"due_soon": ("publication_due_soon.v1", "reminded_for", "reminded"),
          "overdue": ("publication_overdue.v1", "overdue_for", "overdue_noticed")}


def horizon(rules: Rules, today: date, remind_workdays: int) -> date:
    """The last due date a reminder may be owed for today, whichever agency's calendar."""
    return max(rules.calendar.due(today, remind_workdays, "workdays", rule="reminder",
                                  agency=code).due for code in [None, *rules.agencies])


def check_deadlines(*, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime,
                    remind_workdays: int, batch: int = BATCH) -> dict:
    today = local_date(now)
    done = timers.each(CLOCK_WATCH, _due(db, horizon(rules, today, remind_workdays), batch),
                       lambda row: _notice(row, db=db, outbox=outbox, rules=rules, now=now,
                                           today=today, remind_workdays=remind_workdays))
    return {"due_soon": done.get("due_soon", 0), "overdue": done.get("overdue", 0),
            "failed": done.get("failed", 0)}


def _due(db: Db, until: date, batch: int) -> Iterator[dict]:
    after = None
    while True:
        with db.read() as session:
            rows = store.drafts_due(session, until, after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


def _notice(row: dict, *, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime,
            today: date, remind_workdays: int) -> str | None:
    if rules_of.clock_owes(rules.calendar, row, today, remind_workdays) is None:
        return None          # nothing owed: no write transaction
    with db.transaction() as session:
        if not timers.claim(session, CLOCK_WATCH, row["id"]):
            return None
        pub = store.load(session, row["id"], lock=True)
        owed = rules_of.clock_owes(rules.calendar, pub, today, remind_workdays)
        if owed is None:
            return None      # sent meanwhile by another instance, or reviewed
        event_type, mark, action = EVENTS[owed.kind]
        store.save(session, pub["id"], **{mark: owed.due})
        store.log(session, pub["id"], SYSTEM, action, {"due": owed.due.isoformat(),
                                                       "workdays": owed.workdays}, now)
        store.emit(outbox, session, agency=pub["agency"], ruleset=pub["ruleset"], actor=SYSTEM,
                   event_type=event_type, data={
                       "publication_id": pub["id"], "decision_no": pub["decision_no"],
                       "act_type": pub["act_type"], "due": owed.due.isoformat(),
                       "workdays": owed.workdays})
        return owed.kind
