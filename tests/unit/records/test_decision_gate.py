"""The major-decision gate on SQLite where the legal unit enters the review by RPC: a major
decision waits for an approving review, and under 周村 (004 第五十五条) for a collective
discussion after it."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from demo.case import COUNSEL_OPINION
from services.records import models, store
from shared.errors import DomainRuleViolated, Forbidden, ValidationFailed
from tests.unit.records.support import (
    actor,
    call,
    case_at_decision,
    enter_approval,
    issue,
    run_demo,
)


def test_major_decision_needs_an_approving_review(env):
    ctx = run_demo(env, until="enter_legal_review")
    review = {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
              "opinion": "not_approve", "reasons": "主要证据不足", "reviewers": ["陈静"],
              "reviewed_at": "2025-10-24T15:00:00+08:00", "counsel_opinion": COUNSEL_OPINION}
    with pytest.raises(Forbidden):  # only the legal unit enters reviews
        call(env, "enter_legal_review", review, actor("officer"))
    call(env, "enter_legal_review", review, actor("legal_unit"))
    issue = {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
             "decision_no": "陵应急罚〔2025〕31号", "issued_at": "2025-10-27T10:00:00+08:00",
             "signed_by": "王建军"}
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "issue_decision", issue, actor("head"))
    assert err.value.code == "legal_review_not_approving"
    with pytest.raises(ValidationFailed) as invalid:
        call(env, "enter_legal_review", dict(review, opinion="looks_fine"), actor("legal_unit"))
    assert "opinion" in invalid.value.details


ZHOUCUN = "zhoucun-district"


def zc(role):
    return actor(role, agency=ZHOUCUN)


def discuss(env, ctx, agency, at="2025-10-25T09:00:00+08:00"):
    return call(env, "append_record", {
        "case_id": ctx["case_id"], "record_type": "collective_discussion", "occurred_at": at,
        "situations": [], "content": {
            "participants": ["王建军", "孙丽", "陈静"], "minutes": "局务会议讨论拟处罚决定",
            "conclusion": "同意作出罚款人民币陆万元的决定"}}, actor("head", agency=agency))


def test_zhoucun_rpc_review_needs_a_later_collective_discussion_lingchuan_does_not(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕7号")
    review = enter_approval(env, ctx, ZHOUCUN)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_required"
    assert err.value.details == {"review_seq": review["seq"], "ruleset": "zhoucun-district@1",
                                 "record_type": "collective_discussion"}
    assert "004 第五十五条" in err.value.message
    assert env.events("decision_issued.v1") == []
    held = discuss(env, ctx, ZHOUCUN)
    issued = issue(env, ctx, ZHOUCUN)
    assert issued["seq"] == held["seq"] + 1
    data = env.events("decision_issued.v1")[-1]["data"]
    assert data["legal_review_seq"] == review["seq"]
    with env.db.read() as s:
        body = s.execute(select(models.entries.c.body)
                         .where(models.entries.c.case_id == ctx["case_id"])
                         .where(models.entries.c.seq == issued["seq"])).scalar_one()
    assert json.loads(body)["content"]["collective_discussion_seq"] == held["seq"]
    # 陵川 (collective discussion only where the law requires it): the review alone suffices
    lc = case_at_decision(env, "lingchuan-emergency", "陵应急立〔2025〕7号")
    lc_review = enter_approval(env, lc, "lingchuan-emergency")
    lc_issued = issue(env, lc, "lingchuan-emergency", "陵应急罚〔2025〕7号")
    assert lc_issued["seq"] == lc_review["seq"] + 1


def test_zhoucun_discussion_before_the_review_does_not_count(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕8号")
    discuss(env, ctx, ZHOUCUN, at="2025-10-23T09:00:00+08:00")
    enter_approval(env, ctx, ZHOUCUN)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_required"


def test_zhoucun_rpc_entry_without_final_flag_is_not_final(env):
    """An entry written before RPC reviews carried `final` is read by the rule set."""
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕9号")
    with env.db.transaction() as session:
        case = store.load_case(session, ctx["case_id"], lock=True)
        store.append(session, case, kind="legal_review", actor=zc("legal_unit"), now=env.now,
                     occurred_at=env.now, content={
                         "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
                         "opinion": "approve", "reasons": "同意", "reviewers": ["陈静"],
                         "reviewed_at": "2025-10-24T15:00:00+08:00", "approving": True})
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_required"
    discuss(env, ctx, ZHOUCUN)
    assert issue(env, ctx, ZHOUCUN)["stage"] == "decision"
