"""The review before publishing as pure rules: publish, withhold on a ground of scope `whole`,
withhold in part on a ground of scope `part` naming the fields; each refusal names the field
and the rule; a publication moves only as the transition table allows."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.disclosure.domain import publication as pub
from shared.errors import DomainRuleViolated, ValidationFailed
from tests import agencies
from tests.unit.disclosure.support import RULES

RS = RULES.agency(agencies.QINYUAN).ruleset
ZHOUCUN = RULES.agency(agencies.ZHOUCUN).ruleset
PERSON = {"kind": "individual", "name": "李某某", "id_type": "身份证",
          "id_number": "140431199001011234"}
DRAFT = pub.draft(RULES.calendar, RS, pub.Decision(
    act_type="penalty", decision_no="沁能罚〔2025〕13号", decision_date=date(2025, 10, 27),
    authority="沁源县能源局", party=PERSON, facts="无证经营", legal_basis="《煤炭法》",
    conclusion="罚款人民币贰仟元整", case_name=None, fine_amount="2000"), agencies.QINYUAN)


def review(outcome: str, *, rs=RS, state: str = "draft", **kw):
    args: dict[str, Any] = dict(grounds=[], withheld_fields=[], reason=None,
                completions={"case_name": "李某某无证经营案"})
    args.update(kw)
    return pub.review(rs, state, DRAFT.summary, DRAFT.credit, DRAFT.missing, outcome=outcome,
                      **args)


def test_publishing_completes_what_the_draft_lacks():
    done = review("publish")
    assert done.summary["case_name"]["value"] == "李某某无证经营案"
    assert (done.grounds, done.withheld_fields) == ([], [])


def test_nothing_is_published_while_a_summary_field_has_no_value():
    with pytest.raises(DomainRuleViolated) as refused:
        review("publish", completions={})
    assert refused.value.details["rule"] == "summary_incomplete"
    assert refused.value.details["missing"] == ["case_name"]
    assert "案件名称" in refused.value.message_zh


def test_only_a_missing_field_may_be_completed():
    with pytest.raises(ValidationFailed) as refused:
        review("publish", completions={"case_name": "x", "facts": "改写的事实"})
    assert "completions.facts" in refused.value.details


def test_withholding_needs_a_reason_and_a_ground_of_the_whole():
    with pytest.raises(ValidationFailed) as refused:
        review("withhold", grounds=["state_secret"])
    assert "reason" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        review("withhold", reason="涉密")
    assert "grounds" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        review("withhold", grounds=["state_secret"], reason="涉密", withheld_fields=["facts"])
    assert "withheld_fields" in refused.value.details
    done = review("withhold", grounds=["series_investigation"], reason="系列案件尚在调查")
    assert done.grounds == [{"code": "series_investigation",
                             "label": "公开后可能严重影响系列案件调查处理的信息",
                             "basis": "000《公示办法》第十三条第一款"}]


def test_a_ground_the_rule_set_does_not_have_is_refused_naming_it():
    with pytest.raises(ValidationFailed) as refused:
        review("withhold", rs=ZHOUCUN, grounds=["series_investigation"], reason="系列案件")
    assert "grounds.0" in refused.value.details
    assert "zhoucun-district@1" in refused.value.message_zh


def test_privacy_withholds_a_part_never_the_whole_and_state_secrets_the_whole():
    with pytest.raises(DomainRuleViolated) as refused:
        review("withhold", grounds=["privacy"], reason="个人隐私")
    assert refused.value.details["rule"] == "ground_scope"
    with pytest.raises(DomainRuleViolated) as refused:
        review("partial", grounds=["state_secret"], reason="涉密", withheld_fields=["facts"])
    assert refused.value.details["rule"] == "ground_scope"


def test_withholding_in_part_names_fields_the_publication_has():
    with pytest.raises(ValidationFailed) as refused:
        review("partial", grounds=["privacy"], reason="个人隐私")
    assert "withheld_fields" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        review("partial", grounds=["privacy"], reason="个人隐私", withheld_fields=["address"])
    assert "withheld_fields.0" in refused.value.details
    done = review("partial", grounds=["privacy"], reason="个人隐私",
                  withheld_fields=["facts", "party_name"])
    shown = pub.public_view(done.summary, DRAFT.credit, done.withheld_fields)
    assert "facts" not in shown["summary"] and "party_name" not in shown["credit"]
    assert shown["summary"]["case_name"] == "李某某无证经营案"


def test_publishing_whole_withholds_nothing():
    with pytest.raises(ValidationFailed) as refused:
        review("publish", grounds=["privacy"])
    assert "grounds" in refused.value.details


def test_a_publication_is_reviewed_once_and_only_a_published_one_withdrawn():
    with pytest.raises(DomainRuleViolated) as refused:
        review("publish", state="published")
    assert refused.value.details["rule"] == "state"
    assert "已公开" in refused.value.message_zh
    with pytest.raises(DomainRuleViolated):
        pub.next_state("draft", "withdraw")
    assert pub.next_state("published", "withdraw") == "withdrawn"
    with pytest.raises(DomainRuleViolated):
        pub.next_state("withdrawn", "withdraw")


def test_a_withdrawal_is_due_three_working_days_after_the_change():
    assert pub.withdrawal_due(RULES.calendar, RS, date(2025, 12, 1), agencies.QINYUAN) == \
        date(2025, 12, 4)
    with pytest.raises(ValidationFailed) as refused:
        pub.check_decided_on(date(2025, 10, 1), date(2025, 10, 27), date(2025, 12, 1))
    assert "decided_on" in refused.value.details


def test_the_clock_reminds_once_before_the_due_date_and_calls_overdue_once_after():
    row = {"state": "draft", "agency": agencies.QINYUAN, "deadline": DRAFT.deadline,
           "reminded_for": None, "overdue_for": None}
    cal = RULES.calendar
    assert pub.clock_owes(cal, row, date(2025, 10, 30), 2) is None
    owed = pub.clock_owes(cal, row, date(2025, 11, 3), 2)
    assert owed == pub.Owed("due_soon", date(2025, 11, 5), 2)
    assert pub.clock_owes(cal, dict(row, reminded_for=date(2025, 11, 5)), date(2025, 11, 4),
                          2) is None
    assert pub.clock_owes(cal, row, date(2025, 11, 6), 2) == pub.Owed(
        "overdue", date(2025, 11, 5), 1)
    assert pub.clock_owes(cal, dict(row, overdue_for=date(2025, 11, 5)), date(2025, 11, 7),
                          2) is None
    assert pub.clock_owes(cal, dict(row, state="published"), date(2025, 11, 6), 2) is None
