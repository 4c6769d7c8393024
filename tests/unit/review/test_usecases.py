"""The review board's use cases on a real SQLite database with the shipped rule sets: a
review's whole life in 沁源 (000: 10 + 10 工作日, stops), 周村's collective discussion, the
records event consumer, refusals, validation and the clock watch."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from contracts.records import CONTRACT as RECORDS
from services.review import domain, opinions, queries, usecases
from shared.contracts.registry import envelope
from shared.trust.signatures import sign
from shared.errors import Conflict, DomainRuleViolated, Forbidden, ValidationFailed
from tests.unit.review.conftest import ALWAYS, actor, event_key, material, request_payload

OFFICER = actor("officer", id="officer-1")
HEAD = actor("head", id="head-1")
LEGAL = actor("legal_unit", id="legal-1")
REVIEWER = actor("reviewer", id="reviewer-1")
REVIEWER2 = actor("reviewer", id="reviewer-2")
QINYUAN_POINTS = ["lawful_subject", "officer_qualified", "facts_evidence", "lawful_procedure",
                  "law_applied", "discretion", "documents", "other"]


def staff(env, person_id, *, agency="qinyuan-energy", roles=("reviewer",), qualified=True,
          prior=0, who=None):
    return env.call(usecases.register_staff, "register_staff", {
        "agency": agency, "person_id": person_id, "name": f"{person_id} 姓名",
        "roles": list(roles), "legal_qualification": qualified,
        "qualification_no": "A2019" if qualified else None, "prior_penalty_reviews": prior,
        "active": True, "note": None}, who or actor("legal_unit", agency=agency, id="legal-1"))


def history(env, review_id, agency="qinyuan-energy"):
    return queries.get_review({"review_id": review_id}, actor=actor("head", agency=agency),
                              db=env.db, rules=env.rules)["history"]


def at(day_time: str) -> datetime:
    """A CST wall-clock time as the use cases' `now`."""
    return datetime.fromisoformat(day_time + "+08:00").astimezone(timezone.utc)


def findings(env, review_id, points, who=REVIEWER, **results):
    for point in points:
        view = env.call(opinions.record_finding, "record_finding", {
            "review_id": review_id, "point": point, "result": results.get(point, "pass"),
            "note": "文书编号不规范" if results.get(point) == "flaw" else None,
            "recorded_at": "2025-10-30T10:00:00+08:00"}, who)
    return view


# ---- the whole life of a review -------------------------------------------------------------

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
        env.call(opinions.issue_opinion, "issue_opinion", {
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
        env.call(opinions.issue_opinion, "issue_opinion", {
            "review_id": rid, "opinion": "approve", "reasons": "x",
            "issued_at": "2025-10-30T16:00:00+08:00"}, REVIEWER)
    assert err.value.details == {"missing_points": ["documents", "other"]}
    view = findings(env, rid, QINYUAN_POINTS, documents="flaw")
    assert len(view["findings"]) == 8 and view["findings"]["documents"]["result"] == "flaw"
    reasons = "事实清楚，证据确凿，适用法律正确，程序合法，裁量适当"
    view = env.call(opinions.issue_opinion, "issue_opinion", {
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
                                    rules=env.rules) == document
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
        env.call(opinions.head_decide, "head_decide", {
            "review_id": rid, "outcome": "replace", "opinion": "correct", "reasons": "x",
            "decided_at": "2025-11-03T09:00:00+08:00"}, HEAD)
    assert err.value.code == "wrong_state"
    view = env.call(opinions.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "文书瑕疵应予纠正", "contested_at": "2025-10-31T09:00:00+08:00"},
        OFFICER)
    assert view["state"] == "contested"
    assert view["disagreement"]["opinion_contested"] == "approve"
    with pytest.raises(DomainRuleViolated) as err:
        env.call(opinions.head_decide, "head_decide", {
            "review_id": rid, "outcome": "replace", "opinion": "correct", "reasons": "x",
            "decided_at": "2025-11-03T09:00:00+08:00"}, HEAD)
    assert err.value.code == "consultation_first"
    env.call(opinions.record_consultation, "record_consultation", {
        "review_id": rid, "held_at": "2025-10-31T15:00:00+08:00",
        "participants": ["officer-1", "reviewer-1"], "summary": "未能达成一致",
        "outcome": "no_agreement"}, OFFICER)
    with pytest.raises(Forbidden):
        env.call(opinions.head_decide, "head_decide", {
            "review_id": rid, "outcome": "replace", "opinion": "correct", "reasons": "x",
            "decided_at": "2025-11-03T09:00:00+08:00"}, LEGAL)
    view = env.call(opinions.head_decide, "head_decide", {
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


def test_consultation_accepting_the_opinion_restores_its_state(env):
    rid = complete_review(env)
    issue(env, rid)
    env.call(opinions.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "异议", "contested_at": "2025-10-31T09:00:00+08:00"},
        OFFICER)
    view = env.call(opinions.record_consultation, "record_consultation", {
        "review_id": rid, "held_at": "2025-10-31T15:00:00+08:00",
        "participants": ["officer-1", "reviewer-1"], "summary": "接受审核意见",
        "outcome": "opinion_accepted"}, REVIEWER)
    assert view["state"] == "opinion_issued"
    assert view["disagreement"]["resolved_by"] == "consultation"
    assert len(env.events("opinion_issued.v1")) == 1


def complete_review(env, agency="qinyuan-energy", **kw) -> str:
    who = actor("officer", agency=agency, id="officer-1")
    view = env.call(usecases.request_review, "request_review",
                    request_payload(agency, materials=ALWAYS, **kw), who)
    staff(env, "reviewer-1", agency=agency)
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": view["id"], "reviewer_id": "reviewer-1", "reason": "轮值"},
             actor("legal_unit", agency=agency, id="legal-1"))
    return view["id"]


def issue(env, rid, agency="qinyuan-energy", opinion="approve"):
    who = actor("reviewer", agency=agency, id="reviewer-1")
    points = domain.review_points(env.rules.agency(agency).ruleset)
    findings(env, rid, points, who=who)
    return env.call(opinions.issue_opinion, "issue_opinion", {
        "review_id": rid, "opinion": opinion, "reasons": "事实清楚",
        "issued_at": "2025-10-30T16:00:00+08:00"}, who)


# ---- 周村: a passed review goes to collective discussion ---------------------------------------

def test_zhoucun_approval_waits_for_collective_discussion(env):
    zc = "zhoucun-district"
    rid = complete_review(env, zc, case_no="周政立〔2025〕5号")
    view = issue(env, rid, zc)
    assert view["state"] == "awaiting_collective_discussion"
    first = env.events("opinion_issued.v1")[0]["data"]
    assert (first["approving"], first["final"], first["stage"]) == (True, False, "reviewers")
    assert view["opinion"]["collective_discussion_owed"] is True
    with pytest.raises(Forbidden):
        env.call(opinions.record_collective_discussion, "record_collective_discussion", {
            "review_id": rid, "held_at": "2025-11-04T15:00:00+08:00",
            "participants": ["head-zc-001", "head-zc-002"], "summary": "同意",
            "conclusion": "approve"}, actor("legal_unit", agency=zc))
    view = env.call(opinions.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-04T15:00:00+08:00",
        "participants": ["head-zc-001", "head-zc-002", "head-zc-003"],
        "summary": "经集体讨论，同意作出处罚决定", "conclusion": "approve"},
        actor("head", agency=zc, id="head-zc-001"))
    assert view["state"] == "decided"
    issued = env.events("opinion_issued.v1")
    assert len(issued) == 2
    final = issued[1]["data"]
    assert (final["approving"], final["final"], final["stage"], final["reasons"],
            final["issued_at"]) == (True, True, "collective_discussion", "经集体讨论，同意作出处罚决定",
                                    "2025-11-04T15:00:00+08:00")
    assert final["collective"] == {
        "held_at": "2025-11-04T15:00:00+08:00",
        "participants": ["head-zc-001", "head-zc-002", "head-zc-003"],
        "summary": "经集体讨论，同意作出处罚决定", "conclusion": "approve",
        "chaired_by": "head-zc-001"}


def test_zhoucun_collective_discussion_may_refuse(env):
    zc = "zhoucun-district"
    rid = complete_review(env, zc, case_no="周政立〔2025〕6号")
    issue(env, rid, zc)
    env.call(opinions.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-04T15:00:00+08:00",
        "participants": ["head-zc-001", "head-zc-002"], "summary": "不同意",
        "conclusion": "not_approve"}, actor("head", agency=zc))
    final = env.events("opinion_issued.v1")[1]["data"]
    assert (final["approving"], final["final"]) == (False, True)


def test_elsewhere_an_approval_is_final_unless_collective_discussion_is_flagged(env):
    rid = complete_review(env)
    assert issue(env, rid)["state"] == "opinion_issued"
    assert env.events("opinion_issued.v1")[0]["data"]["final"] is True
    rid2 = complete_review(env, case_no="沁能立〔2025〕8号")
    who = REVIEWER
    findings(env, rid2, QINYUAN_POINTS, who=who)
    view = env.call(opinions.issue_opinion, "issue_opinion", {
        "review_id": rid2, "opinion": "approve", "reasons": "情节复杂",
        "issued_at": "2025-10-30T16:00:00+08:00", "collective_discussion_required": True}, who)
    assert view["state"] == "awaiting_collective_discussion"
    assert env.events("opinion_issued.v1")[1]["data"]["final"] is False


# ---- 陵川: the clock starts on receipt ---------------------------------------------------------

def test_lingchuan_clock_starts_on_receipt_of_incomplete_materials(env):
    lc = "lingchuan-emergency"
    who = actor("officer", agency=lc, id="officer-1")
    view = env.call(usecases.request_review, "request_review",
                    request_payload(lc, materials=("proposal",), grounds=(),
                                    case_no="陵应急立〔2025〕12号"), who)
    # fined 60000 organisation ≥ 50000: major
    assert view["classification"]["fired"][0]["code"] == "fine_threshold"
    assert (view["state"], view["received_on"], view["clock_start"]) == (
        "awaiting_materials", "2025-10-20", "2025-10-20")
    assert view["deadline"]["due"] == "2025-10-29"   # 7 工作日 from receipt
    view = env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material(c) for c in ALWAYS[1:]],
        "submitted_at": "2025-10-22T09:00:00+08:00"}, who)
    assert (view["state"], view["complete_on"], view["clock_start"]) == (
        "under_review", "2025-10-22", "2025-10-20")
    assert view["deadline"]["due"] == "2025-10-29"
    assert env.events("materials_completed.v1")[0]["data"]["clock_start"] == "2025-10-20"
    staff(env, "reviewer-1", agency=lc)
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": view["id"], "reviewer_id": "reviewer-1", "reason": "轮值"},
             actor("legal_unit", agency=lc))
    with pytest.raises(ValidationFailed) as err:   # 陵川 stops the clock for nothing
        env.call(usecases.stop_clock, "stop_clock", {
            "review_id": view["id"], "reason": "supplementary_materials",
            "stopped_at": "2025-10-23T09:00:00+08:00"}, actor("reviewer", agency=lc,
                                                              id="reviewer-1"))
    assert list(err.value.details) == ["reason"]
    view = env.call(usecases.extend_deadline, "extend_deadline", {
        "review_id": view["id"], "reason": "特殊情况",
        "approved_at": "2025-10-28T09:00:00+08:00"}, actor("head", agency=lc))
    assert view["deadline"]["due"] == "2025-11-03"   # 10-29 + 3 日 = Sat 11-01 → Mon 11-03


def test_a_hearing_owes_the_transcript(env):
    view = env.call(usecases.request_review, "request_review",
                    request_payload(materials=ALWAYS, grounds=(), hearing=True), OFFICER)
    assert view["state"] == "awaiting_materials"
    assert [m["code"] for m in view["missing"]] == ["hearing_or_assessment"]


def test_a_first_time_penalty_reviewer_without_qualification_is_refused(env):
    view = env.call(usecases.request_review, "request_review",
                    request_payload(materials=ALWAYS), OFFICER)
    staff(env, "reviewer-9", qualified=False)
    with pytest.raises(DomainRuleViolated) as err:
        env.call(usecases.assign_reviewer, "assign_reviewer",
                 {"review_id": view["id"], "reviewer_id": "reviewer-9", "reason": "轮值"}, LEGAL)
    assert err.value.code == "not_qualified"
    assert err.value.details["problems"] == ["legal_qualification_required"]
    refused = [h["body"] for h in history(env, view["id"]) if h["action"] == "assignment_refused"]
    assert [(r["reviewer_id"], r["refused"], r["problems"]) for r in refused] == [
        ("reviewer-9", "not_qualified", ["legal_qualification_required"])]
    staff(env, "reviewer-9", qualified=False, prior=2)   # experienced before the system
    view = env.call(usecases.assign_reviewer, "assign_reviewer",
                    {"review_id": view["id"], "reviewer_id": "reviewer-9", "reason": "轮值"},
                    LEGAL)
    assert view["assignments"][0]["reason"].endswith("2 penalty reviews done before")


# ---- records' decision_proposed.v1 --------------------------------------------------------------

def proposed(major=True, seq=9):
    # records' own example, so fields records adds to its event keep the test honest
    data = copy.deepcopy(RECORDS.event("decision_proposed.v1").example)
    data.update(proposal_seq=seq, major=major, handlers=["officer-lc-017"],
                participants=["head-lc-001"])
    if not major:
        data["fired"] = []
    body = envelope(RECORDS, "decision_proposed.v1", data, agency="lingchuan-emergency",
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, RECORDS_KEY)   # as records' outbox does; the handler verified it before
    return body


RECORDS_KEY = event_key("records")


def test_decision_proposed_is_handled_once_per_message_id(env):
    body = proposed()
    rid = usecases.on_decision_proposed(body, **env.deps())
    assert rid is not None
    assert usecases.on_decision_proposed(copy.deepcopy(body), **env.deps()) is None
    listed = queries.list_reviews({"agency": "lingchuan-emergency", "state": None,
                                   "case_id": None, "limit": 100},
                                  actor=actor("head", agency="lingchuan-emergency"),
                                  db=env.db, rules=env.rules)
    assert [r["id"] for r in listed] == [rid]
    assert listed[0]["source_message_id"] == body["message_id"]
    assert listed[0]["handlers"] == ["officer-lc-017"]
    assert listed[0]["participants"] == ["head-lc-001"]
    assert listed[0]["requested_by"] == "officer-lc-017"
    assert len(env.events("review_requested.v1")) == 1
    # the same proposal under a new message id is a conflict, not a second review
    with pytest.raises(Conflict) as err:
        usecases.on_decision_proposed(proposed(), **env.deps())
    assert err.value.code == "review_exists"


def test_decision_proposed_not_major_is_ignored(env):
    assert usecases.on_decision_proposed(proposed(major=False), **env.deps()) is None
    assert env.events() == []
    listed = queries.list_reviews({"agency": "lingchuan-emergency", "limit": 10},
                                  actor=actor("head", agency="lingchuan-emergency"),
                                  db=env.db, rules=env.rules)
    assert listed == []


# ---- refusals and validation ------------------------------------------------------------------

def test_wrong_role_or_agency_is_forbidden(env):
    with pytest.raises(Forbidden):
        env.call(usecases.request_review, "request_review", request_payload(), LEGAL)
    with pytest.raises(Forbidden) as err:
        env.call(usecases.request_review, "request_review", request_payload(),
                 actor("officer", agency="anze-justice"))
    assert err.value.details == {"actor_agency": "anze-justice", "agency": "qinyuan-energy"}
    rid = complete_review(env)
    with pytest.raises(Forbidden):
        queries.get_review({"review_id": rid}, actor=actor("head", agency="anze-justice"),
                           db=env.db, rules=env.rules)
    with pytest.raises(Forbidden):
        env.call(usecases.register_staff, "register_staff", {
            "agency": "qinyuan-energy", "person_id": "x", "name": "x", "roles": ["reviewer"],
            "legal_qualification": True}, OFFICER)
    with pytest.raises(Forbidden):   # an officer cannot write a finding
        findings(env, rid, ["lawful_subject"], who=OFFICER)
    with pytest.raises(Forbidden):
        queries.staffing_report({"agency": "qinyuan-energy"}, actor=REVIEWER, db=env.db,
                                rules=env.rules)
    assert env.events("review_requested.v1").__len__() == 1


def test_invalid_payloads_name_the_field(env):
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.request_review, "request_review",
                 request_payload(materials=("proposal", "made_up")), OFFICER)
    assert list(err.value.details) == ["materials.1.code"]
    assert env.events() == []            # nothing was written
    rid = complete_review(env)
    with pytest.raises(ValidationFailed) as err:
        findings(env, rid, ["not_a_point"])
    assert list(err.value.details) == ["point"]
    with pytest.raises(ValidationFailed) as err:
        env.call(opinions.record_finding, "record_finding", {
            "review_id": rid, "point": "documents", "result": "maybe",
            "recorded_at": "2025-10-30T10:00:00+08:00"}, REVIEWER)
    assert list(err.value.details) == ["result"]
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.stop_clock, "stop_clock", {
            "review_id": rid, "reason": "lunch", "stopped_at": "2025-10-22T10:00:00+08:00"},
            REVIEWER)
    assert list(err.value.details) == ["reason"]
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.submit_materials, "submit_materials", {
            "review_id": rid, "materials": [material("proposal")],
            "submitted_at": "2025-10-22T10:00:00"}, OFFICER)      # naive time
    assert list(err.value.details) == ["submitted_at"]
    findings(env, rid, QINYUAN_POINTS)
    with pytest.raises(ValidationFailed) as err:
        env.call(opinions.issue_opinion, "issue_opinion", {
            "review_id": rid, "opinion": "further_investigation", "reasons": "x",
            "issued_at": "2025-10-30T16:00:00+08:00"}, REVIEWER)
    assert list(err.value.details) == ["opinion"]


def test_staffing_report_counts_active_officers_and_reviewers(env):
    agency = "anze-justice"
    for i in range(41):
        staff(env, f"officer-{i}", agency=agency, roles=("officer",), qualified=False)
    staff(env, "reviewer-1", agency=agency)
    staff(env, "reviewer-2", agency=agency, qualified=False)
    report = queries.staffing_report({"agency": agency},
                                     actor=actor("supervisor", agency=agency), db=env.db,
                                     rules=env.rules)
    assert report == {
        "ruleset": "anze-county@1", "officers": 41, "reviewers": 2, "ratio_required": "0.05",
        "ratio_actual": "0.0488", "reviewers_required": 3, "met": False, "in_principle": True,
        "basis": env.rules.ruleset("anze-county").section("review")["reviewer_ratio"]["basis"],
        "agency": agency, "legally_qualified": 1}


# ---- the clock watch ---------------------------------------------------------------------------

def test_check_clocks_reminds_once_and_reports_overdue_once_per_due_date(env):
    view = env.call(usecases.request_review, "request_review", request_payload(), OFFICER)
    env.now = at("2025-10-21T15:00:00")
    env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material(c) for c in ALWAYS],
        "submitted_at": "2025-10-21T15:00:00+08:00"}, OFFICER)   # due 2025-11-04

    def check(when):
        env.now = at(when)
        sent = queries.check_clocks(db=env.db, outbox=env.outbox, rules=env.rules,
                                    now=env.now, remind_workdays=2)
        assert sent.pop("failed") == 0
        return sent

    assert check("2025-10-30T09:00:00") == {"reminders": 0, "overdue": 0}  # 3 workdays left
    assert check("2025-10-31T09:00:00") == {"reminders": 1, "overdue": 0}  # 11-03, 11-04
    assert check("2025-11-03T09:00:00") == {"reminders": 0, "overdue": 0}
    assert check("2025-11-04T20:00:00") == {"reminders": 0, "overdue": 0}  # due day itself
    assert check("2025-11-05T00:30:00") == {"reminders": 0, "overdue": 1}
    assert check("2025-11-06T09:00:00") == {"reminders": 0, "overdue": 0}
    soon = env.events("review_due_soon.v1")
    assert [(e["data"]["due"], e["data"]["workdays_left"]) for e in soon] == [("2025-11-04", 2)]
    late = env.events("review_overdue.v1")
    assert [(e["data"]["due"], e["data"]["days_overdue"]) for e in late] == [("2025-11-04", 1)]
    assert late[0]["actor"]["id"] == "review-clock"

    # an extension gives a new due date (11-18), which gets its own reminder and overdue
    env.call(usecases.extend_deadline, "extend_deadline", {
        "review_id": view["id"], "reason": "案情复杂",
        "approved_at": "2025-11-06T09:00:00+08:00"}, HEAD)
    assert check("2025-11-07T09:00:00") == {"reminders": 0, "overdue": 0}
    assert check("2025-11-17T09:00:00") == {"reminders": 1, "overdue": 0}
    assert check("2025-11-19T09:00:00") == {"reminders": 0, "overdue": 1}
    assert check("2025-11-20T09:00:00") == {"reminders": 0, "overdue": 0}
    assert [e["data"]["due"] for e in env.events("review_overdue.v1")] == ["2025-11-04",
                                                                          "2025-11-18"]


def test_materials_complete_once_even_when_more_arrive_the_same_day(env):
    view = env.call(usecases.request_review, "request_review",
                    request_payload(materials=ALWAYS), OFFICER)
    assert view["state"] == "under_review" and view["complete_on"] == "2025-10-20"
    env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material("other")],
        "applicable": ["other"], "submitted_at": "2025-10-20T16:00:00+08:00"}, OFFICER)
    completed = env.events("materials_completed.v1")
    assert [e["data"]["complete_on"] for e in completed] == ["2025-10-20"]


def test_check_manual_review_answers_as_its_contract_example_shows(env):
    """records.enter_legal_review asks this: the contract's example is what the board says
    for a qualified reviewer named by id and a name nobody in the register bears."""
    from contracts.review import CONTRACT
    from shared.contracts.registry import dump
    spec = CONTRACT.rpc("check_manual_review")
    lingchuan = actor("legal_unit", agency="lingchuan-emergency", id="legal-1")
    env.call(usecases.register_staff, "register_staff",
             CONTRACT.rpc("register_staff").example_request, lingchuan)
    answer = env.call(queries.check_manual_review, "check_manual_review",
                      spec.example_request, lingchuan)
    assert dump(spec.response, answer) == spec.example_response
    with pytest.raises(Forbidden):
        env.call(queries.check_manual_review, "check_manual_review", spec.example_request,
                 actor("officer", agency="lingchuan-emergency"))
