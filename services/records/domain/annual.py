"""The record keeper's figures of an agency's year for the annual statistics report (000《公示办法》
第十六条: 执法检查计划执行情况, 行政处罚、行政强制等案件的办理情况, 投诉、举报案件的受理和分类办理
情况; 003 二(一)1(3)): counted from what the record keeper holds, each figure saying what it
counts. What it does not hold is named as missing with the reason, never counted as zero."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.rulesets.vocabulary import AV_SITUATIONS, MEASURES, START_MODES

# the situations recorded on an entry that are 行政强制措施 or 行政强制执行 (行政强制法 第九条、
# 第十二条); the other situations (现场检查, 调查取证, …) are not coercion
COERCIVE_SITUATIONS = ("restrict_liberty", "seal", "seize", "demolish", "substitute_performance",
                       "remove_obstruction", "restore_original_state")
# a complaint or referral case's start_state, as the report classifies how it was handled
COMPLAINT_OUTCOMES = {"approved": "经审查立案查处", "not_started": "经审查不予立案",
                      "pending_decision": "尚在审查"}
INSPECTION_PLAN_MISSING = (
    "the record keeper keeps no inspection plan (执法检查计划): the inspections carried out are "
    "counted, the plan they are measured against is not recorded anywhere")
INSPECTION_PLAN_MISSING_ZH = "记录保管服务不保存执法检查计划：已开展的检查可统计，计划数无处可取"


@dataclass(frozen=True)
class Decision:
    """A decision issued in the year: its act type, measures and fine, from its proposal."""
    act_type: str
    measures: tuple[str, ...] = ()
    fine_amount: Decimal | None = None
    major: bool = False


@dataclass(frozen=True)
class Case:
    """A case opened in the year."""
    act_type: str
    start_mode: str
    start_state: str


@dataclass
class Year:
    cases: list[Case] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    situations: list[str] = field(default_factory=list)   # codes recorded in the year


def _items(counts: Mapping[str, int], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"code": code, "label": labels.get(code, code), "count": n}
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def penalties(year: Year) -> dict[str, Any]:
    """行政处罚 decisions issued in the year by kind: each measure named (行政处罚法 第九条) and
    罚款 where a fine was imposed; a decision with several kinds counts under each."""
    issued = [d for d in year.decisions if d.act_type == "penalty"]
    kinds: Counter[str] = Counter()
    for d in issued:
        kinds.update(set(d.measures))
        if d.fine_amount:
            kinds["fine"] += 1
    total = sum((d.fine_amount or Decimal(0) for d in issued), Decimal(0))
    return {"decisions": len(issued), "major": sum(d.major for d in issued),
            "fines_total": str(total),
            "by_kind": _items(kinds, {**MEASURES, "fine": "罚款"})}


def coercive_measures(year: Year) -> dict[str, Any]:
    """行政强制 in the year: the coercive situations recorded on the cases' entries by kind,
    and the 行政强制 decisions issued."""
    kinds = Counter(c for c in year.situations if c in COERCIVE_SITUATIONS)
    return {"decisions": sum(d.act_type == "coercion" for d in year.decisions),
            "by_kind": _items(kinds, AV_SITUATIONS)}


def complaints(year: Year) -> dict[str, Any]:
    """Cases opened in the year on a complaint or report (投诉、举报) or a referral (移送), by
    how each was handled (立案查处, 不予立案, 尚在审查)."""
    rows = [c for c in year.cases if c.start_mode in ("complaint", "referral")]
    by_kind = Counter(f"{c.start_mode}:{c.start_state}" for c in rows)
    labels = {f"{m}:{s}": f"{START_MODES[m]}—{COMPLAINT_OUTCOMES.get(s, s)}"
              for m in ("complaint", "referral") for s in COMPLAINT_OUTCOMES}
    return {"received": len(rows), "by_kind": _items(by_kind, labels)}


def inspections(year: Year) -> dict[str, Any]:
    """Inspections carried out: 行政检查 cases opened in the year and the 随机抽查 recorded;
    the plan itself is missing (INSPECTION_PLAN_MISSING)."""
    return {"inspection_cases": sum(c.act_type == "inspection" for c in year.cases),
            "random_inspections": sum(c == "random_inspection" for c in year.situations),
            "planned": None, "missing": {"figure": "planned", "reason": INSPECTION_PLAN_MISSING,
                                         "reason_zh": INSPECTION_PLAN_MISSING_ZH}}


def figures(year: Year) -> dict[str, Any]:
    """Every figure of the record keeper's year."""
    opened = Counter(c.act_type for c in year.cases)
    return {"cases_opened": len(year.cases),
            "cases_by_act_type": [{"code": k, "count": n} for k, n in sorted(opened.items())],
            "decisions_issued": len(year.decisions),
            "penalties": penalties(year), "coercive_measures": coercive_measures(year),
            "complaints": complaints(year), "inspection_plan": inspections(year)}


def decision_of(proposal: Mapping[str, Any], issued: Mapping[str, Any]) -> Decision:
    """A Decision from the content of its decision_proposed and decision_issued entries."""
    d = proposal["decision"]
    fine = d.get("fine_amount")
    return Decision(act_type=d["act_type"], measures=tuple(d.get("measures") or ()),
                    fine_amount=Decimal(str(fine)) if fine not in (None, "") else None,
                    major=bool(issued.get("major")))
