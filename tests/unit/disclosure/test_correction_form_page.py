"""The portal's correction form pages: a general one asking for the publication's id and one per
publication open to correction (its id carried, linked 申请更正 from its page), posting as
multipart to the configured public path; every control labelled, the page zh-CN, no script;
the form's limits stated; a publication taken off the lists keeps a page saying no request is
taken, with no form."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

from services.disclosure.domain.limits import FormLimits
from services.disclosure.portal import LocalDirectory, Portal, Publication
from services.disclosure.usecases import portal as portal_usecases

CHINA = timezone(timedelta(hours=8))
PUB = Publication(
    id="lc-2025-0001", agency_code="lingchuan-emergency", agency_name="陵川县应急管理局",
    kind="penalty", kind_name="行政处罚", title="某矿业公司<未组织>安全培训案",
    summary=(("决定书文号", "陵应急罚〔2025〕1号"),), decision_date=date(2025, 10, 1),
    published_at=datetime(2025, 10, 10, 9, tzinfo=CHINA))


class Controls(HTMLParser):
    """The form's controls, the labels' targets, forms and scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.labels: set[str | None] = set()
        self.forms: list[dict] = []
        self.scripts = 0
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.controls.append(a)
        if tag == "label":
            self.labels.add(a.get("for"))
        if tag == "form":
            self.forms.append(a)
        if tag == "script":
            self.scripts += 1


def read(target: LocalDirectory, path: str) -> str:
    data = target.read(path)
    assert data is not None, path
    return data.decode()


def parsed(html: str) -> Controls:
    page = Controls()
    page.feed(html)
    return page


def test_each_publication_has_a_labelled_form_posting_to_the_public_path(tmp_path):
    target = LocalDirectory(tmp_path)
    portal = Portal(target, form_action="/gs/api/corrections",
                    form_limits=FormLimits(max_files=3, max_file_bytes=2 * 1024 * 1024))
    portal.install()
    portal.publish(PUB)
    html = read(target, "correction/lc-2025-0001.html")
    page = parsed(html)
    assert page.lang == "zh-CN" and page.scripts == 0
    [form] = page.forms
    assert (form["method"], form["action"], form["enctype"]) == (
        "post", "/gs/api/corrections", "multipart/form-data")
    assert '<input type="hidden" name="publication_id" value="lc-2025-0001">' in html
    names = {c["name"] for c in page.controls}
    assert names == {"requester_kind", "requester_name", "requester_contact", "problem",
                     "requested", "attachments"}
    assert all(c["id"] in page.labels for c in page.controls)    # every control labelled
    assert "某矿业公司&lt;未组织&gt;安全培训案" in html and "<未组织>" not in html
    assert "最多 3 份" in html and "不超过 2 MB" in html
    assert re.search(r"<h1>申请更正公示信息</h1>", html)
    # its page links to it
    link = '<a href="/correction/lc-2025-0001.html">申请更正</a>'
    assert link in read(target, "p/lc-2025-0001.html")


def test_the_general_form_asks_for_the_publication_id(tmp_path):
    target = LocalDirectory(tmp_path)
    portal = portal_usecases.site(tmp_path, {"DISCLOSURE_FORM_ACTION": "/api/x",
                                             "DISCLOSURE_FORM_MAX_FILES": "2"})
    assert portal.form_action == "/api/x"
    html = read(target, "correction/index.html")
    page = parsed(html)
    assert [f["action"] for f in page.forms] == ["/api/x"]
    assert "publication_id" in {c["name"] for c in page.controls}
    assert all(c["id"] in page.labels for c in page.controls)
    assert "最多 2 份" in html


def test_a_publication_off_the_lists_takes_no_request(tmp_path):
    target = LocalDirectory(tmp_path)
    portal = Portal(target)
    portal.install()
    portal.publish(PUB)
    portal.publish(Publication(**{**PUB.__dict__, "state": "withdrawn",
                                  "withdrawal_reason": "经复议撤销"}))
    html = read(target, "correction/lc-2025-0001.html")
    assert parsed(html).forms == [] and "不受理更正申请" in html
    assert "申请更正</a>" not in read(target, "p/lc-2025-0001.html")
    assert '"/api/disclosure/corrections"' in read(target, "correction/index.html")
