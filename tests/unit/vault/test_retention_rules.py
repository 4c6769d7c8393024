"""Retention classes and holds as rule-set data (000《全过程记录办法》第三十六条; the archives
terms 永久 / 定期30年 / 定期10年 an agency configures), counted in calendar years."""
from __future__ import annotations

from datetime import date

import pytest

from services.vault import domain
from shared.calendar.years import years_after
from shared.errors import DomainRuleViolated, ValidationFailed
from tests import agencies
from tests.unit.vault.support import RULES, with_retention

QINYUAN = RULES.ruleset(agencies.QINYUAN)
LINGCHUAN = RULES.ruleset(agencies.LINGCHUAN)


def test_av_is_kept_two_years_by_default():
    kept = domain.retention_for(QINYUAN, "av", set())
    assert (kept.class_code, kept.years, kept.ruleset) == ("av_default", 2, "qinyuan-energy@1")
    assert "第三十六条" in kept.basis
    assert kept.until(date(2025, 10, 20)) == date(2027, 10, 20)


@pytest.mark.parametrize("fact", ["penalty_evidence", "obstruction",
                                  "major_emergency_mass_incident", "major_difficult_complex"])
def test_av_of_any_of_the_four_situations_is_kept_permanently(fact):
    kept = domain.retention_for(QINYUAN, "av", {fact})
    assert kept.class_code == "av_permanent" and kept.permanent
    assert kept.until(date(2025, 10, 20)) is None


def test_an_agency_whose_seed_is_silent_keeps_the_base_floor():
    assert domain.retention_for(LINGCHUAN, "av", set()).years == 2


def test_a_fact_that_is_no_condition_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        domain.retention_for(QINYUAN, "av", {"stolen_bicycle"})
    assert "facts" in refused.value.details


def test_case_files_take_the_archives_term_the_agency_configures():
    assert domain.retention_for(QINYUAN, "case_file", set()).permanent
    ten = with_retention(QINYUAN, archives_term={"value": "ten_years", "basis": "本局保管期限表"})
    kept = domain.retention_for(ten, "case_file", set())
    assert (kept.term, kept.years, kept.term_basis) == ("ten_years", 10, "本局保管期限表")
    assert domain.retention_for(ten, "case_file", set(), term="thirty_years").years == 30
    with pytest.raises(DomainRuleViolated) as refused:
        domain.retention_for(QINYUAN, "case_file", set(), term="ten_years")
    assert refused.value.details["rule"] == "term_shorter_than_configured"


def test_sm3_is_recorded_beside_sha256_where_the_rule_set_asks():
    assert domain.digests(QINYUAN) == ("sha256",)
    sm3 = with_retention(QINYUAN, digests={"value": ["sha256", "sm3"], "basis": "国密要求"})
    assert domain.digests(sm3) == ("sha256", "sm3")


def test_years_end_on_the_same_day_or_the_months_last():
    assert years_after(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert years_after(date(2025, 12, 31), 30) == date(2055, 12, 31)


def test_a_legal_hold_keeps_an_object_whatever_its_retention():
    today = date(2030, 1, 1)
    assert domain.why_kept(date(2027, 10, 20), True, today) == "legal_hold"
    assert domain.why_kept(date(2027, 10, 20), False, today) is None
    assert domain.why_kept(date(2030, 1, 1), False, today) == "retention_active"
    assert domain.why_kept(None, False, today) == "permanent"
    with pytest.raises(DomainRuleViolated) as refused:
        domain.check_disposal("o-1", date(2027, 10, 20), True, today)
    assert refused.value.details["rule"] == "legal_hold"


def test_a_disposal_is_approved_by_a_second_person_once():
    with pytest.raises(DomainRuleViolated) as refused:
        domain.check_approver("d-1", "requested", "head-1", "head-1")
    assert refused.value.details["rule"] == "four_eyes"
    domain.check_approver("d-1", "requested", "head-1", "supervisor-1")
    with pytest.raises(DomainRuleViolated):
        domain.check_approver("d-1", "approved", "head-1", "supervisor-1")


def test_the_retention_refusals_say_in_chinese_which_object_term_and_rule():
    with pytest.raises(DomainRuleViolated) as held:
        domain.check_disposal("o-1", date(2027, 10, 20), True, date(2030, 1, 1))
    assert held.value.message_zh == "对象 o-1 不得销毁：该对象处于法律冻结（legal hold）状态"
    with pytest.raises(DomainRuleViolated) as kept:
        domain.check_disposal("o-1", date(2030, 1, 1), False, date(2030, 1, 1))
    assert kept.value.message_zh == "对象 o-1 不得销毁：该对象保存至 2030-01-01，保存期限未届满"
    with pytest.raises(DomainRuleViolated) as same:
        domain.check_approver("d-1", "requested", "head-1", "head-1")
    assert same.value.message_zh == "销毁申请 d-1 由 head-1 提出，须由另一人审批"
    with pytest.raises(DomainRuleViolated) as shorter:
        domain.retention_for(QINYUAN, "case_file", set(), term="ten_years")
    assert shorter.value.message_zh.startswith("保管期限 ten_years（定期10年）短于规则集 ")
    assert shorter.value.message_zh.endswith("配置的永久，不得缩短保存期限")
    with pytest.raises(ValidationFailed) as fact:
        domain.retention_for(QINYUAN, "av", {"stolen_bicycle"})
    assert fact.value.message_zh.startswith("事实 stolen_bicycle 不是规则集 ")
    assert "执法音像资料（av）的保存期限条件：facts 应为下列之一：" in fact.value.message_zh


def test_a_rolling_cycle_spreads_the_audit_over_its_days():
    # 90 days of ten-minute ticks: 12 960 ticks
    assert domain.audit_budget(0, 90, 600) == 0
    assert domain.audit_budget(100, 90, 600) == 1
    assert domain.audit_budget(1_000_000, 90, 600) == 78
    assert domain.fixity_outcome({"sha256": "a"}, {"sha256": "a"}) == "pass"
    assert domain.fixity_outcome({"sha256": "a"}, {"sha256": "b"}) == "fail"
    assert domain.fixity_outcome({"sha256": "a"}, None) == "missing"
