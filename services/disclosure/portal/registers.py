# ruff: noqa: E501  (markup reads better on one line than split to fit)
"""An agency's registers published before enforcement (事前公开) on the portal:
agency/<code>/registers/index.html (each register, its revision and when it changed) and per
register <kind>.html (the entries as a table with a caption and column headers, the register's
columns under their Chinese headers), <kind>.json and <kind>.csv — the only pages a register
appears on (the home page and the agency's page link the index: Portal.note_registers).
What a page shows is decided by the caller (the officers publicly shown on the day); writing
the same registers again writes nothing."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .portal import Portal
from .render import environment
from .target import readable_json as _json
from .target import write_if_changed as _write

REGISTER = """{% extends "base.html" %}
{% block main %}
<nav aria-label="位置"><ul><li><a href="{{ root }}agency/{{ r.agency }}/registers/">{{ r.agency_name }}事前公开信息</a></li></ul></nav>
<h1>{{ r.agency_name }}{{ r.title }}</h1>
<dl class="meta">
<dt>执法机关</dt><dd>{{ r.agency_name }}</dd>
<dt>公开依据</dt><dd>{{ r.basis }}</dd>
<dt>版本</dt><dd>第{{ r.revision }}版</dd>
<dt>更新日期</dt><dd><time datetime="{{ r.updated_on }}">{{ r.updated_on }}</time></dd>
{% if r.reason %}<dt>调整原因</dt><dd>{{ r.reason }}{% if r.reason_text %}：{{ r.reason_text }}{% endif %}</dd>{% endif %}
{% if r.as_of %}<dt>显示范围</dt><dd>截至<time datetime="{{ r.as_of }}">{{ r.as_of }}</time>执法证件在有效期内的人员</dd>{% endif %}
</dl>
<ul>
<li><a href="{{ r.kind }}.csv" type="text/csv" download>下载（CSV）</a></li>
<li><a href="{{ r.kind }}.json" type="application/json">数据（JSON）</a></li>
</ul>
{% if r.rows %}
<table>
<caption>{{ r.agency_name }}{{ r.title }}（共{{ r.rows|length }}条）</caption>
<thead><tr>{% for h in r.headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in r.rows %}<tr>{% for c in row %}{% if loop.first %}<th scope="row">{{ c }}</th>{% else %}<td>{{ c }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>暂无条目。</p>
{% endif %}
{% endblock %}
"""

REGISTERS_INDEX = """{% extends "base.html" %}
{% block main %}
<h1>{{ agency_name }}事前公开信息</h1>
{% if pages %}
<table>
<caption>{{ agency_name }}公开的清单</caption>
<thead><tr><th scope="col">清单</th><th scope="col">版本</th><th scope="col">更新日期</th><th scope="col">条目数</th></tr></thead>
<tbody>
{% for r in pages %}<tr><th scope="row"><a href="{{ r.kind }}.html">{{ r.title }}</a></th><td>第{{ r.revision }}版</td><td><time datetime="{{ r.updated_on }}">{{ r.updated_on }}</time></td><td>{{ r.rows|length }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>暂无公开的清单。</p>
{% endif %}
<p><a href="{{ root }}agency/{{ agency }}/">{{ agency_name }}公示信息</a></p>
{% endblock %}
"""


@dataclass(frozen=True)
class RegisterPage:
    """One register as the public sees it: its columns' Chinese headers and keys, a row of
    text per entry shown, its latest revision, when and why it changed."""
    agency: str
    agency_name: str
    kind: str
    title: str
    basis: str
    keys: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    entries: tuple[dict[str, Any], ...]   # the rows as JSON carries them (field key → value)
    csv: bytes
    revision: int
    updated_on: str
    reason: str = ""
    reason_text: str = ""
    as_of: str = ""   # officers: the day whose valid certificates are shown


def folder(agency: str) -> str:
    return f"agency/{agency}/registers"


def publish_registers(portal: Portal, agency: str, agency_name: str,
                      pages: Sequence[RegisterPage]) -> list[str]:
    """Each register's page, JSON and CSV and the agency's index of registers; the paths
    written (none for registers as they already stand)."""
    env = environment({"register.html": REGISTER, "registers_index.html": REGISTERS_INDEX})
    base = folder(agency)
    written: list[str] = []
    common = {"site_name": portal.site_name, "root": portal.root}
    for r in pages:
        _write(portal.target, f"{base}/{r.kind}.html", env.get_template("register.html").render(
            title=f"{r.agency_name}{r.title}", r=r, **common).encode(), written)
        _write(portal.target, f"{base}/{r.kind}.json", _json({
            "agency": r.agency, "agency_name": r.agency_name, "kind": r.kind,
            "title": r.title, "basis": r.basis, "revision": r.revision,
            "updated_on": r.updated_on, "reason": r.reason or None,
            "reason_text": r.reason_text or None, "as_of": r.as_of or None,
            "columns": [{"key": k, "header": h} for k, h in zip(r.keys, r.headers, strict=True)],
            "entries": list(r.entries)}), written)
        _write(portal.target, f"{base}/{r.kind}.csv", r.csv, written)
    _write(portal.target, f"{base}/index.json", _json({
        "agency": agency, "agency_name": agency_name,
        "registers": [{"kind": r.kind, "title": r.title, "revision": r.revision,
                       "updated_on": r.updated_on, "entries": len(r.rows),
                       "url": f"{r.kind}.html"} for r in pages]}), written)
    _write(portal.target, f"{base}/index.html", env.get_template("registers_index.html").render(
        title=f"{agency_name}事前公开信息", agency=agency, agency_name=agency_name,
        pages=pages, **common).encode(), written)
    return written
