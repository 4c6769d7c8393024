"""The penalty reviews a reviewer has done in the board are counted as reviews finish — a
counter on the staff row, moved when an opinion is issued on a penalty decision and back when
a reviewer recuses afterwards — so that assigning a reviewer reads that row, not every
finished review of the agency. The migration counts the reviews already there."""
from __future__ import annotations

from sqlalchemy import select, text

from services.review import models, store, usecases
from shared.persistence.db import make_engine
from tests.unit.review.support import (
    LEGACY_REVIEW,
    Env,
    actor,
    complete_review,
    issue,
    legacy_review,
    migrate_to,
    request_payload,
    staff,
    statements,
)


def done(env: Env, person_id: str) -> int:
    with env.db.read() as s:
        return store.reviewer(s, "qinyuan-energy", person_id).penalty_reviews_done


def test_finished_penalty_reviews_count_for_their_reviewers_and_a_recusal_takes_it_back(env):
    first = complete_review(env, case_no="沁能立〔2025〕31号")     # registers reviewer-1
    second = complete_review(env, case_no="沁能立〔2025〕32号")
    assert done(env, "reviewer-1") == 0                    # nothing finished yet
    issue(env, first)
    assert done(env, "reviewer-1") == 1
    issue(env, second)
    assert done(env, "reviewer-1") == 2
    staff(env, "reviewer-1", prior=3)                      # registered again: the count stays
    assert done(env, "reviewer-1") == 5
    env.call(usecases.declare_interest, "declare_interest", {
        "review_id": second, "person_id": "reviewer-1", "interest": "与当事人有亲属关系"},
        actor("reviewer", id="reviewer-1"))
    assert done(env, "reviewer-1") == 4                    # no longer its active reviewer


def test_assigning_a_reviewer_reads_no_other_review(env):
    for n in range(3):
        issue(env, complete_review(env, case_no=f"沁能立〔2025〕4{n}号"))
    view = env.call(usecases.request_review, "request_review",
                    request_payload(case_no="沁能立〔2025〕49号"), actor("officer", id="officer-1"))
    with statements(env) as sent:
        assigned = env.call(usecases.assign_reviewer, "assign_reviewer", {
            "review_id": view["id"], "reviewer_id": "reviewer-1", "reason": "轮值"},
            actor("legal_unit", id="legal-1"))
    assert assigned["assignments"][0]["reviewer_id"] == "reviewer-1"
    reads = [sql for sql, _ in sent if "FROM reviews" in sql]
    assert reads and all("reviews.id =" in sql for sql in reads), reads


def test_the_migration_counts_the_penalty_reviews_already_finished(db_url):
    engine = make_engine(db_url)
    migrate_to(engine, "0002")
    active = {"reviewer_id": "r1", "status": "active"}
    recused = {"reviewer_id": "r2", "status": "recused"}
    both = ({"reviewer_id": "r1", "status": "active"}, {"reviewer_id": "r2", "status": "active"})
    rows = [legacy_review("a", 1, state="opinion_issued", assignments=(active, recused),
                          opinion={"code": "approve"}),
            legacy_review("b", 2, state="decided", assignments=both, opinion={"code": "revise"}),
            legacy_review("c", 3, state="under_review", assignments=both),       # no opinion
            legacy_review("d", 4, state="opinion_issued", assignments=both, act_type="licence",
                          opinion={"code": "approve"})]
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text(LEGACY_REVIEW), row)
        for person in ("r1", "r2", "r3"):
            conn.execute(text(
                "INSERT INTO staff (agency, person_id, name, roles, legal_qualification, "
                "prior_penalty_reviews, active, updated_at) VALUES ('qinyuan-energy', :p, :p, "
                "'[\"reviewer\"]', :t, 2, :t, '2025-10-20 01:00:00')"),
                {"p": person, "t": True})
    migrate_to(engine, "head")
    with engine.begin() as conn:
        counted = dict(conn.execute(select(models.staff.c.person_id,
                                           models.staff.c.penalty_reviews_in_system)).tuples().all())
        credited = dict(conn.execute(select(models.reviews.c.id,
                                            models.reviews.c.credited)).tuples().all())
    engine.dispose()
    assert counted == {"r1": 2, "r2": 1, "r3": 0}
    assert credited == {"a": ["r1"], "b": ["r1", "r2"], "c": [], "d": []}
