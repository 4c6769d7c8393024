"""The documents a case file holds beyond the decision: 责令改正通知书, 查封（扣押）决定书,
陈述申辩笔录, 听证笔录 and the 卷内目录 — each renders its case's data with what the law asks
it to carry, and the 卷内目录 lists the case's own rendered documents with their page numbers."""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from docx import Document

from services.renderer import fields
from services.renderer.domain import stamp_for
from services.renderer.library import default_root, scan
from services.renderer.rendering import render_docx
from shared.errors import ValidationFailed

NEW = ("rectification_order", "seizure_decision", "statement_record", "hearing_record",
       "case_file_index")
# the case file of the running example, in the order the case made its documents
CASE_FILE = ("case_approval", "onsite_inspection_record", "evidence_preservation_notice",
             "interview_record", "rectification_order", "penalty_notice", "statement_record",
             "hearing_notice", "hearing_record", "legal_review_opinion", "penalty_decision",
             "service_receipt")


def _template(template_id: str):
    return next(f.template for f in scan(default_root(), template_id) if f.template)


def _render(template_id: str, data: dict) -> bytes:
    t = _template(template_id)
    valid = fields.validate(t.fields, data)
    return render_docx(t.docx, valid, stamp_for(t, valid))


def _text(docx: bytes) -> str:
    doc = Document(io.BytesIO(docx))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _page_count(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert found, info.stdout
    return int(found.group(1))


def test_the_standard_set_holds_the_case_file_documents():
    titles = {f.template.template_id: f.template.title for f in scan(default_root())
              if f.template}
    assert {t: titles.get(t) for t in NEW} == {
        "rectification_order": "责令改正通知书", "seizure_decision": "查封（扣押）决定书",
        "statement_record": "陈述申辩笔录", "hearing_record": "听证笔录",
        "case_file_index": "卷内目录"}


def test_a_seizure_decision_carries_what_the_administrative_compulsion_law_asks():
    data = dict(_template("seizure_decision").sample)
    text = _text(_render("seizure_decision", data))
    # 行政强制法 第二十四条: party and address; reason, basis and term; what is sealed;
    # the remedies and their periods; the authority and the date
    term = "查封期限为三十日，自2025年8月12日起至2025年9月10日止"
    for expected in ("查封决定书", "陵川县太行石材有限公司：", data["party_address"], term,
                     "延长期限不超过三十日", "颚式破碎机", "PE-600×900", "1台",
                     "六十日内向陵川县人民政府申请行政复议",
                     "六个月内依法向陵川县人民法院提起行政诉讼", "2025年8月12日"):
        assert expected in text, expected
    with pytest.raises(ValidationFailed) as refused:
        _render("seizure_decision", dict(data, term_days=31, measure="没收"))
    assert set(refused.value.details) == {"data.term_days", "data.measure"}


def test_a_rectification_order_sets_a_deadline_or_orders_at_once():
    data = dict(_template("rectification_order").sample)
    text = _text(_render("rectification_order", data))
    assert "现责令你单位于2025年8月26日前改正。" in text
    assert "一、破碎工段新招用的从业人员张某、刘某、陈某3人上岗前未经安全生产教育和培训。" in text
    assert "二、2025年度安全生产教育和培训档案未如实记录培训情况。" in text
    at_once = dict(data, immediate=True, party={"name": "张三", "kind": "individual"})
    del at_once["deadline"]
    assert "现责令你立即改正。" in _text(_render("rectification_order", at_once))


def test_the_hearing_and_statement_records_keep_who_said_what():
    hearing = _template("hearing_record").sample
    text = _text(_render("hearing_record", hearing))
    assert "听证方式：公开" in text and "委托代理人：杜明（山西太行律师事务所）" in text
    assert "表示不申请回避" in text
    for s in hearing["proceedings"]:
        assert f"{s['speaker']}：{s['text']}" in text
    without_agent = dict(hearing, agents=[], recusal_requested=True,
                         recusal_decision="申请理由不成立，驳回回避申请")
    text = _text(_render("hearing_record", without_agent))
    assert "委托代理人：无" in text and "驳回回避申请" in text
    statement = _template("statement_record").sample
    text = _text(_render("statement_record", statement))
    assert "以陵应急罚告〔2025〕12号行政处罚告知书告知" in text
    assert statement["statement"] in text and "提供的证据：" in text


def test_the_case_file_index_lists_the_cases_rendered_documents_with_their_pages(
        unoserver, tmp_path):
    entries, page = [], 1
    for template_id in CASE_FILE:
        t = _template(template_id)
        sample = t.sample
        pages = _page_count(unoserver.client.convert(_render(template_id, sample)), tmp_path)
        day = next(sample[name] for name, spec in t.fields.items()
                   if spec["type"] == "date" and sample.get(name))
        number = sample.get("doc_number") or (sample.get("case_number")
                                              if template_id == "case_approval" else None)
        entries.append({"title": t.title, "doc_number": number, "date": day,
                        "pages": str(page) if pages == 1 else f"{page}-{page + pages - 1}"})
        page += pages
    index = dict(_template("case_file_index").sample, entries=entries)
    docx = _render("case_file_index", index)
    rows = [[c.text for c in r.cells] for r in Document(io.BytesIO(docx)).tables[0].rows]
    assert rows[0] == ["序号", "文书（材料）名称", "文书编号", "日期", "页号", "备注"]
    assert [r[1] for r in rows[1:-1]] == [_template(t).title for t in CASE_FILE]
    assert [r[4] for r in rows[1:-1]] == [e["pages"] for e in entries]
    assert rows[1][2] == "陵应急立〔2025〕12号" and rows[-2][4].endswith(str(page - 1))
    assert rows[-1][0] == "立卷人：赵文华　　检查人：韩丽萍　　立卷日期：2025年11月20日"
    # a longer index runs on: its heading row is repeated on every page
    pdf = unoserver.client.convert(docx)
    path = tmp_path / "index.pdf"
    path.write_bytes(pdf)
    for n in range(1, _page_count(pdf, tmp_path) + 1):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "文书（材料）名称" in text, (n, text)
