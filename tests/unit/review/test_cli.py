"""`sanxiang review classify|deadline` with the shipped rule sets and calendar. Due dates are
worked out by hand: in 2025, 09-28 (Sun) and 10-11 (Sat) are 调休 working days and
10-01..10-08 are the 国庆/中秋 holidays."""
import json

import pytest

from shared.cli import main
from tests.calendar_notices import NEW_YEAR_2027 as YEAR_2027


def run(capsys, *argv):
    code = main(["review", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


LC_ORG = ("classify", "--ruleset", "lingchuan-emergency", "--act", "penalty",
          "--party", "organisation")


def test_organisation_fine_at_the_threshold_is_major(capsys):
    code, out, _ = run(capsys, *LC_ORG, "--fine", "50000")
    first = out.splitlines()[0]
    assert code == 0
    assert first.split()[0] == "major" and "(lingchuan-emergency@1)" in first
    assert "fired fine_threshold" in out.splitlines()[1]


def test_organisation_fine_below_the_threshold_is_not_major(capsys):
    code, out, _ = run(capsys, *LC_ORG, "--fine", "49999.99")
    assert code == 0
    assert out.splitlines()[0].startswith("not major ")
    assert "  fired " not in out and "no catalogue rule fired" in out


def test_individual_threshold_is_lower(capsys):
    code, out, _ = run(capsys, "classify", "--ruleset", "lingchuan-emergency", "--act",
                       "penalty", "--party", "individual", "--fine", "20000")
    assert out.splitlines()[0].split()[0] == "major"
    code, out, _ = run(capsys, "classify", "--ruleset", "lingchuan-emergency", "--act",
                       "penalty", "--party", "individual", "--fine", "19999")
    assert out.splitlines()[0].startswith("not major")


def test_a_measure_fires_without_a_fine(capsys):
    code, out, _ = run(capsys, "classify", "--ruleset", "lingchuan-emergency", "--act",
                       "penalty", "--measure", "suspend_production")
    assert code == 0
    assert out.splitlines()[0].split()[0] == "major"
    assert "fired measure.suspend_production" in out


def test_deadline_ten_workdays_over_the_national_day(capsys):
    # 09-28 调休, 09-29, 09-30, 10-09, 10-10, 10-11 调休, 10-13, 10-14, 10-15, 10-16
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                       "--complete", "2025-09-26")
    assert code == 0
    assert out.splitlines()[0] == "2025-10-16  (qinyuan-energy@1)"


def test_deadline_extended(capsys):
    # + 10 工作日 from 10-16: 10-17, 10-20..24, 10-27..30
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                       "--complete", "2025-09-26", "--extended")
    assert out.split()[0] == "2025-10-30"


def test_deadline_lingchuan_extension_rolls_off_the_weekend(capsys):
    code, out, _ = run(capsys, "deadline", "--ruleset", "lingchuan-emergency",
                       "--complete", "2025-10-20", "--extended")
    assert out.split()[0] == "2025-11-03"   # 10-29 + 3 日 = Sat 11-01 → Mon 11-03


def test_deadline_paused(capsys):
    # stopped 10-22 (counted), resumed 10-24: 10-23, 10-24 not counted → 11-03 becomes 11-05
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                       "--complete", "2025-10-20")
    assert out.split()[0] == "2025-11-03"
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                       "--complete", "2025-10-20", "--paused", "2025-10-22:2025-10-24")
    assert code == 0 and out.split()[0] == "2025-11-05"


def test_deadline_explain(capsys):
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                       "--complete", "2025-09-26", "--extended", "--explain")
    lines = out.splitlines()
    assert lines[0].split()[0] == "2025-10-30"
    assert "  2025-09-28  调休上班: 国庆节" in lines
    assert "  2025-10-06  法定节假日: 中秋" in lines
    assert "due 届满: 2025-10-16 (当日结束 end of day)" in lines
    assert "— extension 延长 —" in lines
    assert "due 届满: 2025-10-30 (当日结束 end of day)" in lines


def test_uncovered_year_exits_non_zero_naming_the_year(capsys):
    code, out, err = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                         "--complete", "2027-03-01")
    assert code != 0
    assert out == "" and "2027" in err


def test_extra_calendar_file_covers_the_year(tmp_path, capsys):
    path = tmp_path / "2027.yaml"
    path.write_text(YEAR_2027, encoding="utf-8")
    code, out, _ = run(capsys, "deadline", "--ruleset", "lingchuan-emergency",
                       "--complete", "2026-12-30", "--calendar", str(path))
    # 12-31, (01-01..03 元旦), 01-04..08, 01-11 → 7 工作日
    assert code == 0 and out.split()[0] == "2027-01-11"


def test_unknown_rule_set_exits_non_zero(capsys):
    code, out, err = run(capsys, *("classify", "--ruleset", "nowhere-agency", "--act",
                                   "penalty"))
    assert code != 0 and out == "" and "nowhere-agency" in err


def test_bad_pause_is_a_usage_error():
    with pytest.raises(SystemExit) as err:
        main(["review", "deadline", "--ruleset", "qinyuan-energy", "--complete",
              "2025-10-20", "--paused", "2025-10-22"])
    assert err.value.code == 2


def test_a_measure_is_named_by_its_label_and_a_fine_as_written_in_chinese(capsys):
    code, out, _ = run(capsys, "classify", "--ruleset", "lingchuan-emergency", "--act",
                       "行政处罚", "--measure", "责令停产停业整顿")
    assert code == 0 and out.splitlines()[0].split()[0] == "major"
    assert "fired measure.suspend_production_rectify" in out
    code, out, _ = run(capsys, *LC_ORG[:-1], "单位", "--fine", "5万")
    assert out.splitlines()[0].split()[0] == "major"
    code, out, _ = run(capsys, *LC_ORG, "--fine", "4.9万元")
    assert out.splitlines()[0].startswith("not major")


def test_an_unknown_measure_label_is_refused_naming_the_option_and_the_known_ones(capsys):
    code, out, err = run(capsys, *LC_ORG, "--measure", "罚酒三杯")
    assert code == 1 and out == ""
    assert "--measure" in err and "罚酒三杯" in err and "suspend_production_rectify" in err


def test_classify_json_is_one_object_with_the_codes_read(capsys):
    code, out, _ = run(capsys, *LC_ORG, "--fine", "6万", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["major"] is True and answer["ruleset"] == "lingchuan-emergency@1"
    assert answer["proposal"]["fine_amount"] == "60000"
    assert answer["proposal"]["party_kind"] == "organisation"


def test_deadline_takes_a_chinese_date_and_names_the_rule_sets_clock_start(capsys):
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy",
                       "--complete", "2025年9月26日")
    assert code == 0 and out.split()[0] == "2025-10-16"
    assert "收到完备的送审材料之日" in out.splitlines()[1]
    code, out, _ = run(capsys, "deadline", "--ruleset", "lingchuan-emergency",
                       "--received", "2025-10-20")
    assert "收到送审材料之日" in out.splitlines()[1] and "完备" not in out.splitlines()[1]
    assert "001 附件3 第四条" in out.splitlines()[1]


def test_deadline_refuses_a_pause_for_lingchuan_as_the_board_does(capsys):
    # 001 names nothing that stops the 7-day clock: the board refuses every stop
    code, out, err = run(capsys, "deadline", "--ruleset", "lingchuan-emergency",
                         "--received", "2025-10-20", "--paused", "2025-10-22:2025-10-24")
    assert code == 1 and out == ""
    assert "--paused.0" in err and "stops the clock for nothing" in err


def test_deadline_pause_reason_given_by_label_is_the_rule_sets(capsys):
    code, out, _ = run(capsys, "deadline", "--ruleset", "qinyuan-energy", "--complete",
                       "2025-10-20", "--paused", "2025-10-22:2025-10-24:补充材料")
    assert code == 0 and out.split()[0] == "2025-11-05"
    code, out, err = run(capsys, "deadline", "--ruleset", "qinyuan-energy", "--complete",
                         "2025-10-20", "--paused", "2025-10-22:2025-10-24:喝茶")
    assert code == 1 and "pause reason" in err and "supplementary_materials" in err


def test_deadline_json(capsys):
    code, out, _ = run(capsys, "deadline", "--ruleset", "lingchuan-emergency",
                       "--received", "2025-10-20", "--json")
    answer = json.loads(out)
    assert answer["due"] == "2025-10-29" and answer["clock_starts"]["value"] == "receipt"
