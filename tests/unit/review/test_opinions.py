"""The opinion and the disagreement that may follow it: every point examined first, no
approval on a failed point, the opinion kinds of the rule set, a consultation that settles
the disagreement."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.review import domain, usecases
from shared.errors import DomainRuleViolated, ValidationFailed
from tests.unit.review.support import (
    LINGCHUAN,
    OFFICER,
    QINYUAN,
    REVIEWER,
    actor,
    all_points,
    complete_review,
    history,
    issue,
    material,
)

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


def test_lingchuan_issues_no_opinion_before_the_counsels_legal_opinion_is_on_file(env):
    """001 工作方案 四(三)一 “对我局做出的重大执法决定，法律顾问应通过出具法律意见书等形式进行审核”
    (review.legal_counsel: required, opinion_material): refused, nothing written, until the
    counsel's 法律意见书 is submitted; the 意见书 then names it."""
    lc = "lingchuan-emergency"
    rid = complete_review(env, lc, counsel=False, case_no="陵应急立〔2025〕66号")
    who = actor("reviewer", agency=lc, id="reviewer-1")
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, rid, lc)
    assert err.value.code == "legal_counsel_opinion_missing"
    assert err.value.details["material"] == "legal_counsel_opinion"
    assert err.value.details["basis"].startswith("001 工作方案 四(三)一")
    assert env.events("opinion_issued.v1") == []
    [refusal] = [h for h in history(env, rid, lc) if h["action"] == "opinion_refused"]
    assert (refusal["actor_id"], refusal["body"]["refused"], refusal["body"]["material"]) == (
        "reviewer-1", "legal_counsel_opinion_missing", "legal_counsel_opinion")
    env.call(usecases.submit_materials, "submit_materials", {
        "review_id": rid, "materials": [dict(material("legal_counsel_opinion"),
                                             title="法律意见书（晋陵律师事务所）",
                                             note="同意法制审核意见")],
        "applicable": [], "submitted_at": "2025-10-29T10:00:00+08:00"},
        actor("officer", agency=lc))
    view = env.call(usecases.issue_opinion, "issue_opinion", {
        "review_id": rid, "opinion": "approve", "reasons": "事实清楚",
        "issued_at": "2025-10-30T16:00:00+08:00"}, who)
    assert view["state"] == "opinion_issued"
    [issued] = env.events("opinion_issued.v1")
    assert issued["data"]["document"]["data"]["counsel_opinion"] == (
        "法律意见书（晋陵律师事务所）：同意法制审核意见")


def test_where_counsel_may_advise_no_legal_opinion_is_owed(env):
    rid = complete_review(env, "anze-county", case_no="安司立〔2025〕9号")
    view = issue(env, rid, "anze-county")
    assert view["state"] == "opinion_issued"
    assert "counsel_opinion" not in env.events("opinion_issued.v1")[0]["data"]["document"]["data"]


# ---- disagreement (异议) ------------------------------------------------------------------------

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


def test_lingchuan_leaders_reexamine_a_contested_opinion_without_a_consultation_first(env):
    """001 附件3 第九条 “相关股室…有异议的，可以提请局领导复核”: the handling unit asks, the
    head (局领导) re-examines; no consultation stands between them, as it does under 002
    第十五条 (head_decides)."""
    lc = "lingchuan-emergency"
    rid = complete_review(env, lc, case_no="陵应急立〔2025〕63号")
    issue(env, rid, lc, opinion="not_approve")
    env.call(usecases.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "违法事实有证据证明",
        "contested_at": "2025-10-31T09:00:00+08:00"}, actor("officer", agency=lc))
    view = env.call(usecases.head_decide, "head_decide", {
        "review_id": rid, "outcome": "replace", "opinion": "approve",
        "reasons": "局领导复核：事实清楚，证据确凿，同意",
        "decided_at": "2025-11-03T09:00:00+08:00"}, actor("head", agency=lc, id="head-lc-001"))
    assert view["state"] == "decided"
    assert (view["disagreement"]["procedure"], view["disagreement"]["consultations"],
            view["disagreement"]["resolved_by"]) == ("leaders_reexamine", [], "head")
    final = env.events("opinion_issued.v1")[-1]["data"]
    assert (final["opinion"], final["approving"], final["stage"]) == (
        "approve", True, "head_decision")


def test_where_the_head_decides_the_disagreement_is_consulted_first(env):
    rid = complete_review(env)
    issue(env, rid, opinion="do_not_decide")
    env.call(usecases.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "异议", "contested_at": "2025-10-31T09:00:00+08:00"},
        OFFICER)
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.head_decide, "head_decide", {
            "review_id": rid, "outcome": "uphold", "opinion": None, "reasons": "维持",
            "decided_at": "2025-11-03T09:00:00+08:00"}, actor("head"))
    assert err.value.code == "consultation_first"


# ---- findings, opinions and disagreement, without a database -------------------------------------

WHEN = datetime(2025, 10, 30, 8, 0, tzinfo=UTC)


def test_a_finding_is_on_a_review_point_of_the_rule_set():
    assert domain.finding(QINYUAN, "documents", "flaw", "编号", by="reviewer-1", at=WHEN) == {
        "result": "flaw", "note": "编号", "by": "reviewer-1", "at": WHEN.isoformat()}
    with pytest.raises(ValidationFailed) as err:
        domain.finding(QINYUAN, "not_a_point", "pass", None, by="reviewer-1", at=WHEN)
    assert list(err.value.details) == ["point"]


def test_an_opinion_is_on_time_by_its_due_date_and_names_the_active_reviewers():
    kind = domain.opinion_kinds(QINYUAN)["approve"]
    assignments = [{"reviewer_id": "reviewer-1", "status": "active"},
                   {"reviewer_id": "reviewer-2", "status": "recused"}]
    day = date(2025, 10, 30)
    opinion = domain.issued(kind, "事实清楚", by="reviewer-1", at=WHEN, day=day,
                            assignments=assignments, deadline={"due": "2025-10-30"},
                            owed=False, revised=False)
    assert (opinion["reviewers"], opinion["on_time"], opinion["final"], opinion["stage"]) == (
        ["reviewer-1"], True, True, "reviewers")
    late = domain.issued(kind, "x", by="reviewer-1", at=WHEN, day=day, assignments=[],
                         deadline={"due": "2025-10-29"}, owed=True, revised=True)
    assert (late["on_time"], late["final"], late["collective_discussion_owed"],
            late["revised"]) == (False, False, True, True)


def test_a_disagreement_remembers_the_state_to_go_back_to_and_is_consulted_first():
    review = {"opinion": {"code": "approve"}, "state": domain.AWAITING_COLLECTIVE}
    d = domain.disagreement(QINYUAN, review, "异议", by="officer-1", at=WHEN)
    assert (d["state_before"], d["opinion_contested"], d["consultations"],
            d["resolved_by"]) == (domain.AWAITING_COLLECTIVE, "approve", [], None)
    with pytest.raises(DomainRuleViolated) as err:
        domain.require_consulted(d)
    assert err.value.code == "consultation_first"
    talked = domain.consulted(d, {"outcome": domain.NO_AGREEMENT})
    domain.require_consulted(talked)
    assert talked["resolved_by"] is None
    assert domain.consulted(talked, {"outcome": domain.ACCEPTED})["resolved_by"] == \
        "consultation"


def test_the_head_replaces_an_opinion_and_a_collective_discussion_has_the_last_word():
    opinion = {"code": "approve", "approving": True, "reviewers": ["reviewer-1"]}
    correct = domain.opinion_kind(QINYUAN, "correct")
    replaced = domain.replaced(opinion, correct, "纠正", by="head-1", at=WHEN,
                               day=date(2025, 10, 30), owed=False)
    assert (replaced["code"], replaced["approving"], replaced["stage"], replaced["final"],
            replaced["reviewers"]) == ("correct", False, "head_decision", True, ["reviewer-1"])
    with pytest.raises(ValidationFailed):
        domain.opinion_kind(QINYUAN, None)  # type: ignore[arg-type]  # a missing code, refused
    refused = domain.discussed(opinion, "not_approve", "不同意", by="head-1", at=WHEN,
                               day=date(2025, 10, 30))
    assert (refused["approving"], refused["final"], refused["stage"]) == (
        False, True, "collective_discussion")
    assert domain.discussed(dict(opinion, approving=False), "approve", "同意", by="head-1",
                            at=WHEN, day=date(2025, 10, 30))["approving"] is False
