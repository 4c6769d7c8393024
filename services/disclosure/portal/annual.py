# ruff: noqa: E501  (markup reads better on one line than split to fit)
"""An agency's published annual statistics report on the portal: its page per year
(agency/<code>/annual/<year>.html — the figures as tables with captions and headers, each chart
an image with its text alternative, the figures not obtained and why, the PDF when there is
one), its JSON, its charts (PNG) and PDF beside it, and the agency's list of reports
(agency/<code>/annual/index.html and index.json) — the only pages a report appears on. Writing
the same report again writes nothing."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .portal import Portal
from .render import environment
from .target import readable_json as _json
from .target import write_if_changed as _write

ANNUAL = """{% extends "base.html" %}
{% block main %}
<h1>{{ r.agency_name }}{{ r.year }}年度行政执法数据统计报告</h1>
<dl class="meta">
<dt>执法机关</dt><dd><a href="{{ root }}agency/{{ r.agency }}/">{{ r.agency_name }}</a></dd>
<dt>统计年度</dt><dd>{{ r.year }}</dd>
<dt>依据</dt><dd>{{ r.basis }}</dd>
<dt>公开时间</dt><dd><time datetime="{{ r.published_on }}">{{ r.published_on }}</time></dd>
<dt>版本</dt><dd>第{{ r.version }}版</dd>
</dl>
{% if r.pdf %}<p><a href="{{ r.year }}.pdf" type="application/pdf">下载报告全文（PDF）</a></p>{% endif %}
{% for title, rows in r.tables %}
<table>
<caption>{{ title }}</caption>
<thead><tr><th scope="col">项目</th><th scope="col">数量</th></tr></thead>
<tbody>
{% for label, count in rows %}<tr><th scope="row">{{ label }}</th><td>{{ count }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
{% for c in r.charts %}
<figure>
<img src="{{ r.year }}/chart-{{ loop.index }}.png" alt="{{ c.alt }}" width="600">
<figcaption>图{{ loop.index }}　{{ c.title }}</figcaption>
</figure>
{% endfor %}
{% if r.gaps %}
<section aria-labelledby="gaps">
<h2 id="gaps">未能统计的数据</h2>
<ul>{% for g in r.gaps %}<li>{{ g.label }}：{{ g.reason }}</li>{% endfor %}</ul>
</section>
{% endif %}
{% endblock %}
"""

ANNUAL_INDEX = """{% extends "base.html" %}
{% block main %}
<h1>{{ agency_name }}年度行政执法数据统计报告</h1>
<ul>{% for y in years %}<li><a href="{{ y.year }}.html">{{ y.year }}年度</a>（{{ y.published_on }}公开）</li>{% endfor %}</ul>
{% endblock %}
"""


@dataclass(frozen=True)
class Chart:
    title: str
    alt: str
    png: bytes


@dataclass(frozen=True)
class AnnualReport:
    """A published report as the portal shows it."""
    agency: str
    agency_name: str
    year: int
    version: int
    basis: str
    published_on: str
    tables: Sequence[tuple[str, Sequence[tuple[str, int]]]]
    charts: Sequence[Chart] = ()
    gaps: Sequence[Mapping[str, str]] = ()
    pdf: bytes | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)


def folder(agency: str) -> str:
    return f"agency/{agency}/annual"


def publish_annual(portal: Portal, r: AnnualReport) -> list[str]:
    """The report's page, JSON, charts and PDF, and the agency's list of reports; the paths
    written (none for a report as it already stands)."""
    env = environment({"annual.html": ANNUAL, "annual_index.html": ANNUAL_INDEX})
    base = folder(r.agency)
    written: list[str] = []
    common = {"site_name": portal.site_name, "root": portal.root}
    for i, chart in enumerate(r.charts, start=1):
        _write(portal.target, f"{base}/{r.year}/chart-{i}.png", chart.png, written)
    if r.pdf is not None:
        _write(portal.target, f"{base}/{r.year}.pdf", r.pdf, written)
    page = env.get_template("annual.html").render(
        title=f"{r.year}年度行政执法数据统计报告", r=r, **common).encode()
    _write(portal.target, f"{base}/{r.year}.html", page, written)
    _write(portal.target, f"{base}/{r.year}.json", _json({
        "agency": r.agency, "agency_name": r.agency_name, "year": r.year,
        "version": r.version, "basis": r.basis, "published_on": r.published_on,
        "figures": r.figures, "gaps": list(r.gaps), "pdf": f"{r.year}.pdf" if r.pdf else None,
        "charts": [{"title": c.title, "alt": c.alt, "src": f"{r.year}/chart-{i}.png"}
                   for i, c in enumerate(r.charts, start=1)]}), written)
    index = json.loads(portal.target.read(f"{base}/index.json") or b'{"years": []}')
    years = {y["year"]: y for y in index["years"]}
    years[r.year] = {"year": r.year, "published_on": r.published_on}
    listed = sorted(years.values(), key=lambda y: -int(y["year"]))
    _write(portal.target, f"{base}/index.json", _json({"agency": r.agency, "years": listed}),
           written)
    _write(portal.target, f"{base}/index.html", env.get_template("annual_index.html").render(
        title=f"{r.agency_name}年度统计报告", agency_name=r.agency_name, years=listed,
        **common).encode(), written)
    return written


def pdf_of(document: Mapping[str, Any],
           from_vault: Callable[[str], bytes | None]) -> bytes | None:
    """The rendered PDF's bytes: as the renderer answered them (no vault deployed), or read
    from the vault where the renderer stored them (`from_vault(object_ref)`)."""
    for out in document.get("outputs") or []:
        if out.get("format") != "pdf":
            continue
        if out.get("content_base64"):
            return base64.b64decode(out["content_base64"])
        if out.get("object_ref"):
            return from_vault(out["object_ref"])
    return None
