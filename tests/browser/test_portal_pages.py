"""The disclosure portal in a real Chromium: every kind of page loads with no console error and
no failed request and axe-core finds no WCAG 2.1 A/AA violation on it; the search (Pagefind's
UI over the agencies' shards) finds a decision by a Chinese word of its 违法事实 and its 机关 and
年份 filters narrow the results; with JavaScript off the lists and pages are browsed by links."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.agencies import CHANGZHI, QINYUAN
from tests.browser.conftest import axe_violations
from tests.browser.portal_site import Site, build


def titles(site: Site) -> dict[str, str]:
    """Each publication's title as its JSON gives it (the case name, or the decision number
    where the agency's rule set does not publish case names)."""
    return {name: json.loads((site.folder / "p" / f"{pid}.json").read_text())["title"]
            for name, pid in site.ids.items()}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    folder = tmp_path_factory.mktemp("portal")
    return build(folder / "site", folder / "disclosure.sqlite3")


def pages(site: Site) -> dict[str, str]:
    """One page of each kind: path -> what it must show."""
    ids = site.ids
    return {
        "": "执法机关",
        "list/": "全部公示信息",
        "list/page/1.html": "第 1 页",
        f"agency/{QINYUAN}/": "沁源县能源局公示信息",
        f"agency/{QINYUAN}/registers/": "沁源县能源局事前公开信息",
        f"agency/{QINYUAN}/registers/officers.html": "李某",
        f"agency/{QINYUAN}/registers/items.html": "对未按规定报送统计资料的处罚",
        f"agency/{CHANGZHI}/kind/penalty/": "长治市能源局行政处罚公示信息",
        "kind/penalty/": "行政处罚公示信息",
        f"p/{ids['training']}.html": "未如实记录安全生产教育和培训情况",
        f"p/{ids['boundary']}.html": "本条公示信息已撤回",
        f"p/{ids['boiler']}.html": "（更正）",
        f"p/{ids['expired']}.html": "公示信息已撤下",
        "search/": "搜索公示信息",
        f"verify/?id={ids['training']}": "核验通过",
    }


def ready(page, path: str) -> None:
    """The page's scripts done: the search box drawn, the verifier's verdict given."""
    if path.startswith("search/"):
        page.wait_for_selector(".pagefind-ui__search-input")
    if path.startswith("verify/"):
        page.wait_for_selector("#verdict[data-verdict=valid], #verdict[data-verdict=invalid]")


def test_every_kind_of_page_loads_cleanly_and_axe_finds_no_violation(site, serve, page):
    served = serve(site.folder)
    violations = {}
    for path, shown in pages(site).items():
        page.goto(served.url + path)
        ready(page, path)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert shown in page.inner_text("main"), path
        found = axe_violations(page)
        if found:
            violations[path] = found
    assert page.watched.problems == []
    assert violations == {}


# the UI's message once a search is done ("找到 N 个 … 的结果", "未找到 … 的结果"), and the
# result links drawn (each after its fragment loads) as many as it says
DRAWN = """words => {
  const m = document.querySelector('.pagefind-ui__message');
  if (!m || !m.textContent.includes(words) || m.textContent.includes('正在')) { return false; }
  const n = m.textContent.startsWith('未找到') ? 0 : parseInt(m.textContent.replace(/\\D+/, ''));
  return document.querySelectorAll('.pagefind-ui__result-link').length === Math.min(n, 5);
}"""


def search(page, words: str) -> list[str]:
    page.fill(".pagefind-ui__search-input", words)
    return results(page, words)


def test_search_finds_a_decision_by_a_chinese_word_and_the_filters_narrow_it(site, serve,
                                                                               page):
    served = serve(site.folder)
    title = titles(site)
    page.goto(served.url + "search/")
    page.wait_for_selector(".pagefind-ui__search-input")
    # a word of the 违法事实 alone (not of any title): Pagefind's CJK segmentation finds it
    assert search(page, "传感器") == [title["gas"]]
    assert search(page, "承压锅炉") == [title["boiler"]]
    every = search(page, "有限公司")
    # the withdrawn one too; the expired one not
    assert every == sorted(t for n, t in title.items() if n != "expired")
    filter_by(page, "机关", "长治市能源局")
    assert results(page) == sorted([title["boiler"], title["gas"]])
    filter_by(page, "年份", "2024")
    assert results(page) == [title["gas"]]
    filter_by(page, "年份", "2024")           # off again
    filter_by(page, "机关", "长治市能源局")
    filter_by(page, "类别", "行政处罚")
    assert results(page) == every
    filter_by(page, "状态", "已撤回")
    assert results(page) == [title["boundary"]]
    assert axe_violations(page) == []         # the results and the open filters too
    assert page.watched.problems == []


def filter_by(page, group: str, value: str) -> None:
    """Tick (or untick) one value of one of the UI's filters (its block opened first)."""
    block = page.locator("details.pagefind-ui__filter-block", has=page.locator(
        "summary.pagefind-ui__filter-name", has_text=group))
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    block.locator(f'input[name="{group}"][value="{value}"]').click()


def results(page, words: str = "") -> list[str]:
    page.wait_for_timeout(300)   # the UI searches again a moment after a filter changes
    page.wait_for_function(DRAWN, arg=words)
    return sorted(page.locator(".pagefind-ui__result-link").all_inner_texts())


def test_browsing_works_without_javascript(site, serve, browser_context):
    served = serve(site.folder)
    title = titles(site)
    watched = browser_context(java_script_enabled=False)
    page = watched.page()
    page.goto(served.url)
    assert page.evaluate is not None
    page.get_by_role("link", name="长治市能源局").click()
    assert page.locator("h1").inner_text() == "长治市能源局公示信息"
    page.get_by_role("link", name=title["boiler"]).click()
    assert "使用未经定期检验的承压锅炉" in page.inner_text("main")
    page.get_by_role("link", name="长治市能源局", exact=True).click()
    page.get_by_role("navigation", name="站点导航").get_by_role("link",
                                                              name="全部公示信息").click()
    assert page.locator("h1").inner_text() == "全部公示信息"
    listed = page.locator("main table a").all_inner_texts()
    assert sorted(listed) == sorted(title[n] for n in ("training", "boiler", "gas"))
    page.get_by_role("link", name="最早的公示（第 1 页）").click()
    assert page.locator("h1").inner_text() == "全部公示信息（第 1 页）"
    page.get_by_role("link", name="搜索").first.click()
    assert page.locator("noscript").count() == 1
    assert "按时间" in page.content()
    page.get_by_role("link", name="按时间").click()
    assert page.locator("h1").inner_text() == "全部公示信息"
    assert watched.problems == []


def test_the_served_files_have_their_content_types(site, serve, page):
    served = serve(site.folder)
    bundle = Path(site.folder, "search", QINYUAN, "bundle")
    wasm, meta = next(bundle.glob("wasm.*.pagefind")), next(bundle.glob("*.pf_meta"))
    for path, kind in [("index.html", "text/html"), ("assets/site.css", "text/css"),
                       ("assets/verify.js", "text/javascript"),
                       (str(wasm.relative_to(site.folder)), "application/octet-stream"),
                       (str(meta.relative_to(site.folder)), "application/octet-stream"),
                       (f"transparency/{QINYUAN}/tree-head.json", "application/json")]:
        answer = page.request.get(served.url + path)
        assert answer.ok, path
        assert answer.headers["content-type"].startswith(kind), path


def test_axe_reports_what_it_finds(serve, page, tmp_path):
    """The check above can fail: a page without a language, a label or enough contrast."""
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "index.html").write_text(
        '<!DOCTYPE html><html><head><title>x</title><link rel="icon" href="data:,"></head>'
        '<body><p style="color:#aaa;background:#fff">浅色文字</p><input type="text"></body>'
        '</html>', encoding="utf-8")
    page.goto(serve(tmp_path / "bad").url)
    assert {v["id"] for v in axe_violations(page)} >= {"html-has-lang", "color-contrast",
                                                        "label"}


def test_the_server_passes_a_prefix_to_another_service(serve, page, tmp_path):
    """What a test of a portal form posting to a service's endpoint needs: the endpoint on the
    page's origin (here the service is another of these servers, whose refusal of a POST names
    its own port: that answer comes back through the portal's)."""
    (tmp_path / "service" / "api").mkdir(parents=True)
    (tmp_path / "service" / "api" / "hello.json").write_text('{"ok": true}')
    (tmp_path / "portal").mkdir()
    service = serve(tmp_path / "service")
    portal = serve(tmp_path / "portal", proxy={"/api/": service.url})
    answer = page.request.get(portal.url + "api/hello.json")
    assert answer.ok and answer.json() == {"ok": True}
    assert answer.headers["content-type"] == "application/json"
    service_port, portal_port = service.url.split(":")[-1][:-1], portal.url.split(":")[-1][:-1]
    posted = page.request.post(portal.url + "api/hello.json", data={"a": 1})
    assert posted.status == 404 and f"on port {service_port}" in posted.text()
    local = page.request.post(portal.url + "other", data={"a": 1})
    assert local.status == 404 and f"on port {portal_port}" in local.text()
    assert page.request.get(portal.url + "hello.json").status == 404
