"""The clock watch reads only the reviews owed a notice today: each review notes, as it is
saved, the due date a reminder and an overdue notice are still owed for, and the watch picks
its candidates by those notes from partial indexes, a batch at a time — a tick with nothing
due reads no review however many are open, and every review owed a notice still gets it once
per due date. The migration fills the notes of the reviews already there."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text, update

from services.review import models, usecases
from shared.persistence.db import make_engine
from tests.unit.review.support import (
    ALWAYS,
    HEAD,
    LEGACY_REVIEW,
    OFFICER,
    Env,
    actor,
    at,
    legacy_review,
    material,
    migrate_to,
    plan,
    request_payload,
    staff,
    statements,
)

DUE = date(2025, 11, 4)     # of a review complete on 2025-10-21


def open_review(env: Env, n: int = 1) -> str:
    """A review of its own case, complete on 2025-10-21 (due 2025-11-04)."""
    env.now = at("2025-10-21T15:00:00")
    view = env.call(usecases.request_review, "request_review",
                    request_payload(case_no=f"沁能立〔2025〕{100 + n}号"), OFFICER)
    env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material(c) for c in ALWAYS],
        "submitted_at": "2025-10-21T15:00:00+08:00"}, OFFICER)
    return view["id"]


def tick(env: Env, when: str, batch: int = usecases.clock.BATCH) -> dict:
    env.now = at(when)
    return usecases.check_clocks(db=env.db, outbox=env.outbox, rules=env.rules, now=env.now,
                                 remind_workdays=2, batch=batch)


def marks(env: Env, review_id: str) -> tuple[date | None, date | None]:
    with env.db.read() as s:
        row = s.execute(select(models.reviews.c.remind_due, models.reviews.c.overdue_due)
                        .where(models.reviews.c.id == review_id)).one()
    return row.remind_due, row.overdue_due


def reads_of_reviews(sent: list) -> list[str]:
    return [sql for sql, _ in sent if "FROM reviews" in sql]


def test_the_notes_follow_the_due_date_and_what_was_sent(env):
    review_id = open_review(env)
    assert marks(env, review_id) == (DUE, DUE)
    assert tick(env, "2025-10-31T09:00:00")["reminders"] == 1
    assert marks(env, review_id) == (None, DUE)            # only the overdue notice is owed
    staff(env, "reviewer-1")
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": review_id, "reviewer_id": "reviewer-1", "reason": "轮值"},
             actor("legal_unit", id="legal-1"))
    reviewer = actor("reviewer", id="reviewer-1")
    env.call(usecases.stop_clock, "stop_clock", {
        "review_id": review_id, "reason": "expert_argument", "note": None,
        "stopped_at": "2025-10-31T10:00:00+08:00"}, reviewer)
    assert marks(env, review_id) == (None, None)           # stopped: no due date
    view = env.call(usecases.resume_clock, "resume_clock", {
        "review_id": review_id, "resumed_at": "2025-11-03T09:00:00+08:00", "note": None},
        reviewer)
    resumed = date.fromisoformat(view["deadline"]["due"])
    assert resumed > DUE and marks(env, review_id) == (resumed, resumed)  # its own notices
    view = env.call(usecases.extend_deadline, "extend_deadline", {
        "review_id": review_id, "reason": "案情复杂",
        "approved_at": "2025-11-04T09:00:00+08:00"}, HEAD)
    extended = date.fromisoformat(view["deadline"]["due"])
    assert marks(env, review_id) == (extended, extended)
    assert tick(env, "2025-12-31T09:00:00") == {"reminders": 0, "overdue": 1, "failed": 0}
    assert marks(env, review_id) == (None, None)           # nothing more is owed


def test_a_tick_reads_only_the_reviews_their_notes_say_are_owed(env):
    owed, noted_done = open_review(env, 1), open_review(env, 2)
    with env.db.transaction() as s:     # the notes say nothing is owed: the watch believes them
        s.execute(update(models.reviews).where(models.reviews.c.id == noted_done)
                  .values(remind_due=None, overdue_due=None))
    assert tick(env, "2025-10-31T09:00:00") == {"reminders": 1, "overdue": 0, "failed": 0}
    assert [e["data"]["review_id"] for e in env.events("review_due_soon.v1")] == [owed]


def test_a_tick_with_nothing_due_reads_no_review_however_many_are_open(env):
    open_review(env, 1)
    with statements(env) as few:
        assert tick(env, "2025-10-22T09:00:00") == {"reminders": 0, "overdue": 0, "failed": 0}
    for n in range(2, 8):
        open_review(env, n)
    with statements(env) as more:
        assert tick(env, "2025-10-22T09:00:00") == {"reminders": 0, "overdue": 0, "failed": 0}
    assert len(reads_of_reviews(more)) == len(reads_of_reviews(few)) == 1
    # the one read asks for the reviews whose notes are due, not for every open review
    assert all("remind_due <" in sql and "overdue_due <" in sql
               for sql in reads_of_reviews(more))


def test_the_watch_works_through_more_due_reviews_than_one_batch(env):
    reviews = [open_review(env, n) for n in range(5)]
    with statements(env) as sent:
        assert tick(env, "2025-10-31T09:00:00", batch=2) == {"reminders": 5, "overdue": 0,
                                                             "failed": 0}
    reads = [sql for sql in reads_of_reviews(sent) if "remind_due <" in sql]
    assert len(reads) == 3                                  # 2 + 2 + 1
    assert tick(env, "2025-10-31T09:30:00", batch=2)["reminders"] == 0
    assert sorted(e["data"]["review_id"] for e in env.events("review_due_soon.v1")) \
        == sorted(reviews)
    assert tick(env, "2025-11-05T09:00:00", batch=2)["overdue"] == 5
    assert tick(env, "2025-11-06T09:00:00", batch=2)["overdue"] == 0


def test_the_candidates_are_read_from_the_partial_indexes(env_db):
    if env_db.db.dialect != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    open_review(env_db)
    with statements(env_db) as sent:
        tick(env_db, "2025-10-22T09:00:00")
    (read,) = [s for s in sent if "FROM reviews" in s[0]]
    shown = plan(env_db, read)
    assert "ix_reviews_remind_due" in shown and "ix_reviews_overdue_due" in shown, shown


def test_the_migration_notes_what_the_watch_owes_the_reviews_already_there(db_url):
    """An existing deployment upgraded: a running review not yet reminded is owed both
    notices, one reminded only the overdue notice, one reported overdue nothing; a stopped
    review and a finished one nothing."""
    engine = make_engine(db_url)
    migrate_to(engine, "0002")
    deadline = {"due": DUE.isoformat()}
    rows = {"fresh": ("under_review", deadline, None, None),
            "reminded": ("under_review", deadline, DUE, None),
            "overdue": ("awaiting_materials", deadline, DUE, DUE),
            "old_due": ("under_review", deadline, date(2025, 10, 1), date(2025, 10, 2)),
            "stopped": ("paused", None, None, None),
            "finished": ("opinion_issued", deadline, None, None)}
    with engine.begin() as conn:
        for n, (name, (state, due, reminded, overdue)) in enumerate(rows.items()):
            conn.execute(text(LEGACY_REVIEW), legacy_review(
                name, n, state=state, deadline=due, reminded_for=reminded,
                overdue_for=overdue))
    migrate_to(engine, "head")
    with engine.begin() as conn:
        noted = {r.id: (r.remind_due, r.overdue_due) for r in conn.execute(
            select(models.reviews.c.id, models.reviews.c.remind_due,
                   models.reviews.c.overdue_due))}
    engine.dispose()
    assert noted == {"fresh": (DUE, DUE), "reminded": (None, DUE), "overdue": (None, None),
                     "old_due": (DUE, DUE), "stopped": (None, None),
                     "finished": (None, None)}

