# ruff: noqa: E501  (markup reads better on one line than split to fit)
"""The portal's page templates (Jinja2, every value autoescaped) and its two static assets.

Kept as Python strings so they travel with the package however it is installed. Pages work
without JavaScript: only the search page and the verifier page load a script (assets/search.js,
assets/verify.js; no inline script)."""
from __future__ import annotations

BASE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - {{ site_name }}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ root }}assets/site.css">
{% block head %}{% endblock %}
</head>
<body>
<a class="skip" href="#main">跳到正文</a>
<header>
<p class="site"><a href="{{ root }}">{{ site_name }}</a></p>
<nav aria-label="站点导航"><ul>
<li><a href="{{ root }}list/">全部公示信息</a></li>
<li><a href="{{ root }}search/">搜索</a></li>
<li><a href="{{ root }}verify/">核验</a></li>
</ul></nav>
</header>
<main id="main"{% block main_attrs %}{% endblock %}>
{% block main %}{% endblock %}
</main>
<footer><p>{{ site_name }} · 行政执法公示</p></footer>
</body>
</html>
"""

PUBLICATION = """{% extends "base.html" %}
{% block main_attrs %}{% if searchable %} data-pagefind-body{% endif %}{% endblock %}
{% block main %}
{% if p.state == "expired" %}
<h1>公示信息已撤下</h1>
<p class="notice">本条公示信息（编号 {{ p.id }}）公示期已满或经信用修复，已依规撤下，内容不再公示。</p>
{% else %}
<h1 data-pagefind-meta="title">{{ p.title }}</h1>
{% if p.state == "withdrawn" %}
<section class="notice" aria-labelledby="withdrawn">
<h2 id="withdrawn">本条公示信息已撤回</h2>
<p>撤回理由：{{ p.withdrawal_reason }}</p>
</section>
{% endif %}
{% endif %}
<dl class="meta">
<dt>执法机关</dt><dd><a href="{{ root }}agency/{{ p.agency_code }}/"
 data-pagefind-filter="机关">{{ p.agency_name }}</a></dd>
<dt>类别</dt><dd><a href="{{ root }}kind/{{ p.kind }}/"
 data-pagefind-filter="类别">{{ p.kind_name }}</a></dd>
<dt>决定日期</dt><dd><time datetime="{{ p.decision_date.isoformat() }}"
 data-pagefind-sort="date">{{ p.decision_date.isoformat() }}</time>
<span hidden data-pagefind-filter="年份">{{ p.decision_date.year }}</span></dd>
<dt>公示时间</dt><dd><time datetime="{{ p.published_at.isoformat() }}">{{ when(p.published_at) }}</time></dd>
<dt>状态</dt><dd data-pagefind-filter="状态">{{ state_zh[p.state] }}</dd>
</dl>
{% if p.state != "expired" %}
<section aria-labelledby="summary">
<h2 id="summary">信息摘要</h2>
<table>
<caption>{{ p.title }}的公示内容</caption>
<tbody>
{% for label, value in p.summary %}
<tr><th scope="row">{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% endif %}
<section aria-labelledby="history" data-pagefind-ignore>
<h2 id="history">变更记录</h2>
<table>
<caption>本条公示信息的公示、更正、撤回和撤下记录</caption>
<thead><tr><th scope="col">时间</th><th scope="col">状态</th><th scope="col">说明</th></tr></thead>
<tbody>
<tr><td><time datetime="{{ p.published_at.isoformat() }}">{{ when(p.published_at) }}</time></td>
<td>已公示</td><td>首次公示</td></tr>
{% for c in p.history %}
<tr><td><time datetime="{{ c.at.isoformat() }}">{{ when(c.at) }}</time></td>
<td>{{ state_zh[c.state] }}</td><td>{{ c.note }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
<ul data-pagefind-ignore>
<li><a href="{{ root }}p/{{ p.id }}.json" type="application/json">本条信息（JSON）</a></li>
<li><a href="{{ root }}verify/?id={{ p.id }}">核验本条信息是否载入公示日志</a></li>
{% if p.listed %}<li><a href="{{ root }}correction/{{ p.id }}.html">申请更正</a>（认为本条公示信息有误的，可提供证明材料申请更正）</li>{% endif %}
</ul>
{% endblock %}
"""

ITEMS = """{% if items %}
<table>
<caption>{{ caption }}</caption>
<thead><tr><th scope="col">标题</th><th scope="col">执法机关</th><th scope="col">类别</th>
<th scope="col">决定日期</th><th scope="col">公示时间</th></tr></thead>
<tbody>
{% for i in items %}
<tr><td><a href="{{ root }}p/{{ i.id }}.html">{{ i.title }}</a></td><td>{{ i.agency_name }}</td>
<td>{{ i.kind_name }}</td><td>{{ i.decision_date }}</td><td>{{ i.published_day }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>暂无公示信息。</p>
{% endif %}
"""

LIST_PAGE = """{% extends "base.html" %}
{% block main %}
<h1>{{ heading }}（第 {{ n }} 页）</h1>
{% set caption = heading ~ "，第 " ~ n ~ " 页，新公示的在前" %}
{% include "items.html" %}
<nav aria-label="分页"><ul>
<li><a href="{{ root }}{{ folder }}/">最新公示</a></li>
{% if newer %}<li><a href="{{ root }}{{ folder }}/page/{{ n + 1 }}.html" rel="next">较新的一页（第 {{ n + 1 }} 页）</a></li>{% endif %}
{% if n > 1 %}<li><a href="{{ root }}{{ folder }}/page/{{ n - 1 }}.html" rel="prev">较早的一页（第 {{ n - 1 }} 页）</a></li>{% endif %}
</ul></nav>
<h2>下载本页</h2>
<ul>
<li><a href="{{ root }}{{ folder }}/page/{{ n }}.csv" type="text/csv" download>CSV</a></li>
<li><a href="{{ root }}{{ folder }}/page/{{ n }}.xlsx" type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" download>Excel</a></li>
<li><a href="{{ root }}{{ folder }}/page/{{ n }}.json" type="application/json">JSON</a></li>
</ul>
{% endblock %}
"""

LIST_INDEX = """{% extends "base.html" %}
{% block head %}{% if feed %}<link rel="alternate" type="application/atom+xml" title="{{ heading }}" href="{{ root }}{{ feed }}">{% endif %}{% endblock %}
{% block main %}
<h1>{{ heading }}</h1>
{% if registers %}<p><a href="{{ root }}{{ folder }}/registers/">事前公开信息（执法主体、执法人员、权责清单等）</a></p>{% endif %}
{% if kinds %}
<nav aria-label="按类别"><h2>按类别查看</h2><ul>
{% for code, name in kinds %}<li><a href="{{ root }}{{ folder }}/kind/{{ code }}/">{{ name }}</a></li>{% endfor %}
</ul></nav>
{% endif %}
<h2>最新公示</h2>
{% set caption = heading ~ "，最新公示的在前" %}
{% include "items.html" %}
{% if pages %}
<nav aria-label="分页"><ul>
{% if older %}<li><a href="{{ root }}{{ folder }}/page/{{ older }}.html">更早的公示（第 {{ older }} 页）</a></li>{% endif %}
<li><a href="{{ root }}{{ folder }}/page/1.html">最早的公示（第 1 页）</a></li>
</ul></nav>
<h2>下载</h2>
<ul>
<li><a href="{{ root }}{{ folder }}/page/{{ pages }}.csv" type="text/csv" download>最新一页（CSV）</a></li>
<li><a href="{{ root }}{{ folder }}/page/{{ pages }}.xlsx" type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" download>最新一页（Excel）</a></li>
<li><a href="{{ root }}{{ folder }}/index.json" type="application/json">列表信息（JSON）</a></li>
{% if feed %}<li><a href="{{ root }}{{ feed }}" type="application/atom+xml">订阅（Atom）</a></li>{% endif %}
</ul>
{% endif %}
{% endblock %}
"""

HOME = """{% extends "base.html" %}
{% block main %}
<h1>{{ site_name }}</h1>
<p><a href="{{ root }}list/">全部公示信息</a> · <a href="{{ root }}search/">搜索</a></p>
<section aria-labelledby="agencies">
<h2 id="agencies">执法机关</h2>
<ul>{% for code, a in agencies %}<li><a href="{{ root }}agency/{{ code }}/">{{ a.name }}</a></li>{% endfor %}</ul>
</section>
{% if registers %}
<section aria-labelledby="registers">
<h2 id="registers">事前公开信息</h2>
<ul>{% for code, name in registers %}<li><a href="{{ root }}agency/{{ code }}/registers/">{{ name }}</a></li>{% endfor %}</ul>
</section>
{% endif %}
<section aria-labelledby="kinds">
<h2 id="kinds">公示类别</h2>
<ul>{% for code, name in kinds %}<li><a href="{{ root }}kind/{{ code }}/">{{ name }}</a></li>{% endfor %}</ul>
</section>
{% endblock %}
"""

SEARCH = """{% extends "base.html" %}
{% block head %}<script src="{{ root }}assets/search.js" defer></script>{% endblock %}
{% block main %}
<h1>搜索公示信息</h1>
<div id="search" data-root="{{ root }}" data-shards="{{ root }}search/shards.json"></div>
<noscript><p>搜索需要浏览器启用脚本；不启用脚本也可以<a href="{{ root }}list/">按时间</a>、按
<a href="{{ root }}">执法机关和类别</a>浏览全部公示信息。</p></noscript>
{% endblock %}
"""

# The correction form (000 第十九条, 002 第十八条, 004 第二十一条): a plain form posting to the
# disclosure service's public path (Portal.form_action); no script. One page per publication
# open to correction (its id carried), one general page asking for the id.
CORRECTION = """{% extends "base.html" %}
{% block main %}
<h1>申请更正公示信息</h1>
{% if closed %}
<p class="notice">本条公示信息（编号 {{ p.id }}）当前未处于公示状态，不受理更正申请。</p>
{% else %}
<p>公民、法人或者其他组织认为公示的行政执法信息不准确的，可以提出更正申请并提供相关证明材料。执法机关核实后予以更正或转送有权机关，并书面答复申请人。</p>
<form method="post" action="{{ action }}" enctype="multipart/form-data">
{% if p %}
<input type="hidden" name="publication_id" value="{{ p.id }}">
<p>申请更正的公示信息：<a href="{{ root }}p/{{ p.id }}.html">{{ p.title }}</a>（编号 {{ p.id }}）</p>
{% else %}
<p class="field"><label for="publication_id">公示信息编号（必填）</label>
<input id="publication_id" name="publication_id" required maxlength="36" aria-describedby="publication_id_hint" autocomplete="off">
<span id="publication_id_hint" class="hint">公示信息页面地址中 p/ 之后的编号，如 8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f</span></p>
{% endif %}
<fieldset>
<legend>申请人类型（必填）</legend>
<p><input type="radio" id="kind_person" name="requester_kind" value="person" required checked> <label for="kind_person">公民</label>
<input type="radio" id="kind_organisation" name="requester_kind" value="organisation"> <label for="kind_organisation">法人或者其他组织</label></p>
</fieldset>
<p class="field"><label for="requester_name">申请人姓名或名称（必填）</label>
<input id="requester_name" name="requester_name" required maxlength="100" autocomplete="name"></p>
<p class="field"><label for="requester_contact">联系方式（必填）</label>
<input id="requester_contact" name="requester_contact" required maxlength="200" aria-describedby="contact_hint" autocomplete="tel">
<span id="contact_hint" class="hint">电话、通信地址或电子邮箱，用于书面答复；不予公开</span></p>
<p class="field"><label for="problem">存在的问题（必填）</label>
<textarea id="problem" name="problem" required maxlength="1000" rows="5"></textarea></p>
<p class="field"><label for="requested">请求更正的内容（必填）</label>
<textarea id="requested" name="requested" required maxlength="900" rows="4"></textarea></p>
<p class="field"><label for="attachments">证明材料（可选，最多 {{ max_files }} 份）</label>
<input type="file" id="attachments" name="attachments" multiple accept=".pdf,.jpg,.jpeg,.png,.txt,application/pdf,image/jpeg,image/png,text/plain" aria-describedby="attachments_hint">
<span id="attachments_hint" class="hint">接受 PDF、JPEG、PNG 和纯文本文件，单个文件不超过 {{ max_file_mib }} MB，合计不超过 {{ max_mib }} MB；含脚本等活动内容的文件不予接收</span></p>
<p><button type="submit">提交更正申请</button></p>
</form>
{% endif %}
{% endblock %}
"""

VERIFY = """{% extends "base.html" %}
{% block head %}<script src="{{ root }}assets/verify.js" defer></script>{% endblock %}
{% block main %}
<h1>核验公示信息</h1>
<p>每条公示信息及其每次更正、撤回、撤下，都是本机关公示日志（默克尔树，RFC 9162）的一个记录；日志的树头经签名后公布在本平台。
本页在您的浏览器中重新计算记录的哈希和审计路径，核对树头签名，并核对日志自您上次保存的树头以来只增不改。</p>
<form id="verify-form" method="get" action="{{ root }}verify/" data-root="{{ root }}">
<p><label for="verify-id">公示编号或公示页面地址</label><br>
<input id="verify-id" name="id" type="text" size="48" autocomplete="off" required></p>
<p><label for="verify-kept">您保存的树头（可选，JSON；不填则使用本浏览器上次保存的）</label><br>
<textarea id="verify-kept" name="kept" rows="4" cols="60"></textarea></p>
<p><button type="submit">核验</button></p>
</form>
<noscript><p>核验在您的浏览器中计算，需要启用脚本；也可以使用命令 <code>sanxiang disclosure verify 公示编号</code> 核验。</p></noscript>
<section aria-labelledby="verdict-heading">
<h2 id="verdict-heading">核验结果</h2>
<div id="verdict" role="status" aria-live="polite"><p>尚未核验。</p></div>
</section>
<section aria-labelledby="head-heading">
<h2 id="head-heading">当前树头</h2>
<p>核验通过后，当前树头保存在本浏览器中，下次核验时用来核对日志只增不改；您也可以复制保存。</p>
<pre id="verify-head" tabindex="0"></pre>
</section>
{% endblock %}
"""

TEMPLATES = {"base.html": BASE, "correction.html": CORRECTION, "verify.html": VERIFY,
             "publication.html": PUBLICATION, "items.html": ITEMS,
             "list_page.html": LIST_PAGE, "list_index.html": LIST_INDEX, "home.html": HOME,
             "search.html": SEARCH}

# Text #1a1a1a and links #0b4a8f on white (contrast 17:1 and 9:1); focus always visible.
STYLE = """body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;color:#1a1a1a;
background:#fff;margin:0 auto;max-width:60rem;padding:0 1rem;line-height:1.6}
a{color:#0b4a8f}a:focus{outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
header nav ul,nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #6b6b6b;padding:.3rem .5rem;
text-align:left;vertical-align:top}caption{text-align:left;font-weight:bold;padding:.3rem 0}
.ok{color:#1b5e20}.bad{color:#8a1c1c}pre{white-space:pre-wrap;word-break:break-all}
.notice{border:2px solid #8a1c1c;background:#fdecea;color:#1a1a1a;padding:.5rem 1rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.meta dd{margin:0}
form .field label{display:block;font-weight:bold}form input:not([type=radio]),form textarea{
width:100%;max-width:40rem;box-sizing:border-box;border:1px solid #6b6b6b;padding:.3rem;font:inherit;
color:#1a1a1a;background:#fff}.hint{display:block;color:#4a4a4a;font-size:.9rem}
fieldset{border:1px solid #6b6b6b}button{font:inherit;padding:.4rem 1.2rem;color:#fff;
background:#0b4a8f;border:0}input:focus,textarea:focus,button:focus{outline:3px solid #b35900;
outline-offset:2px}
"""

# The search page's only script: loads the list of index shards, then Pagefind's UI over all of
# them (the first as the bundle, the others merged).
SEARCH_SCRIPT = """(function () {
  "use strict";
  function start() {
    var box = document.getElementById("search");
    if (!box) { return; }
    fetch(box.getAttribute("data-shards")).then(function (r) { return r.json(); })
      .then(function (shards) {
        if (!shards.bundles.length) { box.textContent = "暂无可搜索的公示信息。"; return; }
        var root = box.getAttribute("data-root");
        var first = root + shards.bundles[0] + "/";
        var css = document.createElement("link");
        css.rel = "stylesheet"; css.href = first + "pagefind-ui.css";
        document.head.appendChild(css);
        var ui = document.createElement("script");
        ui.src = first + "pagefind-ui.js";
        ui.onload = function () {
          new window.PagefindUI({
            element: "#search", bundlePath: first, baseUrl: root, showSubResults: false,
            mergeIndex: shards.bundles.slice(1).map(function (b) {
              return { bundlePath: root + b + "/" };
            }),
            translations: { placeholder: "输入关键词搜索公示信息" }
          });
        };
        document.head.appendChild(ui);
      });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
}());
"""
