"""The record keeper's use cases on a real SQLite database: the demo case end to end, then
each rule the issue names — refusals, deadlines, findings, corrections, masking, tampering."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from services.records import findings, queries, usecases
from shared.errors import (DomainRuleViolated, Forbidden, NotFound, SanxiangError,
                           ValidationFailed)
from tests.builders import demo_plan, demo_step, filing_approval, open_case_request, remember
from tests.unit.records.conftest import actor, call

def run_demo(env, until=None):
    ctx = {"decision_no": "陵应急罚〔2025〕31号"}
    for step in demo_plan("陵应急立〔2025〕31号", with_review=False):
        if until and step.method == until:
            return ctx
        who = actor(step.role)
        if step.expect_error:
            with pytest.raises(SanxiangError) as err:
                call(env, step.method, step.payload(ctx), who)
            assert err.value.code == step.expect_error
            continue
        remember(ctx, step, call(env, step.method, step.payload(ctx), who))
    return ctx


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
        "vault://av/2025/ZFJLY-0031-20251009-1400.mp4",
        "vault://av/2025/ZFJLY-0031-20251010-1055.mp4"]
    assert any(r.get("permanent") for r in due["retention"])
    verdict = queries.verify_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                  signing_key=env.signing_key, now=env.now)
    assert verdict["ok"] and verdict["entries_checked"] == case["head_seq"]
    assert findings.for_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
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


def test_major_decision_needs_an_approving_review(env):
    ctx = run_demo(env, until="enter_legal_review")
    review = {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
              "opinion": "not_approve", "reasons": "主要证据不足", "reviewers": ["陈静"],
              "reviewed_at": "2025-10-24T15:00:00+08:00"}
    with pytest.raises(Forbidden):  # only the legal unit enters reviews
        call(env, "enter_legal_review", review, actor("officer"))
    call(env, "enter_legal_review", review, actor("legal_unit"))
    issue = {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
             "decision_no": "陵应急罚〔2025〕31号", "issued_at": "2025-10-27T10:00:00+08:00",
             "signed_by": "王建军"}
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "issue_decision", issue, actor("head"))
    assert err.value.code == "legal_review_not_approving"
    with pytest.raises(ValidationFailed) as err:
        call(env, "enter_legal_review", dict(review, opinion="looks_fine"), actor("legal_unit"))
    assert "opinion" in err.value.details


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


def run_demo_all(env):
    env.now = datetime(2025, 12, 1, tzinfo=timezone.utc)
    ctx = {"decision_no": "陵应急罚〔2025〕32号"}
    for step in demo_plan("陵应急立〔2025〕32号", with_review=False):
        if not step.expect_error:
            remember(ctx, step, call(env, step.method, step.payload(ctx),
                                     actor(step.role)))
    return ctx


def test_other_agency_is_refused(env):
    ctx = run_demo(env, until="record_av")
    with pytest.raises(Forbidden):
        call(env, "get_case", {"case_id": ctx["case_id"]}, actor(agency="qinyuan-energy"))


def test_lingchuan_av_must_be_stored_the_same_working_day(env):
    ctx = run_demo(env, until="record_av")
    step = demo_step("onsite_video")
    payload = step.payload(ctx)
    payload["stored_at"] = "2025-10-10T09:00:00+08:00"
    result = call(env, "record_av", payload, actor())
    assert result["deadline"]["due"] == "2025-10-09" and result["deadline"]["amount"] == 0
    found = findings.for_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                              rules=env.rules, now=env.now)
    assert [(f["code"], f["due"]) for f in found] == [("av_storage_late", "2025-10-09")]


def test_mandatory_av_situation_without_av_is_a_finding(env):
    ctx = run_demo(env, until="record_av")
    call(env, "advance_stage", {"case_id": ctx["case_id"], "to_stage": "investigation",
                                "occurred_at": "2025-10-10T08:00:00+08:00"}, actor())
    step = demo_step("onsite_inspection")
    res = call(env, "append_record", step.payload(ctx), actor())  # on-site inspection, no AV
    found = findings.for_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                              rules=env.rules, now=env.now)
    assert ("av_missing", res["seq"]) in [(f["code"], f["seq"]) for f in found]


def test_correction_points_at_the_old_entry_which_stays(env):
    ctx = run_demo(env, until="advance_stage")
    res = call(env, "correct_entry", {"case_id": ctx["case_id"], "seq": 1,
                                      "reason": "当事人地址记载错误",
                                      "content": {"address": "陵川县礼义镇东街1号"}}, actor())
    entries = call(env, "get_entries", {"case_id": ctx["case_id"]}, actor())
    assert entries[0]["kind"] == "case_opened"
    assert entries[-1]["seq"] == res["seq"] and entries[-1]["corrects_seq"] == 1


def test_party_reads_own_case_masked_and_the_read_is_logged(env):
    ctx = run_demo(env, until="advance_stage")
    party = actor("party", id="citizen-9", party_id="party-1", case_id=ctx["case_id"])
    view = call(env, "get_case", {"case_id": ctx["case_id"]}, party)
    assert view["persons"] == [{"id": "person-1", "role": "informant", "name": "［已隐去］"}]
    entries = call(env, "get_entries", {"case_id": ctx["case_id"]}, party)
    assert "王秀英" not in str(entries) and "13903561234" not in str(entries)
    with pytest.raises(Forbidden):
        call(env, "get_case", {"case_id": ctx["case_id"]},
             actor("party", id="citizen-10", party_id="party-2", case_id=ctx["case_id"]))
    with env.db.read() as s:
        rows = s.execute(text("select actor_id, action, outcome from access_log "
                              "order by id")).all()
    assert ("citizen-9", "get_case", "granted") in rows
    assert ("citizen-9", "get_entries", "granted") in rows


def test_entries_refuse_update_and_tampering_is_named(env):
    ctx = run_demo(env, until="propose_decision")
    with pytest.raises(Exception, match="append-only"):
        with env.db.transaction() as s:
            s.execute(text("update entries set body = 'x' where seq = 3"))
    with env.db.transaction() as s:  # an intruder with DDL rights
        s.execute(text("drop trigger entries_no_update"))
        s.execute(text("update entries set body = replace(body, '3人', '1人') "
                       "where case_id = :c and seq = 5"), {"c": ctx["case_id"]})
    verdict = queries.verify_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                  signing_key=env.signing_key, now=env.now)
    assert not verdict["ok"]
    assert verdict["first_bad"]["seq"] == 5
    assert verdict["first_bad"]["problem"] == "content does not match its hash"


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
    approval = dict(filing_approval(),
                    approved_at="2025-10-11T09:00:00+08:00")
    call(env, "approve_emergency_start", {"case_id": case["id"], "filing_approval": approval},
         actor("head", agency="qinyuan-energy"))
    found = findings.for_case({"case_id": case["id"]}, actor=actor("head", "qinyuan-energy"),
                              db=env.db, rules=env.rules, now=env.now)
    assert [f["code"] for f in found] == ["emergency_approval_late"]


def test_zhoucun_sets_no_period_but_closing_unapproved_is_a_finding(env):
    case = _open(env, "zhoucun-district", "周村立〔2025〕1号", start_mode="emergency",
                 filing_approval=None, emergency={"reason": "证据可能灭失"})
    assert case["emergency_due"] is None
    call(env, "close_case", {"case_id": case["id"], "closed_at": "2025-10-12T10:00:00+08:00",
                             "reason": "撤销立案"}, actor(agency="zhoucun-district"))
    found = findings.for_case({"case_id": case["id"]},
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
        "legal_basis": "《安全生产违法行为行政处罚办法》", "notified_at": "2025-10-10T10:00:00+08:00",
        "notice_method": "phone", "notice_content": "经核查，不予立案"}, actor())
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


def test_a_consistently_rehashed_chain_is_caught_by_the_signed_checkpoint(env):
    from services.records import domain
    ctx = run_demo(env, until="propose_decision")
    usecases.checkpoint_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                             signing_key=env.signing_key, now=env.now)
    with env.db.transaction() as s:  # an intruder rewrites seq 5 and every hash after it
        s.execute(text("drop trigger entries_no_update"))
        rows = s.execute(text("select seq, body from entries where case_id = :c order by seq"),
                         {"c": ctx["case_id"]}).all()
        prev = domain.GENESIS
        for seq, body in rows:
            body = body.replace("3人", "1人") if seq == 5 else body
            h = domain.link_hash(prev, body)
            s.execute(text("update entries set body = :b, prev_hash = :p, entry_hash = :h "
                           "where case_id = :c and seq = :s"),
                      {"b": body, "p": prev, "h": h, "c": ctx["case_id"], "s": seq})
            prev = h
    verdict = queries.verify_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                  signing_key=env.signing_key, now=env.now)
    assert verdict["checkpoint"]["signature_valid"] is True
    assert verdict["checkpoint"]["head_matches"] is False  # the chain is not what was signed
    assert verdict["ok"] is False and verdict["failure"] == "checkpoint_mismatch"
    assert verdict["first_bad"]["seq"] == 12 and verdict["first_bad"]["since_seq"] == 1
