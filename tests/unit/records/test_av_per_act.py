"""Mandatory AV is judged act by act, not case by case (000 第十七条, 002 第十条,
004 第二十五条): an AV record covers an act of a situation it recorded when it was recording
at the act's time, or else one act of that situation on its day; 查封 and 扣押 are record
types of their own (sealing, seizure), each an act the rule set's mandatory AV must cover, with
what 000 第十九条 asks of them (reason, object, form). A case of each agency walks through."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.records import queries
from services.records.models import entries
from shared.errors import ValidationFailed
from tests.agencies import ANZE, CHANGZHI, LINGCHUAN, QINYUAN, ZHOUCUN
from tests.builders import av_media, open_case_request
from tests.unit.records.support import OFFICERS, actor, call, footage


def t(day: str, hm: str = "10:00") -> str:
    return f"2025-10-{day}T{hm}:00+08:00"


def open_case(env, agency, case_no) -> dict:
    payload = open_case_request(case_no)
    payload.update(agency=agency, occurred_at=t("01", "08:00"))
    case = call(env, "open_case", payload, actor(agency=agency))
    call(env, "advance_stage", {"case_id": case["id"], "to_stage": "investigation",
                                "occurred_at": t("01", "08:30")}, actor(agency=agency))
    return case


def append(env, case, record_type, content, at):
    return call(env, "append_record", {"case_id": case["id"], "record_type": record_type,
                                       "occurred_at": at, "content": content},
                actor(agency=case["agency"]))["seq"]


def record_av(env, case, situations, start, end):
    return call(env, "record_av", {
        "case_id": case["id"], "party": "某公司", "handler": "李明", "device_no": "ZFJLY-0031",
        "started_at": start, "ended_at": end, "place": "现场", "opening_statement_made": True,
        "situations": list(situations),
        "media": av_media(footage(env, case["id"], case["agency"])), "stored_at": end},
        actor(agency=case["agency"]))["seq"]


def av_missing(env, case) -> list[int]:
    found = queries.case_findings({"case_id": case["id"]}, actor=actor("head", case["agency"]),
                                  db=env.db, rules=env.rules, now=env.now)
    return [f["seq"] for f in found if f["code"] == "av_missing"]


def sealing(**changes) -> dict:
    content = {"document": "onsite_record", "reason": "涉嫌非法储存危险化学品，证据可能灭失",
               "objects": ["危险化学品储罐 2 个"], "form": "加贴封条", "place": "某公司仓库",
               "legal_basis": "《中华人民共和国行政强制法》第二十二条", "approved_by": "王建军",
               "officers": OFFICERS}
    content.update(changes)
    return content


def inspection() -> dict:
    return {"document_kind": "onsite_inspection", "summary": "检查现场", "place": "井口"}


AGENCIES = (LINGCHUAN, QINYUAN, ANZE, CHANGZHI, ZHOUCUN)


@pytest.mark.parametrize("agency", AGENCIES)
@pytest.mark.parametrize("record_type, situation", [("sealing", "seal"), ("seizure", "seize")])
def test_an_av_record_of_another_day_does_not_cover_a_sealing_or_seizure(env, agency,
                                                                          record_type,
                                                                          situation):
    """Every agency's rule set makes AV of 查封 and 扣押 mandatory; an AV record of 10-01
    recording that situation does not cover the act of 10-20 — one of 10-20 does."""
    case = open_case(env, agency, f"查〔2025〕{AGENCIES.index(agency)}号")
    record_av(env, case, [situation], t("01", "09:00"), t("01", "09:30"))
    seq = append(env, case, record_type, sealing(), t("20"))
    assert av_missing(env, case) == [seq]
    record_av(env, case, [situation], t("20", "09:50"), t("20", "10:40"))
    assert av_missing(env, case) == []


def test_a_second_inspection_days_later_without_av_is_flagged(env):
    """陵川 films every on-site inspection (001 工作方案 四(二)二): the AV of the first does not
    cover the second, four days later."""
    case = open_case(env, LINGCHUAN, "陵应急立〔2025〕61号")
    append(env, case, "investigation_document", inspection(), t("10"))
    record_av(env, case, ["onsite_inspection"], t("10", "09:50"), t("10", "11:00"))
    second = append(env, case, "investigation_document", inspection(), t("14"))
    assert av_missing(env, case) == [second]


def test_one_av_record_of_the_day_covers_one_act_unless_it_recorded_both(env):
    """Two inspections on one day and an AV record that ran during neither: it covers the
    first; one that ran through both covers both."""
    case = open_case(env, ZHOUCUN, "周综执〔2025〕61号")
    append(env, case, "investigation_document", inspection(), t("10", "10:00"))
    later = append(env, case, "investigation_document", inspection(), t("10", "15:00"))
    record_av(env, case, ["onsite_inspection"], t("10", "08:00"), t("10", "08:30"))
    assert av_missing(env, case) == [later]
    record_av(env, case, ["onsite_inspection"], t("10", "09:30"), t("10", "16:00"))
    assert av_missing(env, case) == []


def test_an_av_record_is_judged_by_the_situation_it_recorded(env):
    """An AV record of an inspection that day does not cover a 查封 that day."""
    case = open_case(env, QINYUAN, "沁能立〔2025〕61号")
    seq = append(env, case, "sealing", sealing(), t("10"))
    record_av(env, case, ["onsite_inspection"], t("10", "09:30"), t("10", "11:00"))
    assert av_missing(env, case) == [seq]


@pytest.mark.parametrize("missing", ["reason", "objects", "form"])
def test_a_sealing_without_reason_object_or_form_is_refused_and_nothing_written(env, missing):
    """000 第十九条: the reason, the object and the form are recorded."""
    case = open_case(env, QINYUAN, "沁能立〔2025〕62号")
    content = sealing()
    del content[missing]
    with env.db.read() as s:
        before = s.execute(select(func.count()).select_from(entries)).scalar()
    with pytest.raises(ValidationFailed) as err:
        append(env, case, "seizure", content, t("10"))
    assert f"content.{missing}" in str(err.value.details)
    with env.db.read() as s:
        assert s.execute(select(func.count()).select_from(entries)).scalar() == before
