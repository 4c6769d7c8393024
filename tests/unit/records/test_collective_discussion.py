"""The collective discussion a major decision may owe (004 第五十五条, 第三十七条): its
fixed-choice outcome and the proposal it discussed, and the legal unit's flag that the law
requires 集体讨论 (行政处罚法 第五十七条第二款) under 陵川 and 安泽. On SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from demo.case import COUNSEL_OPINION
from services.records import models
from shared.errors import DomainRuleViolated, ValidationFailed
from tests.builders import demo_decision
from tests.unit.records.support import actor, call, case_at_decision, enter_approval, issue

ZHOUCUN, LINGCHUAN, ANZE = "zhoucun-district", "lingchuan-emergency", "anze-county"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


def discuss(env, ctx, agency, at="2025-10-25T09:00:00+08:00", **extra):
    return call(env, "append_record", {
        "case_id": ctx["case_id"], "record_type": "collective_discussion", "occurred_at": at,
        "situations": [], "content": dict({
            "participants": ["王建军", "孙丽", "陈静"], "minutes": "局务会议讨论拟处罚决定",
            "conclusion": "讨论结论见纪要"}, **extra)}, actor("head", agency=agency))


def head(env, case_id) -> int:
    with env.db.read() as s:
        return s.execute(select(models.cases.c.head_seq)
                         .where(models.cases.c.id == case_id)).scalar_one()


def outbox_count(env) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(models.outbox)).scalar_one()


def entry_content(env, case_id, seq) -> dict:
    with env.db.read() as s:
        body = s.execute(select(models.entries.c.body).where(models.entries.c.case_id == case_id)
                         .where(models.entries.c.seq == seq)).scalar_one()
    return json.loads(body)["content"]


# ---- 1. the collective discussion's outcome and proposal ---------------------------------

@pytest.mark.parametrize("outcome", ["do_not_decide", "revise", "refer"])
def test_zhoucun_discussion_that_decided_against_refuses_the_decision(env, outcome):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕21号")
    review = enter_approval(env, ctx, ZHOUCUN)
    held = discuss(env, ctx, ZHOUCUN, outcome=outcome, proposal_seq=ctx["proposal_seq"])
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_not_deciding"
    assert err.value.details == {"discussion_seq": held["seq"], "outcome": outcome,
                                 "review_seq": review["seq"],
                                 "proposal_seq": ctx["proposal_seq"]}
    assert err.value.message_zh.startswith("集体讨论决定")
    assert env.events("decision_issued.v1") == []
    # the leaders' later word on the same proposal is the one that counts
    decided = discuss(env, ctx, ZHOUCUN, at="2025-10-26T09:00:00+08:00", outcome="decide",
                      proposal_seq=ctx["proposal_seq"])
    issued = issue(env, ctx, ZHOUCUN)
    assert entry_content(env, ctx["case_id"], issued["seq"])["collective_discussion_seq"] == \
        decided["seq"]


def test_a_contrary_discussion_stands_where_the_review_alone_would_do(env):
    """陵川 sends a passed review to 集体讨论 only where the law requires it; a discussion
    that was held on the proposal after the review and decided against it still stands."""
    ctx = case_at_decision(env, LINGCHUAN, "陵应急立〔2025〕21号")
    enter_approval(env, ctx, LINGCHUAN)
    discuss(env, ctx, LINGCHUAN, outcome="do_not_decide", proposal_seq=ctx["proposal_seq"])
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, LINGCHUAN, "陵应急罚〔2025〕21号")
    assert err.value.code == "collective_discussion_not_deciding"


def test_zhoucun_discussion_of_one_proposal_does_not_count_for_the_other(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕22号")
    second = call(env, "propose_decision", {
        "case_id": ctx["case_id"], "occurred_at": "2025-10-21T09:00:00+08:00",
        "decision": demo_decision(hearing_held=True, fine_amount="80000")},
        actor("officer", agency=ZHOUCUN))
    other = dict(ctx, proposal_seq=second["seq"])
    enter_approval(env, ctx, ZHOUCUN)
    enter_approval(env, other, ZHOUCUN)
    held = discuss(env, ctx, ZHOUCUN, outcome="decide", proposal_seq=ctx["proposal_seq"])
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, other, ZHOUCUN, "周罚〔2025〕22号")
    assert err.value.code == "collective_discussion_required"
    issued = issue(env, ctx, ZHOUCUN, "周罚〔2025〕21号")
    assert entry_content(env, ctx["case_id"], issued["seq"])["collective_discussion_seq"] == \
        held["seq"]


def test_discussion_naming_no_proposal_or_outcome_still_counts(env):
    """Discussions recorded before outcome and proposal_seq existed (or without them) keep
    counting for the proposal whose review they follow."""
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕23号")
    enter_approval(env, ctx, ZHOUCUN)
    held = discuss(env, ctx, ZHOUCUN)
    assert entry_content(env, ctx["case_id"], held["seq"])["outcome"] is None
    assert issue(env, ctx, ZHOUCUN)["seq"] == held["seq"] + 1


@pytest.mark.parametrize("extra, field, rule", [
    ({"outcome": "approve"}, "content.outcome",
     "Must be one of: decide, revise, do_not_decide, refer."),
    ({"proposal_seq": 0}, "content.proposal_seq", "Must be greater than or equal to 1."),
])
def test_discussion_with_a_bad_outcome_or_seq_is_refused(env, extra, field, rule):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕24号")
    before, events = head(env, ctx["case_id"]), outbox_count(env)
    with pytest.raises(ValidationFailed) as err:
        discuss(env, ctx, ZHOUCUN, **extra)
    assert err.value.details == {field: [rule]}
    assert (head(env, ctx["case_id"]), outbox_count(env)) == (before, events)


def test_discussion_must_name_a_proposal_of_the_case(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕25号")
    before, events = head(env, ctx["case_id"]), outbox_count(env)
    for seq, found in ((1, "seq 1 is a case_opened entry"), (99, "it has no entry at seq 99")):
        with pytest.raises(ValidationFailed) as err:
            discuss(env, ctx, ZHOUCUN, outcome="decide", proposal_seq=seq)
        assert err.value.details == {"content.proposal_seq": [
            "must be the seq of a decision_proposed entry of case 周村立〔2025〕25号; " + found]}
    assert (head(env, ctx["case_id"]), outbox_count(env)) == (before, events)


# ---- 2. the legal unit flags 集体讨论 required by law ---------------------------------------

@pytest.mark.parametrize("agency", [LINGCHUAN, ANZE])
def test_flagged_rpc_review_waits_for_the_collective_discussion(env, agency):
    ctx = case_at_decision(env, agency, "案〔2025〕31号")
    review = call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "opinion": "approve",
        "reasons": "情节复杂，依法应当集体讨论决定", "reviewers": ["陈静", "刘洋"],
        "reviewed_at": "2025-10-24T15:00:00+08:00", "collective_discussion_required": True,
        "counsel_opinion": COUNSEL_OPINION}, actor("legal_unit", agency=agency))
    stored = entry_content(env, ctx["case_id"], review["seq"])
    assert (stored["collective_discussion_required"], stored["final"],
            stored["collective_discussion_owed"]) == (True, False, True)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, agency)
    assert err.value.code == "collective_discussion_required"
    assert "行政处罚法 第五十七条第二款" in err.value.message
    assert err.value.details["review_seq"] == review["seq"]
    assert env.events("decision_issued.v1") == []
    held = discuss(env, ctx, agency, outcome="decide", proposal_seq=ctx["proposal_seq"])
    issued = issue(env, ctx, agency)
    assert entry_content(env, ctx["case_id"], issued["seq"])["collective_discussion_seq"] == \
        held["seq"]


def test_unflagged_rpc_review_is_final_where_the_law_decides(env):
    ctx = case_at_decision(env, ANZE, "安〔2025〕32号")
    review = enter_approval(env, ctx, ANZE)
    stored = entry_content(env, ctx["case_id"], review["seq"])
    assert (stored["collective_discussion_required"], stored["final"]) == (False, True)
    assert issue(env, ctx, ANZE)["seq"] == review["seq"] + 1


# ---- 3. the legal counsel's 法律意见书 on a review entered by hand -------------------------

def test_lingchuan_review_entered_by_hand_needs_the_counsels_opinion(env):
    """陵川 001 工作方案 四(三)一: 对重大执法决定，法律顾问应通过出具法律意见书等形式进行审核 —
    without the board deployed, the legal unit's entry on a major proposal is refused until it
    carries the 法律意见书, and nothing is written; one on a minor proposal owes none."""
    ctx = case_at_decision(env, LINGCHUAN, "陵应急立〔2025〕31号")
    before = head(env, ctx["case_id"])
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "enter_legal_review", {
            "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
            "opinion": "approve", "reasons": "主体合法，事实清楚", "reviewers": ["陈静", "刘洋"],
            "reviewed_at": "2025-10-24T15:00:00+08:00"}, actor("legal_unit", agency=LINGCHUAN))
    assert err.value.code == "legal_counsel_opinion_missing"
    assert err.value.details["field"] == "counsel_opinion"
    assert "001 工作方案 四(三)一" in err.value.details["basis"]
    assert "法律意见书" in err.value.message_zh
    assert head(env, ctx["case_id"]) == before
    entered = call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "opinion": "approve",
        "reasons": "主体合法，事实清楚", "reviewers": ["陈静", "刘洋"],
        "reviewed_at": "2025-10-24T15:00:00+08:00", "counsel_opinion": COUNSEL_OPINION},
        actor("legal_unit", agency=LINGCHUAN))
    assert entry_content(env, ctx["case_id"], entered["seq"])["counsel_opinion"] == \
        COUNSEL_OPINION
    # a decision that is not major owes no 法律意见书 (a 10,000 CNY fine: 001 附件3 第二条)
    minor = call(env, "propose_decision", {
        "case_id": ctx["case_id"], "occurred_at": "2025-10-24T16:00:00+08:00",
        "decision": demo_decision(fine_amount="10000")}, actor("officer", agency=LINGCHUAN))
    assert minor["classification"]["major"] is False
    call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": minor["seq"], "opinion": "approve",
        "reasons": "事实清楚", "reviewers": ["陈静"], "reviewed_at": "2025-10-25T15:00:00+08:00"},
        actor("legal_unit", agency=LINGCHUAN))


def test_where_counsel_only_may_advise_no_opinion_of_theirs_is_owed(env):
    """周村 sets the legal counsel's part as optional: its hand entry needs none, and stores
    no empty field for it."""
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕31号")
    entered = call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "opinion": "approve",
        "reasons": "主体合法，事实清楚", "reviewers": ["陈静", "刘洋"],
        "reviewed_at": "2025-10-24T15:00:00+08:00"}, actor("legal_unit", agency=ZHOUCUN))
    assert "counsel_opinion" not in entry_content(env, ctx["case_id"], entered["seq"])
