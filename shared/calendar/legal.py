"""The one legal calendar: 工作日 from chinesecalendar amended by calendar files, failing closed
for any year nobody covers. Every legal period (working days, natural days rolling off rest days,
hours) is computed by Calendar.due() and returned as a Deadline that carries its derivation."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import chinese_calendar

from shared.calendar.files import SHIPPED_FILE, CalendarFile, load_file
from shared.errors import CalendarNotCovered, ValidationFailed

__all__ = ["Calendar", "Coverage", "Deadline", "UNITS", "WARN_DAYS"]

UNITS = ("workdays", "natural_days", "hours")
_UNIT_ZH = {"workdays": "工作日", "natural_days": "自然日", "hours": "小时"}
_ONE_DAY = timedelta(days=1)
# How long before the calendar runs out services start warning: the State Council notice for
# the next year usually appears in November, and a review or a penalty period started in
# late autumn already reaches into January.
WARN_DAYS = 60


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _parse_moment(text: str) -> date:
    return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)


def _holiday_zh(english: str) -> str:
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


@dataclass(frozen=True)
class Deadline:
    """A legal deadline with its derivation; `due` ends with its day (hours: the exact moment)."""
    start: date
    amount: int
    unit: str
    rule: str
    due: date
    basis: str = ""
    agency: str | None = None
    counted: tuple[date, ...] = ()
    skipped: tuple[tuple[date, str], ...] = ()
    notes: tuple[tuple[date, str], ...] = ()        # counted days worth a remark, e.g. 调休上班
    paused: tuple[tuple[date, date, str], ...] = ()
    rolled_from: date | None = None                 # natural days: the rest day the end fell on
    calendar_fingerprint: str = ""

    def is_overdue(self, at: date) -> bool:
        if self.unit == "hours" and isinstance(self.due, datetime):  # ends at a time of day
            return (at > self.due) if isinstance(at, datetime) else at > self.due.date()
        return _day(at) > self.due

    def to_dict(self) -> dict:
        iso = lambda d: d.isoformat() if d is not None else None
        return {"start": iso(self.start), "amount": self.amount, "unit": self.unit,
                "rule": self.rule, "basis": self.basis, "agency": self.agency,
                "due": iso(self.due), "counted": [iso(d) for d in self.counted],
                "skipped": [[iso(d), why] for d, why in self.skipped],
                "notes": [[iso(d), note] for d, note in self.notes],
                "paused": [[iso(a), iso(b), label] for a, b, label in self.paused],
                "rolled_from": iso(self.rolled_from),
                "calendar_fingerprint": self.calendar_fingerprint}

    @classmethod
    def from_dict(cls, data: dict) -> Deadline:
        day = date.fromisoformat
        return cls(start=_parse_moment(data["start"]), amount=data["amount"], unit=data["unit"],
                   rule=data["rule"], basis=data.get("basis", ""), agency=data.get("agency"),
                   due=_parse_moment(data["due"]),
                   counted=tuple(day(d) for d in data.get("counted", ())),
                   skipped=tuple((day(d), why) for d, why in data.get("skipped", ())),
                   notes=tuple((day(d), note) for d, note in data.get("notes", ())),
                   paused=tuple((day(a), day(b), lbl) for a, b, lbl in data.get("paused", ())),
                   rolled_from=day(data["rolled_from"]) if data.get("rolled_from") else None,
                   calendar_fingerprint=data.get("calendar_fingerprint", ""))

    def explain(self) -> str:
        notes = dict(self.notes)
        lines = [f"rule 规则: {self.rule}" + (f" — {self.basis}" if self.basis else ""),
                 f"start 起算: {self.start.isoformat()}" + (
                     "" if self.unit == "hours" else " (当日不计入 start day not counted)"
                     if self.amount else " (期限为0: 当日结束，遇休息日为下一工作日 same day)"),
                 f"period 期间: {self.amount} {_UNIT_ZH[self.unit]} ({self.unit})"]
        if self.agency:
            lines.append(f"agency 机关: {self.agency}")
        lines.append(f"due 届满: {self.due.isoformat()}"
                     + ("" if self.unit == "hours" else " (当日结束 end of day)"))
        for a, b, label in self.paused:
            lines.append(f"paused 暂停: {a.isoformat()} – {b.isoformat()} {label}".rstrip())
        if self.counted:
            lines.append(f"counted 计入 ({len(self.counted)}):")
            lines += [f"  {d.isoformat()}" + (f"  {notes[d]}" if d in notes else "")
                      for d in self.counted]
        elif self.due in notes:
            lines.append(f"  {self.due.isoformat()}  {notes[self.due]}")
        if self.skipped:
            lines.append(f"skipped 不计 ({len(self.skipped)}):")
            lines += [f"  {d.isoformat()}  {why}" for d, why in self.skipped]
        if self.rolled_from:
            lines.append(f"rolled 顺延: {self.rolled_from.isoformat()} is a rest day, "
                         f"due moves to the next working day {self.due.isoformat()}")
        lines.append(f"calendar 日历: sha256 {self.calendar_fingerprint}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Coverage:
    """How far the calendar reaches, seen from `today`: the years from chinesecalendar's first
    through the last one covered without a gap (a period runs day by day, so a later year
    past a gap is out of reach)."""
    first: date
    last: date
    today: date
    fingerprint: str
    warn_days: int = WARN_DAYS

    @property
    def days_left(self) -> int:
        """Natural days from today to the last covered day (negative once it has passed)."""
        return (self.last - self.today).days

    @property
    def warning(self) -> str | None:
        nxt = self.last.year + 1
        load = (f"load the State Council notice for {nxt} (国务院办公厅关于{nxt}年部分节假日安排的"
                f"通知) with `sanxiang calendar load NOTICE --into FILE` (FILE: one of the "
                f"service's CALENDAR_FILES) and restart the service")
        if self.days_left < 0:
            return (f"the legal calendar ran out on {self.last}: every legal period fails with "
                    f"calendar_not_covered; {load}")
        if self.days_left <= self.warn_days:
            return (f"the legal calendar covers working days until {self.last} "
                    f"({self.days_left} days left): every legal period that reaches {nxt} "
                    f"fails with calendar_not_covered; once it is published, {load}")
        return None

    def to_dict(self) -> dict:
        return {"covered_from": self.first.isoformat(), "covered_until": self.last.isoformat(),
                "days_left": self.days_left, "warn_days": self.warn_days,
                "warning": self.warning, "fingerprint": self.fingerprint}


class Calendar:
    """Working days: chinesecalendar, amended by calendar files in order (later files win)."""

    def __init__(self, files: Sequence[CalendarFile] = ()):
        self.files = tuple(files)
        cc_years = [d.year for d in chinese_calendar.holidays]
        self.chinesecalendar_years = (min(cc_years), max(cc_years))
        self._complete: dict[int, str] = {}       # year -> file that fully defines it
        self._partial: dict[int, str] = {}        # year -> file that only amends it
        self._overrides: dict[date, tuple[bool, str]] = {}
        for f in self.files:
            for entry in f.years:
                if entry.complete:
                    self._complete[entry.year] = f.path
                    # a complete year replaces what earlier files said about it
                    self._overrides = {d: v for d, v in self._overrides.items()
                                       if d.year != entry.year}
                else:
                    self._partial[entry.year] = f.path
                self._overrides.update({d: (False, f"法定节假日: {name}")
                                        for d, name in entry.holidays})
                self._overrides.update({d: (True, f"调休上班: {name}")
                                        for d, name in entry.workdays})
        self._closures = tuple(c for f in self.files for c in f.closures)
        digest = hashlib.sha256(f"chinesecalendar {chinese_calendar.__version__}\n".encode())
        for f in self.files:
            digest.update(f.canonical.encode() + b"\n")
        self.fingerprint = digest.hexdigest()
        self._days: dict[tuple[date, str | None], tuple[bool, str]] = {}

    @classmethod
    def load(cls, files: Iterable[str | Path] | None = None, *,
             shipped: bool = True) -> Calendar:
        paths = ([SHIPPED_FILE] if shipped else []) + list(files or ())
        return cls([load_file(p) for p in paths])

    def covers(self, year: int) -> bool:
        low, high = self.chinesecalendar_years
        return year in self._complete or low <= year <= high

    def coverage(self, today: date) -> Coverage:
        low, high = self.chinesecalendar_years
        while self.covers(high + 1):
            high += 1
        return Coverage(date(low, 1, 1), date(high, 12, 31), _day(today), self.fingerprint)

    def status(self, d: date, agency: str | None = None) -> tuple[bool, str]:
        """(is a working day, why): why is '' for an ordinary working day."""
        d = _day(d)
        key = (d, agency)
        hit = self._days.get(key)
        if hit is None:
            hit = self._national(d)
            if hit[0]:
                closure = next((c for c in self._closures if c.applies(d, agency)), None)
                if closure:
                    hit = (False, f"本机关闭: {closure.reason}")
            self._days[key] = hit
        return hit

    def is_workday(self, d: date, agency: str | None = None) -> bool:
        return self.status(d, agency)[0]

    def next_workday(self, d: date, agency: str | None = None) -> date:
        d = _day(d) + _ONE_DAY
        while not self.status(d, agency)[0]:
            d += _ONE_DAY
        return d

    def workdays_between(self, a: date, b: date, agency: str | None = None) -> int:
        """Working days after a up to and including b (0 when b is not after a)."""
        a, b = _day(a), _day(b)
        return sum(self.status(a + timedelta(days=i), agency)[0]
                   for i in range(1, (b - a).days + 1))

    def due(self, start: date, amount: int, unit: str, *, rule: str, basis: str = "",
            agency: str | None = None, paused: Iterable[tuple] = ()) -> Deadline:
        if unit not in UNITS:
            raise ValidationFailed(f"unit must be one of {', '.join(UNITS)}, not {unit!r}",
                                   message_zh=f"期限单位应为 {'、'.join(UNITS)} 之一，"
                                              f"而不是 {unit!r}",
                                   details={"unit": [f"one of {UNITS}"]})
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValidationFailed(f"amount must be a whole number >= 0, not {amount!r}",
                                   message_zh=f"期限数量应为不小于 0 的整数，而不是 {amount!r}",
                                   details={"amount": ["whole number >= 0"]})
        pauses = _pauses(paused)
        made: dict[str, Any] = {
            "start": start, "amount": amount, "unit": unit, "rule": rule, "basis": basis,
            "agency": agency, "paused": pauses, "calendar_fingerprint": self.fingerprint}
        if unit == "hours":
            if not isinstance(start, datetime) or pauses:
                raise ValidationFailed("an hours period needs a datetime start and no pauses",
                                       message_zh="以小时计的期限须以带时刻的时间起算，且不得中止",
                                       details={"start": ["datetime"], "paused": ["empty"]})
            return Deadline(due=start + timedelta(hours=amount), **made)
        count = (self._count_workdays if unit == "workdays" else self._count_natural_days)(
            _day(start), amount, agency, pauses)
        return Deadline(due=count.due, counted=tuple(count.counted),
                        skipped=tuple(count.skipped), notes=tuple(count.notes),
                        rolled_from=count.rolled_from, **made)

    def _count_workdays(self, d: date, amount: int, agency: str | None,
                        pauses: tuple[tuple[date, date, str], ...]) -> _Count:
        """`amount` working days after `d` (0: `d` itself, or the next working day)."""
        count = _Count(d)
        if amount > 0:
            d += _ONE_DAY
        while True:
            why = _paused_on(d, pauses)
            work, reason = (False, why) if why else self.status(d, agency)
            if not work:
                count.skipped.append((d, reason))
            else:
                if reason:
                    count.notes.append((d, reason))
                if amount == 0:
                    break
                count.counted.append(d)
                if len(count.counted) == amount:
                    break
            d += _ONE_DAY
        count.due = d
        return count

    def _count_natural_days(self, d: date, amount: int, agency: str | None,
                            pauses: tuple[tuple[date, date, str], ...]) -> _Count:
        """`amount` natural days after `d`, an end on a rest day rolled on to the next
        working day."""
        count = _Count(d)
        counted, skipped, notes = count.counted, count.skipped, count.notes
        while len(counted) < amount:
            d += _ONE_DAY
            why = _paused_on(d, pauses)
            if why:
                skipped.append((d, why))
            else:
                counted.append(d)
        rolled_from = None
        work, reason = self.status(d, agency)
        if not work:
            rolled_from = d
            (notes if counted else skipped).append((d, f"届满日休息，顺延 rolls on: {reason}"))
            while not work:
                d += _ONE_DAY
                why = _paused_on(d, pauses)
                work, reason = (False, why) if why else self.status(d, agency)
                if not work:
                    skipped.append((d, why or f"顺延: {reason}"))
        if reason:
            notes.append((d, reason))
        count.due, count.rolled_from = d, rolled_from
        return count

    def _national(self, d: date) -> tuple[bool, str]:
        if not self.covers(d.year):
            self._not_covered(d.year)
        hit = self._overrides.get(d)
        if hit is not None:
            return hit
        if d.year not in self._complete:
            name = chinese_calendar.workdays.get(d)
            if name:
                return True, f"调休上班: {_holiday_zh(name)}"
            name = chinese_calendar.holidays.get(d)
            if name:
                return False, f"法定节假日: {_holiday_zh(name)}"
        return (False, "周末") if d.weekday() >= 5 else (True, "")

    def _not_covered(self, year: int) -> NoReturn:
        low, high = self.chinesecalendar_years
        partial = (f" {self._partial[year]} has a {year} entry but without complete: true."
                   if year in self._partial else "")
        raise CalendarNotCovered(
            f"no working-day calendar covers {year} (chinesecalendar "
            f"{chinese_calendar.__version__} covers {low}–{high}).{partial} Add the State "
            f"Council notice for {year} to a calendar file — {SHIPPED_FILE} or one passed with "
            f"--calendar / Calendar.load(files=[...]) — under years: {year}: with source:, "
            f"complete: true, holidays: [{{name, from, to}}] and workdays: [{{name, date}}]; "
            f"check it with `sanxiang calendar check FILE`.",
            message_zh=f"工作日历未覆盖{year}年度，无法计算法定期限：请依据国务院办公厅关于{year}年"
                       f"部分节假日安排的通知补充日历文件（years: {year}）",
            details={"year": year, "chinesecalendar_years": [low, high]})


@dataclass
class _Count:
    """A period counted day by day: where it ends and what the count met on the way."""
    due: date
    counted: list[date] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)
    notes: list[tuple[date, str]] = field(default_factory=list)
    rolled_from: date | None = None


def _pauses(paused: Iterable[tuple]) -> tuple[tuple[date, date, str], ...]:
    out = []
    for item in paused:
        if len(item) not in (2, 3):
            raise ValidationFailed("a pause is (from, to) or (from, to, label)",
                                   message_zh="中止期间应为（起，止）或（起，止，说明）",
                                   details={"paused": ["(from, to[, label])"]})
        low, high, label = _day(item[0]), _day(item[1]), (item[2] if len(item) == 3 else "")
        if high < low:
            raise ValidationFailed(f"pause ends {high} before it starts {low}",
                                   message_zh=f"中止期间止于 {high}，早于其起始日 {low}",
                                   details={"paused": ["to before from"]})
        out.append((low, high, label or ""))
    return tuple(out)


def _paused_on(d: date, pauses: tuple[tuple[date, date, str], ...]) -> str:
    for low, high, label in pauses:
        if low <= d <= high:
            return f"暂停: {label}" if label else "暂停"
    return ""


def clock_pause(stopped_on: date, resumed_on: date, label: str = "") -> tuple | None:
    """The days a stopped legal clock does not count: the day it stopped still counts (work
    was done on it), the days after it up to and including the day it resumed do not, and
    counting goes on the next day — as a period's start day is not counted. None when the
    clock resumed the day it stopped."""
    stopped_on, resumed_on = _day(stopped_on), _day(resumed_on)
    if resumed_on < stopped_on:
        raise ValidationFailed(f"clock resumed {resumed_on} before it stopped {stopped_on}",
                               message_zh=f"期限恢复计算日 {resumed_on} 早于中止日 {stopped_on}",
                               details={"resumed_on": ["not before stopped_on"]})
    if resumed_on == stopped_on:
        return None
    return (stopped_on + _ONE_DAY, resumed_on, label)
