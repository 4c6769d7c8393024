"""The registers published before enforcement (事前公开, 000 第八条、第九条; 002 第九条、第十条;
004 第十至十五条): who may enforce, who enforces, what, on which basis and how — each a table of
typed entries under Chinese column headers, read one row at a time, kept as versions.

A register entry is never changed in place: a change is a new version of the entry, a removal
a version that takes it off the register (`revise`), and the register on any day is read back
from its versions (`current`, `as_of`). An officer is public while the certificate is valid:
from its 发证日期 through its 有效期 end date inclusive (`valid_on`). The seeds name the 有效期
(000 第九条（三）) but not its last day; the last day of a period runs to 24:00 (民法典
第二百零三条第二款), so the officer leaves the public register on the next day. These are the
certificate's own calendar dates: no working-day rule moves them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final, Generic, Literal, TypeVar

from shared.calendar.clock import local_date
from shared.errors import ValidationFailed

Value = str | date | tuple[str, ...] | None
ColumnType = Literal["text", "date", "list", "choice", "code"]

SHORT: Final = 100     # a name, a number, a place
MEDIUM: Final = 1000   # a sentence or two: a basis, a ratio, a remedy
LONG: Final = 10000    # a procedure, a list of materials, the text of an article

# the enforcement acts of 004 第三条 (the 类别 of an item list and of a flow chart)
ACTS: Final = ("行政检查", "行政处罚", "行政强制", "行政许可", "行政确认", "行政登记", "行政征收",
               "行政征用", "行政收费", "行政给付", "行政裁决")
# a 权责清单 lists every power of the agency, not only enforcement: the national catalogue's
# further kinds besides 004 第三条's
POWERS: Final = (*ACTS, "行政奖励", "其他行政权力")
# 执法依据: "法律、法规、规章" (000 第九条（四）) and 规范性文件 (004 第三条)
LEVELS: Final = ("法律", "行政法规", "地方性法规", "自治条例和单行条例", "部门规章", "地方政府规章",
                 "规范性文件")
# why a register was revised (000《公示办法》第十八条, 002 第十七条, 004 第二十条: a change of the
# laws it rests on 立改废释, of the agency's functions 职能调整, or another reason), as shown
REVISION_REASONS: Final[Mapping[str, str]] = {
    "law_changed": "法律、法规、规章立改废释", "functions_changed": "机构职能调整", "other": "其他"}
FIRST_DAY: Final = date(1949, 10, 1)
LAST_DAY: Final = date(2099, 12, 31)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: ColumnType = "text"
    required: bool = True
    max_length: int = SHORT
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One row of a register; frozen — a change is a new version, never an edit."""


@dataclass(frozen=True, kw_only=True)
class Subject(Entry):
    name: str
    duties: str
    region: str
    authority: str | None = None
    internal_units: str | None = None
    division: str | None = None
    jurisdiction: str | None = None
    enforcement_types: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class EntrustedOrganisation(Entry):
    name: str
    entrusting_agency: str
    basis: str
    matters: str
    authority: str
    term_from: date
    term_until: date
    liability: str


@dataclass(frozen=True, kw_only=True)
class Officer(Entry):
    name: str
    unit: str
    position: str
    certificate_no: str
    valid_until: date
    categories: tuple[str, ...]
    regions: tuple[str, ...]
    department: str | None = None
    issued_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class ListedItem(Entry):
    category: str
    item_name: str
    basis: str
    agency: str
    remedy: str
    discretion: str | None = None
    time_limit: str | None = None


@dataclass(frozen=True, kw_only=True)
class Power(ListedItem):
    """A row of the 权责清单."""


@dataclass(frozen=True, kw_only=True)
class EnforcementItem(ListedItem):
    """A row of the 行政执法事项清单."""


@dataclass(frozen=True, kw_only=True)
class InspectionItem(Entry):
    item_name: str
    basis: str
    inspector: str
    target: str
    content: str
    method: str
    ratio_frequency: str


@dataclass(frozen=True, kw_only=True)
class LegalBasis(Entry):
    title: str
    level: str
    article: str | None = None
    content: str | None = None
    issuer: str | None = None
    effective_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class DiscretionStandard(Entry):
    item_name: str
    violation: str
    basis: str
    circumstance: str
    standard: str


@dataclass(frozen=True, kw_only=True)
class ServiceGuide(Entry):
    item_name: str
    agency: str
    conditions: str
    materials: str
    process: str
    time_limit: str
    fee_basis: str
    supervision: str
    remedy: str
    place: str | None = None
    contact: str | None = None
    sample_text: str | None = None


@dataclass(frozen=True, kw_only=True)
class FlowChart(Entry):
    item_name: str
    steps: str
    category: str | None = None
    chart: str | None = None


@dataclass(frozen=True)
class RegisterKind:
    code: str
    title: str   # the sheet's name, too (≤ 31 characters)
    basis: str
    entry: type[Entry]
    columns: tuple[Column, ...]
    key: tuple[str, ...]          # the columns that name one entry of the register
    # (earlier, later): a date column that may not fall after another
    order: tuple[tuple[str, str], ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _listed(code: str, title: str, basis: str, entry: type[ListedItem],
            categories: tuple[str, ...]) -> RegisterKind:
    return RegisterKind(code, title, basis, entry, (
        Column("category", "类别", "choice", choices=categories),
        Column("item_name", "事项名称", max_length=MEDIUM),
        Column("basis", "执法依据", max_length=LONG),
        Column("discretion", "裁量基准", required=False, max_length=LONG),
        Column("agency", "执法机构"),
        Column("time_limit", "时限", required=False),
        Column("remedy", "救济渠道", max_length=MEDIUM),
    ), ("category", "item_name"))


KINDS: Final = (
    RegisterKind("subjects", "行政执法主体名录",
                 "000 第八条、第九条（一）；002 第九条、第十条（一）；004 第十条第二款", Subject, (
                     Column("name", "机关名称"),
                     Column("duties", "职责", max_length=LONG),
                     Column("authority", "权限", required=False, max_length=LONG),
                     Column("internal_units", "内设执法机构", required=False, max_length=MEDIUM),
                     Column("division", "职责分工", required=False, max_length=LONG),
                     Column("jurisdiction", "管辖范围", required=False, max_length=MEDIUM),
                     Column("enforcement_types", "执法类型", "list", required=False),
                     Column("region", "执法区域", max_length=MEDIUM),
                 ), ("name",)),
    RegisterKind("entrusted", "受委托组织", "000 第八条；004 第十条第三款", EntrustedOrganisation, (
        Column("name", "受委托组织名称"),
        Column("entrusting_agency", "委托机关"),
        Column("basis", "委托依据", max_length=MEDIUM),
        Column("matters", "委托事项", max_length=LONG),
        Column("authority", "委托权限", max_length=MEDIUM),
        Column("term_from", "委托期限自", "date"),
        Column("term_until", "委托期限至", "date"),
        Column("liability", "法律责任", max_length=MEDIUM),
    ), ("name", "entrusting_agency"), (("term_from", "term_until"),)),
    RegisterKind("officers", "行政执法人员清单",
                 "000 第九条（三）；002 第十条（三）；004 第十一条第二款", Officer, (
                     Column("name", "姓名", max_length=50),
                     Column("unit", "单位"),
                     Column("department", "所属机构", required=False),
                     Column("position", "职务"),
                     Column("certificate_no", "执法证件号", "code", max_length=40),
                     Column("issued_on", "发证日期", "date", required=False),
                     Column("valid_until", "有效期", "date"),
                     Column("categories", "执法类别", "list"),
                     Column("regions", "执法区域", "list"),
                 ), ("certificate_no",), (("issued_on", "valid_until"),)),
    _listed("powers", "权责清单", "000 第九条（二）；002 第十条（二）", Power, POWERS),
    _listed("items", "行政执法事项清单", "000 第九条（二）；002 第十条（二）（四）（五）；"
            "004 第十二条第二款", EnforcementItem, ACTS),
    RegisterKind("inspections", "随机抽查事项清单", "000 第九条（二）；002 第十条（二）；"
                 "004 第十三条第二款", InspectionItem, (
                     Column("item_name", "抽查事项", max_length=MEDIUM),
                     Column("basis", "抽查依据", max_length=LONG),
                     Column("inspector", "抽查主体"),
                     Column("target", "抽查对象", max_length=MEDIUM),
                     Column("content", "抽查内容", max_length=LONG),
                     Column("method", "抽查方式", max_length=MEDIUM),
                     Column("ratio_frequency", "抽查比例和频次", max_length=MEDIUM),
                 ), ("item_name",)),
    RegisterKind("legal_bases", "执法依据", "000 第九条（四）；002 第十条（四）", LegalBasis, (
        Column("title", "依据名称", max_length=MEDIUM),
        Column("level", "效力层级", "choice", choices=LEVELS),
        Column("article", "条款", required=False),
        Column("content", "条款内容", required=False, max_length=LONG),
        Column("issuer", "制定机关", required=False),
        Column("effective_on", "施行日期", "date", required=False),
    ), ("title", "article")),
    RegisterKind("discretion", "裁量基准", "000 第九条（四）；002 第十条（四）；004 第十二条第二款",
                 DiscretionStandard, (
                     Column("item_name", "事项名称", max_length=MEDIUM),
                     Column("violation", "违法行为", max_length=MEDIUM),
                     Column("basis", "法律依据", max_length=LONG),
                     Column("circumstance", "裁量情形", max_length=MEDIUM),
                     Column("standard", "裁量基准", max_length=LONG),
                 ), ("item_name", "circumstance")),
    RegisterKind("service_guides", "服务指南", "000 第九条（五）；002 第十条（六）；004 第十五条",
                 ServiceGuide, (
                     Column("item_name", "事项名称", max_length=MEDIUM),
                     Column("agency", "实施机构"),
                     Column("conditions", "受理条件", max_length=LONG),
                     Column("materials", "申请材料", max_length=LONG),
                     Column("process", "办理流程", max_length=LONG),
                     Column("time_limit", "承诺时限"),
                     Column("fee_basis", "收费依据", max_length=MEDIUM),
                     Column("supervision", "监督方式", max_length=MEDIUM),
                     Column("remedy", "救济渠道", max_length=MEDIUM),
                     Column("place", "办理场所", required=False, max_length=MEDIUM),
                     Column("contact", "联系方式", required=False),
                     Column("sample_text", "示范文本", required=False, max_length=MEDIUM),
                 ), ("item_name",)),
    RegisterKind("flow_charts", "行政执法流程图",
                 "000 第九条（五）；002 第十条（六）；004 第十四条", FlowChart, (
                     Column("item_name", "事项名称", max_length=MEDIUM),
                     Column("category", "类别", "choice", required=False, choices=ACTS),
                     Column("steps", "步骤和环节", max_length=LONG),
                     Column("chart", "流程图文件", required=False, max_length=200),
                 ), ("item_name",)),
)
KIND: Final[Mapping[str, RegisterKind]] = {k.code: k for k in KINDS}
_OF_TYPE: Final[Mapping[type[Entry], RegisterKind]] = {k.entry: k for k in KINDS}


def kind_of(entry: Entry) -> RegisterKind:
    return _OF_TYPE[type(entry)]


def values(entry: Entry) -> dict[str, Value]:
    """The entry's fields by key, in the register's column order."""
    return {c.key: getattr(entry, c.key) for c in kind_of(entry).columns}


def key_of(entry: Entry) -> tuple[str, ...]:
    kind = kind_of(entry)
    return tuple(_text(getattr(entry, k)) for k in kind.key)


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "、".join(value)
    return value.isoformat() if isinstance(value, date) else value


def as_cell(value: Value) -> str | date | None:
    """A field as a spreadsheet cell holds it: dates stay dates, lists are joined with 、."""
    if isinstance(value, tuple):
        return "、".join(value) if value else None
    return value


# ---- reading one row ---------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    """A rule one cell broke: the row (as the sheet numbers it), the column by its Chinese
    header and its field key, and the rule in English and Chinese."""
    kind: str
    sheet: str
    row: int
    key: str
    header: str
    rule: str
    en: str
    zh: str

    @property
    def message(self) -> str:
        column = f"{self.key} ({self.header})" if self.key else f"「{self.header}」"
        return f"{self.sheet} row {self.row}, {column}: {self.en}"

    @property
    def message_zh(self) -> str:
        return f"第{self.row}行「{self.header}」：{self.zh}"

    @property
    def path(self) -> str:
        return f"{self.kind or self.sheet}.{self.row}.{self.key or self.header}"


@dataclass(frozen=True)
class Problem:
    rule: str
    en: str
    zh: str


DATE_FORMATS: Final = tuple(re.compile(p) for p in (
    r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})",
    r"(\d{4})\.(\d{1,2})\.(\d{1,2})", r"(\d{4})年(\d{1,2})月(\d{1,2})日"))
CODE: Final = re.compile(r"[0-9A-Za-z\u4e00-\u9fff-]+")
# control characters but tab and line feed (a cell may break its line)
CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LIST_SEPARATORS: Final = re.compile(r"[、，,；;\n]")

REQUIRED: Final = Problem("required", "is required", "必填")
DATE_FORMAT: Final = Problem("date_format", "date must be YYYY-MM-DD",
                             "日期格式应为YYYY-MM-DD")
NOT_A_DAY: Final = Problem("not_a_day", "is not a day of the calendar", "不是有效的日期")
DATE_RANGE: Final = Problem(
    "date_range", f"must lie between {FIRST_DAY} and {LAST_DAY}",
    f"应在{FIRST_DAY:%Y年%m月%d日}至{LAST_DAY:%Y年%m月%d日}之间")
WITH_TIME: Final = Problem("date_with_time", "must be a date without a time of day",
                           "应为日期，不含时刻")
NOT_TEXT: Final = Problem("not_text", "must be text", "应为文字")
CONTROL_CHAR: Final = Problem("control_character", "contains a control character",
                              "含有不可见的控制字符")
BAD_CODE: Final = Problem("code_characters",
                          "may hold only letters, digits, Chinese characters and hyphens",
                          "只能由字母、数字、汉字和连字符组成")


def _too_long(limit: int) -> Problem:
    return Problem("too_long", f"must be at most {limit} characters", f"不得超过{limit}个字符")


def _not_a_choice(choices: tuple[str, ...]) -> Problem:
    return Problem("choice", "must be one of: " + ", ".join(choices),
                   "应为下列之一：" + "、".join(choices))


def _normalised(raw: object) -> str | date | Problem | None:
    """What a cell holds, as text or a date: text trimmed, whole numbers as their digits
    (a certificate number typed as a number), an Excel date-time at midnight as its day."""
    if isinstance(raw, datetime):
        return raw.date() if raw.time() == time(0) else WITH_TIME
    if isinstance(raw, str):
        return raw.strip() or None
    if raw is None or isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        return NOT_TEXT
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    return WITH_TIME if isinstance(raw, time) else NOT_TEXT


def _date(value: str | date) -> tuple[Value, Problem | None]:
    if isinstance(value, str):
        found = next((m for m in (f.fullmatch(value) for f in DATE_FORMATS) if m), None)
        if found is None:
            return None, DATE_FORMAT
        try:
            value = date(*(int(g) for g in found.groups()))
        except ValueError:
            return None, NOT_A_DAY
    if not FIRST_DAY <= value <= LAST_DAY:
        return None, DATE_RANGE
    return value, None


def _text_cell(column: Column, text: str) -> tuple[Value, Problem | None]:
    if len(text) > column.max_length:
        return None, _too_long(column.max_length)
    if CONTROL.search(text):
        return None, CONTROL_CHAR
    if column.type == "list":
        items = tuple(dict.fromkeys(i.strip() for i in LIST_SEPARATORS.split(text) if i.strip()))
        return (items, None) if items else ((), REQUIRED if column.required else None)
    if column.type == "choice" and text not in column.choices:
        return None, _not_a_choice(column.choices)
    if column.type == "code" and not CODE.fullmatch(text):
        return None, BAD_CODE
    return text, None


def read_cell(column: Column, raw: object) -> tuple[Value, Problem | None]:
    """One cell as the column's value, or the rule it breaks."""
    value = _normalised(raw)
    if isinstance(value, Problem):
        return None, value
    if value is None:
        empty: Value = () if column.type == "list" else None
        return empty, REQUIRED if column.required else None
    if column.type == "date":
        return _date(value)
    if isinstance(value, date):
        return None, NOT_TEXT
    return _text_cell(column, value)


def _order_problems(kind: RegisterKind, row: int, got: Mapping[str, Value]) -> list[RowError]:
    out = []
    for earlier, later in kind.order:
        first, last = got.get(earlier), got.get(later)
        if isinstance(first, date) and isinstance(last, date) and first > last:
            before = kind.column(earlier)
            out.append(_error(kind, row, kind.column(later), Problem(
                "date_order", f"must not be before {before.key} ({before.header})",
                f"不得早于「{before.header}」")))
    return out


def _error(kind: RegisterKind, row: int, column: Column, problem: Problem) -> RowError:
    return RowError(kind.code, kind.title, row, column.key, column.header, problem.rule,
                    problem.en, problem.zh)


def read_row(kind: RegisterKind, row: int,
             raw: Mapping[str, object]) -> tuple[Entry | None, tuple[RowError, ...]]:
    """One row (cells by field key, as the sheet or a caller gives them) as an entry, or every
    rule its cells break."""
    got: dict[str, Value] = {}
    errors = []
    for column in kind.columns:
        value, problem = read_cell(column, raw.get(column.key))
        if problem is not None:
            errors.append(_error(kind, row, column, problem))
        else:
            got[column.key] = value
    errors.extend(_order_problems(kind, row, got))
    if errors:
        return None, tuple(errors)
    make: Callable[..., Entry] = kind.entry
    return make(**got), ()


def read_rows(kind: RegisterKind, rows: Iterable[tuple[int, Mapping[str, object]]]
              ) -> tuple[tuple[Entry, ...], tuple[RowError, ...]]:
    """A whole register, row by row: every entry read, and every error of every row — a
    broken cell, and an entry named twice (the later row is at fault)."""
    entries: list[Entry] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, ...], int] = {}
    for row, raw in rows:
        entry, problems = read_row(kind, row, raw)
        errors.extend(problems)
        if entry is None:
            continue
        key = key_of(entry)
        if key in seen:
            errors.append(_duplicate(kind, row, seen[key]))
        else:
            seen[key] = row
            entries.append(entry)
    return tuple(entries), tuple(errors)


def _duplicate(kind: RegisterKind, row: int, first: int) -> RowError:
    named = [kind.column(k) for k in kind.key]
    return _error(kind, row, named[-1], Problem(
        "duplicate", f"names the same entry as row {first} "
        f"({', '.join(c.key for c in named)})",
        f"与第{first}行的" + "".join(f"「{c.header}」" for c in named) + "相同"))


def refusal(errors: Sequence[RowError], *, what: str = "register", shown: int = 50
            ) -> ValidationFailed:
    """The refusal of a register with these errors: every error in its details (path → rule);
    its messages name the first `shown` by sheet, row and column."""
    head = errors[:shown]
    more = len(errors) - len(head)
    en = "; ".join(e.message for e in head) + (f"; and {more} more" if more else "")
    zh = "；".join(f"{e.sheet}{e.message_zh}" for e in head) + (f"；另有{more}处" if more else "")
    details: dict[str, list[str]] = {}
    for e in errors:
        details.setdefault(e.path, []).append(e.en)
    return ValidationFailed(f"invalid {what}: {en}",
                            message_zh=f"{ValidationFailed.message_zh}：{zh}", details=details)


# ---- versions ----------------------------------------------------------------------------

E = TypeVar("E", bound=Entry)


@dataclass(frozen=True)
class Version(Generic[E]):
    """The entry as one change left it; `entry` None: that change took it off the register."""
    kind: str
    key: tuple[str, ...]
    number: int
    entry: E | None
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Change(Generic[E]):
    before: E
    after: E
    fields: tuple[str, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        kind = kind_of(self.after)
        return tuple(kind.column(f).header for f in self.fields)


@dataclass(frozen=True)
class RegisterDiff(Generic[E]):
    added: tuple[E, ...]
    changed: tuple[Change[E], ...]
    removed: tuple[E, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def changed_fields(before: Entry, after: Entry) -> tuple[str, ...]:
    old, new = values(before), values(after)
    return tuple(k for k in new if old[k] != new[k])


def _keyed(kind: RegisterKind, entries: Iterable[E]) -> dict[tuple[str, ...], E]:
    out: dict[tuple[str, ...], E] = {}
    for entry in entries:
        if kind_of(entry) is not kind:
            raise TypeError(f"{type(entry).__name__} is not an entry of {kind.code}")
        key = key_of(entry)
        if key in out:
            raise _named_twice(kind, key)
        out[key] = entry
    return out


def _named_twice(kind: RegisterKind, key: tuple[str, ...]) -> ValidationFailed:
    headers = "、".join(kind.column(k).header for k in kind.key)
    return ValidationFailed(
        f"{kind.code}: the entry {' / '.join(key)} is given twice",
        message_zh=f"{kind.title}中{headers}为「{' / '.join(key)}」的条目重复",
        details={f"{kind.code}.{'/'.join(key)}": ["given twice"]})


def diff(kind: RegisterKind, before: Iterable[E], after: Iterable[E]) -> RegisterDiff[E]:
    """What changed from one version of a register to another: entries added, changed (and
    which fields), removed — an entry is the same entry while its key columns are."""
    old, new = _keyed(kind, before), _keyed(kind, after)
    changed = tuple(Change(old[k], e, changed_fields(old[k], e))
                    for k, e in new.items() if k in old and old[k] != e)
    return RegisterDiff(tuple(e for k, e in new.items() if k not in old), changed,
                        tuple(e for k, e in old.items() if k not in new))


def current(history: Iterable[Version[E]]) -> tuple[E, ...]:
    """The register as its latest versions leave it, in the order its entries first came."""
    latest: dict[tuple[str, ...], Version[E]] = {}
    for v in history:
        if v.key not in latest or v.number > latest[v.key].number:
            latest[v.key] = v
    return tuple(v.entry for v in latest.values() if v.entry is not None)


def as_of(history: Iterable[Version[E]], at: datetime) -> tuple[E, ...]:
    """The register as it stood at `at`: no version recorded later counts."""
    return current(v for v in history if v.recorded_at <= at)


def revise(kind: RegisterKind, history: Sequence[Version[E]], register: Iterable[E], *,
           at: datetime, by: str, complete: bool = True) -> tuple[Version[E], ...]:
    """The versions to append when the register becomes `register` (`complete`: the whole
    register, so an entry missing from it is taken off; otherwise only these entries are
    added or changed). Nothing already recorded changes; an unchanged entry gets no version."""
    numbers: dict[tuple[str, ...], int] = {}
    for v in history:
        numbers[v.key] = max(numbers.get(v.key, 0), v.number)
    change = diff(kind, current(history), register)

    def version(entry: E, gone: bool = False) -> Version[E]:
        key = key_of(entry)
        return Version(kind.code, key, numbers.get(key, 0) + 1, None if gone else entry, at, by)

    out = [version(e) for e in change.added] + [version(c.after) for c in change.changed]
    if complete:
        out += [version(e, gone=True) for e in change.removed]
    return tuple(out)


# ---- officers ----------------------------------------------------------------------------

Status = Literal["qualified", "unknown_officer", "removed", "not_yet_valid", "expired",
                 "category_not_covered", "region_not_covered"]


@dataclass(frozen=True)
class Qualification:
    """Was the holder of this certificate qualified to enforce on that day, and for what."""
    certificate_no: str
    on: date
    status: Status
    officer: Officer | None
    reason: str
    reason_zh: str

    @property
    def qualified(self) -> bool:
        return self.status == "qualified"

    @property
    def categories(self) -> tuple[str, ...]:
        return self.officer.categories if self.officer else ()

    @property
    def regions(self) -> tuple[str, ...]:
        return self.officer.regions if self.officer else ()


def valid_on(officer: Officer, day: date) -> bool:
    """From the 发证日期 (when given) through the 有效期 end date, both days included."""
    return (officer.issued_on is None or officer.issued_on <= day) and day <= officer.valid_until


def public_officers(register: Iterable[Officer], today: date) -> tuple[Officer, ...]:
    """The officers the public register shows today: whose certificate is valid today. An
    officer whose certificate ended yesterday is not shown from today on."""
    return tuple(o for o in register if valid_on(o, today))


def lapsed(register: Iterable[Officer], since: date, today: date) -> tuple[Officer, ...]:
    """The officers shown on `since` whose certificate has ended by `today` (the last valid
    day on or after `since`, before `today`): those who have left the public register."""
    return tuple(o for o in register if since <= o.valid_until < today and valid_on(o, since))


def _issues(versions: Sequence[Version[Officer]]) -> list[Officer]:
    """The certificate's issues still standing: a later version replaces every earlier one
    issued on the same day or later (a correction), and leaves earlier issues standing (a
    renewal keeps the number and gives a later 发证日期)."""
    standing: list[Officer] = []
    for v in sorted(versions, key=lambda v: v.number):
        if v.entry is None:
            continue
        issued = v.entry.issued_on or date.min
        standing = [o for o in standing if (o.issued_on or date.min) < issued] + [v.entry]
    return standing


def _struck_off(versions: Sequence[Version[Officer]], on: date) -> Version[Officer] | None:
    """The version that took the officer off the register, when the register as it stood on
    that day (versions recorded up to its end, China time) no longer held the officer."""
    known = [v for v in versions if local_date(v.recorded_at) <= on]
    last = max(known, key=lambda v: v.number, default=None)
    return last if last is not None and last.entry is None else None


def qualified_on(officer_versions: Iterable[Version[Officer]], certificate_no: str, on: date,
                 *, category: str | None = None, region: str | None = None) -> Qualification:
    """Was the certificate valid on `on` (and, when asked, for this 执法类别 and 执法区域)?
    Judged on every version of the officers register that names the certificate."""
    number = certificate_no.strip()
    versions = [v for v in officer_versions if v.kind == "officers" and v.key == (number,)]
    if not versions:
        return _verdict(number, on, "unknown_officer", None)
    gone = _struck_off(versions, on)
    if gone is not None:
        return _verdict(number, on, "removed", None, local_date(gone.recorded_at))
    issues = _issues(versions)
    began = [o for o in issues if o.issued_on is None or o.issued_on <= on]
    if not began:
        return _verdict(number, on, "not_yet_valid", min(issues, key=_issued))
    officer = max(began, key=_issued)
    if on > officer.valid_until:
        return _verdict(number, on, "expired", officer)
    if category is not None and category not in officer.categories:
        return _verdict(number, on, "category_not_covered", officer, category)
    if region is not None and region not in officer.regions:
        return _verdict(number, on, "region_not_covered", officer, region)
    return _verdict(number, on, "qualified", officer)


def _issued(officer: Officer) -> date:
    return officer.issued_on or date.min


def _verdict(number: str, on: date, status: Status, officer: Officer | None,
             what: Any = None) -> Qualification:
    en, zh = REASONS[status]
    facts = {"no": number, "on": on.isoformat(), "what": what,
             "issued": officer.issued_on if officer else None,
             "until": officer.valid_until if officer else None,
             "name": officer.name if officer else "",
             "categories": "、".join(officer.categories) if officer else "",
             "regions": "、".join(officer.regions) if officer else ""}
    return Qualification(number, on, status, officer, en.format(**facts), zh.format(**facts))


REASONS: Final[Mapping[Status, tuple[str, str]]] = {
    "qualified": ("{name} holds certificate {no}, valid on {on} (through {until}) for "
                  "{categories} in {regions}",
                  "{name}持有执法证件{no}，{on}在有效期内（有效期至{until}），执法类别：{categories}，"
                  "执法区域：{regions}"),
    "unknown_officer": ("no officer with certificate {no} is on the officers register",
                        "行政执法人员清单中没有执法证件号为{no}的人员"),
    "removed": ("the officer with certificate {no} was taken off the officers register on "
                "{what}", "执法证件号为{no}的人员已于{what}从行政执法人员清单中移除"),
    "not_yet_valid": ("certificate {no} of {name} was issued on {issued}, after {on}",
                      "{name}的执法证件{no}发证日期为{issued}，{on}尚未生效"),
    "expired": ("certificate {no} of {name} was valid through {until}; it had expired on {on}",
                "{name}的执法证件{no}有效期至{until}，{on}已过期"),
    "category_not_covered": ("certificate {no} of {name} covers {categories}, not {what}",
                             "{name}的执法证件{no}执法类别为{categories}，不含{what}"),
    "region_not_covered": ("certificate {no} of {name} covers {regions}, not {what}",
                           "{name}的执法证件{no}执法区域为{regions}，不含{what}"),
}
