"""The officers a case's records name, judged on the record's day (domain.officers, pure): each
officer of a record once, on its China day; the register's statuses to findings
(officer_unqualified, officer_unknown, officer_unverified, none for a qualified one); the
register asked once per certificate and day however many records name the officer; each finding
naming the record, the officer, the day and the article of the case's rule set (000, 002 and
004's own, base's where a seed is silent)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.records.domain import findings, officers
from shared.rulesets.provider import Rules
from tests.agencies import AGENCIES

RULES = Rules.from_config({"AGENCIES": AGENCIES})
CASE = findings.CaseState(id="c-1", case_no="沁能立〔2025〕9号", act_type="penalty",
                          status="open", start_state="approved")


def verdict(status: str) -> officers.Verdict:
    return officers.Verdict(status, f"{status} (en)", f"{status}（中文理由）")


def test_each_officer_of_a_record_once_on_its_china_day():
    named = officers.named(7, "2025-10-09T17:30:00+00:00", {"officers": [
        {"name": "李明", "certificate_no": " 14052100017 ", "certificate_shown": True},
        {"name": "李明", "certificate_no": "14052100017", "certificate_shown": True},
        {"name": "张华", "certificate_no": "14052100021", "certificate_shown": False}]})
    assert named == [
        officers.Named(7, "2025-10-09T17:30:00+00:00", date(2025, 10, 10), "14052100017", "李明"),
        officers.Named(7, "2025-10-09T17:30:00+00:00", date(2025, 10, 10), "14052100021", "张华")]
    assert officers.named(8, "2025-10-09T09:00:00+08:00", {"summary": "无执法人员"}) == []


@pytest.mark.parametrize(("status", "code"), [
    ("qualified", None), ("unknown_officer", "officer_unknown"),
    ("removed", "officer_unqualified"), ("not_yet_valid", "officer_unqualified"),
    ("expired", "officer_unqualified"), ("category_not_covered", "officer_unqualified"),
    ("region_not_covered", "officer_unqualified"), ("unverified", "officer_unverified")])
def test_the_registers_status_decides_the_finding(status, code):
    assert officers.code_of(verdict(status)) == code


def test_the_register_is_asked_once_per_certificate_and_day():
    asked: list[tuple[str, date]] = []

    def register(number: str, on: date) -> officers.Verdict:
        asked.append((number, on))
        return verdict("expired")
    check = officers.Cached(register)
    named = [officers.Named(seq, at, day, "14052100021", "张华") for seq, at, day in (
        (3, "2025-10-09T06:30:00+00:00", date(2025, 10, 9)),
        (4, "2025-10-10T01:00:00+00:00", date(2025, 10, 10)),
        (5, "2025-10-10T02:30:00+00:00", date(2025, 10, 10)))]
    judged = officers.judge(named, check)
    assert [f.officer.seq for f in judged] == [3, 4, 5]
    assert asked == [("14052100021", date(2025, 10, 9)), ("14052100021", date(2025, 10, 10))]


@pytest.mark.parametrize(("agency", "unqualified", "unknown"), [
    ("qinyuan-energy", "000《公示办法》第十条（一）", "000《公示办法》第九条（三）"),
    ("anze-county", "002《公示办法》第十一条", "002《公示办法》第十条（三）"),
    ("zhoucun-district", "004 第十七条", "004 第十一条"),
    ("lingchuan-emergency", "行政处罚法 第四十二条第一款", "行政处罚法 第四十二条第一款")])
def test_a_finding_names_the_record_the_officer_the_day_and_the_article(agency, unqualified,
                                                                         unknown):
    rs = RULES.agency(agency).ruleset
    statuses = {"14052100017": "qualified", "14052100021": "expired",
                "14052100099": "unknown_officer"}
    named = officers.named(6, "2025-10-10T02:30:00+00:00", {"officers": [
        {"name": n, "certificate_no": c, "certificate_shown": True}
        for n, c in (("李明", "14052100017"), ("张华", "14052100021"), ("刘某", "14052100099"))]})
    found = findings.officer_findings(CASE, rs, named, lambda c, on: verdict(statuses[c]))
    assert [(f["code"], f["seq"], f["at"], f["officer"]["certificate_no"]) for f in found] == [
        ("officer_unqualified", 6, "2025-10-10T02:30:00+00:00", "14052100021"),
        ("officer_unknown", 6, "2025-10-10T02:30:00+00:00", "14052100099")]
    assert found[0]["article"].startswith(unqualified)
    assert found[1]["article"].startswith(unknown)
    assert found[0]["officer"] == {"certificate_no": "14052100021", "name": "张华",
                                   "on": "2025-10-10", "status": "expired",
                                   "reason": "expired (en)"}
    assert found[0]["message"] == ("执法记录所列执法人员张华（执法证件号14052100021）于2025-10-10"
                                   "不具备执法资格：expired（中文理由）")
    assert (found[0]["case_id"], found[0]["case_no"]) == (CASE.id, CASE.case_no)


def test_checks_that_could_not_be_made_are_one_finding_of_the_case_never_a_pass():
    rs = RULES.agency("qinyuan-energy").ruleset
    content = {"officers": [
        {"name": "李明", "certificate_no": "14052100017", "certificate_shown": True},
        {"name": "张华", "certificate_no": "14052100021", "certificate_shown": True}]}
    named = [*officers.named(2, datetime(2025, 10, 9, 1, tzinfo=UTC).isoformat(), content),
             *officers.named(5, datetime(2025, 10, 10, 1, tzinfo=UTC).isoformat(), content)]
    statuses = {"14052100017": "unverified", "14052100021": "expired"}
    found = findings.officer_findings(CASE, rs, named, lambda c, on: verdict(statuses[c]))
    assert [(f["code"], f["seq"]) for f in found] == [
        ("officer_unqualified", 2), ("officer_unqualified", 5), ("officer_unverified", 2)]
    unverified = found[-1]
    assert unverified["message"] == ("无法核验执法记录所列执法人员的执法资格：李明（执法证件号"
                                     "14052100017，第2、5号记录）。原因：unverified（中文理由）")
    assert unverified["article"] == "000《公示办法》第九条（三）；000《法制审核办法》第六条（二）"
    assert "officer" not in unverified
