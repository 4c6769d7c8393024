"""`sanxiang templates list|lint|preview` on the shipped templates and on broken ones."""
import io
import zipfile
from pathlib import Path

from docx import Document

from shared.cli import main as cli
from tests.unit.renderer.converter import pdf_fonts
from tests.unit.renderer.fixtures import FIELDS, SAMPLE, template_docx, write_template


def test_list_shows_ids_versions_and_chinese_titles(capsys):
    assert cli(["templates", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 18
    assert any(line.split() == ["penalty_decision", "v1", "行政处罚决定书"] for line in lines)


def test_the_shipped_templates_lint_clean(capsys):
    assert cli(["templates", "lint"]) == 0, capsys.readouterr().out


def split_tag_docx() -> bytes:
    """'{{ party_name }}' typed in two goes, the second half bold."""
    doc = Document(io.BytesIO(template_docx()))
    para = doc.add_paragraph()
    para.add_run("当事人：{{ party_")
    para.add_run("name }}").bold = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_lint_names_file_and_problem_and_fails(tmp_path, capsys):
    root = tmp_path / "templates"
    write_template(root, "split", docx=split_tag_docx())
    write_template(root, "undeclared", docx=template_docx("{{ case_no }}"))
    write_template(root, "bad_sample", sample=dict(SAMPLE, fine_amount="六万"))
    # a missing attribute: only the StrictUndefined render of the sample sees it
    write_template(root, "strict", docx=template_docx("{{ rows[0].note }}"))
    assert cli(["templates", "lint", "--dir", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "templates/bad_sample/1/manifest.yaml: sample.fine_amount: must be a CNY amount as a "
        "decimal string, e.g. \"60000.00\"",
        "templates/split/1/template.docx: word/document.xml: tag '{{ party_name }}' is split "
        "across 2 runs with different formatting; retype it in one go with one format",
        "templates/strict/1/template.docx: the sample does not render (StrictUndefined): "
        "UndefinedError: 'dict object' has no attribute 'note'",
        "templates/undeclared/1/template.docx: uses {{ case_no }}, which manifest.yaml does not "
        "declare in fields",
        "templates/undeclared/1/template.docx: the sample does not render (StrictUndefined): "
        "UndefinedError: 'case_no' is undefined",
    ]
    assert cli(["templates", "lint", "split", "--dir", str(root)]) == 1
    assert cli(["templates", "lint", "nothing_here", "--dir", str(root)]) == 1


def test_preview_writes_docx_pdf_and_png_of_page_one(tmp_path, capsys, unoserver, monkeypatch):
    host, port = unoserver.client.url.removeprefix("http://").split(":")
    monkeypatch.setenv("UNOSERVER_HOST", host)
    monkeypatch.setenv("UNOSERVER_PORT", port)
    out = tmp_path / "preview"
    assert cli(["templates", "preview", "penalty_decision", "--version", "1",
                "--out", str(out)]) == 0
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert printed == {"docx": f"{out}/penalty_decision-v1.docx",
                       "pdf": f"{out}/penalty_decision-v1.pdf",
                       "png": f"{out}/penalty_decision-v1-page1.png"}
    assert zipfile.is_zipfile(printed["docx"])
    assert Path(printed["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fonts = pdf_fonts(Path(printed["pdf"]).read_bytes(), tmp_path)
    # the official names in the template (仿宋_GB2312, 方正小标宋简体…) became the free
    # stand-ins, embedded; no Latin fallback face carries the Chinese text
    assert "FandolFang-Regular" in fonts, fonts
    assert any(name.startswith("NotoSerifCJK") for name in fonts), fonts
    assert set(fonts.values()) == {"yes"}, fonts


def test_lint_warns_of_a_field_declared_inside_list_items_that_the_template_never_uses(
        tmp_path, capsys):
    root = tmp_path / "templates"
    fields = dict(FIELDS, rows=dict(FIELDS["rows"], items=dict(FIELDS["rows"]["items"], fields=dict(
        FIELDS["rows"]["items"]["fields"], note={"type": "string", "label": "备注",
                                                 "required": False}))))
    write_template(root, "unused_note", fields=fields)
    assert cli(["templates", "lint", "--dir", str(root)]) == 0  # a warning, not a problem
    assert capsys.readouterr().out.splitlines() == [
        "warning: templates/unused_note/1/manifest.yaml: field rows[].note is declared but the "
        "template never uses it"]


def _resaved(docx: bytes) -> bytes:
    """The template as LibreOffice writes it back: the same text, the grid's character pitch
    and the header distance changed."""
    src, out = zipfile.ZipFile(io.BytesIO(docx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b'w:charSpace="-842"', b'w:charSpace="-1025"').replace(
                    b'w:header="850"', b'w:header="0"')
            z.writestr(item, data)
    return out.getvalue()


def test_lint_refuses_a_template_resaved_with_another_page_grid_naming_each_setting(
        tmp_path, capsys):
    import shutil

    from services.renderer.library import default_root
    root = tmp_path / "templates"
    shutil.copytree(default_root() / "penalty_decision", root / "penalty_decision")
    docx = root / "penalty_decision" / "1" / "template.docx"
    assert cli(["templates", "lint", "--dir", str(root)]) == 0, capsys.readouterr().out
    docx.write_bytes(_resaved(docx.read_bytes()))
    assert cli(["templates", "lint", "--dir", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    where = "templates/penalty_decision/1/template.docx: word/document.xml: "
    assert out[:2] == [
        f"{where}pgMar header is 0, GB/T 9704 needs 850 (header distance 15 mm)",
        f"{where}docGrid charSpace is -1025, GB/T 9704 needs -842 (28 characters a line)"], out
