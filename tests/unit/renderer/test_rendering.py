"""Rendering on bytes: the same template and data give the same bytes with the stamp inside,
autoescape, StrictUndefined, and the data hash."""
import io
import time

import jinja2
import pytest
from docx import Document

from services.renderer.domain import Stamp, data_sha256
from services.renderer.fields import validate
from services.renderer.rendering import core_properties, render_docx
from tests.unit.renderer.fixtures import FIELDS, SAMPLE, template_docx

STAMP = Stamp("fixture_penalty", 1, "a" * 64, data_sha256(SAMPLE), "行政处罚决定书")


def test_same_template_and_data_give_the_same_bytes_with_the_stamp_inside():
    template = template_docx()
    data = validate(FIELDS, SAMPLE)
    first = render_docx(template, data, STAMP)
    time.sleep(2.1)  # zip entry times have a 2-second resolution: a wall-clock stamp would show
    second = render_docx(template, data, STAMP)
    assert first == second
    props = core_properties(first)
    assert props["identifier"] == "sanxiang:fixture_penalty@1" and props["version"] == "1"
    assert props["keywords"] == ("template=fixture_penalty; version=1; template_sha256=" + "a" * 64
                                 + "; data_sha256=" + STAMP.data_sha256)
    assert props["created"].year == 2000  # never the wall clock
    texts = [p.text for p in Document(io.BytesIO(first)).paragraphs]
    assert "当事人：陵川县某某煤业有限公司 A & B <C>" in texts


def test_a_variable_the_data_lacks_fails_loudly():
    template = template_docx("{{ party.address }}")
    with pytest.raises(jinja2.UndefinedError):
        render_docx(template, validate(FIELDS, SAMPLE), STAMP)


def test_data_hash_ignores_key_order():
    assert data_sha256({"a": 1, "b": "乙"}) == data_sha256({"b": "乙", "a": 1})
