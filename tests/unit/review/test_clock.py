"""The review clock: the period from the day it starts, across holidays and 调休 working days,
stops that do not count, the one extension, and the watch's reminder and overdue notice.
Expected dates are worked out by hand from the 2025 State Council notice: 10-01..10-08
国庆/中秋 holidays, 09-28 (Sun) and 10-11 (Sat) 调休 working days."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.review import domain, usecases
from services.review.domain import Stop
from shared.errors import Conflict, DomainRuleViolated, ValidationFailed
from tests.unit.review.support import (
    ALWAYS,
    ANZE,
    CHANGZHI,
    HEAD,
    LINGCHUAN,
    OFFICER,
    QINYUAN,
    RULES,
    ZHOUCUN,
    actor,
    at,
    material,
    request_payload,
    staff,
)

# ---- when the clock starts -----------------------------------------------------------------------

def test_clock_starts_on_receipt_only_in_lingchuan():
    assert domain.clock_starts_on_receipt(LINGCHUAN) is True
    assert [domain.clock_starts_on_receipt(rs) for rs in (QINYUAN, ANZE, ZHOUCUN, CHANGZHI)] \
        == [False, False, False, False]


def test_lingchuan_clock_starts_on_receipt_of_incomplete_materials(env):
    lc = "lingchuan-emergency"
    who = actor("officer", agency=lc, id="officer-1")
    view = env.call(usecases.request_review, "request_review",
                    request_payload(lc, materials=("proposal",), grounds=(),
                                    case_no="陵应急立〔2025〕12号"), who)
    # fined 60000 organisation ≥ 50000: major
    assert view["classification"]["fired"][0]["code"] == "fine_threshold"
    assert (view["state"], view["received_on"], view["clock_start"]) == (
        "awaiting_materials", "2025-10-20", "2025-10-20")
    assert view["deadline"]["due"] == "2025-10-29"   # 7 工作日 from receipt
    view = env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material(c) for c in ALWAYS[1:]],
        "submitted_at": "2025-10-22T09:00:00+08:00"}, who)
    assert (view["state"], view["complete_on"], view["clock_start"]) == (
        "under_review", "2025-10-22", "2025-10-20")
    assert view["deadline"]["due"] == "2025-10-29"
    assert env.events("materials_completed.v1")[0]["data"]["clock_start"] == "2025-10-20"
    staff(env, "reviewer-1", agency=lc)
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": view["id"], "reviewer_id": "reviewer-1", "reason": "轮值"},
             actor("legal_unit", agency=lc))
    with pytest.raises(ValidationFailed) as err:   # 陵川 stops the clock for nothing
        env.call(usecases.stop_clock, "stop_clock", {
            "review_id": view["id"], "reason": "supplementary_materials",
            "stopped_at": "2025-10-23T09:00:00+08:00"}, actor("reviewer", agency=lc,
                                                              id="reviewer-1"))
    assert list(err.value.details) == ["reason"]
    view = env.call(usecases.extend_deadline, "extend_deadline", {
        "review_id": view["id"], "reason": "特殊情况",
        "approved_at": "2025-10-28T09:00:00+08:00"}, actor("head", agency=lc))
    assert view["deadline"]["due"] == "2025-11-03"   # 10-29 + 3 日 = Sat 11-01 → Mon 11-03


# ---- the period and its extension ----------------------------------------------------------------

@pytest.mark.parametrize("rs", [QINYUAN, ANZE])
def test_ten_workdays_across_the_national_day_holiday(rs):
    first, second = domain.review_deadline(RULES.calendar, rs, date(2025, 9, 26))
    assert second is None
    assert first.due == date(2025, 10, 16)
    assert first.counted == (date(2025, 9, 28), date(2025, 9, 29), date(2025, 9, 30),
                             date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11),
                             date(2025, 10, 13), date(2025, 10, 14), date(2025, 10, 15),
                             date(2025, 10, 16))
    assert (first.amount, first.unit, first.rule) == (10, "workdays", "review")


@pytest.mark.parametrize("rs", [QINYUAN, ANZE])
def test_extension_adds_ten_workdays_from_the_first_due_date(rs):
    first, second = domain.review_deadline(RULES.calendar, rs, date(2025, 9, 26),
                                           extended=True)
    assert first.due == date(2025, 10, 16)
    assert second is not None
    assert second.start == date(2025, 10, 16) and second.rule == "review_extension"
    # 10-17, 10-20..24, 10-27..30
    assert second.due == date(2025, 10, 30) and len(second.counted) == 10


def test_lingchuan_seven_workdays():
    first, _ = domain.review_deadline(RULES.calendar, LINGCHUAN, date(2025, 10, 20))
    assert first.due == date(2025, 10, 29)   # 21 22 23 24 27 28 29
    assert first.basis == "001 附件3 第四条"


def test_lingchuan_extension_is_three_natural_days_rolled_off_the_weekend():
    first, second = domain.review_deadline(RULES.calendar, LINGCHUAN, date(2025, 10, 20),
                                           extended=True)
    assert first.due == date(2025, 10, 29)
    assert second is not None
    # 10-30, 10-31, 11-01 (Saturday) → the next working day, Monday 11-03
    assert second.unit == "natural_days" and second.amount == 3
    assert second.counted == (date(2025, 10, 30), date(2025, 10, 31), date(2025, 11, 1))
    assert second.rolled_from == date(2025, 11, 1)
    assert second.due == date(2025, 11, 3)


# ---- stops ---------------------------------------------------------------------------------------

def test_a_stop_counts_its_stop_day_and_not_the_days_up_to_resumption():
    # complete Mon 10-20; stopped Wed 10-22, resumed Fri 10-24: 10-22 counts,
    # 10-23 and 10-24 do not; counting goes on Mon 10-27
    stops = [Stop(date(2025, 10, 22), date(2025, 10, 24), "supplementary_materials", "补充材料")]
    plain, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20))
    first, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20), stops=stops)
    assert plain.due == date(2025, 11, 3)
    assert first.due == date(2025, 11, 5)
    assert date(2025, 10, 22) in first.counted
    assert date(2025, 10, 23) not in first.counted and date(2025, 10, 24) not in first.counted
    assert first.paused == ((date(2025, 10, 23), date(2025, 10, 24), "补充材料"),)
    assert (date(2025, 10, 23), "暂停: 补充材料") in first.skipped


def test_a_stop_resumed_the_same_day_shifts_nothing_and_an_open_stop_is_ignored():
    same_day = [Stop(date(2025, 10, 22), date(2025, 10, 22), "x", "补充材料")]
    still_open = [Stop(date(2025, 10, 22), None, "x", "补充材料")]
    assert domain.pauses(same_day) == [] and domain.pauses(still_open) == []
    first, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20),
                                      stops=same_day)
    assert first.due == date(2025, 11, 3) and first.paused == ()


def test_stop_over_a_weekend_shifts_only_by_the_working_days_stopped():
    # stopped Fri 10-24, resumed Mon 10-27: 25, 26 (weekend), 27 not counted → one workday
    stops = [Stop(date(2025, 10, 24), date(2025, 10, 27), "expert_argument", "专家论证")]
    first, _ = domain.review_deadline(RULES.calendar, QINYUAN, date(2025, 10, 20), stops=stops)
    assert first.due == date(2025, 11, 4)


def test_pause_reasons_come_from_the_rule_set():
    assert domain.pause_reason(QINYUAN, "expert_argument")["label"] == "专家论证"
    with pytest.raises(ValidationFailed) as err:
        domain.pause_reason(LINGCHUAN, "supplementary_materials")
    assert "reason" in err.value.details
    assert "none" in err.value.details["reason"][0]


# ---- the watch -----------------------------------------------------------------------------------

def test_check_clocks_reminds_once_and_reports_overdue_once_per_due_date(env):
    view = env.call(usecases.request_review, "request_review", request_payload(), OFFICER)
    env.now = at("2025-10-21T15:00:00")
    env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material(c) for c in ALWAYS],
        "submitted_at": "2025-10-21T15:00:00+08:00"}, OFFICER)   # due 2025-11-04

    def check(when):
        env.now = at(when)
        sent = usecases.check_clocks(db=env.db, outbox=env.outbox, rules=env.rules,
                                    now=env.now, remind_workdays=2)
        assert sent.pop("failed") == 0
        return sent

    assert check("2025-10-30T09:00:00") == {"reminders": 0, "overdue": 0}  # 3 workdays left
    assert check("2025-10-31T09:00:00") == {"reminders": 1, "overdue": 0}  # 11-03, 11-04
    assert check("2025-11-03T09:00:00") == {"reminders": 0, "overdue": 0}
    assert check("2025-11-04T20:00:00") == {"reminders": 0, "overdue": 0}  # due day itself
    assert check("2025-11-05T00:30:00") == {"reminders": 0, "overdue": 1}
    assert check("2025-11-06T09:00:00") == {"reminders": 0, "overdue": 0}
    soon = env.events("review_due_soon.v1")
    assert [(e["data"]["due"], e["data"]["workdays_left"]) for e in soon] == [("2025-11-04", 2)]
    late = env.events("review_overdue.v1")
    assert [(e["data"]["due"], e["data"]["days_overdue"]) for e in late] == [("2025-11-04", 1)]
    assert late[0]["actor"]["id"] == "review-clock"

    # an extension gives a new due date (11-18), which gets its own reminder and overdue
    env.call(usecases.extend_deadline, "extend_deadline", {
        "review_id": view["id"], "reason": "案情复杂",
        "approved_at": "2025-11-06T09:00:00+08:00"}, HEAD)
    assert check("2025-11-07T09:00:00") == {"reminders": 0, "overdue": 0}
    assert check("2025-11-17T09:00:00") == {"reminders": 1, "overdue": 0}
    assert check("2025-11-19T09:00:00") == {"reminders": 0, "overdue": 1}
    assert check("2025-11-20T09:00:00") == {"reminders": 0, "overdue": 0}
    assert [e["data"]["due"] for e in env.events("review_overdue.v1")] == ["2025-11-04",
                                                                          "2025-11-18"]


# ---- the clock's rules, without a database -----------------------------------------------------

def clock_review(**fields) -> dict:
    base = {"agency": "qinyuan-energy", "state": domain.UNDER_REVIEW,
            "clock_start": date(2025, 10, 21), "stops": [], "extension": None,
            "deadline": {"due": "2025-11-04"}, "reminded_for": None, "overdue_for": None}
    return dict(base, **fields)


def test_no_due_date_before_the_clock_starts_or_while_it_is_stopped():
    assert domain.deadline_fields(RULES.calendar, QINYUAN, clock_review(clock_start=None)) == {
        "deadline": None}
    assert domain.deadline_fields(RULES.calendar, QINYUAN,
                                  clock_review(state=domain.PAUSED)) == {"deadline": None}
    fields = domain.deadline_fields(RULES.calendar, QINYUAN, clock_review(
        stops=[{"stopped_on": "2025-10-22", "resumed_on": "2025-10-24", "reason": "x",
                "label": "补充材料"}], extension={"approved_by": "head-1"}))
    first, current = fields.get("first_deadline"), fields["deadline"]
    assert first is not None and current is not None
    assert first["due"] == "2025-11-06"
    assert current["due"] == "2025-11-20"


def test_a_stop_is_resumed_on_or_after_its_day():
    reason = domain.pause_reason(QINYUAN, "expert_argument")
    stops = domain.stopped(clock_review(), reason, date(2025, 10, 22), "专家论证会")
    assert stops == [{"stopped_on": "2025-10-22", "resumed_on": None,
                      "reason": "expert_argument", "label": "专家论证", "note": "专家论证会"}]
    with pytest.raises(ValidationFailed) as err:
        domain.resumed(clock_review(stops=stops), date(2025, 10, 21))
    assert list(err.value.details) == ["resumed_at"]
    assert domain.resumed(clock_review(stops=stops), date(2025, 10, 22))[-1]["resumed_on"] \
        == "2025-10-22"


def test_the_period_is_extended_once_and_only_once_the_clock_runs():
    approved = datetime(2025, 10, 27, 9, 0, tzinfo=UTC)
    assert domain.extension(clock_review(), "head-1", "案情复杂", approved) == {
        "approved_by": "head-1", "reason": "案情复杂", "approved_at": approved.isoformat()}
    with pytest.raises(Conflict) as err:
        domain.extension(clock_review(extension={}), "head-1", "x", approved)
    assert err.value.code == "already_extended"
    with pytest.raises(DomainRuleViolated) as refused:
        domain.extension(clock_review(clock_start=None), "head-1", "x", approved)
    assert refused.value.code == "clock_not_started"


@pytest.mark.parametrize("today,fields,owed", [
    (date(2025, 10, 30), {}, None),                                  # 3 workdays left
    (date(2025, 10, 31), {}, ("reminders", 2)),
    (date(2025, 10, 31), {"reminded_for": date(2025, 11, 4)}, None),
    (date(2025, 11, 4), {"reminded_for": date(2025, 11, 4)}, None),  # the due day itself
    (date(2025, 11, 5), {"reminded_for": date(2025, 11, 4)}, ("overdue", 1)),
    (date(2025, 11, 6), {"overdue_for": date(2025, 11, 4)}, None),
    (date(2025, 11, 6), {"deadline": None}, None),
])
def test_the_watch_owes_one_reminder_and_one_overdue_notice_per_due_date(today, fields, owed):
    found = domain.clock_owes(RULES.calendar, clock_review(**fields), today, 2)
    assert (None if found is None else (found.kind, found.days)) == owed
    if found is not None:
        assert found.due == date(2025, 11, 4)
        assert domain.CLOCK_EVENTS[found.kind].event_type in ("review_due_soon.v1",
                                                              "review_overdue.v1")
