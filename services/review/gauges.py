"""The review board's gauges for Prometheus (shared.observability.metrics, read every
METRICS_REFRESH_SECONDS): its open reviews whose clock is near its due date — due within the
reminder's REVIEW_REMIND_WORKDAYS working days (`due_soon`) — or past it (`overdue`), per
agency. Read from the reviews the clock watches (domain.WATCHED) of the agencies served,
through their (agency, state) index: the cost is that of the open reviews, not of the history."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from services.review import domain
from services.review.domain.clock import WATCHED, remind_workdays
from services.review.models import reviews
from shared.calendar.clock import local_date
from shared.observability.metrics import Reading

HELP = "open reviews whose clock is near its due date (due_soon) or past it (overdue)"


def gauges(*, db: Any, rules: Any, config: dict, now: datetime) -> Iterator[Reading]:
    today = local_date(now)
    agencies = list(rules.agencies)
    horizon = domain.reminder_horizon(rules.calendar, today, remind_workdays(config),
                                      [None, *agencies])
    counted: Counter[tuple[str, str]] = Counter()
    with db.read() as session:
        rows = session.execute(select(reviews.c.agency, reviews.c.deadline)
                               .where(reviews.c.agency.in_(agencies))
                               .where(reviews.c.state.in_(WATCHED))).all()
    for agency, deadline in rows:
        if not deadline:
            continue  # the clock has not started, or is stopped
        due = date.fromisoformat(deadline["due"])
        if due < today:
            counted[agency, "overdue"] += 1
        elif due < horizon:
            counted[agency, "due_soon"] += 1
    for agency in agencies:
        for state in ("due_soon", "overdue"):
            yield Reading("sanxiang_review_clocks", HELP, {"agency": agency, "state": state},
                          counted[agency, state])
