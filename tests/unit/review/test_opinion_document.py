"""The review board's 意见书: its data fits the renderer's legal_review_opinion template (the
data an opinion carries validates against that template's field schema and renders), and
its copies go where the rule set says."""
from __future__ import annotations

import io
from pathlib import Path

import yaml
from docx import Document

from contracts.review import DOCUMENT
from services.renderer.domain import Stamp, data_sha256
from services.renderer.fields import validate
from services.renderer.rendering import render_docx
from services.review import domain, usecases
from shared.rulesets.repository import RuleSetRepository
from tests.builders import opinion_review as review
from tests.unit.review.support import ANZE, LINGCHUAN, QINYUAN, actor, complete_review, issue

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = yaml.safe_load((ROOT / "templates/legal_review_opinion/1/manifest.yaml")
                          .read_text(encoding="utf-8"))


def test_the_opinion_data_validates_against_the_template_fields():
    rs = RuleSetRepository.default().get("lingchuan-emergency")
    doc = domain.opinion_document(rs, review(), "陵川县应急管理局")
    data = validate(MANIFEST["fields"], doc["data"])
    assert data["doc_number"] == "陵应急法审〔2025〕12号"
    assert data["submitted_date"] == "2025-10-20"
    assert data["materials_complete_date"] == "2025-10-21"
    assert data["reviewers"] == [{"name": "陈静", "position": "政策法规股股长"}]
    assert data["proposed_decision"] == (
        "依据《中华人民共和国安全生产法》第九十七条，罚款人民币陆万元整")
    assert {"point": "行政裁量权运用", "finding": "存在瑕疵：裁量说明不充分"} \
        in data["review_points"]
    assert len(data["review_points"]) == 11
    assert [c["destination"] for c in doc["copies"]] == ["case_file", "review_archive"]


def test_document_details_given_with_the_opinion_replace_the_defaults():
    rs = RuleSetRepository.default().get("anze-county")
    doc = domain.opinion_document(rs, review(document_info={
        "doc_number": "安司法审〔2025〕3号", "reviewing_unit": "法制股"}), "安泽县司法局")
    assert validate(MANIFEST["fields"], doc["data"])["doc_number"] == "安司法审〔2025〕3号"
    assert doc["data"]["reviewing_unit"] == "法制股"
    assert doc["copies"][0]["online_replaces_paper"] is True  # 002 第十三条


def test_the_contract_example_is_valid_template_data():
    validate(MANIFEST["fields"], DOCUMENT["data"])


def test_copies_go_to_the_case_file_and_the_review_archive():
    assert domain.copies(QINYUAN) == [
        {"copy": 1, "destination": "case_file", "label": "存入执法案卷",
         "online_replaces_paper": False},
        {"copy": 2, "destination": "review_archive", "label": "法制审核机构留存归档",
         "online_replaces_paper": False}]
    # 002: where review runs online, the online record replaces the paper
    assert [c["online_replaces_paper"] for c in domain.copies(ANZE)] == [True, True]
    assert [c["destination"] for c in domain.copies(LINGCHUAN)] == ["case_file",
                                                                    "review_archive"]


def _rendered(data: dict) -> list[str]:
    """The paragraphs of the 意见书 the renderer makes of `data`."""
    template = (ROOT / "templates/legal_review_opinion/1/template.docx").read_bytes()
    stamp = Stamp("legal_review_opinion", 1, "a" * 64, data_sha256(data), "法制审核意见书")
    blob = render_docx(template, validate(MANIFEST["fields"], data), stamp)
    return [p.text for p in Document(io.BytesIO(blob)).paragraphs]


def test_after_the_head_replaces_an_opinion_the_document_says_who_decided_what(env):
    """陵川 001 附件3 第八条 (the legal unit 签写审核意见) and 第九条 (局领导复核): the reviewers
    sign their own opinion; the head's decision is printed as the head's, not under the
    reviewers' names."""
    lc = "lingchuan-emergency"
    rid = complete_review(env, lc, case_no="陵应急立〔2025〕64号")
    issue(env, rid, lc, opinion="not_approve")
    env.call(usecases.contest_opinion, "contest_opinion", {
        "review_id": rid, "reason": "违法事实有证据证明",
        "contested_at": "2025-10-31T09:00:00+08:00"}, actor("officer", agency=lc))
    env.call(usecases.head_decide, "head_decide", {
        "review_id": rid, "outcome": "replace", "opinion": "approve",
        "reasons": "局领导复核：事实清楚，证据确凿，同意",
        "decided_at": "2025-11-03T09:00:00+08:00"}, actor("head", agency=lc, id="head-lc-001"))
    data = env.events("opinion_issued.v1")[-1]["data"]["document"]["data"]
    assert (data["opinion_kind"], data["opinion_reasons"], data["review_date"]) == (
        "不予批准或者建议撤销案件", "事实清楚", "2025-10-30")
    assert data["decisions"] == [{"by": "行政执法机关负责人（head）", "kind": "同意",
                                  "reasons": "局领导复核：事实清楚，证据确凿，同意",
                                  "date": "2025-11-03"}]
    text = _rendered(data)
    assert "审核意见：不予批准或者建议撤销案件。" in text
    assert ("行政执法机关负责人（head）于2025年11月3日决定：同意。"
            "局领导复核：事实清楚，证据确凿，同意") in text


def test_the_leaders_conclusion_is_printed_as_theirs_beside_the_reviewers_opinion(env):
    """001 附件3 第七条（八）: the reviewers leave the case to the leaders; the 意见书 keeps the
    reviewers' opinion and prints the leaders' conclusion under the discussion's members."""
    lc = "lingchuan-emergency"
    rid = complete_review(env, lc, case_no="陵应急立〔2025〕65号")
    issue(env, rid, lc, opinion="collective_decision")
    env.call(usecases.record_collective_discussion, "record_collective_discussion", {
        "review_id": rid, "held_at": "2025-11-03T15:00:00+08:00",
        "participants": ["王建军", "李强", "赵敏"], "summary": "经集体研究，同意作出处罚决定",
        "conclusion": "approve"}, actor("head", agency=lc, id="head-lc-001"))
    data = env.events("opinion_issued.v1")[-1]["data"]["document"]["data"]
    assert (data["opinion_kind"], data["opinion_reasons"]) == (
        "由局机关领导集体研究决定", "事实清楚")
    assert data["decisions"] == [{"by": "机关负责人集体讨论（王建军、李强、赵敏）",
                                  "kind": "同意作出决定", "reasons": "经集体研究，同意作出处罚决定",
                                  "date": "2025-11-03"}]
    assert "审核意见：由局机关领导集体研究决定。" in _rendered(data)
