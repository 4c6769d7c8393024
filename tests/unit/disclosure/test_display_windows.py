"""Public display windows (信用修复管理办法, from 2026-04-01) as pure rules: calendar-month
arithmetic from the decision date (month ends, leap day), the class required to publish a
penalty, 轻微 never published, the window's end and the first day a 信用修复 may take it down."""
from __future__ import annotations

from datetime import date

import pytest

from services.disclosure.domain import windows
from shared.errors import DomainRuleViolated, ValidationFailed
from tests import agencies
from tests.unit.disclosure.support import RULES

RS = RULES.agency(agencies.QINYUAN).ruleset


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 4, 15), 3, date(2026, 7, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),     # no 31 February: the month's last day
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2027, 11, 30), 3, date(2028, 2, 29)),    # into a leap February
    (date(2028, 2, 29), 12, date(2029, 2, 28)),    # leap day into a common year
    (date(2028, 2, 29), 48, date(2032, 2, 29)),
    (date(2026, 10, 31), 3, date(2027, 1, 31)),    # across the year's turn
    (date(2026, 12, 31), 12, date(2027, 12, 31)),
    (date(2026, 5, 20), 0, date(2026, 5, 20)),
])
def test_months_are_counted_on_the_calendar(start, months, end):
    assert windows.months_after(start, months) == end


def test_a_negative_period_is_refused():
    with pytest.raises(ValueError):
        windows.months_after(date(2026, 1, 1), -1)


def test_twelve_months_is_a_year_as_the_calendar_counts_it():
    from shared.calendar.years import years_after
    for day in (date(2028, 2, 29), date(2026, 1, 31), date(2026, 6, 30)):
        assert windows.months_after(day, 36) == years_after(day, 3)


def test_the_rule_set_gives_three_classes():
    classes = windows.classes_of(RS)
    assert {c: (k.published, k.min_months, k.max_months) for c, k in classes.items()} == {
        "minor": (False, 0, 0), "general": (True, 3, 12), "serious": (True, 12, 36)}
    assert all("信用修复管理办法" in k.basis for k in classes.values())


def test_a_general_window_runs_one_year_and_is_repairable_after_three_months():
    win = windows.window(windows.classes_of(RS)["general"], date(2026, 4, 30))
    assert (win.ends, win.repairable_from) == (date(2027, 4, 30), date(2026, 7, 31))
    record = win.as_record()
    assert not windows.expired(record, date(2027, 4, 30))
    assert windows.expired(record, date(2027, 5, 1))
    with pytest.raises(DomainRuleViolated) as refused:
        windows.repair_allowed(record, date(2026, 7, 30))
    assert "2026-07-31" in refused.value.message_zh
    windows.repair_allowed(record, date(2026, 7, 31))


def test_a_serious_window_from_a_month_end():
    win = windows.window(windows.classes_of(RS)["serious"], date(2026, 8, 31))
    assert (win.ends, win.repairable_from) == (date(2029, 8, 31), date(2027, 9, 1))
    win = windows.window(windows.classes_of(RS)["serious"], date(2028, 2, 29))
    assert (win.ends, win.repairable_from) == (date(2031, 2, 28), date(2029, 3, 1))


def test_a_penalty_needs_its_class_to_be_published():
    with pytest.raises(ValidationFailed) as refused:
        windows.display_class(RS, "penalty", date(2026, 4, 1), None)
    assert refused.value.details["field"] == "display_class"
    assert "失信信息类别" in refused.value.message_zh
    assert windows.display_class(RS, "licence", date(2026, 5, 1), None) is None
    # decided before the 办法 came into force: no class, no window
    assert windows.display_class(RS, "penalty", date(2026, 3, 31), None) is None


def test_an_unknown_class_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        windows.display_class(RS, "penalty", date(2026, 5, 1), "grave")
    assert "grave" in refused.value.message_zh


def test_a_minor_penalty_is_never_published():
    with pytest.raises(DomainRuleViolated) as refused:
        windows.display_class(RS, "penalty", date(2026, 5, 1), "minor")
    assert "轻微" in refused.value.message_zh and "不予公示" in refused.value.message_zh
    assert "信用修复管理办法" in refused.value.details["basis"]


def test_no_expiry_without_a_window():
    assert not windows.expired(None, date(2099, 1, 1))


def test_the_contract_has_the_repair_and_the_take_down_events():
    from contracts.disclosure import CONTRACT
    from shared.contracts.registry import load
    assert CONTRACT.version.startswith("1.")   # additive since: still major version 1
    assert "record_credit_repair" in {r.name for r in CONTRACT.rpcs}
    assert {"publication_expired.v1", "publication_repaired.v1"} <= {
        e.type for e in CONTRACT.events}
    assert CONTRACT.rpc("record_credit_repair").roles == ("publisher", "head")
    # review's display_class is optional on the wire (the rule decides when it is required)
    spec = CONTRACT.rpc("review_publication")
    assert load(spec.request, spec.example_request, what="review")["display_class"] is None
