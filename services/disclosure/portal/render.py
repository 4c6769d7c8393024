"""The bytes of each kind of file: HTML through Jinja2 (autoescape on), Atom through
ElementTree, CSV with the csv module, JSON with json — no value is ever pasted into markup."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from jinja2 import DictLoader, Environment, StrictUndefined
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from shared.calendar.clock import local, local_date

from .publication import STATE_ZH, Publication
from .templates import TEMPLATES

ATOM = "http://www.w3.org/2005/Atom"


def _when(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def environment(pages: Mapping[str, str] | None = None) -> Environment:
    """The portal's templates, with `pages` (name → template) beside them: a page of a module of
    its own (registers, annual reports) extends the same base.html."""
    env = Environment(loader=DictLoader({**TEMPLATES, **(pages or {})}), autoescape=True,
                      undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(when=_when, state_zh=STATE_ZH)
    return env


def item(p: Publication) -> dict[str, Any]:
    """What a list shows of a publication (and its JSON and CSV carry)."""
    return {"id": p.id, "title": p.title, "agency_code": p.agency_code,
            "agency_name": p.agency_name, "kind": p.kind, "kind_name": p.kind_name,
            "decision_date": p.decision_date.isoformat(),
            "published_at": p.published_at.astimezone(UTC).isoformat(),
            "published_day": local_date(p.published_at).isoformat(),
            "state": p.state, "summary": [list(pair) for pair in p.summary],
            "url": f"p/{p.id}.html"}


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def publication_json(p: Publication) -> dict[str, Any]:
    """A publication's public JSON: what its page shows (nothing of an expired one's content)."""
    data = p.to_dict()
    if p.state == "expired":
        data.update(title="", summary=[],
                    history=[{k: v for k, v in c.items() if k != "leaf"} for c in data["history"]])
    return data


CSV_HEADER = ["编号", "标题", "执法机关", "类别", "决定日期", "公示时间", "状态", "摘要", "网址"]


def _cell(value: str) -> str:
    # a spreadsheet must not take a published value for a formula
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _rows(items: Sequence[dict[str, Any]], base_url: str) -> Iterator[list[str]]:
    """A list page's rows as its CSV and Excel downloads hold them, each cell neutralised."""
    for i in items:
        summary = "；".join(f"{label}：{value}" for label, value in i["summary"])
        yield [_cell(str(v)) for v in (
            i["id"], i["title"], i["agency_name"], i["kind_name"], i["decision_date"],
            i["published_at"], STATE_ZH[i["state"]], summary, base_url + i["url"])]


def items_csv(items: Sequence[dict[str, Any]], base_url: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_rows(items, base_url))
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: spreadsheets read it as UTF-8


def items_xlsx(items: Sequence[dict[str, Any]], base_url: str) -> bytes:
    """The page as an Excel workbook (.xlsx): the CSV's header and rows, every cell text (a
    write-only workbook of one page's rows: a few milliseconds per publish). The same page
    gives the same bytes: its times are the page's newest publication's, not the clock's."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("行政执法公示")
    sheet.append([_text_cell(sheet, h) for h in CSV_HEADER])
    for row in _rows(items, base_url):
        sheet.append([_text_cell(sheet, v) for v in row])
    newest = max((datetime.fromisoformat(i["published_at"]) for i in items),
                 default=datetime(2000, 1, 1, tzinfo=UTC))
    book.properties.created = book.properties.modified = \
        newest.astimezone(UTC).replace(tzinfo=None)
    made = io.BytesIO()
    with zipfile.ZipFile(made, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _without_clock(made.getvalue())


def _without_clock(package: bytes) -> bytes:
    """The zip package again, each part dated the same fixed day instead of when it was
    written."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                            source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # text, never a formula
    return cell


def feed_entry(p: Publication) -> dict[str, Any]:
    """An agency feed's entry for the publication's latest change."""
    if p.state == "expired":
        title, text = "公示信息已撤下", "公示期满或经信用修复，依规撤下。"
    elif p.state == "withdrawn":
        title, text = f"【已撤回】{p.title}", f"撤回理由：{p.withdrawal_reason}"
    else:
        prefix = "【已更正】" if p.state == "corrected" else ""
        title = prefix + p.title
        text = "；".join(f"{label}：{value}" for label, value in p.summary)
    return {"id": p.id, "title": title, "summary": text, "state": p.state,
            "published": p.published_at.astimezone(UTC).isoformat(),
            "updated": p.updated_at.astimezone(UTC).isoformat(),
            "url": f"p/{p.id}.html"}


def atom(agency_code: str, agency_name: str, entries: Sequence[dict[str, Any]],
         base_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh-CN"})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base_url}agency/{agency_code}/"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"{agency_name}行政执法公示"
    updated = max((e["updated"] for e in entries), default="1970-01-01T00:00:00+00:00")
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = agency_name
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self",
                                            "href": f"{base_url}agency/{agency_code}/feed.xml"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                            "href": f"{base_url}agency/{agency_code}/"})
    for e in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"{base_url}p/{e['id']}.html"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = e["title"]
        ET.SubElement(entry, f"{{{ATOM}}}published").text = e["published"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = e["updated"]
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                                 "href": base_url + e["url"]})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = e["summary"]
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
