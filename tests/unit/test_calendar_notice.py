"""How far the legal calendar reaches, seen from a controlled today, and `sanxiang calendar
load`: a new year's State Council notice checked, compared with what was loaded before, and
written into the deployment's calendar file — or refused with every problem named and
nothing written."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shared.calendar.legal import Calendar
from shared.cli import main
from shared.errors import CalendarNotCovered
from tests.calendar_notices import FIXTURE_2027

NOTICE_2026 = Path(__file__).parent / "calendar_notices" / "2026.yaml"


def calendar_with(tmp_path, text) -> Calendar:
    path = tmp_path / "extra.yaml"
    path.write_text(text, encoding="utf-8")
    return Calendar.load([path])


# ---- coverage ------------------------------------------------------------------------------

@pytest.mark.parametrize("today, days_left, warns", [
    ("2026-09-01", 121, None),
    ("2026-11-01", 60, "2026-12-31 (60 days left)"),      # the first day of warning
    ("2026-12-04", 27, "2026-12-31 (27 days left)"),
    ("2027-01-05", -5, "ran out on 2026-12-31"),
])
def test_coverage_and_its_warning_from_60_days_before_the_end(today, days_left, warns):
    coverage = Calendar.load().coverage(date.fromisoformat(today))
    assert (coverage.first, coverage.last) == (date(2004, 1, 1), date(2026, 12, 31))
    assert coverage.days_left == days_left
    if warns is None:
        assert coverage.warning is None
    else:
        warning = coverage.warning or ""
        assert warns in warning and "sanxiang calendar load" in warning
        assert "2027年部分节假日安排" in warning
    assert coverage.to_dict()["covered_until"] == "2026-12-31"


def test_a_loaded_year_extends_the_coverage_and_ends_the_warning(tmp_path):
    coverage = calendar_with(tmp_path, FIXTURE_2027).coverage(date(2026, 12, 4))
    assert coverage.last == date(2027, 12, 31) and coverage.warning is None


def test_a_year_past_a_gap_does_not_extend_the_coverage(tmp_path):
    cal = calendar_with(tmp_path, FIXTURE_2027.replace("2027", "2028").replace("2028-02-20",
                                                                                "2028-02-19"))
    assert cal.coverage(date(2026, 12, 4)).last == date(2026, 12, 31)


# ---- the notice checked ---------------------------------------------------------------------

def test_the_real_2026_notice_passes_and_changes_nothing(tmp_path, capsys):
    """The published 2026 notice, in the notice format, agrees with chinesecalendar's data day
    for day: the checks accept real notices and the comparison reports no change."""
    into = tmp_path / "deployment.yaml"
    assert main(["calendar", "load", str(NOTICE_2026), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert "2026: 国务院办公厅关于2026年部分节假日安排的通知" in out and "no change" in out


def test_every_year_chinesecalendar_knows_passes_the_file_checks(tmp_path):
    """A complete year of each published notice 2004–2026, written from chinesecalendar's
    data, passes the weekday and naming checks (a check that refused real notices would be
    worse than none)."""
    import chinese_calendar

    from shared.calendar.files import parse
    zh = {h.value: h.chinese for h in chinese_calendar.Holiday}
    for year in range(2004, 2027):
        holidays = [f"      - {{name: {zh[n]}, from: {d}}}" for d, n in
                    sorted(chinese_calendar.holidays.items())
                    if d.year == year and d.weekday() < 5]
        workdays = [f"      - {{name: {zh[n]}, date: {d}}}" for d, n in
                    sorted(chinese_calendar.workdays.items()) if d.year == year]
        parse(f"years:\n  {year}:\n    source: {year}年\n    complete: true\n"
              "    holidays:\n" + "\n".join(holidays) + "\n"
              + ("    workdays:\n" + "\n".join(workdays) + "\n" if workdays else ""))


def test_a_new_year_is_loaded_and_reported_then_computes(tmp_path, capsys):
    notice, into = tmp_path / "2027.yaml", tmp_path / "deployment.yaml"
    notice.write_text(FIXTURE_2027, encoding="utf-8")
    with pytest.raises(CalendarNotCovered):
        Calendar.load().due(date(2026, 12, 31), 1, "workdays", rule="x")

    assert main(["calendar", "load", str(notice), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert "newly covered" in out and "2027 was not covered before" in out
    assert "2027-02-06  放假 春节" in out and "2027-02-20  调休上班 春节" in out
    cal = Calendar.load([into])
    assert cal.due(date(2026, 12, 31), 1, "workdays", rule="x").due == date(2027, 1, 4)
    assert cal.is_workday(date(2027, 2, 20)) and not cal.is_workday(date(2027, 2, 8))
    assert "sanxiang calendar load" in into.read_text(encoding="utf-8")

    # the same notice again: nothing moves; a corrected one: exactly the days that moved
    assert main(["calendar", "load", str(notice), "--into", str(into)]) == 0
    assert "no change" in capsys.readouterr().out
    notice.write_text(FIXTURE_2027.replace("to: 2027-02-12}", "to: 2027-02-13}")
                      .replace("2027-02-20", "2027-02-21"), encoding="utf-8")
    assert main(["calendar", "load", str(notice), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert "changed 变化 (2 days)" in out
    assert "2027-02-20  workday 工作日 (调休上班: 春节) -> rest day 休息日 (周末)" in out
    assert "2027-02-21  rest day 休息日 (周末) -> workday 工作日 (调休上班: 春节)" in out
    assert Calendar.load([into]).is_workday(date(2027, 2, 21))


def test_dry_run_reports_and_writes_nothing(tmp_path, capsys):
    notice, into = tmp_path / "2027.yaml", tmp_path / "deployment.yaml"
    notice.write_text(FIXTURE_2027, encoding="utf-8")
    assert main(["calendar", "load", str(notice), "--into", str(into), "--dry-run"]) == 0
    assert "newly covered" in capsys.readouterr().out and not into.exists()


def test_other_years_of_the_file_are_kept(tmp_path, capsys):
    into = tmp_path / "deployment.yaml"
    into.write_text("years:\n  2025:\n    source: 补充通知\n"
                    "    holidays: [{name: 台风停工, from: 2025-09-29}]\n"
                    "closures:\n  - {from: 2026-12-30, reason: 搬迁}\n", encoding="utf-8")
    notice = tmp_path / "2027.yaml"
    notice.write_text(FIXTURE_2027, encoding="utf-8")
    assert main(["calendar", "load", str(notice), "--into", str(into)]) == 0
    cal = Calendar.load([into])
    assert not cal.is_workday(date(2025, 9, 29)) and not cal.is_workday(date(2026, 12, 30))
    assert cal.covers(2027)


@pytest.mark.parametrize("change, complaint", [
    # a make-up working day on a weekday (2027-02-22 is a Monday)
    (("date: 2027-02-20", "date: 2027-02-22"), "2027-02-22 is a 周一: a make-up working day"),
    # a holiday without its name, a make-up day naming no holiday of the notice
    (("{name: 元旦, from", "{from"), "years.2027.holidays.0.name"),
    (("{name: 春节, date", "{name: 国庆节, date"), "names no holiday of 2027"),
    (("{name: 元旦, from", "{name: 元日, from"), "'元日' is not a festival"),
    # a break inconsistent with itself or the others
    (("to: 2027-01-03, days: 3", "to: 2027-01-03, days: 4"), "says 4 days but"),
    (("from: 2027-02-06", "from: 2027-01-02"), "blocks must not overlap"),
    (("to: 2027-02-12", "to: 2027-02-05"), "must not be before 'from'"),
    # the year must match: the dates, and the notice the source names
    (("to: 2027-02-12", "to: 2028-02-12"), "2028-02-12 is outside 2027"),
    (("2027年部分", "2026年部分"), "must name the notice of 2027"),
    # never a guess: a year is loaded only as the complete list the notice gives
    (("complete: true", "complete: false"), "must be true"),
])
def test_a_bad_notice_is_refused_with_the_problem_named_and_nothing_written(
        tmp_path, capsys, change, complaint):
    notice, into = tmp_path / "2027.yaml", tmp_path / "deployment.yaml"
    into.write_text("years: {}\n", encoding="utf-8")
    notice.write_text(FIXTURE_2027.replace(*change), encoding="utf-8")
    assert main(["calendar", "load", str(notice), "--into", str(into)]) == 1
    captured = capsys.readouterr()
    assert complaint in captured.err and str(notice) in captured.err and captured.out == ""
    assert into.read_text(encoding="utf-8") == "years: {}\n"


def test_a_notice_of_two_years_is_refused(tmp_path, capsys):
    notice = tmp_path / "two.yaml"
    notice.write_text(FIXTURE_2027 + FIXTURE_2027.replace("2027", "2028")
                      .replace("years:\n", "").replace("2028-02-20", "2028-02-19"),
                      encoding="utf-8")
    assert main(["calendar", "load", str(notice), "--into", str(tmp_path / "d.yaml")]) == 1
    assert "exactly one year, not 2" in capsys.readouterr().err
