"""The correction form's HTTP layer on werkzeug requests: the form read within its limits (a
declared length past the body limit refused before reading, a file past its limit, too many
files, a body that is not multipart), and the refusal pages — the status each rule gives (400,
413, 429 with Retry-After), JSON when asked, whatever the requester sent escaped."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.disclosure import http
from services.disclosure.domain import attachments, limits
from shared.errors import DomainRuleViolated, SanxiangError

LIMITS = limits.FormLimits(max_bytes=50_000, max_file_bytes=10_000, max_files=2)
FIELDS = {"publication_id": "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "problem": "有误"}


def request(files: list[tuple[str, bytes]] | None = None,
            accept: str = "text/html") -> Request:
    data: dict = dict(FIELDS)
    if files:
        data["attachments"] = [(io.BytesIO(b), n) for n, b in files]
    builder = EnvironBuilder(method="POST", data=data, headers=[("Accept", accept)])
    return Request(builder.get_environ())


def refusal(req: Request) -> SanxiangError:
    with pytest.raises(SanxiangError) as err:
        http.read(req, LIMITS)
    return err.value


def test_the_fields_and_files_are_read():
    form, uploads = http.read(request([("a.pdf", b"%PDF-1.7 x"), ("b.txt", b"words")]), LIMITS)
    assert form == FIELDS
    assert [(u.field, u.name, u.content) for u in uploads] == [
        ("attachments", "a.pdf", b"%PDF-1.7 x"), ("attachments", "b.txt", b"words")]


def test_a_declared_length_past_the_limit_is_refused_before_reading():
    req = request([("a.pdf", b"x" * 100)])
    req.environ["CONTENT_LENGTH"] = str(LIMITS.max_bytes + 1)
    req.environ["wsgi.input"] = io.BytesIO(b"")   # nothing is there to read
    exc = refusal(req)
    assert exc.details["rule"] == "too_large" and exc.details["field"] == "body"


def test_a_body_growing_past_the_limit_is_refused_as_it_is_read():
    req = request([("a.pdf", b"x" * 9_000)] * 2)
    body = req.environ["wsgi.input"].read() + b"y" * LIMITS.max_bytes
    req.environ.pop("CONTENT_LENGTH")
    req.environ["wsgi.input"] = io.BytesIO(body)
    req.environ["wsgi.input_terminated"] = True
    assert refusal(req).details["rule"] == "too_large"


@pytest.mark.parametrize("files, field", [
    ([("a.pdf", b"x" * 10_001)], "attachments"),
    ([("a.pdf", b"x"), ("b.pdf", b"y"), ("c.pdf", b"z")], "attachments")])
def test_a_file_past_its_limit_or_one_file_too_many_is_refused(files, field):
    exc = refusal(request(files))
    assert (exc.details["rule"], exc.details["field"]) == ("too_large", field)


def test_a_body_that_is_not_multipart_is_refused():
    req = Request(EnvironBuilder(method="POST", data="a=1",
                                 content_type="application/x-www-form-urlencoded").get_environ())
    exc = refusal(req)
    assert exc.code == "validation_failed" and exc.details["field"] == "body"


def test_each_rule_answers_its_status_and_the_requesters_words_are_escaped():
    evil = "<img src=x onerror=alert(1)>.jpg"
    with pytest.raises(SanxiangError) as err:
        attachments.scan(b"%PDF-1.7\n%%EOF\n", evil, "attachments")
    page = http.refused(request(), err.value)
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert '<html lang="zh-CN">' in html and "<h1>更正申请未能受理</h1>" in html
    assert "证明材料" in html                        # the field, by its label
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    as_json = http.refused(request(accept="application/json"), err.value)
    assert as_json.mimetype == "application/json"
    body = as_json.json
    assert body is not None and (body["field"], body["rule"]) == ("attachments", "type_mismatch")
    big = http.refused(request(), limits.too_large("body", 10, "too big", "过大"))
    assert big.status_code == 413
    now = datetime(2025, 10, 28, 1, 20, tzinfo=UTC)
    slow = http.refused(request(), limits.rate_limited("client", now, limits.Rate(5, 3600)))
    assert slow.status_code == 429 and slow.headers["Retry-After"] == "2400"
    assert "提交过于频繁" in slow.get_data(as_text=True)
    other = http.refused(request(), DomainRuleViolated("x", message_zh="不行",
                                                       details={"rule": "something"}))
    assert other.status_code == 400 and other.headers["Connection"] == "close"
