"""A review's whole life in 沁源 (000: 10 + 10 工作日, stops): request, materials, recusal
and assignment, the clock stopped and extended, findings, the opinion, its contest, the
consultation and the head's decision — events and history checked at every step."""
from __future__ import annotations

import pytest

from services.review import queries, usecases
from shared.errors import Conflict, DomainRuleViolated, Forbidden
from tests.unit.review.support import (
    ALWAYS,
    HEAD,
    LEGAL,
    OFFICER,
    QINYUAN_POINTS,
    REVIEWER,
    REVIEWER2,
    findings,
    history,
    material,
    request_payload,
    staff,
)

# ---- the whole life of a review ------------------------------------------------------------------

def test_review_lifecycle_in_qinyuan(env):
    # request without materials
    view = env.call(usecases.request_review, "request_review", request_payload(), OFFICER)
    rid = view["id"]
    assert view["state"] == "awaiting_materials" and view["deadline"] is None
    assert [m["code"] for m in view["missing"]] == list(ALWAYS)
    requested = env.events("review_requested.v1")
    assert len(requested) == 1 and requested[0]["data"]["review_id"] == rid
    assert requested[0]["data"]["fired"][0]["code"] == "ground.public_interest"
    assert requested[0]["data"]["handlers"] == ["officer-1", "officer-2"]

    # an incomplete submission is returned with what is missing; the clock has not started
    view = env.call(usecases.submit_materials, "submit_materials", {
        "review_id": rid, "materials": [material("proposal"), material("draft_decision")],
        "submitted_at": "2025-10-20T10:00:00+08:00"}, OFFICER)
    assert [m["code"] for m in view["missing"]] == ["investigation_report",
                                                     "basis_and_evidence"]
    assert (view["state"], view["received_on"], view["clock_start"]) == (
        "awaiting_materials", "2025-10-20", None)
    returned = [h for h in history(env, rid) if h["action"] == "returned_incomplete"]
    assert [m["code"] for m in returned[0]["body"]["missing"]] == [
        "investigation_report", "basis_and_evidence"]
    assert env.events("materials_completed.v1") == []

    # complete the next day: the 10 工作日 run from 10-21 (not counted) to 11-04
    view = env.call(usecases.submit_materials, "submit_materials", {
        "review_id": rid, "materials": [material("investigation_report"),
                                        material("basis_and_evidence")],
        "submitted_at": "2025-10-21T15:00:00+08:00"}, OFFICER)
    assert (view["state"], view["complete_on"], view["clock_start"]) == (
        "under_review", "2025-10-21", "2025-10-21")
    assert view["missing"] == [] and view["deadline"]["due"] == "2025-11-04"
    completed = env.events("materials_completed.v1")
    assert len(completed) == 1
    data = completed[0]["data"]
    assert (data["complete_on"], data["clock_start"], data["deadline"]["due"]) == (
        "2025-10-21", "2025-10-21", "2025-11-04")
    assert data["deadline"]["counted"][0] == "2025-10-22" and data["deadline"]["amount"] == 10

    # staff: a handler who is also a reviewer, and two qualified reviewers
    staff(env, "officer-1", roles=("officer", "reviewer"))
    staff(env, "reviewer-1")
    staff(env, "reviewer-2")

    # the handler is refused, and the refusal is in the history
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.assign_reviewer, "assign_reviewer",
                 {"review_id": rid, "reviewer_id": "officer-1", "reason": "轮值"}, LEGAL)
    assert err.value.code == "recusal_required"
    assert err.value.details["grounds"] == ["case_handler"]
    refused = [h for h in history(env, rid) if h["action"] == "assignment_refused"]
    assert len(refused) == 1 and refused[0]["body"]["reviewer_id"] == "officer-1"
    assert refused[0]["actor_id"] == "legal-1"

    # a proper assignment carries its reason and what was checked
    view = env.call(usecases.assign_reviewer, "assign_reviewer",
                    {"review_id": rid, "reviewer_id": "reviewer-1", "reason": "政策法规股轮值"},
                    LEGAL)
    a = view["assignments"][0]
    assert (a["reviewer_id"], a["status"], a["assigned_by"]) == ("reviewer-1", "active",
                                                                 "legal-1")
    assert a["reason"] == ("政策法规股轮值 — checked under qinyuan-energy@1: not a handler of "
                           "the case; no declared interest; not involved before; "
                           "法律职业资格 A2019")
    with pytest.raises(Conflict):
        env.call(usecases.assign_reviewer, "assign_reviewer",
                 {"review_id": rid, "reviewer_id": "reviewer-1", "reason": "again"}, LEGAL)

    # a declared interest ends an assignment and bars a new one
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": rid, "reviewer_id": "reviewer-2", "reason": "第二审核人"}, LEGAL)
    view = env.call(usecases.declare_interest, "declare_interest",
                    {"review_id": rid, "person_id": "reviewer-2", "interest": "系当事人股东近亲属"},
                    REVIEWER2)
    assert [(x["reviewer_id"], x["status"]) for x in view["assignments"]] == [
        ("reviewer-1", "active"), ("reviewer-2", "recused")]
    assert view["assignments"][1]["recusal_reason"] == "系当事人股东近亲属"
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.assign_reviewer, "assign_reviewer",
                 {"review_id": rid, "reviewer_id": "reviewer-2", "reason": "再次"}, LEGAL)
    assert err.value.details["grounds"] == ["declared_interest"]
    with pytest.raises(DomainRuleViolated) as err:   # only one's own interest
        env.call(usecases.declare_interest, "declare_interest",
                 {"review_id": rid, "person_id": "reviewer-1", "interest": "x"}, REVIEWER2)
    assert err.value.code == "not_own_interest"
    # the recused reviewer can no longer write findings
    with pytest.raises(DomainRuleViolated) as err:
        findings(env, rid, ["lawful_subject"], who=REVIEWER2)
    assert err.value.code == "not_assigned"

    # stop Wed 10-22, resume Fri 10-24: 10-23 and 10-24 not counted → due moves 2 working days
    view = env.call(usecases.stop_clock, "stop_clock", {
        "review_id": rid, "reason": "supplementary_materials",
        "stopped_at": "2025-10-22T10:00:00+08:00", "note": "需补充检测报告"}, REVIEWER)
    assert view["state"] == "paused" and view["deadline"] is None
    stopped = env.events("clock_stopped.v1")[0]["data"]
    assert (stopped["reason"], stopped["label"], stopped["stopped_on"], stopped["basis"]) == (
        "supplementary_materials", "补充材料", "2025-10-22", "000《法制审核办法》第十条第一款")
    findings(env, rid, ["lawful_subject"])           # allowed while paused
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.issue_opinion, "issue_opinion", {
            "review_id": rid, "opinion": "approve", "reasons": "x",
            "issued_at": "2025-10-23T10:00:00+08:00"}, REVIEWER)
    assert err.value.code == "wrong_state"
    view = env.call(usecases.resume_clock, "resume_clock", {
        "review_id": rid, "resumed_at": "2025-10-24T09:00:00+08:00", "note": None}, REVIEWER)
    assert view["state"] == "under_review" and view["deadline"]["due"] == "2025-11-06"
    assert view["deadline"]["paused"] == [["2025-10-23", "2025-10-24", "补充材料"]]
    resumed = env.events("clock_resumed.v1")[0]["data"]
    assert (resumed["stopped_on"], resumed["resumed_on"], resumed["deadline"]["due"]) == (
        "2025-10-22", "2025-10-24", "2025-11-06")

    # extension: the head only, once; +10 工作日 from 11-06 → 11-20
    extend = {"review_id": rid, "reason": "案情复杂", "approved_at": "2025-10-27T09:00:00+08:00"}
    for who in (OFFICER, LEGAL, REVIEWER):
        with pytest.raises(Forbidden):
            env.call(usecases.extend_deadline, "extend_deadline", extend, who)
    view = env.call(usecases.extend_deadline, "extend_deadline", extend, HEAD)
    assert view["first_deadline"]["due"] == "2025-11-06"
    assert view["deadline"]["due"] == "2025-11-20"
    assert view["deadline"]["rule"] == "review_extension"
    assert view["extension"] == {"approved_by": "head-1", "reason": "案情复杂",
                                 "approved_at": "2025-10-27T09:00:00+08:00"}
    with pytest.raises(Conflict):
        env.call(usecases.extend_deadline, "extend_deadline", extend, HEAD)

    # an opinion needs every point; then approve with one flaw
    findings(env, rid, QINYUAN_POINTS[:-2])
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.issue_opinion, "issue_opinion", {
            "review_id": rid, "opinion": "approve", "reasons": "x",
            "issued_at": "2025-10-30T16:00:00+08:00"}, REVIEWER)
    assert err.value.details == {"missing_points": ["documents", "other"]}
    view = findings(env, rid, QINYUAN_POINTS, documents="flaw")
    assert len(view["findings"]) == 8 and view["findings"]["documents"]["result"] == "flaw"
    reasons = "事实清楚，证据确凿，适用法律正确，程序合法，裁量适当"
    view = env.call(usecases.issue_opinion, "issue_opinion", {
        "review_id": rid, "opinion": "approve", "reasons": reasons,
        "issued_at": "2025-10-30T16:00:00+08:00"}, REVIEWER)
    assert view["state"] == "opinion_issued"
    issued = env.events("opinion_issued.v1")
    assert len(issued) == 1
    copies = [{"copy": 1, "destination": "case_file", "label": "存入执法案卷",
               "online_replaces_paper": False},
              {"copy": 2, "destination": "review_archive", "label": "法制审核机构留存归档",
               "online_replaces_paper": False}]
    data = dict(issued[0]["data"])
    document = data.pop("document")
    # the document's template fields belong to the renderer's manifest; here: its copies and
    # that the event carries the same document the opinion_document query serves
    assert (document["template_id"], document["copies"]) == ("legal_review_opinion", copies)
    assert queries.opinion_document({"review_id": rid}, actor=OFFICER, db=env.db,
                                    rules=env.rules, now=env.now) == document
    assert data == {
        "review_id": rid, "case_id": "case-沁能立〔2025〕7号", "case_no": "沁能立〔2025〕7号",
        "proposal_seq": 3, "opinion": "approve", "label": "同意", "approving": True,
        "final": True, "stage": "reviewers", "reasons": reasons, "reviewers": ["reviewer-1"],
        "issued_at": "2025-10-30T16:00:00+08:00", "on_time": True,
        "findings": [{"point": p, "result": "flaw" if p == "documents" else "pass",
                      "note": "文书编号不规范" if p == "documents" else None}
                     for p in QINYUAN_POINTS],
        "collective": None}
    assert issued[0]["agency"] == "qinyuan-energy"
    assert issued[0]["ruleset"] == "qinyuan-energy@1"
    assert issued[0]["actor"] == {"id": "reviewer-1", "role": "reviewer", "name": "reviewer"}

    # the handling unit contests; consultation does not settle it; the head replaces it
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.head_decide, "head_decide", {
            "review_id": rid, "outcome": "replace", "opinion": "correct", "reasons": "x",
            "decided_at": "2025-11-03T09:00:00+08:00"}, HEAD)
    assert err.value.code == "wrong_state"
    view = env.call(usecases.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "文书瑕疵应予纠正",
        "contested_at": "2025-10-31T09:00:00+08:00"}, OFFICER)
    assert view["state"] == "contested"
    assert view["disagreement"]["opinion_contested"] == "approve"
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.head_decide, "head_decide", {
            "review_id": rid, "outcome": "replace", "opinion": "correct", "reasons": "x",
            "decided_at": "2025-11-03T09:00:00+08:00"}, HEAD)
    assert err.value.code == "consultation_first"
    env.call(usecases.record_consultation, "record_consultation", {
        "review_id": rid, "held_at": "2025-10-31T15:00:00+08:00",
        "participants": ["officer-1", "reviewer-1"], "summary": "未能达成一致",
        "outcome": "no_agreement"}, OFFICER)
    with pytest.raises(Forbidden):
        env.call(usecases.head_decide, "head_decide", {
            "review_id": rid, "outcome": "replace", "opinion": "correct", "reasons": "x",
            "decided_at": "2025-11-03T09:00:00+08:00"}, LEGAL)
    view = env.call(usecases.head_decide, "head_decide", {
        "review_id": rid, "outcome": "replace", "opinion": "correct",
        "reasons": "文书不规范，予以纠正", "decided_at": "2025-11-03T09:00:00+08:00"}, HEAD)
    assert view["state"] == "decided"
    assert view["disagreement"]["resolved_by"] == "head"
    assert view["disagreement"]["head_decision"]["outcome"] == "replace"
    issued = env.events("opinion_issued.v1")
    assert len(issued) == 2
    second = issued[1]["data"]
    assert (second["opinion"], second["label"], second["approving"], second["final"],
            second["stage"], second["reasons"], second["issued_at"]) == (
        "correct", "纠正", False, True, "head_decision", "文书不规范，予以纠正",
        "2025-11-03T09:00:00+08:00")
    assert second["document"]["copies"] == copies
    assert issued[1]["actor"]["id"] == "head-1"

    actions = [h["action"] for h in history(env, rid)]
    assert actions == [
        "requested", "materials_submitted", "returned_incomplete", "materials_submitted",
        "assignment_refused", "reviewer_assigned", "reviewer_assigned", "interest_declared",
        "assignment_refused", "clock_stopped", "finding_recorded", "clock_resumed",
        "extension_approved"] + ["finding_recorded"] * 14 + [
        "opinion_issued", "opinion_contested", "consultation_recorded", "head_decided",
        "opinion_replaced"]
