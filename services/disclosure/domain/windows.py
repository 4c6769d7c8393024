"""Public display windows of published penalties (信用修复管理办法, 发改委令2025年第36号, in force
2026-04-01), pure: the class a publication is given at review, whether it may be published at all
(轻微: not published), the day its window ends (taken down automatically after it) and the first
day a 信用修复 decision may take it down early (after the class's minimum).

Windows are counted in calendar months from the decision date, never a number of days (民法典
第二百零二条): the corresponding day N months later, or that month's last day where it has no
such day — 2026-01-31 + 1 month ends on 2026-02-28, 2028-02-29 + 12 months on 2029-02-28. The
publication is shown through the end day and taken down on the day after it; the minimum has
passed on the day after the minimum's end day. The month arithmetic is the shared calendar's
(shared.calendar.years.months_after, beside the vault's retention in years)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.calendar.years import months_after
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.repository import RuleSet

__all__ = ["DisplayClass", "months_after", "classes_of", "display_class", "window",
           "Window", "repair_allowed", "expired", "applies_to"]


@dataclass(frozen=True)
class DisplayClass:
    code: str
    label: str
    published: bool
    min_months: int
    max_months: int
    basis: str


@dataclass(frozen=True)
class Window:
    """A publication's display window: shown from the decision date through `ends` (taken down
    on the day after), repairable from `repairable_from`."""
    display_class: str
    decision_date: date
    ends: date
    repairable_from: date
    basis: str

    def as_record(self) -> dict[str, Any]:
        return {"class": self.display_class, "decision_date": self.decision_date.isoformat(),
                "ends": self.ends.isoformat(), "repairable_from": self.repairable_from.isoformat(),
                "basis": self.basis}


def classes_of(rs: RuleSet) -> dict[str, DisplayClass]:
    """The rule set's display classes by code (empty where it sets no display windows)."""
    section = rs.section("disclosure").get("display_windows") or {}
    return {c["code"]: DisplayClass(c["code"], c["label"], bool(c["published"]),
                                    int(c.get("min_months", 0)), int(c.get("max_months", 0)),
                                    c["basis"])
            for c in section.get("classes", [])}


def applies_to(rs: RuleSet, act_type: str, decided: date) -> bool:
    """Whether a publication of `act_type` decided on `decided` must be given a display class
    at review: an act type the rule set names, decided on or after its `in_force` day."""
    section = rs.section("disclosure").get("display_windows") or {}
    return (bool(section.get("classes")) and act_type in section.get("act_types", [])
            and decided >= date.fromisoformat(section["in_force"]))


def display_class(rs: RuleSet, act_type: str, decided: date,
                  code: str | None) -> DisplayClass | None:
    """The class asked for at publishing, checked: required for the act types the rule set
    names (decided from its in-force day), one of its classes, and not one that is never
    published (轻微: withhold it on the ground `minor_penalty`)."""
    classes = classes_of(rs)
    if code is None:
        if applies_to(rs, act_type, decided):
            raise ValidationFailed(
                f"display_class is required to publish a {act_type} decision "
                f"(one of {sorted(classes)}; disclosure.display_windows)",
                message_zh="公示行政处罚决定须确定失信信息类别（display_class：轻微、一般或严重），"
                           "以确定公示期限（信用修复管理办法）",
                details={"field": "display_class", "ruleset": rs.ref})
        return None
    chosen = classes.get(code)
    if chosen is None:
        raise ValidationFailed(
            f"display_class {code!r} is not a class of rule set {rs.ref} "
            f"(one of {sorted(classes)}; disclosure.display_windows)",
            message_zh=f"失信信息类别“{code}”不在规则集的公示期限类别中",
            details={"field": "display_class", "ruleset": rs.ref})
    if not chosen.published:
        raise DomainRuleViolated(
            f"a {chosen.label} ({code}) penalty is not published: {chosen.basis}; "
            f"withhold it on the ground minor_penalty (display_class)",
            message_zh=f"{chosen.label}失信信息不予公示（{chosen.basis}），不得发布；"
                       "应以“轻微失信信息不予公示”（minor_penalty）决定不予公开",
            details={"field": "display_class", "ruleset": rs.ref, "basis": chosen.basis})
    return chosen


def window(chosen: DisplayClass, decision_date: date) -> Window:
    """The display window of a publication of class `chosen` decided on `decision_date`."""
    return Window(chosen.code, decision_date, months_after(decision_date, chosen.max_months),
                  _day_after(months_after(decision_date, chosen.min_months)), chosen.basis)


def repair_allowed(win: dict[str, Any], today: date) -> None:
    """Refuses a 信用修复 take-down before the class's minimum has passed."""
    starts = date.fromisoformat(win["repairable_from"])
    if today < starts:
        raise DomainRuleViolated(
            f"credit repair is possible from {starts.isoformat()}, after the minimum display "
            f"window of class {win['class']} ({win['basis']})",
            message_zh=f"公示未满最短公示期，{starts.isoformat()}起方可信用修复提前撤下"
                       f"（{win['basis']}）",
            details={"field": "decided_on", "repairable_from": starts.isoformat()})


def expired(win: dict[str, Any] | None, today: date) -> bool:
    """Whether a window has ended (the publication is taken down the day after its end day)."""
    return win is not None and today > date.fromisoformat(win["ends"])


def _day_after(day: date) -> date:
    """The next calendar day (a period's end day is its last day; what follows starts next)."""
    return date.fromordinal(day.toordinal() + 1)

