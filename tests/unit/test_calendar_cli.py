import pytest

from shared.cli import main
from tests.calendar_notices import NEW_YEAR_2027 as YEAR_2027


def test_add_workdays_prints_the_due_date_first(capsys):
    assert main(["calendar", "add-workdays", "2025-09-28", "7"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[0] == "2025-10-14"


def test_add_workdays_explain(capsys):
    assert main(["calendar", "add-workdays", "2025-09-28", "7", "--explain"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2025-10-14")
    assert "法定节假日: 国庆节" in out and "调休上班: 国庆节" in out


def test_uncovered_year_exits_non_zero(capsys):
    assert main(["calendar", "add-workdays", "2027-03-01", "7"]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and "2027" in captured.err and "calendar_not_covered" in captured.err


def test_extra_calendar_file(tmp_path, capsys):
    path = tmp_path / "2027.yaml"
    path.write_text(YEAR_2027, encoding="utf-8")
    assert main(["calendar", "add-workdays", "2026-12-31", "1", "--calendar", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2027-01-04"


def test_due_general_form(capsys):
    assert main(["calendar", "due", "2025-09-26", "8", "natural_days", "--explain"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "2025-10-09" and "顺延" in out
    assert main(["calendar", "due", "2025-09-30T16:30", "24", "hours"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2025-10-01T16:30:00"
    assert main(["calendar", "due", "2025-09-01", "10", "workdays",
                 "--pause", "2025-09-03:2025-09-04:补正材料"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2025-09-17"


def test_is_workday(capsys):
    assert main(["calendar", "is-workday", "2026-10-10"]) == 0
    assert capsys.readouterr().out.startswith("workday")
    assert main(["calendar", "is-workday", "2026-10-03"]) == 0
    assert capsys.readouterr().out.startswith("rest day")


def test_check(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(YEAR_2027, encoding="utf-8")
    assert main(["calendar", "check", str(good)]) == 0
    assert capsys.readouterr().out.startswith("ok")
    bad = tmp_path / "bad.yaml"
    bad.write_text("years:\n  2027:\n    source: x\n    complete: yes\n", encoding="utf-8")
    assert main(["calendar", "check", str(bad)]) != 0
    err = capsys.readouterr().err
    assert str(bad) in err and "years.2027.holidays" in err


def test_bad_date_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["calendar", "add-workdays", "2025-13-01", "7"])
    assert exc.value.code == 2


def test_calling_the_cli_in_process_leaves_sigpipe_alone():
    import signal
    before = signal.getsignal(signal.SIGPIPE)
    assert main(["calendar", "is-workday", "2026-10-10"]) == 0
    assert signal.getsignal(signal.SIGPIPE) == before == signal.SIG_IGN
