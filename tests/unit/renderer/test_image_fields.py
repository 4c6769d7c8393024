"""Images in render data (the annual report's charts): a PNG as base64 with its text
alternative, checked by the field schema (strict base64, PNG signature and IHDR, size, alt
text), placed inline by the renderer with the alt text as the drawing's description; the
annual report's template version 2 renders a chart drawn by the disclosure publisher."""
from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from docx import Document

from services.disclosure import charts
from services.renderer import fields
from services.renderer.domain import stamp_for
from services.renderer.library import default_root, scan
from services.renderer.rendering import render_docx
from shared.errors import ValidationFailed

SPEC = {"chart": {"type": "image", "label": "统计图", "width_mm": 150}}
W = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"


def _png(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width×height (one row of data is enough for the checks)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * (1 + 3 * width))) + chunk(b"IEND", b""))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _errors(value) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        fields.validate(SPEC, {"chart": value})
    return exc.value.details


def test_a_png_with_its_alt_text_is_marked_for_the_renderer():
    done = fields.validate(SPEC, {"chart": {"png_base64": _b64(_png(4, 3)), "alt": "图：罚款8"}})
    assert done["chart"] == {fields.IMAGE_MARK: "png", "png_base64": _b64(_png(4, 3)),
                             "alt": "图：罚款8", "width_mm": 150}


@pytest.mark.parametrize(("value", "path", "rule"), [
    ({"png_base64": "not base64!", "alt": "x"}, "data.chart.png_base64", "base64"),
    ({"png_base64": _b64(b"GIF89a" + b"\x00" * 40), "alt": "x"}, "data.chart.png_base64",
     "PNG"),
    ({"png_base64": _b64(_png(5000, 10)), "alt": "x"}, "data.chart.png_base64", "pixels"),
    ({"png_base64": _b64(_png(4, 3)), "alt": ""}, "data.chart.alt", "text alternative"),
    ({"png_base64": _b64(_png(4, 3)), "alt": "a\nb"}, "data.chart.alt", "one line"),
    ({"png_base64": _b64(_png(4, 3))}, "data.chart", "exactly png_base64 and alt"),
    ("iVBORw0KGgo=", "data.chart", "exactly png_base64 and alt"),
])
def test_a_bad_image_is_refused_naming_the_field_and_the_rule(value, path, rule):
    errors = _errors(value)
    assert path in errors and rule in " ".join(errors[path])


def test_an_image_over_its_byte_limit_is_refused():
    spec = {"chart": {"type": "image", "label": "图", "max_bytes": 64}}
    with pytest.raises(ValidationFailed) as exc:
        fields.validate(spec, {"chart": {"png_base64": _b64(_png(40, 40) + b"\x00" * 100),
                                         "alt": "图"}})
    assert "at most 64 bytes" in " ".join(exc.value.details["data.chart.png_base64"])


def test_the_json_schema_says_what_an_image_is():
    schema = fields.to_json_schema(SPEC)["properties"]["chart"]
    assert schema["required"] == ["png_base64", "alt"]
    assert schema["properties"]["png_base64"]["contentMediaType"] == "image/png"


def test_the_annual_report_version_2_renders_a_chart_with_its_alt_text():
    t = next(f.template for f in scan(default_root(), "annual_statistics_report")
             if f.template and f.template.version == 2)
    bars = [("罚款", 8), ("警告", 1)]
    data = dict(t.sample, charts=[{"title": "行政处罚案件办理情况",
                                   "chart": charts.chart_image("行政处罚案件办理情况", bars)}])
    valid = fields.validate(t.fields, data)
    docx = render_docx(t.docx, valid, stamp_for(t, valid))
    doc = Document(io.BytesIO(docx))
    [shape] = doc.inline_shapes
    images = [p for p in doc.part.package.parts if p.content_type == "image/png"]
    assert [p.blob for p in images] == [charts.bar_chart("行政处罚案件办理情况", bars)]
    [doc_pr] = doc.element.body.findall(f".//{{{W}}}docPr")
    assert doc_pr.get("descr") == "行政处罚案件办理情况：罚款8；警告1"
    assert round(shape.width.mm) == 150
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "图1　行政处罚案件办理情况" in text and "未能统计的数据" in text
    # the same data renders the same bytes
    assert render_docx(t.docx, valid, stamp_for(t, valid)) == docx
