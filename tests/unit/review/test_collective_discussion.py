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


# ---- 陵川 001 附件3 第七条（八）: the leaders decide --------------------------------------

def _leaders_decide(env, case_no: str) -> str:
    lc = "lingchuan-emergency"
    rid = complete_review(env, lc, case_no=case_no)
    view = issue(env, rid, lc, opinion="collective_decision")
    assert view["state"] == "awaiting_collective_discussion"
    assert (view["opinion"]["approving"], view["opinion"]["final"],
            view["opinion"]["collective_discussion_owed"]) == (False, False, True)
    return rid


def test_lingchuan_opinion_leaving_it_to_the_leaders_waits_for_their_discussion_which_decides(
        env):
    """第七条（八）“对重大、复杂案件，由局机关领导集体研究决定”: the opinion is not the last word;
    the review waits for the leaders' collective discussion, whose approval is final."""
    lc = "lingchuan-emergency"
    rid = _leaders_decide(env, "陵应急立〔2025〕61号")
    first = env.events("opinion_issued.v1")[0]["data"]
    assert (first["opinion"], first["approving"], first["final"]) == (
        "collective_decision", False, False)
    view = env.call(usecases.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-03T15:00:00+08:00",
        "participants": ["head-lc-001", "head-lc-002", "head-lc-003"],
        "summary": "经局机关领导集体研究，同意作出处罚决定", "conclusion": "approve"},
        actor("head", agency=lc, id="head-lc-001"))
    assert view["state"] == "decided"
    final = env.events("opinion_issued.v1")[-1]["data"]
    assert (final["approving"], final["final"], final["stage"]) == (
        True, True, "collective_discussion")


def test_lingchuan_leaders_may_decide_against_a_case_left_to_them(env):
    lc = "lingchuan-emergency"
    rid = _leaders_decide(env, "陵应急立〔2025〕62号")
    view = env.call(usecases.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-03T15:00:00+08:00",
        "participants": ["head-lc-001", "head-lc-002"], "summary": "证据不足，不予处罚",
        "conclusion": "not_approve"}, actor("head", agency=lc, id="head-lc-001"))
    final = env.events("opinion_issued.v1")[-1]["data"]
    assert (view["state"], final["approving"], final["final"]) == ("decided", False, True)
