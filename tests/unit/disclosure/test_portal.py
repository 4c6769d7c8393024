"""The disclosure portal's static site: what one publish writes (and only that), escaping,
withdrawal and expiry, the Atom feed, JSON and CSV, the HTML's structure, and the search index
built by the real Pagefind binary."""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest

from services.disclosure.portal import Change, LocalDirectory, Portal, Publication, SearchIndex
from shared.errors import ValidationFailed

CHINA = timezone(timedelta(hours=8))
ATOM = "{http://www.w3.org/2005/Atom}"


def publication(n: int, **changes) -> Publication:
    base = Publication(
        id=f"lc-2025-{n:04d}", agency_code="lingchuan-emergency", agency_name="陵川县应急管理局",
        kind="penalty", kind_name="行政处罚", title=f"某矿业公司未组织安全培训案（{n}）",
        summary=(("决定书文号", f"陵应急罚〔2025〕{n}号"),
                 ("违法事实", "未组织特种作业人员参加培训"),
                 ("法律依据", "《中华人民共和国安全生产法》第九十七条")),
        decision_date=date(2025, 10, 1) + timedelta(days=n % 60),
        published_at=datetime(2025, 10, 10, 9, tzinfo=CHINA) + timedelta(hours=n))
    return replace(base, **changes)


@pytest.fixture
def site(tmp_path):
    target = LocalDirectory(tmp_path / "site")
    portal = Portal(target, base_url="https://gs.example.cn/", page_size=5)
    portal.install()
    return target, portal


def text(target, path: str) -> str:
    data = target.read(path)
    assert data is not None, path
    return data.decode()


def found(element, name: str) -> str:
    value = element.findtext(f"{ATOM}{name}")
    assert value is not None, name
    return value


def page_json(target, path: str) -> dict:
    return json.loads(text(target, path))


class Structure(HTMLParser):
    """What the structural checks need: lang, headings in order, table headers and scopes."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.headings: list[int] = []
        self.th_scopes: list[str | None] = []
        self.scripts: list[dict] = []
        self.main_ids: list[str | None] = []
        self.skip_link = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(int(tag[1]))
        elif tag == "th":
            self.th_scopes.append(a.get("scope"))
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "main":
            self.main_ids.append(a.get("id"))
        elif tag == "a" and self.skip_link is None:
            self.skip_link = a.get("href")


def structure(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    parser.close()
    return parser


def assert_accessible_structure(html: str) -> None:
    s = structure(html)
    assert s.lang == "zh-CN"
    assert s.headings.count(1) == 1 and s.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(s.headings, s.headings[1:], strict=False))
    assert s.th_scopes and all(scope in ("col", "row") for scope in s.th_scopes)
    assert s.main_ids == ["main"] and s.skip_link == "#main"
    assert all("src" in attrs for attrs in s.scripts), "no inline script"


def test_a_publication_page_and_its_lists_escape_every_value(site):
    target, portal = site
    evil = publication(1, title="<script>alert('x')</script>案",
                       summary=(("违法事实", "<img src=x onerror=alert(1)>"),))
    portal.publish(evil)
    page = text(target, "p/lc-2025-0001.html")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;案" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    for path in ("list/index.html", "agency/lingchuan-emergency/page/1.html",
                 "kind/penalty/index.html"):
        listed = text(target, path)
        assert "<script>alert" not in listed and "&lt;script&gt;alert" in listed
    feed = text(target, "agency/lingchuan-emergency/feed.xml")
    assert "<script>" not in feed
    [entry] = ET.fromstring(feed.encode()).iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "<script>alert('x')</script>案"


def test_pages_are_structurally_accessible(site):
    target, portal = site
    for n in range(1, 8):
        portal.publish(publication(n))
    portal.publish(publication(3, state="withdrawn", withdrawal_reason="复议决定撤销原处罚决定",
                               history=(Change(datetime(2025, 11, 1, tzinfo=CHINA),
                                               "withdrawn", "复议撤销"),)))
    for path in ("p/lc-2025-0001.html", "p/lc-2025-0003.html", "list/index.html",
                 "list/page/1.html", "list/page/2.html", "agency/lingchuan-emergency/index.html",
                 "agency/lingchuan-emergency/kind/penalty/page/2.html"):
        assert_accessible_structure(text(target, path))
    for path in ("index.html", "search/index.html"):
        s = structure(text(target, path))
        assert s.lang == "zh-CN" and s.headings.count(1) == 1
        assert all("src" in attrs for attrs in s.scripts)
    portal.publish(publication(9, kind="license", kind_name="行政许可"))
    agency = text(target, "agency/lingchuan-emergency/index.html")
    assert 'href="/agency/lingchuan-emergency/kind/penalty/"' in agency
    assert 'href="/agency/lingchuan-emergency/kind/license/"' in agency
    assert 'type="application/atom+xml"' in agency


def test_publishing_one_rewrites_only_the_pages_it_appears_on(site):
    target, portal = site
    for n in range(1, 12):      # 11 on pages of 5: pages 1 and 2 full, page 3 holds one
        portal.publish(publication(n))
    before = {p: target.read(p) for p in ("list/page/1.html", "list/page/2.json",
                                          "p/lc-2025-0001.html")}
    target.written.clear()
    result = portal.publish(publication(12))
    lists = ["list", "agency/lingchuan-emergency", "kind/penalty",
             "agency/lingchuan-emergency/kind/penalty"]
    expected = {f"{f}/{name}" for f in lists
                for name in ("page/3.html", "page/3.json", "page/3.csv", "page/3.xlsx",
                             "index.html",
                             "index.json")}
    expected |= {"p/lc-2025-0012.html", "p/lc-2025-0012.json", "correction/lc-2025-0012.html",
                 "agency/lingchuan-emergency/feed.xml", "agency/lingchuan-emergency/feed.json"}
    assert sorted(target.written) == sorted(expected) == sorted(result.paths)
    assert {p: target.read(p) for p in before} == before
    assert result.search_shards == ("lingchuan-emergency",)
    # the same state again: nothing written
    target.written.clear()
    assert portal.publish(publication(12)).paths == ()
    assert target.written == []
    # a correction of an old publication: its page, the one list page it sits on per list
    target.written.clear()
    portal.publish(publication(2, state="corrected", title="更正后的案件名称",
                               history=(Change(datetime(2025, 12, 1, tzinfo=CHINA),
                                               "corrected", "更正案件名称"),)))
    assert sorted(target.written) == sorted(
        {f"{f}/page/1.{ext}" for f in lists for ext in ("html", "json", "csv", "xlsx")}
        | {"p/lc-2025-0002.html", "p/lc-2025-0002.json",
           "correction/lc-2025-0002.html",   # its correction form shows the title corrected
           "agency/lingchuan-emergency/feed.xml", "agency/lingchuan-emergency/feed.json"})
    assert "更正后的案件名称" in text(target, "list/page/1.html")


def test_a_full_page_opens_the_next_and_links_the_one_before_once(site):
    target, portal = site
    for n in range(1, 6):
        portal.publish(publication(n))
    assert "较新的一页" not in text(target, "list/page/1.html")
    target.written.clear()
    portal.publish(publication(6))
    assert "list/page/1.html" in target.written and "list/page/1.json" not in target.written
    assert 'href="/list/page/2.html" rel="next"' in text(target, "list/page/1.html")
    page2 = page_json(target, "list/page/2.json")
    assert [i["id"] for i in page2["items"]] == ["lc-2025-0006"]
    index = text(target, "list/index.html")
    # the index shows the newest page's worth, newest first, across the last two pages
    assert index.index("（6）") < index.index("（5）") < index.index("（2）")
    assert "（1）" not in index


def test_a_withdrawn_publication_shows_its_reason_and_leaves_the_lists(site):
    target, portal = site
    for n in range(1, 4):
        portal.publish(publication(n))
    reason = "经行政复议，原行政处罚决定被撤销（行政处罚法第四十八条）"
    withdrawn = publication(2, state="withdrawn", withdrawal_reason=reason,
                            history=(Change(datetime(2025, 11, 2, 10, tzinfo=CHINA),
                                            "withdrawn", "复议决定撤销"),))
    result = portal.publish(withdrawn)
    page = text(target, "p/lc-2025-0002.html")
    assert "本条公示信息已撤回" in page and reason in page and "复议决定撤销" in page
    assert "某矿业公司未组织安全培训案（2）" in page   # its page keeps the content
    for folder in ("list", "agency/lingchuan-emergency", "kind/penalty",
                   "agency/lingchuan-emergency/kind/penalty"):
        ids = [i["id"] for i in page_json(target, f"{folder}/page/1.json")["items"]]
        assert ids == ["lc-2025-0003", "lc-2025-0001"]
        assert "（2）" not in text(target, f"{folder}/index.html")
        assert page_json(target, f"{folder}/index.json")["listed"] == 3   # ever listed
    assert page_json(target, "p/lc-2025-0002.json")["listed_on"] == []
    assert "p/lc-2025-0002.html" in result.paths
    feed = ET.fromstring(target.read("agency/lingchuan-emergency/feed.xml"))
    first = next(feed.iter(f"{ATOM}entry"))
    assert found(first, "title").startswith("【已撤回】")
    assert reason in found(first, "summary")


def test_an_expired_publication_keeps_only_its_notice(site):
    target, portal = site
    portal.publish(publication(1))
    portal.publish(publication(1, state="expired", history=(
        Change(datetime(2026, 10, 1, tzinfo=CHINA), "expired", "公示期满"),)))
    page = text(target, "p/lc-2025-0001.html")
    assert "公示信息已撤下" in page and "某矿业公司" not in page and "违法事实" not in page
    assert "data-pagefind-body" not in page
    data = page_json(target, "p/lc-2025-0001.json")
    assert data["title"] == "" and data["summary"] == [] and data["state"] == "expired"
    assert page_json(target, "list/page/1.json")["items"] == []
    assert "某矿业公司" not in text(target, "agency/lingchuan-emergency/feed.xml")


def test_the_feed_is_valid_atom_newest_change_first(site):
    target, portal = site
    for n in range(1, 4):
        portal.publish(publication(n))
    feed = ET.fromstring(target.read("agency/lingchuan-emergency/feed.xml"))
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.findtext(f"{ATOM}{name}")
    [self_link] = feed.findall(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://gs.example.cn/agency/lingchuan-emergency/feed.xml"
    entries = list(feed.iter(f"{ATOM}entry"))
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"https://gs.example.cn/p/lc-2025-000{n}.html" for n in (3, 2, 1)]
    for e in entries:
        for name in ("title", "updated", "published", "summary"):
            assert e.findtext(f"{ATOM}{name}")
        datetime.fromisoformat(found(e, "updated"))
    assert feed.findtext(f"{ATOM}updated") == entries[0].findtext(f"{ATOM}updated")


def test_json_and_csv_parse(site):
    target, portal = site
    portal.publish(publication(1, title="=HYPERLINK(\"http://x\")"))
    pub = page_json(target, "p/lc-2025-0001.json")
    assert Publication.from_dict(pub) == publication(1, title="=HYPERLINK(\"http://x\")")
    assert pub["listed_on"][0] == {"folder": "list", "title": "全部公示信息", "page": 1}
    listed = page_json(target, "agency/lingchuan-emergency/page/1.json")
    assert listed["items"][0]["summary"][0] == ["决定书文号", "陵应急罚〔2025〕1号"]
    site_json = page_json(target, "site.json")
    assert site_json["agencies"]["lingchuan-emergency"]["kinds"] == {"penalty": "行政处罚"}
    data = target.read("list/page/1.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][:3] == ["编号", "标题", "执法机关"]
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"   # no formula for a spreadsheet
    assert rows[1][-1] == "https://gs.example.cn/p/lc-2025-0001.html"


def test_a_whole_build_equals_publishing_one_by_one(tmp_path):
    pubs = [publication(n) for n in range(1, 13)]
    pubs[4] = replace(pubs[4], state="withdrawn", withdrawal_reason="决定被撤销")
    one = LocalDirectory(tmp_path / "one")
    portal = Portal(one, page_size=5)
    portal.install()
    for p in pubs:
        portal.publish(p)
    whole = LocalDirectory(tmp_path / "whole")
    Portal(whole, page_size=5).build(pubs)
    files = sorted(str(f.relative_to(one.root)) for f in one.root.rglob("*") if f.is_file())
    assert files == sorted(str(f.relative_to(whole.root)) for f in whole.root.rglob("*")
                           if f.is_file())
    # a withdrawal after listing leaves a hole in its page; a build lays the lists anew
    for path in files:
        if path.startswith(("p/", "agency/lingchuan-emergency/feed")) or path == "site.json":
            assert one.read(path) == whole.read(path), path


def test_bad_input_names_the_field(site):
    with pytest.raises(ValidationFailed) as refused:
        publication(1, id="../etc/passwd")
    assert "id" in refused.value.details and "编号" in refused.value.message_zh
    with pytest.raises(ValidationFailed) as refused:
        publication(1, state="withdrawn")
    assert "withdrawal_reason" in refused.value.details
    assert "撤回理由" in refused.value.message_zh
    with pytest.raises(ValidationFailed) as refused:
        Publication.from_dict({"id": "a", "published_at": "2025-10-01T09:00:00"})
    assert {"decision_date", "published_at", "title"} <= set(refused.value.details)
    with pytest.raises(ValueError):
        LocalDirectory(site[0].root).write("../outside.html", b"x")


def test_writes_are_atomic_and_leave_no_temporary_file(tmp_path):
    target = LocalDirectory(tmp_path)
    target.write("a/b.html", b"one")
    target.write("a/b.html", b"two")
    assert target.read("a/b.html") == b"two"
    assert [f.name for f in (tmp_path / "a").iterdir()] == ["b.html"]


def test_search_index_shards_update_and_drop_an_expired_page(site):
    target, portal = site
    search = SearchIndex(target)
    for n in range(1, 4):
        portal.publish(publication(n))
        search.update(publication(n))
    market = publication(61, agency_code="lingchuan-market", agency_name="陵川县市场监督管理局",
                         decision_date=date(2026, 1, 5))
    portal.publish(market)
    search.update(market)
    shards = page_json(target, "search/shards.json")["bundles"]
    assert shards == ["search/lingchuan-emergency/bundle", "search/lingchuan-market/bundle"]
    entry = page_json(target, "search/lingchuan-emergency/bundle/pagefind-entry.json")
    assert entry["languages"]["zh"]["page_count"] == 3
    bundle = target.root / "search/lingchuan-emergency/bundle"
    current = json.loads((bundle / "files.json").read_bytes())["current"]
    assert len([f for f in current if f.startswith("filter/")]) == 4  # 机关, 类别, 年份, 状态
    # the extended binary segments Chinese: the index holds words, not whole sentences
    words = set()
    for chunk in (bundle / "index").iterdir():
        data = gzip.decompress(chunk.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        words |= {w.decode() for w in re.findall(rb"(?:[\xe4-\xe9][\x80-\xbf]{2})+", data)}
    assert {"培训", "矿业", "公司"} <= words
    expired = publication(2, state="expired", history=(
        Change(datetime(2026, 10, 1, tzinfo=UTC), "expired", "公示期满"),))
    portal.publish(expired)
    search.update(expired)
    entry = page_json(target, "search/lingchuan-emergency/bundle/pagefind-entry.json")
    assert entry["languages"]["zh"]["page_count"] == 2
    # a full rebuild indexes the same pages
    assert search.rebuild() >= 2
    rebuilt = page_json(target, "search/lingchuan-emergency/bundle/pagefind-entry.json")
    assert rebuilt["languages"]["zh"]["page_count"] == 2


class Crashing(LocalDirectory):
    """A directory whose n-th write fails, as a process killed mid-publish would leave it."""

    def __init__(self, root, fail_at: int):
        super().__init__(root)
        self.fail_at = fail_at

    def write(self, path: str, data: bytes) -> None:
        if len(self.written) + 1 == self.fail_at:
            self.fail_at = 0
            raise OSError("disk gone")
        super().write(path, data)


@pytest.mark.parametrize("fail_at", [1, 3, 8, 23, 24])
def test_a_publish_cut_short_is_completed_once_by_its_retry(tmp_path, fail_at):
    clean = LocalDirectory(tmp_path / "clean")
    Portal(clean).install()
    crashing = Crashing(tmp_path / "crashing", 0)
    Portal(crashing).install()
    for n in (1, 2):
        Portal(clean).publish(publication(n))
        Portal(crashing).publish(publication(n))
    crashing.written.clear()
    crashing.fail_at = fail_at
    with pytest.raises(OSError):
        Portal(crashing).publish(publication(3))
    Portal(crashing).publish(publication(3))      # the retry, by a fresh process
    Portal(clean).publish(publication(3))
    files = sorted(str(f.relative_to(clean.root)) for f in clean.root.rglob("*") if f.is_file())
    assert files == sorted(str(f.relative_to(crashing.root)) for f in crashing.root.rglob("*")
                           if f.is_file())
    for path in files:
        assert crashing.read(path) == clean.read(path), path
