"""The review board's pure rules with the shipped rule sets and calendar. Expected dates are
worked out by hand from the 2025 State Council notice: 10-01..10-08 国庆/中秋 holidays,
09-28 (Sun) and 10-11 (Sat) 调休 working days."""
from __future__ import annotations

from datetime import date

import pytest

from services.review import domain
from services.review.domain import Reviewer, Stop
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.provider import Rules
from tests.unit.review.conftest import AGENCIES

RULES = Rules.from_config({"AGENCIES": AGENCIES})
QINYUAN = RULES.ruleset("qinyuan-energy")
ANZE = RULES.ruleset("anze-county")
LINGCHUAN = RULES.ruleset("lingchuan-emergency")
ZHOUCUN = RULES.ruleset("zhoucun-district")
CHANGZHI = RULES.ruleset("changzhi-energy")
ALWAYS = {"proposal", "investigation_report", "draft_decision", "basis_and_evidence"}


def codes(items):
    return [i["code"] for i in items]


# ---- materials ----------------------------------------------------------------------------

def test_nothing_submitted_owes_the_four_always_materials():
    assert codes(domain.materials_missing(QINYUAN, set(), set(), False)) == [
        "proposal", "investigation_report", "draft_decision", "basis_and_evidence"]


def test_complete_without_hearing_owes_nothing():
    assert domain.materials_missing(QINYUAN, ALWAYS, set(), False) == []


def test_a_hearing_owes_the_transcript_or_assessment():
    missing = domain.materials_missing(QINYUAN, ALWAYS, set(), True)
    assert codes(missing) == ["hearing_or_assessment"]
    assert missing[0]["label"] == "听证笔录或评估报告（经听证或评估的）"
    assert missing[0]["basis"] == "000《法制审核办法》第五条（五）"
    assert domain.materials_missing(QINYUAN, ALWAYS | {"hearing_or_assessment"}, set(),
                                    True) == []


def test_declared_applicable_material_is_owed():
    assert codes(domain.materials_missing(ANZE, ALWAYS, {"other"}, False)) == ["other"]


def test_clock_starts_on_receipt_only_in_lingchuan():
    assert domain.clock_starts_on_receipt(LINGCHUAN) is True
    assert [domain.clock_starts_on_receipt(rs) for rs in (QINYUAN, ANZE, ZHOUCUN, CHANGZHI)] \
        == [False, False, False, False]


# ---- deadlines ----------------------------------------------------------------------------

@pytest.mark.parametrize("rs", [QINYUAN, ANZE])
def test_ten_workdays_across_the_national_day_holiday(rs):
    first, second = domain.review_deadline(RULES.calendar, rs, date(2025, 9, 26))
    assert second is None
    assert first.due == date(2025, 10, 16)
    assert first.counted == (date(2025, 9, 28), date(2025, 9, 29), date(2025, 9, 30),
                             date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11),
                             date(2025, 10, 13), date(2025, 10, 14), date(2025, 10, 15),
                             date(2025, 10, 16))
    assert (first.amount, first.unit, first.rule) == (10, "workdays", "review")


@pytest.mark.parametrize("rs", [QINYUAN, ANZE])
def test_extension_adds_ten_workdays_from_the_first_due_date(rs):
    first, second = domain.review_deadline(RULES.calendar, rs, date(2025, 9, 26),
                                           extended=True)
    assert first.due == date(2025, 10, 16)
    assert second.start == date(2025, 10, 16) and second.rule == "review_extension"
    # 10-17, 10-20..24, 10-27..30
    assert second.due == date(2025, 10, 30) and len(second.counted) == 10


def test_lingchuan_seven_workdays():
    first, _ = domain.review_deadline(RULES.calendar, LINGCHUAN, date(2025, 10, 20))
    assert first.due == date(2025, 10, 29)   # 21 22 23 24 27 28 29
    assert first.basis == "001 附件3 第四条"


def test_lingchuan_extension_is_three_natural_days_rolled_off_the_weekend():
    first, second = domain.review_deadline(RULES.calendar, LINGCHUAN, date(2025, 10, 20),
                                           extended=True)
    assert first.due == date(2025, 10, 29)
    # 10-30, 10-31, 11-01 (Saturday) → the next working day, Monday 11-03
    assert second.unit == "natural_days" and second.amount == 3
    assert second.counted == (date(2025, 10, 30), date(2025, 10, 31), date(2025, 11, 1))
    assert second.rolled_from == date(2025, 11, 1)
    assert second.due == date(2025, 11, 3)


def test_a_stop_counts_its_stop_day_and_not_the_days_up_to_resumption():
    # complete Mon 10-20; stopped Wed 10-22, resumed Fri 10-24: 10-22 counts,
    # 10-23 and 10-24 do not; counting goes on Mon 10-27
    stops = [Stop(date(2025, 10, 22), date(2025, 10, 24), "supplementary_materials", "补充材料")]
    plain, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20))
    first, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20), stops=stops)
    assert plain.due == date(2025, 11, 3)
    assert first.due == date(2025, 11, 5)
    assert date(2025, 10, 22) in first.counted
    assert date(2025, 10, 23) not in first.counted and date(2025, 10, 24) not in first.counted
    assert first.paused == ((date(2025, 10, 23), date(2025, 10, 24), "补充材料"),)
    assert (date(2025, 10, 23), "暂停: 补充材料") in first.skipped


def test_a_stop_resumed_the_same_day_shifts_nothing_and_an_open_stop_is_ignored():
    same_day = [Stop(date(2025, 10, 22), date(2025, 10, 22), "x", "补充材料")]
    still_open = [Stop(date(2025, 10, 22), None, "x", "补充材料")]
    assert domain.pauses(same_day) == [] and domain.pauses(still_open) == []
    first, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20),
                                      stops=same_day)
    assert first.due == date(2025, 11, 3) and first.paused == ()


def test_stop_over_a_weekend_shifts_only_by_the_working_days_stopped():
    # stopped Fri 10-24, resumed Mon 10-27: 25, 26 (weekend), 27 not counted → one workday
    stops = [Stop(date(2025, 10, 24), date(2025, 10, 27), "expert_argument", "专家论证")]
    first, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20), stops=stops)
    assert first.due == date(2025, 11, 4)


def test_pause_reasons_come_from_the_rule_set():
    assert domain.pause_reason(QINYUAN, "expert_argument")["label"] == "专家论证"
    with pytest.raises(ValidationFailed) as err:
        domain.pause_reason(LINGCHUAN, "supplementary_materials")
    assert "reason" in err.value.details
    assert "none" in err.value.details["reason"][0]


# ---- reviewers ----------------------------------------------------------------------------

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


def reviewer(qualified=False, done=0, roles=("reviewer",)):
    return Reviewer(person_id="r", name="王某", roles=roles, legal_qualification=qualified,
                    qualification_no="A1" if qualified else None, penalty_reviews_done=done)


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


@pytest.mark.parametrize("rs,officers,reviewers,required,met,actual", [
    (ANZE, 60, 2, 3, False, "0.0333"),
    (ANZE, 60, 3, 3, True, "0.0500"),
    (ANZE, 41, 2, 3, False, "0.0488"),     # 5% of 41 = 2.05 → ceil 3
    (CHANGZHI, 20, 1, 1, True, "0.0500"),
    (CHANGZHI, 21, 1, 2, False, "0.0476"),
    (ANZE, 0, 0, 0, True, None),
])
def test_staffing_ratio_rounds_up(rs, officers, reviewers, required, met, actual):
    report = domain.staffing(rs, officers, reviewers)
    assert report["reviewers_required"] == required
    assert report["met"] is met
    assert report["ratio_actual"] == actual
    assert report["ratio_required"] == "0.05"


def test_staffing_in_principle_differs_by_rule_set():
    assert domain.staffing(ANZE, 10, 1)["in_principle"] is True
    assert domain.staffing(CHANGZHI, 10, 1)["in_principle"] is False


# ---- opinions -----------------------------------------------------------------------------

def all_points(rs, result="pass", **override):
    return {p: {"result": override.get(p, result)} for p in domain.review_points(rs)}


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


def test_copies_go_to_the_case_file_and_the_review_archive():
    assert domain.copies(QINYUAN) == [
        {"copy": 1, "destination": "case_file", "label": "存入执法案卷",
         "online_replaces_paper": False},
        {"copy": 2, "destination": "review_archive", "label": "法制审核机构留存归档",
         "online_replaces_paper": False}]
    # 002: where review runs online, the online record replaces the paper
    assert [c["online_replaces_paper"] for c in domain.copies(ANZE)] == [True, True]
    assert [c["destination"] for c in domain.copies(LINGCHUAN)] == ["case_file",
                                                                    "review_archive"]
