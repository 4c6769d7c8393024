"""Execution: a coercive execution or an application to the court for enforcement needs a
催告书 served before it (000《全过程记录办法》第二十九条、第三十条; 004 第四十一条), and where
the rule set's start mode asks it (周村 004 第三十条第二款) the source of a complaint or a
referral that started a case is told its course and result (source_notice). A case of each
agency walks through."""
from __future__ import annotations

import pytest

from shared.errors import ValidationFailed
from tests.agencies import ANZE, CHANGZHI, LINGCHUAN, QINYUAN, ZHOUCUN
from tests.builders import filing_approval
from tests.unit.records.support import (
    actor,
    advance,
    call,
    case_findings,
    open_case,
    record,
    t,
)

AGENCIES = (LINGCHUAN, QINYUAN, ANZE, CHANGZHI, ZHOUCUN)
# each agency's article: its own seed's, or base's (行政强制法) where its seeds are silent
LAW = ("行政强制法 第三十五条（作出强制执行决定前事先催告）、"
       "第五十四条（申请人民法院强制执行前催告）")
ARTICLE = {LINGCHUAN: LAW, QINYUAN: "000《全过程记录办法》第二十九条、第三十条", ANZE: LAW,
           CHANGZHI: LAW, ZHOUCUN: "004 第四十一条"}


def executing_case(env, agency, case_no):
    case = open_case(env, agency, case_no)
    for stage, day in (("investigation", "2025-09-02"), ("decision", "2025-09-03"),
                       ("service_execution", "2025-09-04")):
        advance(env, case, stage, t(day))
    return case


def reminder(served_on: str) -> dict:
    return {"served_on": served_on, "obligations": "缴纳罚款人民币叁万元整",
            "deadline_text": "收到本催告书之日起十日内"}


def coercive(measure="additional_fine") -> dict:
    return {"measure": measure, "summary": "依法加处罚款"}


def court(applied_on: str) -> dict:
    return {"applied_on": applied_on, "court": "某县人民法院", "summary": "申请强制执行罚款"}


def found(env, case, *codes_) -> list[tuple]:
    return [(f["code"], f["seq"], f["article"], f["message"]) for f in case_findings(env, case)
            if f["code"] in codes_]


@pytest.mark.parametrize("agency", AGENCIES)
def test_coercive_execution_without_a_prior_reminder_is_a_finding(env, agency):
    case = executing_case(env, agency, f"执〔2025〕{AGENCIES.index(agency)}号")
    seq = record(env, case, "coercive_execution", t("2025-09-20"), coercive())["seq"]
    assert found(env, case, "execution_without_reminder") == [
        ("execution_without_reminder", seq, ARTICLE[agency],
         "作出强制执行决定前未制作催告书送达当事人 (2025-09-20)")]
    # the 催告书, served on 09-08 and entered late, precedes the act all the same
    record(env, case, "reminder", t("2025-09-08"), reminder("2025-09-08"))
    assert found(env, case, "execution_without_reminder") == []


def test_a_court_application_on_the_day_the_reminder_is_served_is_not_preceded_by_it(env):
    case = executing_case(env, ZHOUCUN, "周执〔2025〕9号")
    record(env, case, "reminder", t("2025-09-10"), reminder("2025-09-10"))
    seq = record(env, case, "court_enforcement", t("2025-09-10", "16:00"),
                 court("2025-09-10"))["seq"]
    assert found(env, case, "execution_without_reminder") == [
        ("execution_without_reminder", seq, ARTICLE[ZHOUCUN],
         "申请人民法院强制执行前未制作催告书送达当事人 (2025-09-10; 催告书 served 2025-09-10)")]
    later = record(env, case, "court_enforcement", t("2025-09-25"), court("2025-09-25"))["seq"]
    assert [seq_ for _, seq_, _, _ in found(env, case, "execution_without_reminder")] == [seq]
    assert later > seq


# --- the source told the course and result (004 第三十条第二款) -------------------------------

SOURCE = {"kind": "complaint", "provider_person_id": None,
          "received_at": t("2025-09-01", "09:00"), "content": "反映某企业违规储存危险化学品"}
STARTED = {"decision": "start", "reason": "经核查存在违法嫌疑",
           "legal_basis": "行政处罚法 第五十四条",
           "notified_at": t("2025-09-02", "15:00"), "notice_method": "phone",
           "notice_content": "经核查，决定立案调查"}
NOTICE = {"recipient": "王秀英", "method": "phone", "notified_at": "2025-09-05T10:00:00+08:00",
          "told": "案件已立案调查，依法作出责令改正决定，当事人已改正"}


def started_complaint(env, agency, case_no, *, notice: bool):
    case = open_case(env, agency, case_no, start_mode="complaint", filing_approval=None,
                     source=SOURCE)
    call(env, "decide_source", dict(STARTED, case_id=case["id"],
                                    filing_approval=filing_approval()), actor(agency=agency))
    if notice:
        record(env, case, "source_notice", t("2025-09-05"), NOTICE)
    call(env, "close_case", {"case_id": case["id"], "closed_at": t("2025-09-06"),
                             "reason": "当事人已改正，结案"}, actor(agency=agency))
    return case


def test_zhoucun_closes_a_started_complaint_without_telling_the_source_its_result(env):
    case = started_complaint(env, ZHOUCUN, "周源〔2025〕3号", notice=False)
    assert found(env, case, "source_result_not_told") == [
        ("source_result_not_told", None, "004 第三十条",
         "依投诉、举报启动的案件未记录将执法情况、执法结果告知案源提供人")]
    told = started_complaint(env, ZHOUCUN, "周源〔2025〕4号", notice=True)
    assert found(env, told, "source_result_not_told") == []


@pytest.mark.parametrize("agency", sorted(set(AGENCIES) - {ZHOUCUN}))
def test_a_rule_set_that_does_not_ask_it_has_no_source_finding(env, agency):
    case = started_complaint(env, agency, "源〔2025〕5号", notice=False)
    assert found(env, case, "source_result_not_told") == []


def test_a_source_notice_without_what_was_told_is_refused(env):
    case = open_case(env, ZHOUCUN, "周源〔2025〕6号", start_mode="complaint",
                     filing_approval=None, source=SOURCE)
    with pytest.raises(ValidationFailed) as err:
        record(env, case, "source_notice", t("2025-09-05"),
               {k: v for k, v in NOTICE.items() if k != "told"})
    assert "content.told" in str(err.value.details)
