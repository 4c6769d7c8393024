"""A case's life through the record keeper's use cases on SQLite: the demo case end to end,
refused payloads, transitions and readers, corrections, and how a case starts — an emergency
start awaiting approval, a complaint not started, an oral application."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from services.records import queries
from shared.errors import DomainRuleViolated, Forbidden, NotFound, ValidationFailed
from tests.builders import open_case_request
from tests.unit.records.support import actor, call, run_demo, run_demo_all


def test_demo_case_runs_through_every_stage(env):
    ctx = run_demo(env)
    case = call(env, "get_case", {"case_id": ctx["case_id"]}, actor("head"))
    assert case["stage"] == "archive" and case["status"] == "archived"
    assert case["archive_due"]["due"] == "2025-12-12"  # 30 natural days from 2025-11-12
    kinds = [e["kind"] for e in call(env, "get_entries", {"case_id": ctx["case_id"]},
                                     actor("head"))]
    assert kinds[0] == "case_opened" and kinds[-1] == "case_archived"
    assert kinds.count("legal_review") == 1 and kinds.count("decision_issued") == 1
    types = [e["event_type"] for e in env.events()]
    for expected in ("case_opened.v1", "stage_changed.v1", "entry_appended.v1",
                     "decision_proposed.v1", "decision_issued.v1", "case_closed.v1",
                     "archive_due.v1"):
        assert expected in types
    proposed = env.events("decision_proposed.v1")[0]["data"]
    assert proposed["major"] is True
    assert [f["code"] for f in proposed["fired"]] == ["fine_threshold"]
    due = env.events("archive_due.v1")[0]["data"]
    assert [a["object_ref"] for a in due["av_objects"]] == [
        ctx["footage"]["ZFJLY-0031-20251009-1400.mp4"]["id"],
        ctx["footage"]["ZFJLY-0031-20251010-1055.mp4"]["id"]]
    assert any(r.get("permanent") for r in due["retention"])
    verdict = queries.verify_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                  signing_key=env.signing_key, now=env.now)
    assert verdict["ok"] and verdict["entries_checked"] == case["head_seq"]
    assert queries.case_findings({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                             rules=env.rules, now=env.now) == []


def test_invalid_payload_names_field_and_rule_and_writes_nothing(env):
    payload = open_case_request("X-1")
    payload["parties"][0]["kind"] = "company"
    payload["surprise"] = 1
    with pytest.raises(ValidationFailed) as err:
        call(env, "open_case", payload, actor())
    assert err.value.details == {"parties.0.kind": ["Must be one of: organisation, individual."],
                                 "surprise": ["Unknown field."]}
    with env.db.read() as s:
        assert s.execute(text("select count(*) from cases")).scalar() == 0


def test_illegal_transition_and_archived_case_are_refused(env):
    ctx = run_demo(env, until="advance_stage")
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "advance_stage", {"case_id": ctx["case_id"], "to_stage": "decision",
                                    "occurred_at": "2025-10-10T08:00:00+08:00"}, actor())
    assert err.value.code == "illegal_transition"
    with pytest.raises(NotFound):
        call(env, "get_case", {"case_id": "no-such-case"}, actor())
    ctx = run_demo_all(env)
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "correct_entry", {"case_id": ctx["case_id"], "seq": 3, "reason": "x",
                                    "content": {}}, actor())
    assert err.value.code == "case_archived"


def test_other_agency_is_refused(env):
    ctx = run_demo(env, until="record_av")
    with pytest.raises(Forbidden):
        call(env, "get_case", {"case_id": ctx["case_id"]}, actor(agency="qinyuan-energy"))


def test_correction_points_at_the_old_entry_which_stays(env):
    ctx = run_demo(env, until="advance_stage")
    res = call(env, "correct_entry", {"case_id": ctx["case_id"], "seq": 1,
                                      "reason": "当事人地址记载错误",
                                      "content": {"address": "陵川县礼义镇东街1号"}}, actor())
    entries = call(env, "get_entries", {"case_id": ctx["case_id"]}, actor())
    assert entries[0]["kind"] == "case_opened"
    assert entries[-1]["seq"] == res["seq"] and entries[-1]["corrects_seq"] == 1


def _open(env, agency, case_no, **changes):
    payload = open_case_request(case_no)
    payload.update(agency=agency, **changes)
    return call(env, "open_case", payload, actor(agency=agency))


def test_emergency_start_is_due_for_approval_within_24_hours_in_qinyuan(env):
    case = _open(env, "qinyuan-energy", "沁能立〔2025〕1号", start_mode="emergency",
                 filing_approval=None, emergency={"reason": "现场存在重大安全隐患，需立即处置"},
                 occurred_at="2025-10-09T22:00:00+08:00")
    assert case["emergency_due"]["due"] == "2025-10-10T14:00:00+00:00"
    assert case["emergency_due"]["unit"] == "hours"
    approval = dict(open_case_request("x")["filing_approval"],
                    approved_at="2025-10-11T09:00:00+08:00")
    call(env, "approve_emergency_start", {"case_id": case["id"], "filing_approval": approval},
         actor("head", agency="qinyuan-energy"))
    found = queries.case_findings({"case_id": case["id"]}, actor=actor("head", "qinyuan-energy"),
                              db=env.db, rules=env.rules, now=env.now)
    assert [f["code"] for f in found] == ["emergency_approval_late"]


def test_zhoucun_sets_no_period_but_closing_unapproved_is_a_finding(env):
    case = _open(env, "zhoucun-district", "周村立〔2025〕1号", start_mode="emergency",
                 filing_approval=None, emergency={"reason": "证据可能灭失"})
    assert case["emergency_due"] is None
    call(env, "close_case", {"case_id": case["id"], "closed_at": "2025-10-12T10:00:00+08:00",
                             "reason": "撤销立案"}, actor(agency="zhoucun-district"))
    found = queries.case_findings({"case_id": case["id"]},
                              actor=actor("head", "zhoucun-district"), db=env.db,
                              rules=env.rules, now=env.now)
    assert [f["code"] for f in found] == ["emergency_approval_missing"]


def test_complaint_not_started_tells_the_source_and_falls_due_for_archiving(env):
    case = _open(env, "lingchuan-emergency", "陵应急源〔2025〕1号", start_mode="complaint",
                 filing_approval=None, source={
                     "kind": "complaint", "provider_person_id": "person-1",
                     "received_at": "2025-10-08T09:00:00+08:00", "content": "反映煤矿违规作业"})
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "advance_stage", {"case_id": case["id"], "to_stage": "investigation",
                                    "occurred_at": "2025-10-09T09:00:00+08:00"}, actor())
    assert err.value.code == "not_started"
    res = call(env, "decide_source", {
        "case_id": case["id"], "decision": "not_start", "reason": "经核查不存在违法行为",
        "legal_basis": "《安全生产违法行为行政处罚办法》",
        "notified_at": "2025-10-10T10:00:00+08:00", "notice_method": "phone",
        "notice_content": "经核查，不予立案"}, actor())
    assert res["deadline"]["rule"] == "case_archive" and res["deadline"]["due"] == "2025-11-10"
    view = call(env, "get_case", {"case_id": case["id"]}, actor())
    assert view["status"] == "closed" and view["stage"] == "archive"


def test_oral_application_is_read_back_and_accepted_with_a_sealed_receipt(env):
    application = {"applicant_person_id": "person-2", "matters": "申请安全生产许可证延续",
                   "facts_and_reasons": "许可证将于2025年12月到期", "oral": True,
                   "submitted_at": "2025-10-09T09:00:00+08:00", "confirmed_by_signature": True}
    applicant = {"id": "person-2", "role": "applicant", "name": "赵建国"}
    with pytest.raises(ValidationFailed) as err:
        _open(env, "lingchuan-emergency", "陵应急许〔2025〕1号", start_mode="application",
              act_type="licence", filing_approval=None, persons=[applicant],
              application=application)
    assert err.value.details == {"application.read_back": [
        "an oral application must be read back to the applicant (004 第二十九条)"]}
    case = _open(env, "lingchuan-emergency", "陵应急许〔2025〕1号", start_mode="application",
                 act_type="licence", filing_approval=None, persons=[applicant],
                 application=dict(application, read_back=True))
    advance = {"case_id": case["id"], "to_stage": "investigation",
               "occurred_at": "2025-10-10T09:00:00+08:00"}
    with pytest.raises(DomainRuleViolated):  # not accepted yet
        call(env, "advance_stage", advance, actor())
    receipt = {"accepted": True, "sealed": True, "issued_on": "2025-10-09",
               "document_no": "陵应急受〔2025〕1号"}
    with pytest.raises(ValidationFailed) as err:
        call(env, "append_record", {"case_id": case["id"], "record_type": "application_receipt",
                                    "occurred_at": "2025-10-09T10:00:00+08:00",
                                    "content": dict(receipt, sealed=False)}, actor())
    assert err.value.details == {"content.sealed": [
        "a receipt must carry the agency seal (004 第二十九条)"]}
    call(env, "append_record", {"case_id": case["id"], "record_type": "application_receipt",
                                "occurred_at": "2025-10-09T10:00:00+08:00", "content": receipt},
         actor())
    assert call(env, "advance_stage", advance, actor())["stage"] == "investigation"
