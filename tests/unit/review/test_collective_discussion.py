"""The collective discussion (集体讨论) a passed review goes to: always in 周村 (004 第五十五条),
elsewhere only where the reviewers flag it."""
from __future__ import annotations

import pytest

from services.review import usecases
from shared.errors import Forbidden
from tests.unit.review.support import (
    QINYUAN_POINTS,
    REVIEWER,
    actor,
    complete_review,
    findings,
    issue,
)

# ---- when it is owed -----------------------------------------------------------------------------

# (when it is owed: tests/unit/test_law.py, the rule's one home)


# ---- the discussion ------------------------------------------------------------------------------

def test_zhoucun_approval_waits_for_collective_discussion(env):
    zc = "zhoucun-district"
    rid = complete_review(env, zc, case_no="周政立〔2025〕5号")
    view = issue(env, rid, zc)
    assert view["state"] == "awaiting_collective_discussion"
    first = env.events("opinion_issued.v1")[0]["data"]
    assert (first["approving"], first["final"], first["stage"]) == (True, False, "reviewers")
    assert view["opinion"]["collective_discussion_owed"] is True
    with pytest.raises(Forbidden):
        env.call(usecases.record_collective_discussion, "record_collective_discussion", {
            "review_id": rid, "held_at": "2025-11-04T15:00:00+08:00",
            "participants": ["head-zc-001", "head-zc-002"], "summary": "同意",
            "conclusion": "approve"}, actor("legal_unit", agency=zc))
    view = env.call(usecases.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-04T15:00:00+08:00",
        "participants": ["head-zc-001", "head-zc-002", "head-zc-003"],
        "summary": "经集体讨论，同意作出处罚决定", "conclusion": "approve"},
        actor("head", agency=zc, id="head-zc-001"))
    assert view["state"] == "decided"
    issued = env.events("opinion_issued.v1")
    assert len(issued) == 2
    final = issued[1]["data"]
    assert (final["approving"], final["final"], final["stage"], final["reasons"],
            final["issued_at"]) == (True, True, "collective_discussion",
                                    "经集体讨论，同意作出处罚决定", "2025-11-04T15:00:00+08:00")
    assert final["collective"] == {
        "held_at": "2025-11-04T15:00:00+08:00",
        "participants": ["head-zc-001", "head-zc-002", "head-zc-003"],
        "summary": "经集体讨论，同意作出处罚决定", "conclusion": "approve",
        "chaired_by": "head-zc-001"}


def test_zhoucun_collective_discussion_may_refuse(env):
    zc = "zhoucun-district"
    rid = complete_review(env, zc, case_no="周政立〔2025〕6号")
    issue(env, rid, zc)
    env.call(usecases.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-04T15:00:00+08:00",
        "participants": ["head-zc-001", "head-zc-002"], "summary": "不同意",
        "conclusion": "not_approve"}, actor("head", agency=zc))
    final = env.events("opinion_issued.v1")[1]["data"]
    assert (final["approving"], final["final"]) == (False, True)


def test_elsewhere_an_approval_is_final_unless_collective_discussion_is_flagged(env):
    rid = complete_review(env)
    assert issue(env, rid)["state"] == "opinion_issued"
    assert env.events("opinion_issued.v1")[0]["data"]["final"] is True
    rid2 = complete_review(env, case_no="沁能立〔2025〕8号")
    who = REVIEWER
    findings(env, rid2, QINYUAN_POINTS, who=who)
    view = env.call(usecases.issue_opinion, "issue_opinion", {
        "review_id": rid2, "opinion": "approve", "reasons": "情节复杂",
        "issued_at": "2025-10-30T16:00:00+08:00", "collective_discussion_required": True}, who)
    assert view["state"] == "awaiting_collective_discussion"
    assert env.events("opinion_issued.v1")[1]["data"]["final"] is False
