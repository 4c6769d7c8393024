"""How the shipped templates fall on pages, through a real LibreOffice: the 落款 (name and date)
never stands alone on the last page — the last lines of the text go with it — the 立案审批表
fits one page, and the 年报 carries its 版头 and 版记."""
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
from services.review import domain as review_domain
from shared.rulesets.repository import RuleSetRepository
from tests.builders import opinion_review

# a sentence of an opinion's reasons, repeated to move the end of the text down the page
REASON = "经审核，本案认定事实的证据之间能够相互印证，形成完整的证据链。"


def _template(template_id: str):
    return next(f.template for f in scan(default_root(), template_id) if f.template)


def _render(template_id: str, data: dict) -> bytes:
    t = _template(template_id)
    valid = fields.validate(t.fields, data)
    return render_docx(t.docx, valid, stamp_for(t, valid))


def _pages(pdf: bytes, tmp_path) -> list[str]:
    """Each page's text, whitespace removed (pdftotext puts spaces between CJK and digits)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert found, info.stdout
    count = int(found.group(1))
    return [re.sub(r"\s+", "", subprocess.run(
        ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
        capture_output=True, text=True, check=True).stdout) for n in range(1, count + 1)]


def _last_text_before_signature(docx: bytes) -> str:
    """The end of the last paragraph of text above the 落款 (the signature's style)."""
    paragraphs = Document(io.BytesIO(docx)).paragraphs
    first_sign = next(i for i, p in enumerate(paragraphs)
                      if p.style is not None and p.style.name == "落款")
    text = next(p.text for p in reversed(paragraphs[:first_sign]) if p.text.strip())
    return re.sub(r"\s+", "", text)[-8:]


def _assert_signature_with_text(docx: bytes, pages: list[str]) -> None:
    end = _last_text_before_signature(docx)
    assert end in pages[-1], f"the last page holds the 落款 without the text: {pages[-1]!r}"


def _opinion_from_review(reasons: str) -> dict:
    """The 意见书's data as the review board makes it from a review."""
    rs = RuleSetRepository.default().get("lingchuan-emergency")
    review = opinion_review(opinion={"label": "同意", "reasons": reasons,
                                     "issued_on": "2025-09-24"})
    return review_domain.opinion_document(rs, review, "陵川县应急管理局")["data"]


@pytest.mark.parametrize("sentences", range(0, 14, 2))
def test_the_opinion_from_review_data_never_leaves_its_signature_alone(unoserver, tmp_path,
                                                                       sentences):
    docx = _render("legal_review_opinion", _opinion_from_review(
        "事实清楚，证据确凿，适用依据正确，程序合法。" + REASON * sentences))
    _assert_signature_with_text(docx, _pages(unoserver.client.convert(docx), tmp_path))


def test_the_annual_report_has_masthead_and_colophon_and_its_signature_is_not_alone(
        unoserver, tmp_path):
    sample = _template("annual_statistics_report").sample
    docx = _render("annual_statistics_report", sample)
    pages = _pages(unoserver.client.convert(docx), tmp_path)
    _assert_signature_with_text(docx, pages)
    # 版头: the 发文机关标志 and the 发文字号 open the first page
    assert pages[0].startswith(f"{sample['authority_name']}文件{sample['doc_number']}")
    # 版记: 抄送 and 印发 close the last page, above its number
    colophon = r"抄送：山西省应急管理厅，陵川县司法局。陵川县应急管理局2026年1月9日印发—\d+—$"
    assert re.search(colophon, pages[-1]), pages[-1]


@pytest.mark.parametrize("template_id", ["annual_statistics_report", "hearing_notice",
                                         "penalty_notice", "penalty_decision",
                                         "reminder_notice"])
def test_a_shipped_notice_keeps_its_signature_with_the_text(unoserver, tmp_path, template_id):
    docx = _render(template_id, _template(template_id).sample)
    _assert_signature_with_text(docx, _pages(unoserver.client.convert(docx), tmp_path))


def test_the_case_approval_form_fits_one_page(unoserver, tmp_path):
    docx = _render("case_approval", _template("case_approval").sample)
    pages = _pages(unoserver.client.convert(docx), tmp_path)
    assert len(pages) == 1 and "行政机关负责人意见" in pages[0] and "备注" in pages[0]
