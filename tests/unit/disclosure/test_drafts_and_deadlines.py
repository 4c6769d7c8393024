"""A decision's draft as pure rules (no database): the summary fields each agency's rule set
names, the 双公示 record for the kind of party, and the deadline by kind of act counted on the
legal calendar (7 working days for a licence or penalty, 20 for any other decision)."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.disclosure.domain import publication as pub
from shared.errors import ValidationFailed
from shared.rulesets.repository import RuleSet
from tests import agencies
from tests.unit.disclosure.support import RULES

QINYUAN = RULES.agency(agencies.QINYUAN).ruleset
ANZE = RULES.agency(agencies.ANZE).ruleset
COMPANY = {"kind": "organisation", "name": "沁源县某某煤业有限公司",
           "credit_code": "91140431MA0K1234X5", "representative": "赵某"}
PERSON = {"kind": "individual", "name": "李某某", "id_type": "身份证",
          "id_number": "140431199001011234"}


def decision(**changes) -> pub.Decision:
    values: dict[str, Any] = dict(act_type="penalty", decision_no="沁能罚〔2025〕12号",
                  decision_date=date(2025, 10, 27), authority="沁源县能源局", party=COMPANY,
                  facts="未如实记录安全生产教育和培训情况", legal_basis="《安全生产法》第九十七条",
                  conclusion="罚款人民币陆万元整", case_name="某某煤业未按规定培训案",
                  fine_amount="60000")
    values.update(changes)
    return pub.Decision(**values)


def test_a_penalty_is_due_seven_working_days_after_the_decision():
    made = pub.draft(RULES.calendar, QINYUAN, decision(), agencies.QINYUAN)
    assert made.deadline == {"due": "2025-11-05", "rule": "publish_licence_penalty",
                             "amount": 7, "unit": "workdays",
                             "basis": "000《公示办法》第十五条第一款", "start": "2025-10-27"}


def test_the_national_day_holiday_is_not_counted_and_its_makeup_saturday_is():
    made = pub.draft(RULES.calendar, QINYUAN, decision(decision_date=date(2025, 9, 30)),
                     agencies.QINYUAN)
    assert made.deadline["due"] == "2025-10-16"


def test_any_other_decision_is_due_twenty_working_days_after():
    made = pub.draft(RULES.calendar, QINYUAN, decision(act_type="inspection"),
                     agencies.QINYUAN)
    assert (made.deadline["rule"], made.deadline["due"]) == ("publish_other_decision",
                                                             "2025-11-24")


def test_qinyuan_publishes_its_seven_summary_fields_and_anze_its_five():
    made = pub.draft(RULES.calendar, QINYUAN, decision(), agencies.QINYUAN)
    assert {c: f["label"] for c, f in made.summary.items()} == {
        "document_number": "决定书文号", "case_name": "案件名称", "authority": "执法机关",
        "facts": "违法事实", "legal_basis": "法律依据", "conclusion": "执法结论",
        "decision_date": "决定日期"}
    assert made.missing == []
    made = pub.draft(RULES.calendar, ANZE, decision(), agencies.ANZE)
    assert {c: f["value"] for c, f in made.summary.items()} == {
        "authority": "沁源县能源局", "party": "沁源县某某煤业有限公司", "category": "行政处罚",
        "conclusion": "罚款人民币陆万元整", "decision_date": "2025-10-27"}


def test_a_case_name_not_given_is_missing_for_the_review_to_complete():
    made = pub.draft(RULES.calendar, QINYUAN, decision(case_name=None), agencies.QINYUAN)
    assert made.missing == ["case_name"]
    assert made.summary["case_name"] == {"label": "案件名称", "value": None}


def test_the_credit_record_of_an_organisation_gives_the_fine_in_wan_yuan():
    made = pub.draft(RULES.calendar, QINYUAN, decision(), agencies.QINYUAN)
    assert made.credit["fine_amount"] == {"label": "罚款金额（万元）", "value": "6",
                                          "public": True}
    assert made.credit["party_category"]["value"] == "法人及非法人组织"
    assert made.credit["representative"]["value"] == "赵某"
    assert "id_number" not in made.credit
    assert pub.wan_yuan("1500.50") == "0.15005"


def test_a_natural_persons_id_number_is_kept_for_government_sharing_never_shown():
    made = pub.draft(RULES.calendar, QINYUAN, decision(party=PERSON), agencies.QINYUAN)
    assert made.credit["id_number"] == {"label": "证件号码", "value": "140431199001011234",
                                        "public": False}
    assert "representative" not in made.credit
    shown = pub.public_view(made.summary, made.credit, [])
    assert "id_number" not in shown["credit"] and "id_type" not in shown["credit"]
    assert "140431199001011234" not in repr(shown)


def test_a_licence_keeps_no_penalty_record():
    made = pub.draft(RULES.calendar, QINYUAN, decision(act_type="licence"), agencies.QINYUAN)
    assert made.credit == {}


def _requiring(rs: RuleSet, code: str) -> RuleSet:
    data = rs.data
    for field in data["disclosure"]["credit_fields"]:
        if field["code"] == code:
            field["required"] = True
    return RuleSet(data, {}, list(rs.extends_chain), rs.file)


def test_a_credit_field_the_rule_set_requires_without_a_value_is_refused_naming_it():
    rs = _requiring(QINYUAN, "violation_type")
    with pytest.raises(ValidationFailed) as refused:
        pub.draft(RULES.calendar, rs, decision(), agencies.QINYUAN)
    assert list(refused.value.details) == ["violation_type"]
    assert "disclosure.credit_fields" in refused.value.details["violation_type"][0]
    assert "违法行为类型" in refused.value.message_zh
    assert pub.draft(RULES.calendar, rs, decision(violation_type="未按规定培训"),
                     agencies.QINYUAN).credit["violation_type"]["value"] == "未按规定培训"


def test_an_unknown_kind_of_act_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        pub.draft(RULES.calendar, QINYUAN, decision(act_type="parking"), agencies.QINYUAN)
    assert "act_type" in refused.value.details
