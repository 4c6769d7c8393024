"""The registers published before enforcement (000 第九条, 002 第十条, 004 第十至十五条): their
kinds and columns, a row read and checked cell by cell, versions and their diff, and whether an
officer was qualified on a day."""
from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from services.disclosure.domain import registers as r
from shared.errors import ValidationFailed

OFFICERS = r.KIND["officers"]
ENTRUSTED = r.KIND["entrusted"]
ITEMS = r.KIND["items"]
AT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


def officer(**changes: object) -> r.Officer:
    base = dict(name="张三", unit="沁源县能源局", department="综合执法股", position="科员",
                certificate_no="14043119001", issued_on=date(2024, 1, 1),
                valid_until=date(2026, 12, 31), categories=("能源", "安全生产"),
                regions=("沁源县",))
    return r.Officer(**{**base, **changes})  # type: ignore[arg-type]


def officer_row(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "张三", "unit": "沁源县能源局", "department": "综合执法股", "position": "科员",
        "certificate_no": "14043119001", "issued_on": "2024-01-01",
        "valid_until": "2026-12-31", "categories": "能源、安全生产", "regions": "沁源县"}
    return {**base, **changes}


def item(**changes: object) -> r.EnforcementItem:
    base = dict(category="行政处罚", item_name="对未按规定报送统计资料的处罚",
                basis="《统计法》第四十一条", discretion="首次轻微的，责令改正",
                agency="沁源县能源局", time_limit="立案之日起90日", remedy="行政复议、行政诉讼")
    return r.EnforcementItem(**{**base, **changes})  # type: ignore[arg-type]


def version(entry: r.Officer | None, number: int, at: datetime,
            key: str = "14043119001") -> r.Version[r.Officer]:
    return r.Version("officers", (key,), number, entry, at, "publisher-1")


# ---- the kinds ---------------------------------------------------------------------------

def test_the_registers_are_the_seeds_lists():
    assert [k.title for k in r.KINDS] == [
        "行政执法主体名录", "受委托组织", "行政执法人员清单", "权责清单", "行政执法事项清单",
        "随机抽查事项清单", "执法依据", "裁量基准", "服务指南", "行政执法流程图"]
    headers = {k.code: [c.header for c in k.columns] for k in r.KINDS}
    # 000 第九条（三）, 004 第十一条: the officers' fields (and the day the certificate was issued)
    assert headers["officers"] == ["姓名", "单位", "所属机构", "职务", "执法证件号", "发证日期",
                                   "有效期", "执法类别", "执法区域"]
    # 004 第十二条第二款
    assert headers["items"] == headers["powers"] == [
        "类别", "事项名称", "执法依据", "裁量基准", "执法机构", "时限", "救济渠道"]
    # 004 第十三条第二款, with the item's name to tell one row from another
    assert headers["inspections"][1:] == ["抽查依据", "抽查主体", "抽查对象", "抽查内容",
                                          "抽查方式", "抽查比例和频次"]
    # 000 第九条（五）'s nine, then 004 第十五条's place, contact and sample text
    assert headers["service_guides"] == [
        "事项名称", "实施机构", "受理条件", "申请材料", "办理流程", "承诺时限", "收费依据",
        "监督方式", "救济渠道", "办理场所", "联系方式", "示范文本"]
    # 004 第十条第三款: the entrusted organisation's basis, matters, authority, term, liability
    assert headers["entrusted"] == ["受委托组织名称", "委托机关", "委托依据", "委托事项",
                                    "委托权限", "委托期限自", "委托期限至", "法律责任"]


@pytest.mark.parametrize("kind", r.KINDS, ids=lambda k: k.code)
def test_each_kind_is_one_sheet_of_its_entry_type(kind):
    assert len(kind.title) <= 31 and not set(kind.title) & set("[]:*?/\\")
    assert kind.basis
    assert len({c.header for c in kind.columns}) == len(kind.columns)
    assert {c.key for c in kind.columns} == {f.name for f in dataclasses.fields(kind.entry)}
    assert set(kind.key) <= {c.key for c in kind.columns}
    assert all(kind.column(k).required or k == "article" for k in kind.key)


def test_the_item_lists_take_the_acts_of_004_article_3():
    assert "行政检查" in ITEMS.column("category").choices
    assert "行政奖励" not in ITEMS.column("category").choices
    assert "行政奖励" in r.KIND["powers"].column("category").choices


# ---- one row -------------------------------------------------------------------------------

def test_a_row_becomes_an_entry():
    entry, errors = r.read_row(OFFICERS, 2, officer_row())
    assert errors == ()
    assert entry == officer()


def test_cells_are_trimmed_and_read_as_agencies_type_them():
    entry, errors = r.read_row(OFFICERS, 2, officer_row(
        name="  张三\u3000", certificate_no=14043119001, issued_on=datetime(2024, 1, 1),
        valid_until="2026年12月31日", categories=" 能源，安全生产；能源 ", department="  "))
    assert errors == ()
    assert entry == officer(department=None)


@pytest.mark.parametrize("text", ["2026-12-31", "2026/12/31", "2026.12.31", "2026年12月31日",
                                  date(2026, 12, 31), datetime(2026, 12, 31)])
def test_a_date_as_excel_date_or_text(text):
    entry, errors = r.read_row(OFFICERS, 2, officer_row(valid_until=text))
    assert errors == () and isinstance(entry, r.Officer)
    assert entry.valid_until == date(2026, 12, 31)


def test_an_optional_list_left_empty_is_an_empty_tuple():
    row = {"name": "沁源县能源局", "duties": "煤炭行业管理", "region": "沁源县"}
    entry, errors = r.read_row(r.KIND["subjects"], 2, row)
    assert errors == ()
    assert entry == r.Subject(name="沁源县能源局", duties="煤炭行业管理", region="沁源县")


# (column, the value given, rule, Chinese)
BROKEN = [
    ("name", "", "required", "必填"),
    ("name", None, "required", "必填"),
    ("categories", "、 ，", "required", "必填"),
    ("name", "张" * 51, "too_long", "不得超过50个字符"),
    ("valid_until", "31/12/2026", "date_format", "日期格式应为YYYY-MM-DD"),
    ("valid_until", 46022, "date_format", "日期格式应为YYYY-MM-DD"),
    ("valid_until", "2026-02-30", "not_a_day", "不是有效的日期"),
    ("valid_until", "2206-12-31", "date_range", "应在1949年10月01日至2099年12月31日之间"),
    ("valid_until", datetime(2026, 12, 31, 9, 30), "date_with_time", "应为日期，不含时刻"),
    ("unit", True, "not_text", "应为文字"),
    ("unit", date(2026, 1, 1), "not_text", "应为文字"),
    ("position", "科员\x07", "control_character", "含有不可见的控制字符"),
    ("certificate_no", "1404 3119", "code_characters", "只能由字母、数字、汉字和连字符组成"),
    ("valid_until", "2023-12-31", "date_order", "不得早于「发证日期」"),
]


@pytest.mark.parametrize("key, given, rule, zh", BROKEN, ids=[b[2] + "-" + b[0] for b in BROKEN])
def test_every_rule_names_the_row_the_column_and_the_rule(key, given, rule, zh):
    entry, errors = r.read_row(OFFICERS, 5, officer_row(**{key: given}))
    assert entry is None
    [error] = errors
    header = OFFICERS.column(key).header
    assert (error.row, error.key, error.header, error.rule) == (5, key, header, rule)
    assert error.message_zh == f"第5行「{header}」：{zh}"
    assert error.message.startswith(f"行政执法人员清单 row 5, {key} ({header}): ")
    assert error.path == f"officers.5.{key}"


def test_a_choice_names_the_choices():
    entry, errors = r.read_row(ITEMS, 3, {**r.values(item()), "category": "行政罚款"})
    assert entry is None
    assert errors[0].message_zh == "第3行「类别」：应为下列之一：" + "、".join(r.ACTS)
    assert errors[0].rule == "choice"


def test_the_entrusted_term_may_not_end_before_it_begins():
    row = {"name": "沁源县煤炭工业服务中心", "entrusting_agency": "沁源县能源局",
           "basis": "《行政处罚法》第二十条", "matters": "煤矿安全检查", "authority": "检查",
           "term_from": "2026-01-01", "term_until": "2025-12-31", "liability": "委托机关负责"}
    _, errors = r.read_row(ENTRUSTED, 4, row)
    assert [e.message_zh for e in errors] == ["第4行「委托期限至」：不得早于「委托期限自」"]


def test_every_broken_cell_of_a_row_is_named():
    _, errors = r.read_row(OFFICERS, 7, officer_row(name="", valid_until="明年", regions=None))
    assert [(e.key, e.rule) for e in errors] == [
        ("name", "required"), ("valid_until", "date_format"), ("regions", "required")]


def test_an_entry_named_twice_is_an_error_of_the_later_row():
    entries, errors = r.read_rows(OFFICERS, [(2, officer_row()), (3, officer_row(name="李四")),
                                             (4, officer_row(certificate_no="B-2"))])
    assert [e.certificate_no for e in entries] == ["14043119001", "B-2"]  # type: ignore[attr-defined]
    assert [e.message_zh for e in errors] == ["第3行「执法证件号」：与第2行的「执法证件号」相同"]


def test_a_refusal_names_every_error_by_sheet_row_and_column():
    _, errors = r.read_rows(OFFICERS, [(n, officer_row(certificate_no=f"C{n}", valid_until="x"))
                                       for n in range(2, 6)])
    exc = r.refusal(errors, shown=3)
    assert isinstance(exc, ValidationFailed)
    assert exc.message_zh == ("提交的数据不符合要求：" + "；".join(
        f"行政执法人员清单第{n}行「有效期」：日期格式应为YYYY-MM-DD" for n in (2, 3, 4))
        + "；另有1处")
    assert exc.message.endswith("; and 1 more")
    assert exc.details == {f"officers.{n}.valid_until": ["date must be YYYY-MM-DD"]
                           for n in range(2, 6)}


# ---- versions --------------------------------------------------------------------------------

def test_the_diff_of_two_versions_of_a_register():
    before = [item(), item(item_name="对安全检查的处罚"), item(item_name="旧事项")]
    after = [item(time_limit="立案之日起60日", remedy="行政复议"),
             item(item_name="对安全检查的处罚"), item(item_name="新事项")]
    change = r.diff(ITEMS, before, after)
    assert change.added == (item(item_name="新事项"),)
    assert change.removed == (item(item_name="旧事项"),)
    [changed] = change.changed
    assert (changed.before, changed.after) == (before[0], after[0])
    assert changed.fields == ("time_limit", "remedy")
    assert changed.headers == ("时限", "救济渠道")
    assert r.diff(ITEMS, before, before).empty


def test_a_diff_takes_one_register_kind_and_each_entry_once():
    with pytest.raises(TypeError):
        r.diff(ITEMS, [item()], [r.Power(**r.values(item()))])  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as exc:
        r.diff(ITEMS, [], [item(), item(basis="另一依据")])
    assert exc.value.message_zh == ("行政执法事项清单中类别、事项名称为"
                                    "「行政处罚 / 对未按规定报送统计资料的处罚」的条目重复")


def test_a_change_is_a_new_version_and_nothing_is_overwritten():
    first = r.revise(OFFICERS, (), [officer(), officer(certificate_no="B-2", name="李四")],
                     at=AT, by="publisher-1")
    assert [(v.key, v.number) for v in first] == [(("14043119001",), 1), (("B-2",), 1)]
    renewed = officer(position="副科长")
    second = r.revise(OFFICERS, first, [renewed, officer(certificate_no="C-3", name="王五")],
                      at=LATER, by="publisher-2")
    assert [(v.key, v.number, v.entry) for v in second] == [
        (("C-3",), 1, officer(certificate_no="C-3", name="王五")),
        (("14043119001",), 2, renewed),
        (("B-2",), 2, None)]       # taken off the register: a version of its own
    history = first + second
    assert first[0].entry == officer()   # the earlier version is still there, as it was
    assert r.current(history) == (renewed, officer(certificate_no="C-3", name="王五"))
    assert r.as_of(history, AT) == (officer(), officer(certificate_no="B-2", name="李四"))
    assert r.revise(OFFICERS, history, r.current(history), at=LATER, by="x") == ()
    again = r.revise(OFFICERS, history, [officer(certificate_no="B-2", name="李四")],
                     at=LATER, by="x", complete=False)
    assert [(v.key, v.number, v.entry is None) for v in again] == [(("B-2",), 3, False)]


# ---- officers: the public register and qualification on a day -------------------------------

def test_the_last_valid_day_is_included_and_the_next_day_is_not():
    zhang = officer()
    assert r.valid_on(zhang, date(2026, 12, 31))
    assert not r.valid_on(zhang, date(2027, 1, 1))
    assert not r.valid_on(zhang, date(2023, 12, 31))
    assert r.valid_on(officer(issued_on=None), date(2000, 1, 1))


def test_an_officer_leaves_the_public_register_the_day_the_certificate_has_expired():
    zhang, li = officer(), officer(certificate_no="B-2", valid_until=date(2027, 6, 30))
    future = officer(certificate_no="F-1", issued_on=date(2027, 1, 1),
                     valid_until=date(2029, 12, 31))
    register = [zhang, li, future]
    assert r.public_officers(register, date(2026, 12, 31)) == (zhang, li)
    assert r.public_officers(register, date(2027, 1, 1)) == (li, future)
    assert r.lapsed(register, date(2026, 12, 31), date(2027, 1, 1)) == (zhang,)
    assert r.lapsed(register, date(2026, 12, 30), date(2026, 12, 31)) == ()
    assert r.lapsed(register, date(2026, 12, 1), date(2027, 7, 2)) == (zhang, li)


def test_qualified_through_the_last_day_for_its_categories_and_regions():
    history = [version(officer(), 1, AT)]
    verdict = r.qualified_on(history, " 14043119001 ", date(2026, 12, 31),
                             category="能源", region="沁源县")
    assert verdict.qualified and verdict.status == "qualified"
    assert (verdict.categories, verdict.regions) == (("能源", "安全生产"), ("沁源县",))
    assert verdict.reason_zh == ("张三持有执法证件14043119001，2026-12-31在有效期内（有效期至"
                                 "2026-12-31），执法类别：能源、安全生产，执法区域：沁源县")


@pytest.mark.parametrize("on, status", [
    (date(2023, 12, 31), "not_yet_valid"),
    (date(2024, 1, 1), "qualified"),
    (date(2026, 12, 31), "qualified"),
    (date(2027, 1, 1), "expired"),
])
def test_qualification_at_the_edges_of_the_certificate(on, status):
    verdict = r.qualified_on([version(officer(), 1, AT)], "14043119001", on)
    assert verdict.status == status
    assert verdict.qualified is (status == "qualified")


def test_the_reasons_name_what_is_wrong():
    history = [version(officer(), 1, AT)]
    assert r.qualified_on(history, "14043119001", date(2027, 1, 1)).reason_zh == (
        "张三的执法证件14043119001有效期至2026-12-31，2027-01-01已过期")
    assert r.qualified_on(history, "14043119001", date(2023, 6, 1)).reason_zh == (
        "张三的执法证件14043119001发证日期为2024-01-01，2023-06-01尚未生效")
    unknown = r.qualified_on(history, "X-404", date(2026, 6, 1))
    assert (unknown.status, unknown.officer, unknown.categories) == ("unknown_officer", None, ())
    assert unknown.reason_zh == "行政执法人员清单中没有执法证件号为X-404的人员"
    other = r.qualified_on(history, "14043119001", date(2026, 6, 1), category="交通运输")
    assert other.status == "category_not_covered"
    assert other.reason_zh == "张三的执法证件14043119001执法类别为能源、安全生产，不含交通运输"
    far = r.qualified_on(history, "14043119001", date(2026, 6, 1), region="安泽县")
    assert far.status == "region_not_covered"
    assert far.reason == "certificate 14043119001 of 张三 covers 沁源县, not 安泽县"


def test_an_officer_taken_off_the_register_is_not_qualified_from_that_day_china_time():
    # recorded at 17:00 UTC on 1 March: 2 March in China
    gone = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    history = [version(officer(), 1, AT), version(None, 2, gone)]
    assert r.qualified_on(history, "14043119001", date(2026, 3, 1)).qualified
    removed = r.qualified_on(history, "14043119001", date(2026, 3, 2))
    assert removed.status == "removed"
    assert removed.reason_zh == ("执法证件号为14043119001的人员已于2026-03-02"
                                 "从行政执法人员清单中移除")
    # entered again later: qualified again from then on
    back = history + [version(officer(), 3, LATER)]
    assert r.qualified_on(back, "14043119001", date(2026, 4, 1)).status == "removed"
    assert r.qualified_on(back, "14043119001", date(2026, 5, 1)).qualified


def test_a_renewal_keeps_the_earlier_period_and_a_correction_replaces_it():
    first = officer(issued_on=date(2021, 1, 1), valid_until=date(2023, 12, 31))
    renewed = officer(issued_on=date(2024, 3, 1), valid_until=date(2027, 2, 28))
    history = [version(first, 1, AT), version(renewed, 2, LATER)]
    assert r.qualified_on(history, "14043119001", date(2022, 6, 1)).officer == first
    assert r.qualified_on(history, "14043119001", date(2024, 1, 15)).status == "expired"
    assert r.qualified_on(history, "14043119001", date(2027, 2, 28)).officer == renewed
    # the same issue entered again with its end date corrected: the correction counts
    corrected = officer(issued_on=date(2021, 1, 1), valid_until=date(2022, 12, 31))
    fixed = [version(first, 1, AT), version(corrected, 2, LATER)]
    assert r.qualified_on(fixed, "14043119001", date(2023, 6, 1)).status == "expired"


def test_only_the_officers_register_answers_for_a_certificate():
    stray = r.Version("subjects", ("14043119001",), 1, officer(), AT, "x")
    assert r.qualified_on([stray], "14043119001", date(2026, 6, 1)).status == "unknown_officer"
