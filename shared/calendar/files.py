"""Calendar files: YAML overrides of the national working-day calendar (a new year's State
Council notice, agency-local closures), validated strictly because a typo here silently moves
legal deadlines. Errors name the file, the key path and the line."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.errors import ConfigurationError, flatten_messages

SHIPPED_FILE = Path(__file__).parent / "data" / "cn.yaml"
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """Keeps dates as text so marshmallow parses them (YAML's own timestamps bypass validation)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _not_before(data: dict, low: str, high: str) -> None:
    if data.get(high) and data[high] < data[low]:
        raise ValidationError("must not be before 'from'", "to")


class _HolidaySchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(load_default=None)
    days = fields.Integer(load_default=None, validate=validate.Range(min=1),
                          metadata={"description": "共N天 as the notice says: checked"})

    @validates_schema
    def _order(self, data: dict, **_: Any) -> None:
        _not_before(data, "from_", "to")


class _WorkdaySchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1))
    date = fields.Date(required=True)


class _YearSchema(_Strict):
    source = fields.String(required=True, validate=validate.Length(min=1))
    complete = fields.Boolean(load_default=False)
    holidays = fields.List(fields.Nested(_HolidaySchema), load_default=list)
    workdays = fields.List(fields.Nested(_WorkdaySchema), load_default=list)


class _ClosureSchema(_Strict):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(load_default=None)
    reason = fields.String(required=True, validate=validate.Length(min=1))
    agencies = fields.List(fields.String(validate=validate.Length(min=1)),
                           load_default=None, validate=validate.Length(min=1))

    @validates_schema
    def _order(self, data: dict, **_: Any) -> None:
        _not_before(data, "from_", "to")


class _FileSchema(_Strict):
    # Each year is validated on its own so its errors can carry the year in their path.
    years = fields.Dict(keys=fields.Raw(), values=fields.Raw(), load_default=dict)
    closures = fields.List(fields.Nested(_ClosureSchema), load_default=list)


@dataclass(frozen=True)
class YearEntry:
    year: int
    source: str
    complete: bool
    holidays: tuple[tuple[date, str], ...]   # one entry per day, ranges expanded
    workdays: tuple[tuple[date, str], ...]


@dataclass(frozen=True)
class Closure:
    start: date
    end: date
    reason: str
    agencies: frozenset[str] | None   # None: every agency using this calendar

    def applies(self, day: date, agency: str | None) -> bool:
        return self.start <= day <= self.end and (
            self.agencies is None or agency in self.agencies)


@dataclass(frozen=True)
class CalendarFile:
    path: str
    years: tuple[YearEntry, ...]
    closures: tuple[Closure, ...]

    @property
    def canonical(self) -> str:
        """Content as canonical JSON: the fingerprint changes with meaning, not with comments."""
        iso = lambda pairs: [[d.isoformat(), name] for d, name in sorted(pairs)]
        return json.dumps({
            "years": {str(y.year): {"source": y.source, "complete": y.complete,
                                    "holidays": iso(y.holidays), "workdays": iso(y.workdays)}
                      for y in self.years},
            "closures": [[c.start.isoformat(), c.end.isoformat(), c.reason,
                          sorted(c.agencies) if c.agencies is not None else None]
                         for c in self.closures],
        }, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def load_file(path: str | Path) -> CalendarFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"calendar file {path}: cannot read: {exc.strerror}",
                                 message_zh=f"无法读取工作日历文件 {path}：{exc.strerror}",
                                 details={"file": str(path)}) from exc
    return parse(text, str(path))


def parse(text: str, path: str = "<calendar>") -> CalendarFile:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"calendar file {path}: not valid YAML: {exc}",
                                 message_zh=f"工作日历文件 {path} 不是有效的 YAML：{exc}",
                                 details={"file": path}) from exc
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    _walk(node, "", lines, errors)
    calendar_file = _build(data, path, errors)
    if errors or calendar_file is None:
        _raise(path, errors, lines)
    return calendar_file


def _walk(node: yaml.Node | None, prefix: str, lines: dict[str, int],
          errors: dict[str, list[str]]) -> None:
    """Line of every key path, and duplicate keys (PyYAML would silently keep the last)."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            if path in seen:
                errors.setdefault(path, []).append("duplicate key")
            seen.add(path)
            lines[path] = key_node.start_mark.line + 1
            _walk(value, path, lines, errors)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            path = f"{prefix}.{i}" if prefix else str(i)
            lines[path] = value.start_mark.line + 1
            _walk(value, path, lines, errors)


def _build(data: Any, path: str, errors: dict[str, list[str]]) -> CalendarFile | None:
    if not isinstance(data, dict):
        errors["_schema"] = ["a calendar file is a mapping with the keys 'years' and 'closures'"]
        return None
    try:
        top = _FileSchema().load(data)
    except ValidationError as exc:
        errors.update(flatten_messages(exc.messages))
        top = None
    raw_years = data.get("years")
    years = [_year(key, raw, errors) for key, raw in
             (raw_years.items() if isinstance(raw_years, dict) else ())]
    if errors or top is None or None in years:
        return None
    closures = tuple(Closure(c["from_"], c["to"] or c["from_"], c["reason"],
                             frozenset(c["agencies"]) if c["agencies"] else None)
                     for c in top["closures"])
    return CalendarFile(path, tuple(sorted((y for y in years if y is not None),
                                           key=lambda y: y.year)), closures)


def _year(key: Any, raw: Any, errors: dict[str, list[str]]) -> YearEntry | None:
    where = f"years.{key}"
    year = key if isinstance(key, int) and not isinstance(key, bool) else (
        int(key) if isinstance(key, str) and key.isdigit() else None)
    if year is None or not 1949 <= year <= 2200:
        errors[where] = ["the key must be a year such as 2027"]
        return None
    try:
        loaded = _YearSchema().load(raw if raw is not None else {})
    except ValidationError as exc:
        errors.update(flatten_messages(exc.messages, where))
        return None
    holidays = _holidays(loaded["holidays"], year, where, errors)
    workdays = _workdays(loaded, holidays, year, where, errors)
    if loaded["complete"] and not holidays:
        errors[f"{where}.holidays"] = ["a complete year must list its holidays"]
    return YearEntry(year, loaded["source"], loaded["complete"], tuple(holidays), tuple(workdays))


def _holidays(blocks_of: list[dict], year: int, where: str,
              errors: dict[str, list[str]]) -> list[tuple[date, str]]:
    """Every rest day of the year's holiday blocks, each block within the year, its 共N天
    right, no day in two blocks."""
    holidays: list[tuple[date, str]] = []
    blocks: dict[date, int] = {}
    for i, h in enumerate(blocks_of):
        day, last = h["from_"], h["to"] or h["from_"]
        if not (_in_year(day, year, f"{where}.holidays.{i}.from", errors)
                & _in_year(last, year, f"{where}.holidays.{i}.to", errors)):
            continue
        span = (last - day).days + 1
        if h["days"] is not None and h["days"] != span:
            errors[f"{where}.holidays.{i}.days"] = [
                f"says {h['days']} days but {day} to {last} is {span}"]
        while day <= last:
            if day in blocks:
                errors.setdefault(f"{where}.holidays.{i}", []).append(
                    f"{day} is also in holidays.{blocks[day]}: blocks must not overlap")
                break
            blocks[day] = i
            holidays.append((day, h["name"]))
            day += timedelta(days=1)
    return holidays


def _workdays(loaded: dict, holidays: list[tuple[date, str]], year: int, where: str,
              errors: dict[str, list[str]]) -> list[tuple[date, str]]:
    """The make-up working days (调休上班): none a holiday; in a complete year each a weekend
    day and naming one of the year's holidays."""
    workdays: list[tuple[date, str]] = []
    rest_days = {d for d, _ in holidays}
    names = {name for _, name in holidays}
    for i, w in enumerate(loaded["workdays"]):
        at = f"{where}.workdays.{i}.date"
        _in_year(w["date"], year, at, errors)
        if w["date"] in rest_days:
            errors[at] = ["also listed as a holiday"]
        elif loaded["complete"] and w["date"].weekday() < 5:
            # (an amendment may restore a weekday it or an earlier file made a rest day)
            errors[at] = [f"{w['date']} is a {WEEKDAYS_ZH[w['date'].weekday()]}: a make-up "
                          "working day (调休上班) is a Saturday or Sunday"]
        if loaded["complete"] and w["name"] not in names:
            errors[f"{where}.workdays.{i}.name"] = [
                f"{w['name']!r} names no holiday of {year} in this entry: a make-up day "
                "belongs to a holiday"]
        workdays.append((w["date"], w["name"]))
    return workdays


def _in_year(day: date, year: int, where: str, errors: dict[str, list[str]]) -> bool:
    # A notice may arrange the New Year break from late December of the year before.
    if day.year == year or (day.year == year - 1 and day.month == 12):
        return True
    errors.setdefault(where, []).append(f"{day} is outside {year} (or December {year - 1})")
    return False


def _raise(path: str, errors: dict[str, list[str]], lines: dict[str, int]) -> NoReturn:
    items: list[dict[str, Any]] = []
    for key, messages in sorted(errors.items()):
        probe, line = key, None
        while probe and line is None:   # a missing key has no line: use its parent's
            line = lines.get(probe)
            probe = probe.rpartition(".")[0]
        items.append({"path": key, "line": line, "messages": messages})
    text = "; ".join(f"{i['path']}" + (f" (line {i['line']})" if i["line"] else "")
                     + f": {' '.join(i['messages'])}" for i in items)
    raise ConfigurationError(f"invalid calendar file {path}: {text}",
                             message_zh=f"工作日历文件 {path} 无效（各项问题见英文说明）：{text}",
                             details={"file": path, "errors": items})
