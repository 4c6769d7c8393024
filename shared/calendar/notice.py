"""A new year's State Council notice (国务院办公厅关于XXXX年部分节假日安排的通知) loaded into a
deployment's calendar file: checked harder than any calendar file (shared.calendar.files),
compared with what the calendar said before, and written in beside the years already there.

A notice file is a calendar file with exactly one year, `complete: true` (the notice lists
every 放假 and 调休上班 day; nothing is left to a weekday guess) and no closures; its
`source` names the notice of that very year; every holiday is named after the festivals of
the 全国年节及纪念日放假办法 and every make-up working day after one of the notice's
holidays. The shipped data/cn.yaml documents the format."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

from shared.calendar.files import YearEntry, load_file, parse
from shared.calendar.legal import Calendar
from shared.errors import ConfigurationError

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")

_HEADER = """\
# Legal calendar file of this deployment: State Council notices loaded with
#   sanxiang calendar load NOTICE --into {name}
# (each checked, and compared with what the calendar said before). The format is documented
# in the shipped shared/calendar/data/cn.yaml.
"""


@dataclass(frozen=True)
class Change:
    day: date
    before: str        # "rest day 休息日 (why)", "workday 工作日", or "not covered 未覆盖"
    after: str


@dataclass(frozen=True)
class Loaded:
    year: int
    source: str
    previous_source: str | None     # the same year's entry the file held before, if any
    newly_covered: bool             # no calendar covered the year before
    changes: tuple[Change, ...]     # days whose status differs from before
    holidays: tuple[tuple[date, str], ...]
    workdays: tuple[tuple[date, str], ...]

    def report(self) -> str:
        lines = [f"{self.year}: {self.source}"]
        if self.previous_source and self.previous_source != self.source:
            lines.append(f"  replaces: {self.previous_source}")
        if self.newly_covered:
            lines.append(f"  newly covered 新增覆盖: {self.year} was not covered before")
            lines += [f"  {d}  放假 {name}" for d, name in self.holidays]
            lines += [f"  {d}  调休上班 {name}" for d, name in self.workdays]
        elif not self.changes:
            lines.append("  no change 无变化: every day is as the calendar said before")
        else:
            lines.append(f"  changed 变化 ({len(self.changes)} days):")
            lines += [f"  {c.day}  {c.before} -> {c.after}" for c in self.changes]
        return "\n".join(lines)


def read_notice(path: str | Path) -> YearEntry:
    """The notice's one year, or ConfigurationError naming the file and every problem."""
    notice = load_file(path)
    problems: list[str] = []
    if len(notice.years) != 1:
        problems.append(f"years: a notice holds exactly one year, not {len(notice.years)}")
    if notice.closures:
        problems.append("closures: a notice has none (an agency's closures go in its own file)")
    for entry in notice.years:
        where = f"years.{entry.year}"
        if not entry.complete:
            problems.append(f"{where}.complete: must be true — a notice lists every holiday and "
                            "make-up working day; a year is never completed by guessing")
        if f"{entry.year}年" not in entry.source:
            problems.append(f"{where}.source: must name the notice of {entry.year} "
                            f"(国务院办公厅关于{entry.year}年部分节假日安排的通知), not "
                            f"{entry.source!r}")
        for name in sorted({n for _, n in entry.holidays} | {n for _, n in entry.workdays}):
            unknown = [part for part in name.split("、") if part not in FESTIVALS]
            if unknown:
                problems.append(f"{where}: {name!r} is not a festival of the notice "
                                f"({'、'.join(FESTIVALS)}; several joined with 、)")
    if problems:
        raise ConfigurationError(f"invalid notice {path}: " + "; ".join(problems),
                                 message_zh=f"节假日安排通知文件 {path} 无效："
                                            + "；".join(problems),
                                 details={"file": str(path), "problems": problems})
    return notice.years[0]


def load_notice(notice_path: str | Path, into: str | Path, *,
                others: Sequence[str | Path] = (),
                dry_run: bool = False) -> Loaded:
    """Check the notice, compare the calendar (shipped data, `others`, the `into` file) before
    and after it, and — unless `dry_run` — write its year into `into` (created if missing),
    replacing an entry of the same year. Nothing is written when anything fails."""
    entry = read_notice(notice_path)
    into = Path(into)
    raw_target = _raw(into) if into.exists() else {"years": {}, "closures": []}
    before_files = [*others, *([into] if into.exists() else [])]
    before = Calendar.load(before_files)
    previous = raw_target["years"].get(entry.year)
    raw_target["years"][entry.year] = _raw(Path(notice_path))["years"][entry.year]
    text = _HEADER.format(name=into.name) + yaml.safe_dump(
        raw_target, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
    written = parse(text, str(into))        # the file as it will be read, checked whole
    after = Calendar([*before.files[:1 + len(others)], written])
    loaded = Loaded(entry.year, entry.source,
                    previous.get("source") if isinstance(previous, dict) else None,
                    not before.covers(entry.year), _changes(before, after, entry.year),
                    entry.holidays, entry.workdays)
    if not dry_run:
        _write(into, text)
    return loaded


def _raw(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    years = {int(k): v for k, v in (data.get("years") or {}).items()}
    return {"years": years, "closures": data.get("closures") or []}


def _changes(before: Calendar, after: Calendar, year: int) -> tuple[Change, ...]:
    """Days whose standing changed — covered or not, working or rest — not mere wording
    (chinesecalendar calls a Saturday inside a break 周末, a notice calls it part of it)."""
    out = []
    day = date(year - 1, 12, 1)       # a notice may move days of the December before
    while day.year <= year:
        was, now = _standing(before, day), _standing(after, day)
        if was[0] != now[0]:
            out.append(Change(day, was[1], now[1]))
        day += timedelta(days=1)
    return tuple(out)


def _standing(calendar: Calendar, day: date) -> tuple[bool | None, str]:
    if not calendar.covers(day.year):
        return None, "not covered 未覆盖"
    work, why = calendar.status(day)
    return work, ("workday 工作日" if work else "rest day 休息日") + (f" ({why})" if why else "")


def _write(path: Path, text: str) -> None:
    """All or nothing: a half-written calendar file would move deadlines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
