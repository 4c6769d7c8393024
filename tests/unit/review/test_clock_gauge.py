"""The review board's metrics gauge of clocks (services/review/gauges.py): an open review counts
as due_soon within the reminder's working days before its due date and as overdue after it —
still overdue once its overdue notice has gone out, until the opinion is given."""
from __future__ import annotations

from services.review import gauges
from tests.unit.review.support import at
from tests.unit.review.test_clock_watch_reads_what_is_due import open_review, tick

AGENCY = "qinyuan-energy"


def clocks(env, when: str) -> dict[str, float]:
    return {r.labels["state"]: r.value
            for r in gauges.gauges(db=env.db, rules=env.rules,
                                   config={"REVIEW_REMIND_WORKDAYS": 2}, now=at(when))
            if r.labels["agency"] == AGENCY}


def test_a_review_is_due_soon_then_overdue_and_stays_so_after_its_notice(env):
    open_review(env)                                        # due 2025-11-04
    assert clocks(env, "2025-10-21T16:00:00") == {"due_soon": 0, "overdue": 0}
    assert clocks(env, "2025-11-03T09:00:00") == {"due_soon": 1, "overdue": 0}
    assert clocks(env, "2025-11-04T18:00:00") == {"due_soon": 1, "overdue": 0}
    assert clocks(env, "2025-11-05T09:00:00") == {"due_soon": 0, "overdue": 1}
    assert tick(env, "2025-11-05T09:00:00")["overdue"] == 1  # the notice sent
    assert clocks(env, "2025-11-06T09:00:00") == {"due_soon": 0, "overdue": 1}
