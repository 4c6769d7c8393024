"""Who may review a case: recusal (回避) of handlers, declared interests and prior
involvement, and the legal qualification a first penalty review asks for."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.review import domain, usecases
from shared.errors import Conflict, DomainRuleViolated
from tests.unit.review.support import (
    ALWAYS,
    ANZE,
    LEGAL,
    OFFICER,
    QINYUAN,
    codes,
    history,
    request_payload,
    reviewer,
    staff,
)

# ---- recusal -------------------------------------------------------------------------------------

def test_recusal_of_a_handler():
    grounds = domain.recusal_grounds(QINYUAN, "officer-1", handlers=["officer-1"],
                                     participants=["officer-1", "head-1"], interests=[])
    assert codes(grounds) == ["case_handler"]   # a handler is not also "prior involvement"
    assert grounds[0]["basis"] == QINYUAN.section("review")["recusal_required"]["basis"]


def test_recusal_of_a_declared_interest_and_prior_involvement():
    grounds = domain.recusal_grounds(
        ANZE, "reviewer-9", handlers=["officer-1"], participants=["reviewer-9"],
        interests=[{"person_id": "reviewer-9", "interest": "系当事人近亲属"},
                   {"person_id": "reviewer-8", "interest": "同学"}])
    assert codes(grounds) == ["declared_interest", "prior_involvement"]
    assert grounds[0]["message"] == "declared an interest: 系当事人近亲属"


def test_no_recusal_for_an_unrelated_reviewer():
    assert domain.recusal_grounds(QINYUAN, "reviewer-1", handlers=["officer-1"],
                                  participants=["head-1"],
                                  interests=[{"person_id": "reviewer-2", "interest": "x"}]) == []


# ---- qualification -------------------------------------------------------------------------------

def test_first_time_penalty_reviewer_needs_the_legal_qualification():
    problems = domain.qualification_problems(QINYUAN, reviewer(), "penalty")
    assert codes(problems) == ["legal_qualification_required"]
    assert "行政处罚法 第五十八条第二款" in problems[0]["basis"]
    assert "first time" in problems[0]["message"]


def test_experienced_or_qualified_or_non_penalty_reviewer_passes():
    assert domain.qualification_problems(QINYUAN, reviewer(done=3), "penalty") == []
    assert domain.qualification_problems(QINYUAN, reviewer(qualified=True), "penalty") == []
    assert domain.qualification_problems(QINYUAN, reviewer(), "licence") == []


def test_an_officer_is_not_a_reviewer():
    assert codes(domain.qualification_problems(QINYUAN, reviewer(qualified=True,
                                                                 roles=("officer",)),
                                               "licence")) == ["not_a_reviewer"]


def test_a_first_time_penalty_reviewer_without_qualification_is_refused(env):
    view = env.call(usecases.request_review, "request_review",
                    request_payload(materials=ALWAYS), OFFICER)
    staff(env, "reviewer-9", qualified=False)
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.assign_reviewer, "assign_reviewer",
                 {"review_id": view["id"], "reviewer_id": "reviewer-9", "reason": "轮值"}, LEGAL)
    assert err.value.code == "not_qualified"
    assert err.value.details["problems"] == ["legal_qualification_required"]
    refused = [h["body"] for h in history(env, view["id"]) if h["action"] == "assignment_refused"]
    assert [(r["reviewer_id"], r["refused"], r["problems"]) for r in refused] == [
        ("reviewer-9", "not_qualified", ["legal_qualification_required"])]
    staff(env, "reviewer-9", qualified=False, prior=2)   # experienced before the system
    view = env.call(usecases.assign_reviewer, "assign_reviewer",
                    {"review_id": view["id"], "reviewer_id": "reviewer-9", "reason": "轮值"},
                    LEGAL)
    assert view["assignments"][0]["reason"].endswith("2 penalty reviews done before")


# ---- assignment and interests, without a database ------------------------------------------------

def assignable(**fields) -> dict:
    base = {"handlers": ["officer-1"], "participants": ["head-1"], "interests": [],
            "decision": {"act_type": "penalty"}, "assignments": []}
    return dict(base, **fields)


def test_an_assignment_says_what_was_checked():
    person = reviewer(qualified=True)
    when = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)
    domain.require_eligible(QINYUAN, assignable(), person)
    assert domain.assignment(QINYUAN, assignable(), person, "轮值", by="legal-1", at=when) == {
        "reviewer_id": "r", "name": "王某", "position": None,
        "reason": "轮值 — checked under qinyuan-energy@1: not a handler of the case; no "
                  "declared interest; not involved before; 法律职业资格 A1",
        "legal_qualification": True, "assigned_at": when.isoformat(),
        "assigned_by": "legal-1", "status": "active"}


def test_a_person_is_assigned_once_and_not_while_they_must_recuse_or_lack_the_qualification():
    with pytest.raises(Conflict) as conflict:
        domain.require_unassigned([{"reviewer_id": "r", "status": "active"}], "r")
    assert conflict.value.code == "already_assigned"
    domain.require_unassigned([{"reviewer_id": "r", "status": "recused"}], "r")
    with pytest.raises(DomainRuleViolated) as err:
        domain.require_eligible(QINYUAN, assignable(participants=["r"]), reviewer(True))
    assert (err.value.code, err.value.details["grounds"]) == ("recusal_required",
                                                              ["prior_involvement"])
    with pytest.raises(DomainRuleViolated) as err:
        domain.require_eligible(QINYUAN, assignable(), reviewer())
    assert (err.value.code, err.value.details["problems"]) == (
        "not_qualified", ["legal_qualification_required"])


def test_a_declared_interest_ends_only_that_persons_active_assignment():
    when = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)
    assignments = [{"reviewer_id": "reviewer-1", "status": "active"},
                   {"reviewer_id": "reviewer-2", "status": "active"}]
    assert domain.recused(assignments, "reviewer-2", "近亲属", when) == [
        {"reviewer_id": "reviewer-1", "status": "active"},
        {"reviewer_id": "reviewer-2", "status": "recused", "recused_at": when.isoformat(),
         "recusal_reason": "近亲属"}]
    domain.require_own_interest("legal_unit", "legal-1", "reviewer-2")
    domain.require_own_interest("reviewer", "reviewer-2", "reviewer-2")
    with pytest.raises(DomainRuleViolated) as err:
        domain.require_own_interest("reviewer", "reviewer-1", "reviewer-2")
    assert err.value.code == "not_own_interest"
