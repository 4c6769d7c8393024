"""A publication of a decision, as pure rules: its draft (the rule set's summary fields and the
双公示 record), its deadline on the legal calendar, the review before publishing, what the public
sees, the withdrawal under 行政处罚法 第四十八条, and the reminders its clock owes."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shared.calendar.legal import Calendar
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.repository import RuleSet
from shared.rulesets.vocabulary import ACT_TYPES

# 国办发〔2018〕118号: licences and penalties within 7 working days, other decisions within 20
PROMPT_ACTS = frozenset({"licence", "penalty"})
PARTY_CATEGORIES = {"organisation": "法人及非法人组织", "individual": "自然人"}
STATES = ("draft", "published", "withheld", "withdrawn", "expired", "repaired")
# the one transition table: (state, act) → the state after
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "publish"): "published",
    ("draft", "partial"): "published",
    ("draft", "withhold"): "withheld",
    ("published", "withdraw"): "withdrawn",
    # the display window ended, or a 信用修复 took it down early (domain.windows)
    ("published", "expire"): "expired",
    ("published", "repair"): "repaired",
}
ACT_ZH = {"publish": "公开", "partial": "部分公开", "withhold": "不予公开", "withdraw": "撤回",
          "expire": "到期撤下", "repair": "信用修复撤下"}
SCOPE_ZH = {"whole": "全部不予公开", "part": "部分不予公开"}
STATE_ZH = {"draft": "待审核", "published": "已公开", "withheld": "不予公开",
            "withdrawn": "已撤回", "expired": "公示期满已撤下", "repaired": "已信用修复撤下"}


@dataclass(frozen=True)
class Decision:
    """What a decision says that its publication is drafted from."""
    act_type: str
    decision_no: str
    decision_date: date
    authority: str
    party: Mapping[str, Any]
    facts: str
    legal_basis: str
    conclusion: str
    case_name: str | None = None
    fine_amount: str | None = None
    violation_type: str | None = None
    penalty_category: str | None = None      # 处罚类别: 行政处罚法 第九条's kinds, 、-joined


@dataclass(frozen=True)
class Draft:
    summary: dict[str, dict[str, Any]]       # code → {label, value}
    credit: dict[str, dict[str, Any]]        # code → {label, value, public}
    missing: list[str]                       # summary codes without a value
    deadline: dict[str, Any]


def next_state(state: str, act: str) -> str:
    after = TRANSITIONS.get((state, act))
    if after is None:
        raise DomainRuleViolated(
            f"a publication that is {state} cannot be {act}ed",
            message_zh=f"公示信息当前状态为“{STATE_ZH.get(state, state)}”，不能"
                       f"{ACT_ZH.get(act, act)}",
            details={"rule": "state", "state": state, "act": act})
    return after


# ---- the draft ----------------------------------------------------------------------------------

def period_of(act_type: str) -> str:
    """The rule-set period a decision's publication is due by."""
    return "publish_licence_penalty" if act_type in PROMPT_ACTS else "publish_other_decision"


def deadline(calendar: Calendar, rs: RuleSet, act_type: str, decided: date,
             agency: str) -> dict[str, Any]:
    """The publication deadline: the rule set's period for the kind of act, counted from the
    decision date on the agency's legal calendar."""
    period = rs.period(period_of(act_type))
    due = calendar.due(decided, period.amount, period.unit, rule=period.name,
                       basis=period.basis, agency=agency)
    return {"due": due.due.isoformat(), "rule": period.name, "amount": period.amount,
            "unit": period.unit, "basis": period.basis, "start": decided.isoformat()}


def _summary_values(d: Decision) -> dict[str, str | None]:
    return {"document_number": d.decision_no, "case_name": d.case_name,
            "authority": d.authority, "party": str(d.party.get("name") or "") or None,
            "category": ACT_TYPES.get(d.act_type, d.act_type), "facts": d.facts,
            "legal_basis": d.legal_basis, "conclusion": d.conclusion,
            "decision_date": d.decision_date.isoformat()}


def summary(rs: RuleSet, d: Decision) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The rule set's summary fields with the decision's values; the codes it gives no value
    for (a decision from the record keeper names no 案件名称) are missing, for review to
    complete."""
    values = _summary_values(d)
    out: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for field in rs.section("disclosure")["summary_fields"]:
        value = values.get(field["code"])
        out[field["code"]] = {"label": field["label"], "value": value}
        if value is None:
            missing.append(field["code"])
    return out, missing


def wan_yuan(yuan: str | None) -> str | None:
    """An amount in yuan as the 双公示 record gives it: in 万元, without trailing zeros."""
    if yuan is None:
        return None
    text = format((Decimal(yuan) / Decimal(10000)).normalize(), "f")
    return text


def _credit_values(d: Decision) -> dict[str, str | None]:
    party = d.party
    return {"party_name": party.get("name"),
            "party_category": PARTY_CATEGORIES.get(str(party.get("kind"))),
            "credit_code": party.get("credit_code"),
            "representative": party.get("representative"),
            "representative_id_type": party.get("representative_id_type"),
            "representative_id_number": party.get("representative_id_number"),
            "id_type": party.get("id_type"), "id_number": party.get("id_number"),
            "decision_number": d.decision_no, "violation_type": d.violation_type,
            "facts": d.facts, "legal_basis": d.legal_basis,
            "penalty_category": d.penalty_category, "penalty_content": d.conclusion,
            "fine_amount": wan_yuan(d.fine_amount),
            "decision_date": d.decision_date.isoformat(), "authority": d.authority,
            "note": None}


def credit(rs: RuleSet, d: Decision) -> dict[str, dict[str, Any]]:
    """The 双公示 record of the decision: the rule set's credit fields for its kind of act and
    party. A field the rule set requires without a value is refused, naming it and its rule."""
    values = _credit_values(d)
    kind = str(d.party.get("kind"))
    out: dict[str, dict[str, Any]] = {}
    lacking: dict[str, list[str]] = {}
    for field in rs.section("disclosure").get("credit_fields", []):
        if d.act_type not in field.get("act_types", ()) or \
                kind not in field.get("party_kinds", ()):
            continue
        value = values.get(field["code"])
        if value is None and field["required"]:
            lacking[field["code"]] = [f"required by {rs.ref} disclosure.credit_fields "
                                      f"({field['basis']})"]
        out[field["code"]] = {"label": field["label"], "value": value,
                              "public": field["public"]}
    if lacking:
        labels = "、".join(out[c]["label"] for c in lacking)
        raise ValidationFailed(
            f"the 双公示 record lacks {', '.join(lacking)}",
            message_zh=f"双公示信息缺少必填项：{labels}"
                       f"（{rs.ref} 规则集 disclosure.credit_fields）",
            details=lacking)
    return out


def draft(calendar: Calendar, rs: RuleSet, d: Decision, agency: str) -> Draft:
    if d.act_type not in ACT_TYPES:
        raise ValidationFailed(f"act_type {d.act_type!r} is not a kind of enforcement act",
                               message_zh=f"执法行为类别 {d.act_type!r} 不在 004 第三条所列范围内",
                               details={"act_type": ["one of " + ", ".join(ACT_TYPES)]})
    fields, missing = summary(rs, d)
    return Draft(fields, credit(rs, d), missing,
                 deadline(calendar, rs, d.act_type, d.decision_date, agency))


# ---- the review ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Review:
    outcome: str
    grounds: list[dict[str, str]]            # [{code, label, basis}]
    withheld_fields: list[str]
    reason: str | None
    summary: dict[str, dict[str, Any]]       # completed


def _grounds(rs: RuleSet, codes: Sequence[str], scope: str) -> list[dict[str, str]]:
    known = {g["code"]: g for g in rs.section("disclosure")["withheld_grounds"]}
    out = []
    for i, code in enumerate(codes):
        ground = known.get(code)
        if ground is None:
            raise ValidationFailed(
                f"grounds.{i}: {code!r} is not a withheld ground of {rs.ref}",
                message_zh=f"不予公开的理由 {code!r} 不在规则集 {rs.ref} 的 "
                           f"disclosure.withheld_grounds 中（可用：{'、'.join(known)}）",
                details={f"grounds.{i}": [f"one of {', '.join(known)} "
                                          f"({rs.ref} disclosure.withheld_grounds)"]})
        has = ground.get("scope", "whole")
        if has != scope:
            raise DomainRuleViolated(
                f"ground {code!r} withholds {'the whole decision' if has == 'whole' else 'a part'}"
                f", not {'the whole' if scope == 'whole' else 'a part'} ({ground['basis']})",
                message_zh=f"理由“{ground['label']}”适用于{SCOPE_ZH[has]}，不能用于"
                           f"{SCOPE_ZH[scope]}（{ground['basis']}）",
                details={"rule": "ground_scope", "field": f"grounds.{i}", "ground": code,
                         "basis": ground["basis"]})
        out.append({"code": code, "label": ground["label"], "basis": ground["basis"]})
    return out


def _completed(current: Mapping[str, Mapping[str, Any]], missing: Sequence[str],
               completions: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    out = {code: dict(field) for code, field in current.items()}
    for code, value in completions.items():
        if code not in missing:
            raise ValidationFailed(
                f"completions.{code}: only a summary field the draft lacks may be completed",
                message_zh=f"只能补充草稿缺少的摘要字段，{code!r} 不是"
                           f"（缺少：{'、'.join(missing) or '无'}）",
                details={f"completions.{code}": ["one of the draft's missing fields: "
                                                 + (", ".join(missing) or "none")]})
        out[code]["value"] = value
    return out


def _needs_reason(outcome: str, reason: str | None) -> None:
    if reason is None:
        raise ValidationFailed(
            f"reason: required to {outcome}",
            message_zh=f"{ACT_ZH[outcome]}须说明理由（000 第十三条；002 第十五条；004 第十九条）",
            details={"reason": [f"required when outcome is {outcome}"]})


def _withheld_fields(fields: Sequence[str], known: set[str]) -> list[str]:
    if not fields:
        raise ValidationFailed(
            "withheld_fields: name the fields withheld in part",
            message_zh="部分不予公开须列明不予公开的字段",
            details={"withheld_fields": ["at least one field when outcome is partial"]})
    for i, code in enumerate(fields):
        if code not in known:
            raise ValidationFailed(
                f"withheld_fields.{i}: {code!r} is not a field of this publication",
                message_zh=f"不予公开的字段 {code!r} 不是该公示信息的字段",
                details={f"withheld_fields.{i}": ["one of " + ", ".join(sorted(known))]})
    return list(dict.fromkeys(fields))


def review(rs: RuleSet, state: str, current: Mapping[str, Mapping[str, Any]],
           credit_fields: Mapping[str, Any], missing: Sequence[str], *, outcome: str,
           grounds: Sequence[str], withheld_fields: Sequence[str], reason: str | None,
           completions: Mapping[str, str]) -> Review:
    """What a reviewer's decision records, or the rule it breaks."""
    next_state(state, outcome)
    fields = _completed(current, missing, completions)
    if outcome == "withhold":
        _needs_reason(outcome, reason)
        if withheld_fields:
            raise ValidationFailed(
                "withheld_fields: a decision withheld whole names no fields",
                message_zh="全部不予公开时不列明字段（部分不予公开请用 partial）",
                details={"withheld_fields": ["empty when outcome is withhold"]})
        if not grounds:
            raise ValidationFailed("grounds: at least one to withhold",
                                   message_zh="不予公开须列明理由类别（规则集 withheld_grounds）",
                                   details={"grounds": ["at least one when outcome is withhold"]})
        return Review(outcome, _grounds(rs, grounds, "whole"), [], reason, fields)
    still = [code for code, f in fields.items() if f["value"] is None]
    if still:
        labels = "、".join(fields[c]["label"] for c in still)
        raise DomainRuleViolated(
            f"summary fields {', '.join(still)} have no value: complete them to publish",
            message_zh=f"摘要字段“{labels}”尚无内容，补充后方可公开（{rs.ref} "
                       "disclosure.summary_fields）",
            details={"rule": "summary_incomplete", "missing": still})
    if outcome == "publish":
        if grounds or withheld_fields:
            raise ValidationFailed(
                "grounds, withheld_fields: a publication published whole withholds nothing",
                message_zh="全部公开时不得列明不予公开的理由或字段",
                details={"grounds": ["empty when outcome is publish"],
                         "withheld_fields": ["empty when outcome is publish"]})
        return Review(outcome, [], [], reason, fields)
    _needs_reason(outcome, reason)
    if not grounds:
        raise ValidationFailed("grounds: at least one to withhold in part",
                               message_zh="部分不予公开须列明理由类别（商业秘密、个人隐私等）",
                               details={"grounds": ["at least one when outcome is partial"]})
    known = set(fields) | set(credit_fields)
    return Review(outcome, _grounds(rs, grounds, "part"), _withheld_fields(withheld_fields, known),
                  reason, fields)


def public_view(summary_fields: Mapping[str, Mapping[str, Any]],
                credit_fields: Mapping[str, Mapping[str, Any]],
                withheld: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What the public sees: the summary and the public 双公示 columns, less those withheld."""
    hidden = set(withheld)
    return {"summary": {c: f["value"] for c, f in summary_fields.items() if c not in hidden},
            "credit": {c: f["value"] for c, f in credit_fields.items()
                       if f["public"] and c not in hidden}}


def is_late(deadline_fields: Mapping[str, Any], on: date) -> bool:
    return on > date.fromisoformat(str(deadline_fields["due"]))


# ---- the withdrawal ----------------------------------------------------------------------------

def withdrawal_due(calendar: Calendar, rs: RuleSet, decided_on: date, agency: str) -> date:
    """行政处罚法 第四十八条: withdrawn within 3 (working) days of the change."""
    period = rs.period("withdraw_changed_publication")
    return calendar.due(decided_on, period.amount, period.unit, rule=period.name,
                        basis=period.basis, agency=agency).due


def check_decided_on(decided_on: date, decision_date: date, today: date) -> None:
    if decided_on < decision_date or decided_on > today:
        raise ValidationFailed(
            f"decided_on: {decided_on} must fall between the decision date {decision_date} "
            f"and today {today}",
            message_zh=f"决定被变更、撤销或确认违法、无效的日期 {decided_on} 应在原决定日期 "
                       f"{decision_date} 与今天 {today} 之间",
            details={"decided_on": [f"between {decision_date} and {today}"]})


# ---- the clock ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Owed:
    kind: str            # due_soon | overdue
    due: date
    workdays: int


def clock_owes(calendar: Calendar, row: Mapping[str, Any], today: date,
               remind_workdays: int) -> Owed | None:
    """What a draft not yet reviewed is owed today: a reminder once within `remind_workdays`
    working days of its due date, an overdue notice once after it (each once per due date)."""
    if row["state"] != "draft":
        return None
    due = date.fromisoformat(str(row["deadline"]["due"]))
    agency = str(row["agency"])
    if today > due:
        if row.get("overdue_for") == due:
            return None
        return Owed("overdue", due, calendar.workdays_between(due, today, agency))
    left = calendar.workdays_between(today, due, agency)
    if left <= remind_workdays and row.get("reminded_for") != due:
        return Owed("due_soon", due, left)
    return None
