# ruff: noqa: E501  (markup reads better on one line than split to fit)
"""The disclosure publisher's HTTP entrypoint: the portal's correction form, the one public write
path (POST /disclosure/corrections, multipart/form-data). The body is read as a stream within
its limits (domain.limits: the whole body, each file, how many files — a declared length past
the limit is refused before a byte is read, a body that grows past it as soon as it does: 413);
the client's window is counted before the body is read (429 with Retry-After); then
usecases.submissions files the request. The answer is a small page in the portal's look — the
number and what happens next — or, refused, a page naming the field and the rule (JSON when
the client asks for application/json): 400, 413, 429, 404 for a publication that does not
exist, 503 when the vault does not answer. Every value on a page goes through Jinja2's
autoescape; nothing the requester sent is served back but their own words, escaped."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_input_stream

from services.disclosure.domain import limits
from services.disclosure.portal.templates import BASE
from services.disclosure.usecases import submissions
from shared.errors import SanxiangError, ValidationFailed

STATUS = {"validation_failed": 400, "not_found": 404, "domain_rule_violated": 400,
          "unavailable": 503, "service_not_deployed": 503}
RULE_STATUS = {"too_large": 413, "rate_limited": 429}
CHUNK = 64 * 1024

ACK = """{% extends "base.html" %}
{% block main %}
<h1>更正申请已受理</h1>
<p>您的更正申请已收到，受理编号为 <strong>{{ c.number }}</strong>。请保存此编号，以便查询办理情况。</p>
<section aria-labelledby="next">
<h2 id="next">后续办理</h2>
<ol>
<li>执法机关核实您反映的情况和提交的证明材料；</li>
<li>经核实属实的，予以更正；不属于本机关职责范围的，转送有权更正的机关；</li>
<li>办理结果将以书面形式答复您（联系方式：您在申请中填写的联系方式）。</li>
</ol>
</section>
<dl class="meta">
<dt>受理编号</dt><dd>{{ c.number }}</dd>
<dt>受理时间</dt><dd><time datetime="{{ c.created_at }}">{{ c.created_at }}</time></dd>
<dt>所附材料</dt><dd>{{ c.attachments|length }} 份</dd>
</dl>
{% endblock %}
"""

REFUSED = """{% extends "base.html" %}
{% block main %}
<h1>{{ heading }}</h1>
<section class="notice" aria-labelledby="why" role="alert">
<h2 id="why">原因</h2>
<p>{{ message }}</p>
{% if problems %}
<ul>
{% for field, rules in problems %}<li>{{ labels.get(field, field) }}：{{ rules|join("；") }}</li>
{% endfor %}
</ul>
{% endif %}
{% if retry_after %}<p>请于 {{ retry_after }} 秒后再试。</p>{% endif %}
</section>
<p>请返回上一页修改后重新提交。</p>
{% endblock %}
"""

LABELS = {"publication_id": "公示信息编号", "requester_kind": "申请人类型",
          "requester_name": "申请人姓名或名称", "requester_contact": "联系方式",
          "problem": "存在的问题", "requested": "请求更正的内容", "attachments": "证明材料",
          "body": "提交内容", "client": "提交频率", "agency": "提交频率"}
HEADINGS = {400: "更正申请未能受理", 404: "未找到该公示信息", 413: "提交内容过大",
            429: "提交过于频繁", 503: "暂时无法受理"}

_ENV = Environment(loader=DictLoader({"base.html": BASE, "ack.html": ACK, "refused.html": REFUSED}),
                   autoescape=True, undefined=StrictUndefined)


class Bounded(io.RawIOBase):
    """The request body, refused (413) once more than `limit` bytes have come."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(min(len(buffer), CHUNK))
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise limits.too_large("body", self.limit, f"the form is larger than {self.limit} "
                                   "bytes", "提交内容超过大小上限（字节）")
        buffer[:len(data)] = data
        return len(data)


class FileBuffer(io.BytesIO):
    """One uploaded file, refused (413) once past the per-file limit."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.limit:
            raise limits.too_large("attachments", self.limit, f"a file is larger than "
                                   f"{self.limit} bytes", "单个证明材料超过大小上限（字节）")
        return super().write(data)


def read(request: Request, form_limits: limits.FormLimits) -> tuple[dict, list[submissions.Upload]]:
    """The form's fields and files, within the limits (module docstring)."""
    declared = request.content_length
    if declared is not None and declared > form_limits.max_bytes:
        raise limits.too_large("body", form_limits.max_bytes, f"the form declares {declared} "
                               "bytes", "提交内容超过大小上限（字节）")
    if request.mimetype != "multipart/form-data":
        raise _bad("body", "must be multipart/form-data", "提交格式应为 multipart/form-data")
    count = [0]

    def factory(total_content_length: Any, content_type: Any, filename: Any,
                content_length: Any = None) -> FileBuffer:
        count[0] += 1
        if count[0] > form_limits.max_files:
            raise limits.too_large("attachments", form_limits.max_files, "too many files",
                                   "证明材料份数超过上限")
        return FileBuffer(form_limits.max_file_bytes)

    stream = io.BufferedReader(Bounded(get_input_stream(request.environ, safe_fallback=False),
                                       form_limits.max_bytes), CHUNK)
    parser = FormDataParser(factory, max_form_memory_size=64 * 1024,
                            max_form_parts=form_limits.max_files + 20)
    try:
        _, form, files = parser.parse(stream, request.mimetype, None, request.mimetype_params)
    except RequestEntityTooLarge:
        raise limits.too_large("body", 64 * 1024, "a text field or the number of parts is "
                               "over the limit", "文字内容或字段数量超过上限") from None
    uploads = [submissions.Upload(field, f.filename or "", _bytes(f.stream))
               for field in files for f in files.getlist(field)
               if f.filename or _bytes(f.stream)]
    return {k: form.get(k, "") for k in form}, uploads


def _bytes(stream: Any) -> bytes:
    return bytes(stream.getvalue())


def _bad(field: str, rule: str, rule_zh: str) -> SanxiangError:
    return ValidationFailed(f"{field}: {rule}", message_zh=rule_zh,
                            details={field: [rule], "field": field, "rule": rule})


def client_address(request: Request, header: str | None) -> str:
    """The client's address: the trusted proxy's header where one is configured (nginx sets
    X-Real-IP), else the peer's."""
    if header:
        value = (request.headers.get(header) or "").split(",")[0].strip()
        if value:
            return value
    return request.remote_addr or ""


def answer(request: Request, *, admit: Callable[[], None],
           submit: Callable[[dict, list[submissions.Upload]], dict],
           record: Callable[[dict, Exception], None], form_limits: limits.FormLimits,
           client: str) -> Response:
    """The whole path of one POST (module docstring)."""
    what: dict[str, Any] = {"client": client}
    try:
        admit()
        form, uploads = read(request, form_limits)
        what["publication_id"] = form.get("publication_id")
        done = submit(form, uploads)
    except SanxiangError as exc:
        record(what, exc)
        return refused(request, exc)
    return _page(request, 201, "ack.html", {"number": done["number"], "id": done["id"],
                                             "state": done["state"]},
                 title="更正申请已受理", c=dict(done, created_at=str(done["created_at"])))


def refused(request: Request, exc: SanxiangError) -> Response:
    details = exc.details if isinstance(exc.details, dict) else {}
    status = RULE_STATUS.get(str(details.get("rule")), STATUS.get(exc.code, 400))
    problems = [(k, v) for k, v in details.items() if isinstance(v, list)]
    # a body refused before it was read whole is not read on: the connection closes after the
    # answer, so no unread bytes are taken for a next request
    headers = {"Connection": "close",
               **({"Retry-After": str(details["retry_after"])} if status == 429 else {})}
    body = {"error": exc.code, "field": details.get("field"), "rule": details.get("rule"),
            "message": exc.message, "message_zh": exc.message_zh, "details": details}
    return _page(request, status, "refused.html", body, headers=headers,
                 title=HEADINGS.get(status, "更正申请未能受理"), heading=HEADINGS.get(status, "更正申请未能受理"),
                 message=exc.message_zh or exc.message, problems=problems, labels=LABELS,
                 retry_after=details.get("retry_after") if status == 429 else None)


def _page(request: Request, status: int, template: str, data: dict, *,
          headers: dict | None = None, **values: Any) -> Response:
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json" \
            and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]:
        return Response(json.dumps(data, ensure_ascii=False, default=str), status=status,
                        mimetype="application/json", headers=headers)
    html = _ENV.get_template(template).render(site_name="行政执法公示平台", root="/",
                                              **values)
    return Response(html, status=status, mimetype="text/html", headers={
        **(headers or {}), "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})

