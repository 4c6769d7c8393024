"""What a Chinese user types, read once for every command (shared.cli.parsing)."""
from datetime import date

import pytest

from shared.cli.parsing import merged, parse_amount, parse_date, resolve_code
from shared.rulesets.repository import RuleSetRepository
from shared.rulesets.vocabulary import MEASURES


@pytest.mark.parametrize(("text", "amount"), [
    ("50000", "50000"), ("5万", "50000"), ("5万元", "50000"), ("3.5万元", "35000"),
    ("1,200", "1200"), ("1，200元", "1200"), ("60000.50", "60000.5"), ("人民币6万元", "60000"),
    ("０.５万", "5000"), ("1.2345万", "12345"), ("2亿", "200000000"), ("¥ 800", "800"),
])
def test_amounts_as_written_in_chinese_become_yuan(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["五万", "5千", "", "abc", "1.234", "5万美元", "-5"])
def test_what_is_not_an_amount_is_refused_with_the_forms_it_takes(text):
    with pytest.raises(ValueError, match="amount|fen"):
        parse_amount(text)


@pytest.mark.parametrize(("text", "day"), [
    ("2025年9月28日", date(2025, 9, 28)), ("2025年09月28日", date(2025, 9, 28)),
    ("2025-09-28", date(2025, 9, 28)), ("2025/9/28", date(2025, 9, 28)),
    ("2025.9.28", date(2025, 9, 28)), ("２０２５年９月２８日", date(2025, 9, 28)),
])
def test_dates_as_written_in_chinese_become_days(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["2025年2月30日", "九月二十八日", "28/09/2025", "2025-09"])
def test_what_is_not_a_day_is_refused(text):
    with pytest.raises(ValueError, match="not a date"):
        parse_date(text)


def test_a_measure_is_found_by_its_code_its_label_or_the_rule_sets_label():
    rs = RuleSetRepository.default().get("lingchuan-emergency")
    vocabulary = merged(MEASURES, rs.section("major_decisions")["measures"])
    assert resolve_code("责令停产停业整顿", vocabulary, what="measure") \
        == "suspend_production_rectify"
    assert resolve_code("suspend_production", vocabulary, what="measure") \
        == "suspend_production"
    # the rule set's own wording (001 附件3: 吊销有关许可证) beside the canonical one
    assert resolve_code("吊销有关许可证", vocabulary, what="measure") == "revoke_licence"


def test_a_label_that_fits_several_codes_is_refused_naming_them():
    with pytest.raises(ValueError, match="more than one") as err:
        resolve_code("责令停产", MEASURES, what="measure")
    assert "suspend_production " in str(err.value) \
        and "suspend_production_rectify" in str(err.value)


def test_an_unknown_label_is_refused_listing_what_is_known():
    with pytest.raises(ValueError, match="unknown measure '罚酒三杯'; one of: .*warning"):
        resolve_code("罚酒三杯", MEASURES, what="measure")
