"""A small 行政处罚决定书-like template built with python-docx, in the registry's folder layout
(<root>/<id>/<version>/{template.docx,manifest.yaml}), for tests that must not depend on the
shipped templates' wording."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

FIELDS: dict[str, Any] = {
    "agency_name": {"type": "string", "label": "机关名称", "max_length": 60},
    "decision_no": {"type": "string", "label": "文号", "pattern": r"\S+〔\d{4}〕\d+号"},
    "party_name": {"type": "string", "label": "当事人"},
    "facts": {"type": "text", "label": "违法事实"},
    "fine_amount": {"type": "money", "label": "罚款金额"},
    "issued_on": {"type": "date", "label": "作出决定日期"},
    "hearing_held": {"type": "boolean", "label": "是否听证"},
    "kind": {"type": "string", "label": "处罚种类", "enum": ["警告", "罚款"]},
    "witnesses": {"type": "integer", "label": "证人人数", "required": False},
    "rows": {"type": "list", "label": "违法行为明细", "items": {"type": "object", "fields": {
        "item": {"type": "string", "label": "违法行为"},
        "amount": {"type": "money", "label": "金额"}}}},
}
SAMPLE: dict[str, Any] = {
    "agency_name": "陵川县应急管理局", "decision_no": "陵应急罚〔2025〕12号",
    "party_name": "陵川县某某煤业有限公司 A & B <C>",
    "facts": "2025年10月9日现场检查发现3名特种作业人员未持证上岗。",
    "fine_amount": "60000", "issued_on": "2025-10-27", "hearing_held": False, "kind": "罚款",
    "rows": [{"item": "未如实记录安全生产教育和培训情况", "amount": "30000"},
             {"item": "特种作业人员未持证上岗", "amount": "30000"}],
}


def template_docx(extra_paragraph: str | None = None) -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(16)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")
    title = doc.add_paragraph()
    run = title.add_run("{{ agency_name }}\n行政处罚决定书")
    run.font.name = "方正小标宋简体"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正小标宋简体")
    doc.add_paragraph("{{ decision_no }}")
    doc.add_paragraph("当事人：{{ party_name }}")
    doc.add_paragraph("{{ facts }}")
    table = doc.add_table(rows=4, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "违法行为", "金额（元）"
    table.cell(1, 0).text = "{%tr for r in rows %}"
    table.cell(2, 0).text, table.cell(2, 1).text = "{{ r.item }}", "{{ r.amount|cny }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    doc.add_paragraph("处罚种类：{{ kind }}。罚款人民币{{ fine_amount|cny_upper }}"
                      "（¥{{ fine_amount|cny }}）。")
    doc.add_paragraph("{% if hearing_held %}已举行听证。{% endif %}"
                      "{% if witnesses %}证人{{ witnesses|cn_number }}名。{% endif %}")
    if extra_paragraph:
        doc.add_paragraph(extra_paragraph)
    kai = doc.add_paragraph().add_run("（此页无正文）")
    kai.font.name = "楷体"
    kai._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "楷体")
    doc.add_paragraph("{{ issued_on|cn_date }}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def write_template(root: Path, template_id: str = "fixture_penalty", version: int = 1, *,
                   docx: bytes | None = None, fields: dict | None = None,
                   sample: dict | None = None, title: str = "行政处罚决定书") -> Path:
    folder = Path(root) / template_id / str(version)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "template.docx").write_bytes(docx if docx is not None else template_docx())
    manifest = {"id": template_id, "version": version, "title": title,
                "description": "测试用模板", "fields": fields or FIELDS,
                "sample": SAMPLE if sample is None else sample}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                         sort_keys=False), "utf-8")
    return folder


def long_rows(n: int) -> list[dict]:
    return [{"item": f"第{i + 1}项 违法行为明细 {'甲乙丙丁' * 6}", "amount": f"{(i % 97) + 1}00.50"}
            for i in range(n)]


def wide_table_docx(columns: int) -> bytes:
    """A register-like table: every row repeats its fields across `columns` cells, so a
    2,000-row document costs seconds of CPU without a huge request."""
    doc = Document()
    doc.add_paragraph("{{ agency_name }} 违法行为明细登记表 {{ decision_no }}")
    table = doc.add_table(rows=3, cols=columns)
    table.cell(0, 0).text = "{%tr for r in rows %}"
    for c in range(columns):
        table.cell(1, c).text = "{{ r.item }} {{ r.amount|cny }}" if c % 2 else "{{ loop.index }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


WIDE_FIELDS = {"agency_name": FIELDS["agency_name"], "decision_no": FIELDS["decision_no"],
               "rows": FIELDS["rows"]}
