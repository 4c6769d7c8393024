"""The annual statistics report (行政执法统计年报: 000《公示办法》第十六条, 003 二(一)1(3), base
国办发〔2018〕118号) and the supervisor's view of 004 第五十七条, as pure rules: when the report
falls due and to whom (the rule set's disclosure.annual_report), the disclosure publisher's own
figures of a year, the record keeper's figures taken as they come or named missing — never a
zero invented — and the items a supervisor reads: (一)(二) not published as required, (三) not
updated or corrected in time, (四) published what must not be."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.calendar.legal import Calendar
from shared.errors import DomainRuleViolated
from shared.rulesets.repository import RuleSet
from shared.rulesets.vocabulary import ACT_TYPES, ANNUAL_FIGURES

RECIPIENTS_ZH = {"public": "社会公众", "government": "本级人民政府", "superior": "上级主管部门"}
# the figure groups of the report; which the rule set's `figures` lists (all where it is silent)
FIGURE_GROUPS = ANNUAL_FIGURES
# the groups the record keeper counts (records.annual_figures); the rest are the publisher's
RECORD_GROUPS = ("penalties", "coercive_measures", "inspection_plan", "complaints")
WITHDRAWAL_ZH = {"changed": "被变更", "revoked": "被撤销", "illegal": "被确认违法",
                 "void": "被确认无效", "not_publishable": "依法不应公开"}
CORRECTION_ZH = {"filed": "已受理", "verified": "已核实", "corrected": "已更正",
                 "rejected": "不予更正", "forwarded": "已转交", "answered": "已答复"}
# a withdrawal on this ground means something was published that must not have been (004 第五十
# 七条（四）); the others follow a change of the decision (行政处罚法 第四十八条)
NOT_PUBLISHABLE = "not_publishable"
SUPERVISION_ITEMS = {
    "not_published": ("004 第五十七条（一）（二）", "不依法履行公示职责、不依法公示应当公示的信息"),
    "not_updated": ("004 第五十七条（三）", "不及时更新或者更正已公示的信息"),
    "published_forbidden": ("004 第五十七条（四）", "将依法禁止公示的信息公示"),
}


@dataclass(frozen=True)
class Due:
    """When a year's report falls due and to whom, from the rule set."""
    year: int
    due: date
    recipients: tuple[str, ...]
    public: bool
    figures: tuple[str, ...]
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "due": self.due.isoformat(),
                "recipients": list(self.recipients), "public": self.public,
                "figures": list(self.figures), "basis": self.basis}


def due_of(rs: RuleSet, year: int) -> Due:
    """The report on `year` falls due on the rule set's month and day of the next year (每年1月
    10日前 / 1月31日前: a fixed day of the calendar, not a period, so it does not move)."""
    section = rs.section("disclosure").get("annual_report")
    if section is None:
        raise DomainRuleViolated(f"rule set {rs.ref} has no disclosure.annual_report",
                                 code="no_annual_report",
                                 message_zh=f"规则集 {rs.ref} 未规定行政执法统计年报")
    recipients = tuple(section["recipients"])
    published = {r["code"] for r in rs.section("disclosure").get("published_results", [])}
    return Due(year=year, due=date(year + 1, section["due"]["month"], section["due"]["day"]),
               recipients=recipients,
               public="public" in recipients or "annual_statistics" in published,
               figures=tuple(section.get("figures") or FIGURE_GROUPS), basis=section["basis"])


def workdays_left(calendar: Calendar, due: Due, today: date, agency: str) -> int:
    """Working days from today to the due day (negative once it has passed)."""
    if today <= due.due:
        return calendar.workdays_between(today, due.due, agency)
    return -calendar.workdays_between(due.due, today, agency)


def is_overdue(due: Due, today: date, published: bool) -> bool:
    return not published and today > due.due


def report_year(today: date) -> int:
    """The year a report compiled today is about: the past one."""
    return today.year - 1


# ---- the publisher's own figures ---------------------------------------------------------------

def _counts(values: Iterable[str], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    counts = Counter(values)
    return [{"code": code, "label": labels.get(code, code), "count": n}
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _in(value: Any, year: int) -> bool:
    return value is not None and _day(value).year == year


def publication_figures(pubs: Sequence[Mapping[str, Any]], year: int,
                        as_of: date) -> dict[str, Any]:
    """Publications of decisions made in `year`: drafted and published by act type, published
    late, still unpublished past their due day on `as_of`."""
    made = [p for p in pubs if _in(p["decision_date"], year)]
    published = [p for p in made if p.get("published") is not None]
    late = [p for p in published if p.get("published_on") and p["published_on"] > _day(p["due"])]
    overdue = [p for p in made if p["state"] == "draft" and _day(p["due"]) < as_of]
    return {"decisions": len(made), "published": len(published),
            "by_act_type": _counts((p["act_type"] for p in published), ACT_TYPES),
            "published_late": len(late), "overdue_unpublished": len(overdue)}


def withheld_figures(pubs: Sequence[Mapping[str, Any]], year: int) -> dict[str, Any]:
    """Decisions of `year` withheld in whole (state withheld) and in part, by ground."""
    made = [p for p in pubs if _in(p["decision_date"], year) and p.get("review")]
    whole = [p for p in made if p["review"]["outcome"] == "withhold"]
    part = [p for p in made if p["review"]["outcome"] == "partial"]
    grounds = [g["code"] for p in whole + part for g in p["review"].get("grounds") or []]
    labels = {g["code"]: g.get("label", g["code"]) for p in whole + part
              for g in p["review"].get("grounds") or []}
    return {"whole": len(whole), "part": len(part), "by_ground": _counts(grounds, labels)}


def withdrawal_figures(pubs: Sequence[Mapping[str, Any]], year: int) -> dict[str, Any]:
    """Publications withdrawn in `year` (the day of the withdrawal), by ground, and how many
    after their due day (行政处罚法 第四十八条)."""
    done = [p["withdrawal"] for p in pubs if p.get("withdrawal") and _in(p["withdrawal"]["at"],
                                                                          year)]
    return {"withdrawn": len(done), "late": sum(bool(w.get("late")) for w in done),
            "by_ground": _counts((w["ground"] for w in done), WITHDRAWAL_ZH)}


def correction_figures(corrections: Sequence[Mapping[str, Any]], year: int) -> dict[str, Any]:
    """Requests to correct filed in `year`, by where each stands (its outcome)."""
    filed = [c for c in corrections if c["year"] == year]
    return {"filed": len(filed), "by_outcome": _counts((c["state"] for c in filed),
                                                       CORRECTION_ZH)}


def own_figures(pubs: Sequence[Mapping[str, Any]], corrections: Sequence[Mapping[str, Any]],
                year: int, as_of: date) -> dict[str, Any]:
    publications = publication_figures(pubs, year, as_of)
    return {"publications": publications, "withheld": withheld_figures(pubs, year),
            "corrections": correction_figures(corrections, year),
            "withdrawals": withdrawal_figures(pubs, year),
            "overdue": {"published_late": publications["published_late"],
                        "overdue_unpublished": publications["overdue_unpublished"]}}


# ---- the report ------------------------------------------------------------------------------

def merge_figures(due: Due, own: Mapping[str, Any], records: Mapping[str, Any] | None,
                  records_gap: str | None) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The figures the rule set's report carries, and the gaps: a group the record keeper was
    to count and did not (records_gap says why), and a figure it says it does not hold."""
    figures: dict[str, Any] = {}
    gaps: list[dict[str, str]] = []
    for group in due.figures:
        if group not in RECORD_GROUPS:
            figures[group] = own[group]
        elif records is None:
            gaps.append({"figure": group, "label": FIGURE_GROUPS[group],
                         "reason": records_gap or "the record keeper did not answer"})
        else:
            figures[group] = records[group]
            missing = records[group].get("missing") if isinstance(records[group], dict) else None
            if missing:
                gaps.append({"figure": f"{group}.{missing['figure']}",
                             "label": FIGURE_GROUPS[group], "reason": missing["reason_zh"]})
    return figures, gaps


def with_inspection_register(figures: dict[str, Any], listed: int) -> None:
    """The items on the agency's 随机抽查事项清单 at the year's end (the publisher's register),
    beside the inspections the record keeper counted: what was to be checked, not how often
    (its 抽查比例和频次 is text), so the plan's number stays a gap."""
    if "inspection_plan" in figures:
        figures["inspection_plan"] = dict(figures["inspection_plan"],
                                          register_items=listed)


def chart_series(figures: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, int]]]]:
    """The bar charts the report draws: per group that has counts by kind, its bars."""
    out = []
    for group, key in (("publications", "by_act_type"), ("penalties", "by_kind"),
                       ("coercive_measures", "by_kind"), ("complaints", "by_kind"),
                       ("withdrawals", "by_ground"), ("corrections", "by_outcome")):
        items = (figures.get(group) or {}).get(key) or []
        if items:
            out.append((FIGURE_GROUPS[group], [(i["label"] or i["code"], int(i["count"]))
                                               for i in items]))
    return out


# each group's table: its unit, the totals it starts with (the row's words, the figure's key),
# and the key of its counts by kind (None where it has none)
TABLES: tuple[tuple[str, str, tuple[tuple[str, str], ...], str | None], ...] = (
    ("publications", "条", (("行政执法决定", "decisions"), ("已公示", "published")),
     "by_act_type"),
    ("withheld", "件", (("全部不予公开", "whole"), ("部分不予公开", "part")), "by_ground"),
    ("withdrawals", "条", (("撤回公示信息", "withdrawn"), ("其中逾期撤回", "late")),
     "by_ground"),
    ("corrections", "件", (("受理更正申请", "filed"),), "by_outcome"),
    ("overdue", "条", (("逾期公示", "published_late"), ("逾期尚未公示", "overdue_unpublished")),
     None),
    ("penalties", "件", (("作出行政处罚决定", "decisions"), ("其中重大行政执法决定", "major")),
     "by_kind"),
    ("coercive_measures", "件", (("作出行政强制决定", "decisions"),), "by_kind"),
    ("complaints", "件", (("受理投诉、举报及移送线索", "received"),), "by_kind"),
    ("inspection_plan", "件", (("随机抽查事项清单所列事项", "register_items"),
                              ("行政检查案件", "inspection_cases"),
                              ("“双随机”抽查", "random_inspections")), None),
)


def statistics_rows(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's table of figures: one row per count, category first; a group not
    obtained has no row (it is a gap, never a zero)."""
    rows: list[dict[str, Any]] = []
    for group, unit, totals, by_kind in TABLES:
        found = figures.get(group)
        if not found:
            continue
        category = FIGURE_GROUPS[group][:30]
        counted = [(item, found.get(key)) for item, key in totals]
        counted += [(i["label"] or i["code"], i["count"]) for i in found.get(by_kind or "", [])]
        rows += [{"category": category, "item": str(item)[:100], "count": int(n), "unit": unit}
                 for item, n in counted if n is not None]
    return rows


# ---- the supervisor's view (004 第五十七条) -----------------------------------------------------

def _in_period(value: Any, start: date, end: date) -> bool:
    return value is not None and start <= _day(value) <= end


def not_published(pubs: Sequence[Mapping[str, Any]], start: date, end: date,
                  today: date) -> list[dict[str, Any]]:
    """(一)(二): drafts past their due day and not published, publications made after it,
    decisions withheld with no ground of the rule set."""
    out = []
    for p in pubs:
        due = _day(p["due"])
        if not start <= due <= end:
            continue
        review = p.get("review") or {}
        if p["state"] == "draft" and due < today:
            out.append(_item(p, "overdue", due=due, days=None))
        elif p.get("published_on") and p["published_on"] > due:
            out.append(_item(p, "published_late", due=due, on=p["published_on"]))
        elif review.get("outcome") == "withhold" and not review.get("grounds"):
            out.append(_item(p, "withheld_without_basis", due=due,
                             on=_day(review["at"]) if review.get("at") else None))
    return out


def not_updated(pubs: Sequence[Mapping[str, Any]], corrections: Sequence[Mapping[str, Any]],
                start: date, end: date, today: date) -> list[dict[str, Any]]:
    """(三): withdrawals after their due day (行政处罚法 第四十八条), requests to correct still
    without an answer, publications still shown after their display window ended."""
    out = []
    for p in pubs:
        w = p.get("withdrawal")
        if w and w.get("late") and _in_period(w["at"], start, end):
            out.append(_item(p, "withdrawn_late", due=_day(w["due"]), on=_day(w["at"]),
                             decided_on=w["decided_on"]))
        until = p.get("display_until")
        if p["state"] == "published" and until and _day(until) < today and _in_period(
                until, start, end):
            out.append(_item(p, "not_taken_down", due=_day(until), on=None))
    for c in corrections:
        if c["state"] != "answered" and _in_period(c["created_at"], start,
                                                                        end):
            out.append({"kind": "correction_unanswered", "publication_id": c["publication_id"],
                        "correction": c["number"], "filed_on": _day(c["created_at"]).isoformat(),
                        "state": c["state"], "due": None,
                        "note": "no seed sets a period for answering a request to correct: "
                                "listed while it has no answer"})
    return out


def published_forbidden(pubs: Sequence[Mapping[str, Any]], start: date,
                        end: date) -> list[dict[str, Any]]:
    """(四): publications withdrawn because they must not have been published."""
    return [_item(p, "withdrawn_not_publishable", due=None, on=_day(p["withdrawal"]["at"]),
                  reason=p["withdrawal"]["reason"])
            for p in pubs if p.get("withdrawal") and p["withdrawal"]["ground"] == NOT_PUBLISHABLE
            and _in_period(p["withdrawal"]["at"], start, end)]


def _item(p: Mapping[str, Any], kind: str, *, due: date | None, on: date | None = None,
          **more: Any) -> dict[str, Any]:
    return {"kind": kind, "publication_id": p["id"], "decision_no": p["decision_no"],
            "act_type": p["act_type"], "decision_date": _day(p["decision_date"]).isoformat(),
            "due": due.isoformat() if due else None, "on": on.isoformat() if on else None,
            "state": p["state"], **more}


def supervision(agency: str, pubs: Sequence[Mapping[str, Any]],
                corrections: Sequence[Mapping[str, Any]], start: date, end: date,
                today: date) -> dict[str, Any]:
    found = {"not_published": not_published(pubs, start, end, today),
             "not_updated": not_updated(pubs, corrections, start, end, today),
             "published_forbidden": published_forbidden(pubs, start, end)}
    return {"agency": agency, "items": [
        {"code": code, "article": SUPERVISION_ITEMS[code][0], "label": SUPERVISION_ITEMS[code][1],
         "count": len(found[code]), "publications": found[code]} for code in SUPERVISION_ITEMS]}


# ---- the document (the renderer's annual_statistics_report, version 2) --------------------------

TEMPLATE_ID = "annual_statistics_report"
TEMPLATE_VERSION = 2


def document_data(due: Due, authority: str, figures: Mapping[str, Any],
                  gaps: Sequence[Mapping[str, str]], charts: Sequence[Mapping[str, Any]],
                  today: date) -> dict[str, Any]:
    """The render data of the report: its figures as rows, its charts (title and image), the
    figures it could not obtain and why."""
    penalties = figures.get("penalties") or {}
    return {
        "authority_name": authority[:60], "year": due.year,
        "recipients": "、".join(RECIPIENTS_ZH[r] for r in due.recipients)[:200],
        "introduction": f"根据{due.basis}的规定，现将本机关{due.year}年度行政执法总体情况及有关"
                        f"数据报告如下。"[:1000],
        "basis": due.basis[:300], "statistics": statistics_rows(figures),
        "fines_total": penalties.get("fines_total"),
        "charts": [dict(c) for c in charts],
        "gaps": [{"label": g["label"][:60], "reason": g["reason"][:500]} for g in gaps],
        "report_date": today.isoformat(),
        "disclosure_note": "此件公开发布" if due.public else "此件不公开"}


def tables(figures: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, int]]]]:
    """The figures as the portal's tables: one per group, its rows (label, count)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for row in statistics_rows(figures):
        out.setdefault(row["category"], []).append((row["item"], row["count"]))
    return list(out.items())
