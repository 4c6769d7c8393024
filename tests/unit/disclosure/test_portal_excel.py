"""The portal's Excel download of each list page: written with the page's CSV on every publish,
the same rows, every cell text (a value a spreadsheet would run as a formula led by '), read
back by openpyxl; the same page gives the same bytes (no clock in the package), so a whole
build equals publishing one by one; a few milliseconds a page."""
from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from services.disclosure.portal import LocalDirectory, Portal, Publication, render

CHINA = timezone(timedelta(hours=8))


def publication(n: int, **changes) -> Publication:
    data = {"id": f"lc-2025-{n:04d}", "agency_code": "lingchuan-emergency",
            "agency_name": "陵川县应急管理局", "kind": "penalty", "kind_name": "行政处罚",
            "title": f"案件{n}", "summary": [["决定书文号", f"陵应急罚〔2025〕{n}号"]],
            "decision_date": "2025-10-01",
            "published_at": datetime(2025, 10, 2, 9, n, tzinfo=CHINA).isoformat(),
            "state": "published", "history": []}
    data.update(changes)
    return Publication.from_dict(data)


def read(target: LocalDirectory, path: str) -> bytes:
    data = target.read(path)
    assert data is not None, f"{path} was not written"
    return data


def test_each_list_page_has_an_excel_download_with_the_csvs_rows(tmp_path):
    target = LocalDirectory(tmp_path / "site")
    portal = Portal(target, base_url="https://gs.example.cn/", page_size=5)
    portal.install()
    portal.publish(publication(1, title="=HYPERLINK(\"http://x\")"))
    portal.publish(publication(2))
    book = load_workbook(io.BytesIO(read(target, "list/page/1.xlsx")))
    rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
    csv_rows = list(csv.reader(io.StringIO(read(target, "list/page/1.csv").decode("utf-8-sig"))))
    assert rows == csv_rows
    assert rows[0][:3] == ["编号", "标题", "执法机关"]
    assert "'=HYPERLINK(\"http://x\")" in [r[1] for r in rows]
    page = read(target, "list/page/1.html").decode()
    assert 'href="/list/page/1.xlsx"' in page


def test_the_same_page_gives_the_same_bytes_and_costs_milliseconds():
    items = [render.item(publication(n)) for n in range(1, 21)]
    first = render.items_xlsx(items, "/")
    time.sleep(2.1)   # a zip part's time has a two-second grain
    started = time.perf_counter()
    again = render.items_xlsx(items, "/")
    spent = time.perf_counter() - started
    assert again == first
    assert spent < 0.5, f"{spent:.3f} s for one page of 20"
