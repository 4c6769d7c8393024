"""Named builders of what tests send: the demo case's requests (demo.case), each taken by what
it is — the opening of a case, the on-site video, the proposal — never by a step's position,
each a fresh copy a test may change, with keyword `changes` replacing fields.

    open_case_request("陵应急立〔2025〕41号", agency=QINYUAN)
    step_request("onsite_inspection", ctx, occurred_at=...)   # any step of the case, by name
    demo_decision(fine_amount="10000")
    demo_plan("陵应急立〔2025〕501号", with_review=False, before="legal_review_entered")

`ctx` is what the steps so far remembered (demo.case.remember): "case_id", and after the
proposal "proposal_seq"; a builder given a case id alone takes {"case_id": case_id}.

The names of the steps, in the order the case takes them (with the review board; without it,
legal_review_entered stands where the board's steps are):
    case_opened, onsite_video, investigation_started, credentials_shown, onsite_inspection,
    interview, evidence_preserved, preservation_video, rights_notified, statement_heard,
    decision_stage, case_reviewed, decision_proposed, unreviewed_decision_refused,
    review_requested, materials_submitted, staff_registered, handler_assignment_refused,
    reviewer_assigned, points_found, opinion_issued, decision_issued, service_stage,
    decision_served, fine_paid, case_closed, case_archived"""
from __future__ import annotations

import copy
from datetime import date
from typing import Any

from demo import case as demo
from demo.case import (
    ACTORS,
    AGENCY,
    DECISION,
    OFFICERS,
    PARTY,
    REVIEWER,
    SHA,
    Step,
    perform,
    remember,
)
from shared.rulesets.repository import RuleSetRepository

__all__ = ["ACTORS", "AGENCY", "CASE_NO", "OFFICERS", "PARTY", "REVIEWER", "SHA", "Step",
           "av_media", "av_request", "demo_decision", "demo_plan", "demo_step", "filing_approval",
           "open_case_request", "perform", "proposal_request", "remember", "request_of",
           "step_request"]

# the demo's case number, where a test needs none of its own
CASE_NO = "陵应急立〔2025〕31号"


def demo_plan(case_no: str = CASE_NO, *, with_review: bool = True,
              before: str | None = None) -> list[Step]:
    """The demo case's steps for `case_no`; with `before`, only those before that step."""
    plan = demo.steps(case_no, with_review=with_review)
    return demo.until(plan, before) if before else plan


def demo_step(name: str, case_no: str = CASE_NO, *, with_review: bool = True) -> Step:
    """The demo case's step called `name`."""
    return demo.step(name, case_no, with_review=with_review)


def step_request(name: str, ctx: dict | str | None = None, *, case_no: str = CASE_NO,
                 with_review: bool = True, **changes: Any) -> dict:
    """The request of the step called `name` for the case of `ctx` (a context or a case id),
    a fresh copy, `changes` replacing its fields. A step of several calls gives its first."""
    if isinstance(ctx, str):
        ctx = {"case_id": ctx}
    payload = demo_step(name, case_no, with_review=with_review).payload(dict(ctx or {}))
    if isinstance(payload, list):
        payload = payload[0]
    return dict(copy.deepcopy(payload), **changes)


def request_of(step: Step, ctx: dict) -> dict:
    """The request of a step that makes one call (only the review board's steps make a list,
    one call per item)."""
    payload = step.payload(ctx)
    assert isinstance(payload, dict), f"step {step.name} makes {len(payload)} calls"
    return payload


def open_case_request(case_no: str = CASE_NO, **changes: Any) -> dict:
    """The demo's open_case request (陵川, ex officio, one organisation as party), numbered
    `case_no`."""
    return step_request("case_opened", case_no=case_no, **changes)


def filing_approval(**changes: Any) -> dict:
    """The demo's 立案审批表 (the opening's filing_approval)."""
    return dict(open_case_request()["filing_approval"], **changes)


def av_request(ctx: dict | str, **changes: Any) -> dict:
    """The demo's on-site inspection video (record_av), stored the same day; `ctx` holds the
    vault object of its footage (ctx["footage"], demo.case.footage_upload)."""
    return step_request("onsite_video", ctx, **changes)


def av_media(stored: dict, **changes: Any) -> dict:
    """record_av's media naming the vault object `stored` (vault.complete_upload's answer):
    its id, SHA-256 and size, `changes` replacing fields (a test declaring otherwise)."""
    return dict({"object_ref": stored["id"], "sha256": stored["sha256"],
                 "size_bytes": stored["size"], "format": "mp4"}, **changes)


def demo_decision(**changes: Any) -> dict:
    """The demo's decision: a fine of 60,000 CNY on the company (major)."""
    return dict(copy.deepcopy(DECISION), **changes)


def proposal_request(ctx: dict | str, **changes: Any) -> dict:
    """propose_decision of the demo's decision for the case of `ctx`."""
    return step_request("decision_proposed", ctx, **changes)


def opinion_review(**overrides) -> dict:
    """A 陵川 review as the review board holds it when its 意见书 is made (the data
    `opinion_document` reads), with `overrides`."""
    rs = RuleSetRepository.default().get("lingchuan-emergency")
    findings = {p["code"]: {"result": "pass", "note": None, "by": "r", "at": "x"}
                for p in rs.section("review")["review_points"]}
    findings["discretion"] = {"result": "flaw", "note": "裁量说明不充分", "by": "r", "at": "x"}
    base = {
        "case_no": "陵应急立〔2025〕12号",
        "case_title": "陵川县宏泰煤业有限公司未按规定开展安全生产教育培训案",
        "party": {"name": "陵川县宏泰煤业有限公司"},
        "decision": {"legal_basis": "《中华人民共和国安全生产法》第九十七条",
                     "conclusion": "罚款人民币陆万元整"},
        "received_on": date(2025, 10, 20), "complete_on": date(2025, 10, 21),
        "materials": [{"code": "proposal", "title": "重大行政执法决定建议及情况说明"}],
        "findings": findings,
        "assignments": [{"name": "陈静", "position": "政策法规股股长", "status": "active"},
                        {"name": "刘洋", "position": None, "status": "recused"}],
        "opinion": {"label": "同意", "reasons": "事实清楚，证据确凿", "issued_on": "2025-10-24"},
        "document_info": None}
    base.update(overrides)
    return base
