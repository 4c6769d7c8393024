"""The registers as agencies keep them: an Excel workbook (.xlsx) with one sheet per register
kind, named by the register's Chinese title, its Chinese column headers in the first row and
one entry per row after it; and CSV, one register per file.

An import reads every sheet and every row before it answers: either all the registers it
holds, or one refusal naming every broken cell by sheet, row and header. A file is judged
before it is opened — its size, the size it unpacks to (a zip bomb is refused unread), no XML
document type declarations (no entity expansion) — and no more rows or columns are read than
the bounds allow. Formulas are refused, never evaluated: a register holds values.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from services.disclosure.domain import registers
from services.disclosure.domain.registers import KIND, KINDS, Column, Entry, RegisterKind, RowError
from shared.errors import ValidationFailed


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 5 * 1024 * 1024         # the .xlsx as uploaded
    unpacked_bytes: int = 40 * 1024 * 1024    # all its parts, uncompressed
    parts: int = 500                          # files inside the package
    rows: int = 10_000                        # entries in one sheet
    columns: int = 40                         # columns read in one sheet


LIMITS: Final = Limits()
BY_TITLE: Final[Mapping[str, RegisterKind]] = {k.title: k for k in KINDS}
# Excel's own last row: a sheet claiming more is not read further
EXCEL_ROWS: Final = 1_048_576
# XML parts carry no document type: a declaration could define entities to expand
DTD_MARKS: Final = (b"<!doctype", b"<!entity")
UNREADABLE: Final = (zipfile.BadZipFile, zipfile.LargeZipFile, InvalidFileException, KeyError,
                     ValueError, TypeError, IndexError, EOFError, OSError, ParseError,
                     NotImplementedError, RuntimeError, AttributeError)
# a value a spreadsheet program would run as a formula when it opens a CSV file
CSV_ACTIVE: Final = ("=", "+", "-", "@", "\t", "\r")


def _refused(en: str, zh: str, rule: str) -> ValidationFailed:
    return ValidationFailed(f"invalid workbook: {en}", message_zh=f"Excel文件无法导入：{zh}",
                            details={"file": [rule]})


# ---- the package, before it is opened ---------------------------------------------------

def check_package(data: bytes, limits: Limits = LIMITS) -> None:
    """Refuse a file that is too big, is not a zip package, unpacks to more than the bound
    (judged from its directory before anything is unpacked, then counted while unpacking),
    or has an XML part that declares a document type."""
    if len(data) > limits.file_bytes:
        raise _refused(f"the file has {len(data)} bytes, more than {limits.file_bytes}",
                       f"文件大小{len(data)}字节，超过上限{limits.file_bytes}字节", "too_large")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            _check_directory(package.infolist(), limits)
            for info in package.infolist():
                _scan_part(package, info)
    except UNREADABLE as exc:
        raise _refused(f"not an Excel workbook (.xlsx): {type(exc).__name__}",
                       "不是有效的Excel文件（.xlsx）", "not_xlsx") from exc


def _check_directory(parts: Sequence[zipfile.ZipInfo], limits: Limits) -> None:
    if len(parts) > limits.parts:
        raise _refused(f"the package holds {len(parts)} parts, more than {limits.parts}",
                       f"文件包含{len(parts)}个部件，超过上限{limits.parts}个", "too_many_parts")
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limits.unpacked_bytes:
        raise _refused(f"it unpacks to {unpacked} bytes, more than {limits.unpacked_bytes}",
                       f"文件解压后{unpacked}字节，超过上限{limits.unpacked_bytes}字节",
                       "unpacks_too_large")


def _scan_part(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read the part through (zipfile stops at its declared size and checks its CRC, so it
    cannot unpack to more than the directory said) and look for a document type."""
    xml = info.filename.endswith((".xml", ".rels", ".vml"))
    tail = b""
    with package.open(info) as part:
        while chunk := part.read(1 << 16):
            if xml:
                _check_xml(info.filename, tail + chunk)
            tail = chunk[-16:]


def _check_xml(name: str, text: bytes) -> None:
    lowered = text.lower()
    if any(mark in lowered for mark in DTD_MARKS):
        raise _refused(f"{name} declares a document type (DTD)",
                       f"文件部件{name}含有文档类型声明（DTD），不予读取", "dtd")
    if b"\x00" in text:
        # Excel writes its XML in UTF-8; another encoding would slip past the check above
        raise _refused(f"{name} is not UTF-8 XML", f"文件部件{name}不是UTF-8编码的XML",
                       "not_utf8")


# ---- reading the sheets ---------------------------------------------------------------------

def import_workbook(data: bytes, limits: Limits = LIMITS) -> dict[str, tuple[Entry, ...]]:
    """The registers a workbook holds, by kind code — or a ValidationFailed naming every
    broken cell (sheet, row, header) of every sheet."""
    check_package(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:
        # openpyxl fails on a malformed part with whatever it meets there (KeyError,
        # AttributeError, ParseError …); nothing of ours runs in here
        raise _refused(f"not an Excel workbook (.xlsx): {type(exc).__name__}",
                       "不是有效的Excel文件（.xlsx）", "not_xlsx") from exc
    found: dict[str, tuple[Entry, ...]] = {}
    errors: list[RowError] = []
    try:
        for sheet in book.worksheets:
            kind = BY_TITLE.get(sheet.title.strip())
            if kind is None:
                errors.append(_sheet_error(sheet.title, "unknown_sheet",
                                           "is not a register's sheet; expected one of "
                                           + ", ".join(BY_TITLE),
                                           "不是登记表的工作表，应为：" + "、".join(BY_TITLE)))
                continue
            found[kind.code], problems = _read_readable(kind, sheet, limits)
            errors.extend(problems)
    finally:
        book.close()
    if not found and not errors:
        raise _refused("it holds no worksheet", "文件中没有工作表", "no_sheet")
    if errors:
        raise registers.refusal(errors, what="workbook")
    return found


def _read_readable(kind: RegisterKind, sheet: Any, limits: Limits
                   ) -> tuple[tuple[Entry, ...], list[RowError]]:
    """A read-only sheet is parsed as its rows are read: what breaks there is the file's."""
    try:
        return _read_sheet(kind, sheet, limits)
    except UNREADABLE as exc:
        raise _refused(f"the sheet {kind.title} cannot be read: {type(exc).__name__}",
                       f"工作表「{kind.title}」的内容无法读取", "unreadable_sheet") from exc


def _sheet_error(sheet: str, rule: str, en: str, zh: str, *, row: int = 1,
                 kind: RegisterKind | None = None, column: Column | None = None,
                 header: str | None = None) -> RowError:
    return RowError(kind.code if kind else "", sheet, row, column.key if column else "",
                    header or (column.header if column else sheet), rule, en, zh)


def _read_sheet(kind: RegisterKind, sheet: Any, limits: Limits
                ) -> tuple[tuple[Entry, ...], list[RowError]]:
    declared = sheet.max_column
    if isinstance(declared, int) and declared > limits.columns:
        return (), [_sheet_error(kind.title, "too_many_columns",
                                 f"has {declared} columns, more than {limits.columns}",
                                 f"有{declared}列，超过上限{limits.columns}列", kind=kind)]
    rows = sheet.iter_rows(min_row=1, max_col=limits.columns)
    heading = next(rows, ())
    columns, errors = _headers(kind, heading)
    if errors:
        return (), errors
    cells, errors = _cells(kind, columns, _numbered(rows), limits)
    spoilt = {(e.row, e.header) for e in errors}
    entries, problems = registers.read_rows(kind, cells)
    errors += [e for e in problems if (e.row, e.header) not in spoilt]
    return entries, errors


def _numbered(rows: Iterator[Sequence[Any]]) -> Iterator[tuple[int, Sequence[Any]]]:
    for number, row in enumerate(rows, start=2):
        if number > EXCEL_ROWS:
            return
        yield number, row


def _headers(kind: RegisterKind, heading: Sequence[Any]
             ) -> tuple[dict[int, Column], list[RowError]]:
    """Which column holds which field: every header known, none twice, none missing."""
    by_header = {c.header: c for c in kind.columns}
    columns: dict[int, Column] = {}
    errors = []
    for index, cell in enumerate(heading):
        text = cell.value.strip() if isinstance(cell.value, str) else cell.value
        if text is None or text == "":
            continue
        column = by_header.get(str(text))
        if column is None:
            errors.append(_sheet_error(kind.title, "unknown_header",
                                       "is not a header of this register; expected: "
                                       + ", ".join(by_header),
                                       "不是本表的表头，应为：" + "、".join(by_header),
                                       kind=kind, header=str(text)))
        elif column in columns.values():
            errors.append(_sheet_error(kind.title, "duplicate_header", "is given twice",
                                       "表头重复", kind=kind, column=column))
        else:
            columns[index] = column
    errors += [_sheet_error(kind.title, "missing_header", "the column is missing",
                            "缺少此列", kind=kind, column=c)
               for c in kind.columns if c not in columns.values()]
    return columns, errors


def _cells(kind: RegisterKind, columns: Mapping[int, Column],
           rows: Iterable[tuple[int, Sequence[Any]]], limits: Limits
           ) -> tuple[list[tuple[int, dict[str, object]]], list[RowError]]:
    """Each row with a value as {field key: cell value}; a formula, an error value or a value
    under no header is an error of its own, and so is one row more than the bound."""
    out: list[tuple[int, dict[str, object]]] = []
    errors: list[RowError] = []
    for number, row in rows:
        if all(_blank(c) for c in row):
            continue
        if len(out) == limits.rows:
            errors.append(_sheet_error(kind.title, "too_many_rows",
                                       f"holds more than {limits.rows} rows",
                                       f"超过行数上限{limits.rows}行", row=number, kind=kind))
            break
        raw, problems = _row(kind, columns, number, row)
        out.append((number, raw))
        errors += problems
    return out, errors


def _row(kind: RegisterKind, columns: Mapping[int, Column], number: int, row: Sequence[Any]
         ) -> tuple[dict[str, object], list[RowError]]:
    raw: dict[str, object] = {}
    errors = []
    for index, cell in enumerate(row):
        column = columns.get(index)
        if column is None:
            if not _blank(cell):
                errors.append(_sheet_error(
                    kind.title, "no_header", "a value under no header",
                    "该列没有表头，不得填写数据", row=number, kind=kind,
                    header=f"{get_column_letter(index + 1)}列"))
            continue
        if cell.data_type == "f":
            errors.append(_sheet_error(kind.title, "formula",
                                       "holds a formula; a register takes values only",
                                       "不接受公式，请填写数值或文字", row=number, kind=kind,
                                       column=column))
        elif cell.data_type == "e":
            errors.append(_sheet_error(kind.title, "error_value",
                                       f"holds the error value {cell.value}",
                                       f"单元格为错误值{cell.value}", row=number, kind=kind,
                                       column=column))
        else:
            raw[column.key] = cell.value
    return raw, errors


def _blank(cell: Any) -> bool:
    value = cell.value
    return value is None or (isinstance(value, str) and not value.strip())


# ---- writing ---------------------------------------------------------------------------------

def export_workbook(registers_by_kind: Mapping[str, Iterable[Entry]]) -> bytes:
    """One sheet per register kind given (in the order of KINDS), the layout import reads."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for kind in KINDS:
        if kind.code not in registers_by_kind:
            continue
        sheet = book.create_sheet(kind.title)
        for index, column in enumerate(kind.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = _width(column)
        sheet.freeze_panes = "A2"
        sheet.append([_cell(sheet, c.header, bold) for c in kind.columns])
        for entry in registers_by_kind[kind.code]:
            sheet.append([_cell(sheet, registers.as_cell(v))
                          for v in registers.values(_of(kind, entry)).values()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    """An empty workbook with every register's sheet and headers, for an agency to fill in."""
    return export_workbook({k.code: () for k in KINDS})


def _of(kind: RegisterKind, entry: Entry) -> Entry:
    if registers.kind_of(entry) is not kind:
        raise TypeError(f"{type(entry).__name__} is not an entry of {kind.code}")
    return entry


def _width(column: Column) -> int:
    if column.type == "date":
        return 12
    return 14 if column.max_length <= registers.SHORT else 40


def _cell(sheet: Any, value: Any, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl takes text beginning with "=" for a formula: a register holds text
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def export_csv(kind_code: str, entries: Iterable[Entry]) -> bytes:
    """One register as CSV: UTF-8 with a byte-order mark (so a spreadsheet program reads the
    Chinese), the Chinese headers, dates as YYYY-MM-DD, lists joined with 、. A value that a
    spreadsheet program would take for a formula is written with a leading apostrophe."""
    kind = KIND[kind_code]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c.header for c in kind.columns])
    for entry in entries:
        writer.writerow([_csv_value(registers.as_cell(v))
                         for v in registers.values(_of(kind, entry)).values()])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(CSV_ACTIVE) else text


# ---- a table of text (the 双公示 file, services.disclosure.domain.credit) --------------------

def table_csv(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """Headers and rows of text (already neutralised) as CSV: UTF-8 with a byte-order mark,
    CRLF line ends."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """Headers and rows of text as one sheet of an .xlsx workbook, every cell a string."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 20
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_cell(sheet, h, bold) for h in headers])
    for values in rows:
        sheet.append([_cell(sheet, v if v != "" else None) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
