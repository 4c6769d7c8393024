import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest

from shared.calendar.files import SHIPPED_FILE, load_file, parse
from shared.calendar.legal import Calendar, Deadline
from shared.errors import CalendarNotCovered, ConfigurationError, ValidationFailed

D = date.fromisoformat

# A made-up but well-formed 2027 (the real notice is not published yet): it only has to be
# complete for the calendar to stop failing closed.
YEAR_2027 = """
years:
  2027:
    source: test fixture, not the State Council notice
    complete: true
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
      - {name: 春节, from: 2027-02-06, to: 2027-02-12}
    workdays:
      - {name: 春节, date: 2027-02-13}
"""


@pytest.fixture(scope="module")
def cal():
    return Calendar.load()


@pytest.fixture
def write(tmp_path):
    def write(text, name="extra.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def test_seven_workdays_from_a_make_up_sunday_over_national_day(cal):
    deadline = cal.due(D("2025-09-28"), 7, "workdays", rule="av_storage", basis="沁源 第三十二条")
    assert deadline.due == D("2025-10-14")
    assert deadline.counted == tuple(map(D, ["2025-09-29", "2025-09-30", "2025-10-09",
                                             "2025-10-10", "2025-10-11", "2025-10-13",
                                             "2025-10-14"]))
    skipped = dict(deadline.skipped)
    assert skipped[D("2025-10-01")] == "法定节假日: 国庆节"
    assert skipped[D("2025-10-06")] == "法定节假日: 中秋"
    assert skipped[D("2025-10-12")] == "周末"
    assert D("2025-09-28") not in skipped and D("2025-09-28") not in deadline.counted
    assert dict(deadline.notes) == {D("2025-10-11"): "调休上班: 国庆节"}
    assert cal.is_workday(D("2025-09-28"))


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                 "2026-09-20", "2026-10-10"])
def test_2026_make_up_days_are_workdays(cal, day):
    assert D(day).weekday() >= 5
    assert cal.is_workday(D(day))
    assert cal.status(D(day))[1].startswith("调休上班")
    before = D(day) - timedelta(days=1)
    deadline = cal.due(before, 1, "workdays", rule="t")
    assert deadline.due == D(day) or not cal.is_workday(before + timedelta(days=1))


def test_other_api(cal):
    assert cal.next_workday(D("2025-09-30")) == D("2025-10-09")
    assert cal.next_workday(datetime(2025, 9, 26, 18)) == D("2025-09-28")
    assert cal.workdays_between(D("2025-09-28"), D("2025-10-14")) == 7
    assert cal.workdays_between(D("2025-10-14"), D("2025-10-14")) == 0
    assert cal.covers(2004) and cal.covers(2026)
    assert not cal.covers(2027) and not cal.covers(2003)
    assert not cal.is_workday(D("2026-10-03"))


def test_natural_days_roll_forward_off_a_rest_day(cal):
    deadline = cal.due(D("2025-09-26"), 8, "natural_days", rule="appeal")
    assert deadline.counted[-1] == D("2025-10-04") and len(deadline.counted) == 8
    assert deadline.rolled_from == D("2025-10-04")
    assert deadline.due == D("2025-10-09")
    assert [d for d, _ in deadline.skipped] == list(map(D, ["2025-10-05", "2025-10-06",
                                                            "2025-10-07", "2025-10-08"]))
    assert all(why.startswith("顺延") for _, why in deadline.skipped)
    assert "顺延" in deadline.explain()


def test_natural_days_ending_on_a_working_day_do_not_roll(cal):
    deadline = cal.due(D("2025-09-01"), 3, "natural_days", rule="withdraw")
    assert deadline.due == D("2025-09-04") and deadline.rolled_from is None
    assert deadline.skipped == ()


def test_amount_zero_is_the_same_working_day(cal):
    assert cal.due(D("2025-09-30"), 0, "workdays", rule="av").due == D("2025-09-30")
    assert cal.due(datetime(2025, 9, 30, 23, 59), 0, "workdays", rule="av").due == D("2025-09-30")
    late = cal.due(D("2025-10-01"), 0, "workdays", rule="av")
    assert late.due == D("2025-10-09") and late.counted == ()
    assert len(late.skipped) == 8
    assert cal.due(D("2025-09-28"), 0, "workdays", rule="av").due == D("2025-09-28")
    assert cal.due(D("2025-10-04"), 0, "natural_days", rule="x").due == D("2025-10-09")


def test_pauses_stop_the_clock(cal):
    plain = cal.due(D("2025-09-01"), 10, "workdays", rule="review")
    assert plain.due == D("2025-09-15")
    paused = cal.due(D("2025-09-01"), 10, "workdays", rule="review",
                     paused=[(D("2025-09-03"), D("2025-09-04"), "补正材料"),
                             (datetime(2025, 9, 6, 10), D("2025-09-06"))])
    assert paused.due == D("2025-09-17")
    skipped = dict(paused.skipped)
    assert skipped[D("2025-09-03")] == skipped[D("2025-09-04")] == "暂停: 补正材料"
    assert skipped[D("2025-09-06")] == "暂停"   # a pause on a weekend reports the pause
    assert paused.paused == ((D("2025-09-03"), D("2025-09-04"), "补正材料"),
                             (D("2025-09-06"), D("2025-09-06"), ""))
    natural = cal.due(D("2025-09-01"), 5, "natural_days", rule="x",
                      paused=[(D("2025-09-02"), D("2025-09-03"), "专家论证")])
    assert natural.due == D("2025-09-08")
    with pytest.raises(ValidationFailed):
        cal.due(D("2025-09-01"), 1, "workdays", rule="x", paused=[(D("2025-09-03"),
                                                                   D("2025-09-02"))])


def test_hours_are_natural_time(cal):
    start = datetime(2025, 9, 30, 16, 30, tzinfo=timezone(timedelta(hours=8)))
    deadline = cal.due(start, 24, "hours", rule="report")
    assert deadline.due == datetime(2025, 10, 1, 16, 30, tzinfo=start.tzinfo)
    assert deadline.is_overdue(datetime(2025, 10, 1, 16, 31, tzinfo=start.tzinfo))
    assert not deadline.is_overdue(datetime(2025, 10, 1, 16, 30, tzinfo=start.tzinfo))
    assert Deadline.from_dict(deadline.to_dict()) == deadline
    with pytest.raises(ValidationFailed):
        cal.due(D("2025-09-30"), 24, "hours", rule="report")


def test_bad_arguments(cal):
    for amount, unit in [(-1, "workdays"), (1.5, "workdays"), (True, "workdays"), (1, "weeks")]:
        with pytest.raises(ValidationFailed):
            cal.due(D("2025-09-01"), amount, unit, rule="x")


def test_deadline_value(cal):
    deadline = cal.due(D("2025-09-28"), 7, "workdays", rule="av_storage",
                       basis="沁源 第三十二条", agency="LC",
                       paused=[(D("2025-09-29"), D("2025-09-29"), "x")])
    data = deadline.to_dict()
    assert data["start"] == "2025-09-28" and data["due"] == "2025-10-15"
    assert data["calendar_fingerprint"] == cal.fingerprint
    assert Deadline.from_dict(data) == deadline
    assert deadline.is_overdue(D("2025-10-16")) and not deadline.is_overdue(datetime(2025, 10, 15,
                                                                                     23))
    text = deadline.explain()
    assert "av_storage" in text and "沁源 第三十二条" in text and "2025-10-15" in text
    assert "调休上班: 国庆节" in text and "暂停: x" in text and cal.fingerprint in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.due = D("2026-01-01")


def test_uncovered_year_fails_closed(cal):
    with pytest.raises(CalendarNotCovered) as exc:
        cal.due(D("2026-12-20"), 10, "workdays", rule="x")
    assert "2027" in exc.value.message and "complete: true" in exc.value.message
    assert str(SHIPPED_FILE) in exc.value.message
    assert exc.value.details["year"] == 2027 and isinstance(exc.value, ConfigurationError)
    with pytest.raises(CalendarNotCovered, match="2027"):
        cal.is_workday(D("2027-03-01"))
    with pytest.raises(CalendarNotCovered, match="2003"):
        cal.is_workday(D("2003-06-02"))
    # natural days need the calendar only where they end
    with pytest.raises(CalendarNotCovered):
        cal.due(D("2026-12-20"), 15, "natural_days", rule="x")


def test_complete_2027_file_covers_2027(write):
    cal = Calendar.load([write(YEAR_2027)])
    assert cal.covers(2027)
    assert cal.status(D("2027-02-08")) == (False, "法定节假日: 春节")
    assert cal.status(D("2027-02-13")) == (True, "调休上班: 春节")
    assert cal.status(D("2027-03-06")) == (False, "周末")
    assert cal.due(D("2026-12-31"), 1, "workdays", rule="x").due == D("2027-01-04")
    assert cal.due(D("2027-02-05"), 1, "workdays", rule="x").due == D("2027-02-13")
    with pytest.raises(CalendarNotCovered, match="2028"):
        cal.is_workday(D("2028-01-03"))


def test_incomplete_year_entry_does_not_cover(write):
    path = write("years:\n  2027:\n    source: draft\n"
                 "    holidays: [{name: 元旦, from: 2027-01-01}]\n")
    cal = Calendar.load([path])
    with pytest.raises(CalendarNotCovered, match="without complete: true"):
        cal.is_workday(D("2027-01-04"))


def test_partial_year_amends_chinesecalendar_and_later_files_win(write):
    first = write("years:\n  2025:\n    source: 补充通知\n"
                  "    holidays: [{name: 台风停工, from: 2025-09-29}]\n", "a.yaml")
    cal = Calendar.load([first])
    assert cal.status(D("2025-09-29")) == (False, "法定节假日: 台风停工")
    assert cal.is_workday(D("2025-09-28")) and not cal.is_workday(D("2025-10-01"))
    second = write("years:\n  2025:\n    source: 更正\n"
                   "    workdays: [{name: 更正, date: 2025-09-29}]\n", "b.yaml")
    assert Calendar.load([first, second]).is_workday(D("2025-09-29"))


def test_agency_closures_only_affect_that_agency(write):
    path = write("closures:\n  - {from: 2025-09-29, to: 2025-09-30, reason: 搬迁, agencies: [LC]}\n"
                 "  - {from: 2025-09-15, reason: 全体停电}\n")
    cal = Calendar.load([path])
    assert cal.status(D("2025-09-29"), "LC") == (False, "本机关闭: 搬迁")
    assert cal.is_workday(D("2025-09-29"), "QY") and cal.is_workday(D("2025-09-29"))
    assert not cal.is_workday(D("2025-09-15"), "QY") and not cal.is_workday(D("2025-09-15"))
    lc = cal.due(D("2025-09-28"), 3, "workdays", rule="x", agency="LC")
    assert lc.due == D("2025-10-11")
    assert (D("2025-09-29"), "本机关闭: 搬迁") in lc.skipped
    assert cal.due(D("2025-09-28"), 3, "workdays", rule="x", agency="QY").due == D("2025-10-09")
    # a closure never turns a holiday into anything else
    assert cal.status(D("2025-10-01"), "LC") == (False, "法定节假日: 国庆节")


def test_fingerprint_follows_content(write, cal):
    path = write(YEAR_2027)
    one = Calendar.load([path]).fingerprint
    assert one != cal.fingerprint and len(one) == 64
    write(YEAR_2027 + "# a comment changes nothing\n")
    assert Calendar.load([path]).fingerprint == one
    write(YEAR_2027.replace("2027-02-12", "2027-02-11"))
    assert Calendar.load([path]).fingerprint != one
    assert Calendar.load().fingerprint == cal.fingerprint


def test_shipped_file_invents_no_years():
    shipped = load_file(SHIPPED_FILE)
    assert shipped.years == () and shipped.closures == ()
    assert "2027:" in SHIPPED_FILE.read_text(encoding="utf-8")   # the commented example


@pytest.mark.parametrize("text, path, line", [
    ("years:\n  2027:\n    source: x\n    complete: true\n    holidays:\n"
     "      - {name: 元旦, from: 2027-01-01, too: 2027-01-03}\n",
     "years.2027.holidays.0.too", 6),
    ("years:\n  2027:\n    complete: true\n    holidays: [{name: a, from: 2027-01-01}]\n",
     "years.2027.source", 2),
    ("years:\n  2027:\n    source: x\n    workdays:\n      - {name: a, date: 2027-02-30}\n",
     "years.2027.workdays.0.date", 5),
    ("years:\n  2027:\n    source: x\n    holidays: [{name: a, from: 2028-01-01}]\n",
     "years.2027.holidays.0.from", 4),
    ("years:\n  twenty:\n    source: x\n", "years.twenty", 2),
    ("closures:\n  - {from: 2025-09-02, to: 2025-09-01, reason: x}\n", "closures.0.to", 2),
    ("closures: []\nextra: 1\n", "extra", 2),
    ("closures: []\nclosures: []\n", "closures", 2),
])
def test_bad_calendar_file_names_the_key_path(write, text, path, line):
    bad = write(text, "bad.yaml")
    with pytest.raises(ConfigurationError) as exc:
        Calendar.load([bad])
    assert str(bad) in exc.value.message and path in exc.value.message
    assert {
        k: v for k, v in next(e for e in exc.value.details["errors"] if e["path"] == path).items()
        if k != "messages"} == {"path": path, "line": line}


def test_unreadable_or_malformed_file():
    with pytest.raises(ConfigurationError, match="nope.yaml"):
        load_file("/nonexistent/nope.yaml")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        parse("years: [\n", "broken.yaml")
    with pytest.raises(ConfigurationError, match="_schema"):
        parse("- 1\n", "list.yaml")


def test_cached_lookups_are_fast(cal):
    import time
    started = time.perf_counter()
    for i in range(2000):
        cal.due(D("2025-01-01") + timedelta(days=i % 300), 20, "workdays", rule="x")
    assert time.perf_counter() - started < 2.0
