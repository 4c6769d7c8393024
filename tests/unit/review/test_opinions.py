"""The opinion and the disagreement that may follow it: every point examined first, no
approval on a failed point, the opinion kinds of the rule set, a consultation that settles
the disagreement."""
from __future__ import annotations

import pytest

from services.review import domain, usecases
from shared.errors import DomainRuleViolated, ValidationFailed
from tests.unit.review.support import (QINYUAN, LINGCHUAN, all_points, OFFICER, REVIEWER,
                                       complete_review, issue)


# ---- whether an opinion may be given -------------------------------------------------------------

def test_opinion_needs_a_finding_for_every_point():
    findings = all_points(QINYUAN)
    del findings["documents"], findings["other"]
    with pytest.raises(DomainRuleViolated) as err:
        domain.check_opinion(QINYUAN, "approve", findings)
    assert err.value.code == "findings_incomplete"
    assert err.value.details == {"missing_points": ["documents", "other"]}


def test_approval_cannot_stand_on_a_failed_point():
    with pytest.raises(DomainRuleViolated) as err:
        domain.check_opinion(QINYUAN, "approve", all_points(QINYUAN, facts_evidence="fail"))
    assert err.value.code == "approval_on_failed_point"
    assert err.value.details == {"failed_points": ["facts_evidence"]}


def test_non_approving_opinion_on_a_failed_point_and_approval_on_a_flaw():
    kind = domain.check_opinion(QINYUAN, "do_not_decide",
                                all_points(QINYUAN, facts_evidence="fail"))
    assert (kind["code"], kind["label"], kind["approving"]) == (
        "do_not_decide", "撤销或不予作出行政执法决定", False)
    assert domain.check_opinion(QINYUAN, "approve",
                                all_points(QINYUAN, documents="flaw"))["approving"] is True


def test_unknown_opinion_names_the_field():
    with pytest.raises(ValidationFailed) as err:
        domain.check_opinion(QINYUAN, "further_investigation", all_points(QINYUAN))
    assert list(err.value.details) == ["opinion"]
    # 陵川 has nine opinion types, of which only 同意 approves
    kinds = domain.opinion_kinds(LINGCHUAN)
    assert len(kinds) == 9 and [k for k, v in kinds.items() if v["approving"]] == ["approve"]


# ---- disagreement (异议) ---------------------------------------------------------------------------

def test_consultation_accepting_the_opinion_restores_its_state(env):
    rid = complete_review(env)
    issue(env, rid)
    env.call(usecases.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "异议", "contested_at": "2025-10-31T09:00:00+08:00"},
        OFFICER)
    view = env.call(usecases.record_consultation, "record_consultation", {
        "review_id": rid, "held_at": "2025-10-31T15:00:00+08:00",
        "participants": ["officer-1", "reviewer-1"], "summary": "接受审核意见",
        "outcome": "opinion_accepted"}, REVIEWER)
    assert view["state"] == "opinion_issued"
    assert view["disagreement"]["resolved_by"] == "consultation"
    assert len(env.events("opinion_issued.v1")) == 1
