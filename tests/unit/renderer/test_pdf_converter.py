"""PDF without surprises: the reason given where LibreOffice is missing, the East Asian font
the shipped templates name, and the same font aliases in the converter image as here."""
from docx import Document
from docx.oxml.ns import qn

from services.renderer.library import default_root
from services.renderer.pdf import local_unavailable_reason


def test_without_libreoffice_the_reason_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no soffice on it
    reason = local_unavailable_reason()
    assert reason is not None
    assert reason.startswith("LibreOffice (soffice) is not installed on this host")
    assert "docx only" in reason


def test_normal_style_of_the_shipped_penalty_decision_names_an_east_asian_font():
    doc = Document(str(default_root() / "penalty_decision" / "1" / "template.docx"))
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) in ("仿宋_GB2312", "仿宋")


def test_the_unoserver_image_gets_the_same_font_aliases():
    from services.renderer.pdf import FONTS_CONF
    image_copy = FONTS_CONF.parents[3] / "compose" / "unoserver" / "sanxiang-fonts.conf"
    assert image_copy.read_bytes() == FONTS_CONF.read_bytes()
