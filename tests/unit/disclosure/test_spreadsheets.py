"""The registers as agencies keep them in Excel: one sheet per register with Chinese headers,
read row by row with every error named by sheet, row and header; formulas refused unrun; a file
too big, or one that unpacks too big, refused before it is opened; CSV export for download."""
from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.disclosure import spreadsheets as sheets
from services.disclosure.domain import registers as r
from shared.errors import ValidationFailed


def officer(**changes: object) -> r.Officer:
    base = dict(name="张三", unit="沁源县能源局", department="综合执法股", position="科员",
                certificate_no="14043119001", issued_on=date(2024, 1, 1),
                valid_until=date(2026, 12, 31), categories=("能源", "安全生产"),
                regions=("沁源县",))
    return r.Officer(**{**base, **changes})  # type: ignore[arg-type]


def every_register() -> dict[str, tuple[r.Entry, ...]]:
    """One or two entries of each kind, with every field filled and the awkward values:
    text that looks like a formula or a number, a line break, an optional field left empty."""
    return {
        "subjects": (r.Subject(name="沁源县能源局", duties="煤炭、电力行业管理",
                               region="沁源县", authority="行政检查、行政处罚",
                               internal_units="综合执法股", division="执法股负责检查",
                               jurisdiction="县域内",
                               enforcement_types=("行政检查", "行政处罚")),),
        "entrusted": (r.EntrustedOrganisation(
            name="沁源县煤炭工业服务中心", entrusting_agency="沁源县能源局",
            basis="《行政处罚法》第二十条", matters="煤矿安全检查", authority="检查、记录",
            term_from=date(2026, 1, 1), term_until=date(2027, 12, 31),
            liability="委托机关对受委托组织的行为负责"),),
        "officers": (officer(), officer(certificate_no="0012", name="李四", department=None,
                                        issued_on=None, regions=("沁源县", "安泽县"))),
        "powers": (r.Power(category="行政奖励", item_name="对举报安全生产违法行为的奖励",
                           basis="《安全生产法》第七十六条", agency="沁源县能源局",
                           remedy="行政复议"),),
        "items": (r.EnforcementItem(category="行政处罚", item_name="对未按规定报送统计资料的处罚",
                                    basis="《统计法》第四十一条", discretion="首次轻微的，责令改正",
                                    agency="沁源县能源局", time_limit="90日",
                                    remedy="行政复议、行政诉讼"),),
        "inspections": (r.InspectionItem(item_name="煤矿安全生产检查",
                                         basis="《安全生产法》第六十五条",
                                         inspector="沁源县能源局", target="辖区内煤矿企业",
                                         content="安全生产责任制落实情况", method="双随机抽查",
                                         ratio_frequency="每年不少于一次，比例不低于5%"),),
        "legal_bases": (r.LegalBasis(title="中华人民共和国行政处罚法", level="法律",
                                     article="第四十八条", content="具有一定社会影响的行政处罚决定"
                                     "应当依法公开。", issuer="全国人民代表大会常务委员会",
                                     effective_on=date(2021, 7, 15)),
                        r.LegalBasis(title="山西省安全生产条例", level="地方性法规")),
        "discretion": (r.DiscretionStandard(item_name="未按规定报送统计资料",
                                            violation="迟报统计资料", basis="《统计法》第四十一条",
                                            circumstance="首次，未造成后果", standard="=警告"),),
        "service_guides": (r.ServiceGuide(item_name="煤炭经营备案", agency="沁源县能源局",
                                          conditions="依法设立的企业",
                                          materials="1. 申请表\n2. 营业执照",
                                          process="受理→审查→备案", time_limit="5个工作日",
                                          fee_basis="不收费", supervision="0355-1234567",
                                          remedy="行政复议", place="沁源县政务大厅3号窗口",
                                          contact="0355-7654321", sample_text="见附件"),),
        "flow_charts": (r.FlowChart(item_name="行政处罚一般程序",
                                    steps="立案、调查、告知、决定、送达", category="行政处罚",
                                    chart="flowcharts/penalty.png"),),
    }


def workbook(title: str, rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


OFFICER_HEADERS = [c.header for c in r.KIND["officers"].columns]


def officer_cells(**changes: object) -> list[object]:
    values = ["张三", "沁源县能源局", "综合执法股", "科员", "14043119001", "2024-01-01",
              "2026-12-31", "能源、安全生产", "沁源县"]
    cells = dict(zip(OFFICER_HEADERS, values, strict=True))
    return list({**cells, **changes}.values())


def refusal(data: bytes, limits: sheets.Limits = sheets.LIMITS) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        sheets.import_workbook(data, limits)
    return exc.value


def rules(exc: ValidationFailed) -> set[str]:
    return {rule for rules in exc.details.values() for rule in rules}


# ---- round trips ---------------------------------------------------------------------------

def test_export_then_import_gives_the_same_registers():
    registers = every_register()
    data = sheets.export_workbook(registers)
    assert sheets.import_workbook(data) == registers
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [k.title for k in r.KINDS]
    header = [c.value for c in book["行政执法人员清单"][1]]
    assert header == OFFICER_HEADERS
    # text that looks like a formula is written as text, never as a formula
    assert book["裁量基准"]["E2"].data_type == "s" and book["裁量基准"]["E2"].value == "=警告"
    assert book["行政执法人员清单"]["E3"].value == "0012"
    assert book["行政执法人员清单"]["G2"].is_date


def test_the_template_has_every_sheet_and_no_entry():
    assert sheets.import_workbook(sheets.template()) == {k.code: () for k in r.KINDS}


def test_an_agencys_own_sheet_excel_dates_text_dates_and_whitespace():
    data = workbook("行政执法人员清单", [
        [f" {h} " for h in OFFICER_HEADERS],
        officer_cells(**{"姓名": " 张三 ", "发证日期": datetime(2024, 1, 1),
                         "有效期": "2026年12月31日", "执法证件号": 14043119001}),
        [None] * 9,   # a blank row in between is skipped
        officer_cells(**{"执法证件号": "B-2", "有效期": date(2027, 6, 30), "所属机构": "  "}),
    ])
    assert sheets.import_workbook(data) == {"officers": (
        officer(), officer(certificate_no="B-2", valid_until=date(2027, 6, 30), department=None))}


def test_csv_export():
    data = sheets.export_csv("officers", [officer(), officer(certificate_no="B-2", name="-1")])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        OFFICER_HEADERS,
        ["张三", "沁源县能源局", "综合执法股", "科员", "14043119001", "2024-01-01", "2026-12-31",
         "能源、安全生产", "沁源县"],
        # a value a spreadsheet program would run as a formula is defused
        ["'-1", "沁源县能源局", "综合执法股", "科员", "B-2", "2024-01-01", "2026-12-31",
         "能源、安全生产", "沁源县"]]
    with pytest.raises(TypeError):
        sheets.export_csv("items", [officer()])


# ---- every error, by sheet, row and header -------------------------------------------------

def test_every_broken_cell_of_every_row_is_named():
    data = workbook("行政执法人员清单", [
        OFFICER_HEADERS,
        officer_cells(),
        officer_cells(**{"执法证件号": "B-2", "有效期": "2026/13/01"}),
        officer_cells(**{"执法证件号": "C 3"}),
        officer_cells(**{"执法证件号": "D-4", "有效期": "明年年底", "姓名": None}),
        officer_cells(),
    ])
    exc = refusal(data)
    assert exc.message_zh == (
        "提交的数据不符合要求："
        "行政执法人员清单第3行「有效期」：不是有效的日期；"
        "行政执法人员清单第4行「执法证件号」：只能由字母、数字、汉字和连字符组成；"
        "行政执法人员清单第5行「姓名」：必填；"
        "行政执法人员清单第5行「有效期」：日期格式应为YYYY-MM-DD；"
        "行政执法人员清单第6行「执法证件号」：与第2行的「执法证件号」相同")
    assert "row 5, valid_until (有效期): date must be YYYY-MM-DD" in exc.message
    assert set(exc.details) == {"officers.3.valid_until", "officers.4.certificate_no",
                                "officers.5.name", "officers.5.valid_until",
                                "officers.6.certificate_no"}


def test_unknown_missing_and_repeated_headers_are_named():
    headers = [h for h in OFFICER_HEADERS if h != "有效期"] + ["备注", "姓名"]
    exc = refusal(workbook("行政执法人员清单", [headers, ["张三"] * len(headers)]))
    assert exc.message_zh == (
        "提交的数据不符合要求："
        "行政执法人员清单第1行「备注」：不是本表的表头，应为：" + "、".join(OFFICER_HEADERS) + "；"
        "行政执法人员清单第1行「姓名」：表头重复；"
        "行政执法人员清单第1行「有效期」：缺少此列")


def test_a_value_under_no_header_and_an_unknown_sheet_are_refused():
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "行政执法人员清单"
    sheet.append(OFFICER_HEADERS)
    sheet.append([*officer_cells(), None, "多余"])
    book.create_sheet("人员统计").append(["合计"])
    out = io.BytesIO()
    book.save(out)
    exc = refusal(out.getvalue())
    assert "行政执法人员清单第2行「K列」：该列没有表头，不得填写数据" in exc.message_zh
    assert "人员统计第1行「人员统计」：不是登记表的工作表" in exc.message_zh


def test_a_workbook_without_a_register_is_refused():
    exc = refusal(workbook("Sheet1", []))
    assert rules(exc) >= {"is not a register's sheet; expected one of " + ", ".join(
        k.title for k in r.KINDS)}


# ---- formulas ------------------------------------------------------------------------------

def test_a_formula_is_refused_and_never_run():
    data = workbook("行政执法人员清单", [
        OFFICER_HEADERS,
        officer_cells(**{"有效期": "=TODAY()+365", "姓名": '=HYPERLINK("http://x","张三")',
                         "职务": None}),
    ])
    exc = refusal(data)
    assert exc.message_zh == (
        "提交的数据不符合要求："
        "行政执法人员清单第2行「姓名」：不接受公式，请填写数值或文字；"
        "行政执法人员清单第2行「有效期」：不接受公式，请填写数值或文字；"
        "行政执法人员清单第2行「职务」：必填")   # the rest of the row is still checked


def test_an_error_value_is_refused():
    exc = refusal(workbook("行政执法人员清单", [OFFICER_HEADERS,
                                               officer_cells(**{"执法区域": "#N/A"})]))
    assert exc.message_zh.endswith("行政执法人员清单第2行「执法区域」：单元格为错误值#N/A")


# ---- bounds --------------------------------------------------------------------------------

def test_a_file_too_big_is_refused_unread():
    data = sheets.export_workbook(every_register())
    exc = refusal(data, sheets.Limits(file_bytes=len(data) - 1))
    assert exc.details == {"file": ["too_large"]}
    assert exc.message_zh.startswith(f"Excel文件无法导入：文件大小{len(data)}字节，超过上限")


def test_more_rows_than_the_bound_are_refused():
    rows = [OFFICER_HEADERS] + [officer_cells(**{"执法证件号": f"N-{n}"}) for n in range(4)]
    assert len(sheets.import_workbook(workbook("行政执法人员清单", rows),
                                      sheets.Limits(rows=4))["officers"]) == 4
    exc = refusal(workbook("行政执法人员清单", rows), sheets.Limits(rows=3))
    assert exc.message_zh.endswith("行政执法人员清单第5行「行政执法人员清单」：超过行数上限3行")


def test_a_sheet_wider_than_the_bound_is_refused():
    exc = refusal(workbook("行政执法人员清单", [OFFICER_HEADERS, officer_cells()]),
                  sheets.Limits(columns=8))
    assert exc.message_zh.endswith("行政执法人员清单第1行「行政执法人员清单」：有9列，超过上限8列")


def test_a_cell_longer_than_its_column_allows_is_refused():
    exc = refusal(workbook("行政执法人员清单", [OFFICER_HEADERS,
                                               officer_cells(**{"单位": "局" * 101})]))
    assert exc.message_zh.endswith("行政执法人员清单第2行「单位」：不得超过100个字符")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    # 200 MB of zeros in a sheet's place packs into a few hundred kilobytes
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("xl/worksheets/sheet1.xml", "w") as part:
            block = b"0" * (1 << 20)
            for _ in range(200):
                part.write(block)
    data = out.getvalue()
    assert len(data) < sheets.LIMITS.file_bytes
    started = time.monotonic()
    exc = refusal(data)
    assert time.monotonic() - started < 1
    assert exc.details == {"file": ["unpacks_too_large"]}
    assert "文件解压后209715208字节，超过上限" in exc.message_zh


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * 5_000_000 + b"</a>")
    data = bytearray(out.getvalue())
    # the local header and the central directory both claim 1000 bytes unpacked
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22:local + 26] = (1000).to_bytes(4, "little")
    data[central + 24:central + 28] = (1000).to_bytes(4, "little")
    exc = refusal(bytes(data))
    assert exc.details == {"file": ["not_xlsx"]}
    assert exc.message_zh == "Excel文件无法导入：不是有效的Excel文件（.xlsx）"


def test_an_xml_part_declaring_entities_is_refused():
    data = workbook("行政执法人员清单", [OFFICER_HEADERS, officer_cells()])
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = laughs + body.split(b"?>", 1)[-1]
            package.writestr(info.filename, body)
    exc = refusal(out.getvalue())
    assert exc.details == {"file": ["dtd"]}
    assert "xl/worksheets/sheet1.xml含有文档类型声明（DTD）" in exc.message_zh


@pytest.mark.parametrize("data", [b"", b"not a workbook", b"PK\x03\x04" + b"\x00" * 40])
def test_what_is_not_a_workbook_is_refused(data):
    assert refusal(data).details == {"file": ["not_xlsx"]}


def test_a_sheet_whose_xml_is_broken_is_refused():
    data = sheets.export_workbook({"officers": [officer()]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as package:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body[:-30]
            package.writestr(info.filename, body)
    exc = refusal(out.getvalue())
    assert exc.details == {"file": ["unreadable_sheet"]}
    assert exc.message_zh == "Excel文件无法导入：工作表「行政执法人员清单」的内容无法读取"


def test_a_workbook_openpyxl_cannot_open_is_refused_as_such():
    book = Workbook(write_only=True)
    book.create_chartsheet("图表")   # a chart sheet without its chart
    out = io.BytesIO()
    book.save(out)
    assert refusal(out.getvalue()).details == {"file": ["not_xlsx"]}
