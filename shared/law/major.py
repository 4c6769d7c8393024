"""The major-decision catalogue (重大执法决定目录清单): is a proposed decision major?

Reads ``major_decisions`` of a rule set and names every rule that fired, with its basis.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.errors import ValidationFailed, fields_zh
from shared.rulesets.repository import RuleSet
from shared.rulesets.vocabulary import (
    ACT_TYPES,
    COERCIVE_EXECUTION_METHODS,
    ENFORCEMENT_LEVELS,
    GROUNDS,
    LICENCE_ACTION_MEASURES,
    LICENCE_ACTIONS,
    PARTY_KINDS,
    PROCEDURES,
)

# What a proposal payload may carry; anything else is refused rather than ignored.
_FIELDS = ("act_type", "party_kind", "fine_amount", "measures", "hearing_held", "grounds",
           "procedure", "licence_action", "coercive_execution", "enforcement_level", "sector",
           "amount_involved")


@dataclass(frozen=True)
class DecisionProposal:
    act_type: str
    party_kind: str | None = None
    fine_amount: str | Decimal | None = None
    measures: tuple[str, ...] = ()
    hearing_held: bool = False
    grounds: tuple[str, ...] = ()
    procedure: str = "general"
    licence_action: str | None = None
    coercive_execution: str | None = None
    # The factors of 002《法制审核办法》第九条第二款 beside the kind of act: 执法层级 (the level
    # of the body deciding), 所属领域 (a sector code), 涉案金额 (the amount involved, a
    # decimal string like a fine). Each matters only to a catalogue item that names it.
    enforcement_level: str | None = None
    sector: str | None = None
    amount_involved: str | Decimal | None = None

    @classmethod
    def from_dict(cls, payload: dict) -> DecisionProposal:
        unknown = sorted(set(payload) - set(_FIELDS))
        problems = {k: ["unknown field"] for k in unknown}
        if "act_type" not in payload:
            problems["act_type"] = ["required"]
        if problems:
            raise ValidationFailed(f"invalid proposal fields: {', '.join(problems)}",
                                   message_zh=fields_zh(problems), details=problems)
        data = dict(payload)
        for key in ("measures", "grounds"):
            if isinstance(data.get(key), list):
                data[key] = tuple(data[key])
        return cls(**data)

    @classmethod
    def from_request(cls, decision: Mapping[str, Any], party_kind: str | None) -> DecisionProposal:
        """The proposal a proposed decision makes, as the records contract carries it (its
        `decision`: act type, fine, measures, hearing, grounds, procedure, licence action,
        coercive execution — other keys such as the party or the text are not the catalogue's),
        for a party of `party_kind`."""
        return cls(act_type=decision["act_type"], party_kind=party_kind,
                   fine_amount=decision.get("fine_amount"),
                   measures=tuple(decision.get("measures") or ()),
                   hearing_held=bool(decision.get("hearing_held", False)),
                   grounds=tuple(decision.get("grounds") or ()),
                   procedure=decision.get("procedure", "general"),
                   licence_action=decision.get("licence_action"),
                   coercive_execution=decision.get("coercive_execution"),
                   enforcement_level=decision.get("enforcement_level"),
                   sector=decision.get("sector"),
                   amount_involved=decision.get("amount_involved"))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["measures"] = list(self.measures)
        out["grounds"] = list(self.grounds)
        for key in ("fine_amount", "amount_involved"):
            if out[key] is not None:
                out[key] = str(out[key])
        return out


@dataclass(frozen=True)
class FiredRule:
    code: str       # "fine_threshold", "measure.<code>", "ground.<code>", "hearing_held", …
    label: str
    basis: str
    detail: str = ""


@dataclass(frozen=True)
class Classification:
    major: bool
    fired: tuple[FiredRule, ...]
    # Rules that allow but do not require review (周村 004 第五十一条第一款 “可以”).
    optional: tuple[FiredRule, ...] = ()
    # What was asked about but did not fire here, and why — so nobody wonders.
    notes: tuple[str, ...] = ()
    ruleset: str = ""
    fingerprint: str = ""

    @property
    def review_allowed(self) -> bool:
        return self.major or bool(self.optional)

    def to_dict(self) -> dict:
        return {"major": self.major, "review_allowed": self.review_allowed,
                "fired": [asdict(r) for r in self.fired],
                "optional": [asdict(r) for r in self.optional],
                "notes": list(self.notes), "ruleset": self.ruleset,
                "fingerprint": self.fingerprint}


def _codes(value: Any, name: str, vocabulary: dict, errors: dict) -> tuple[str, ...]:
    # A bare string is iterable too; "suspend_production" must not become 18 letters.
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        errors.setdefault(name, []).append("must be a list of codes")
        return ()
    out = []
    for code in value:
        if code not in vocabulary:
            errors.setdefault(name, []).append(
                f"unknown {name[:-1]} code {code!r} (known: {', '.join(vocabulary)})")
        else:
            out.append(code)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class _Checked:
    """A proposal's codes and amounts, checked against the rule set's vocabularies."""
    measures: tuple[str, ...]
    grounds: tuple[str, ...]
    fine: Decimal | None
    involved: Decimal | None


def _validated(rs: RuleSet, p: DecisionProposal) -> _Checked:
    errors: dict[str, list[str]] = {}

    def check(name: str, value: Any, vocabulary: dict, optional: bool) -> None:
        if value is None and optional:
            return
        if value not in vocabulary:
            errors.setdefault(name, []).append(
                f"unknown {name} {value!r} (known: {', '.join(vocabulary)})")

    check("act_type", p.act_type, ACT_TYPES, False)
    check("party_kind", p.party_kind, PARTY_KINDS, True)
    check("procedure", p.procedure, PROCEDURES, False)
    check("licence_action", p.licence_action, LICENCE_ACTIONS, True)
    check("coercive_execution", p.coercive_execution, COERCIVE_EXECUTION_METHODS, True)
    check("enforcement_level", p.enforcement_level, ENFORCEMENT_LEVELS, True)
    check("sector", p.sector, rs.vocabulary("sectors"), True)
    # the rule set may declare measures of its own beside the shared ones
    measures = _codes(p.measures, "measures", rs.vocabulary("measures"), errors)
    grounds = _codes(p.grounds, "grounds", GROUNDS, errors)
    if not isinstance(p.hearing_held, bool):
        errors.setdefault("hearing_held", []).append("must be true or false")

    amount = _fine(p, errors) if p.fine_amount is not None else None
    involved = (_amount(p.amount_involved, "amount_involved", errors)
                if p.amount_involved is not None else None)
    _check_acts(p, errors)
    if errors:
        summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
        raise ValidationFailed(f"invalid decision proposal: {summary}", details=errors,
                               message_zh=fields_zh(errors))
    return _Checked(measures, grounds, amount, involved)


def _amount(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    """A decimal string (never a float) as a non-negative Decimal, or None noting why not."""
    if isinstance(value, (float, bool)) or not isinstance(value, (str, Decimal, int)):
        errors.setdefault(name, []).append(
            "must be a decimal string such as \"50000.00\" (never a float)")
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        errors.setdefault(name, []).append(f"not a non-negative decimal amount: {value!r}")
        return None
    return amount


def _fine(p: DecisionProposal, errors: dict[str, list[str]]) -> Decimal | None:
    """The fine as a Decimal (None where it is not one), noting what is wrong with it."""
    amount = None
    if isinstance(p.fine_amount, (float, bool)) \
            or not isinstance(p.fine_amount, (str, Decimal, int)):
        errors.setdefault("fine_amount", []).append(
            "must be a decimal string such as \"50000.00\" (never a float)")
    else:
        try:
            amount = Decimal(str(p.fine_amount).strip())
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0:
            errors.setdefault("fine_amount", []).append(
                f"not a non-negative decimal amount: {p.fine_amount!r}")
            amount = None
    if p.act_type != "penalty":
        errors.setdefault("fine_amount", []).append("a fine is only part of a penalty "
                                                    "(act_type 'penalty')")
    if p.party_kind is None:
        errors.setdefault("party_kind", []).append("needed to compare a fine with the "
                                                   "thresholds")
    return amount


def _check_acts(p: DecisionProposal, errors: dict[str, list[str]]) -> None:
    """A licence action and a coercive execution each belong to acts of their kind."""
    if p.licence_action in LICENCE_ACTIONS:
        if p.act_type == "penalty" and p.licence_action != "revoke":
            errors.setdefault("licence_action", []).append(
                "in a penalty the only licence action is revoke (吊销许可证件)")
        elif p.act_type not in ("licence", "penalty"):
            errors.setdefault("licence_action", []).append(
                "a licence action belongs to a licence decision or a penalty")
    if p.coercive_execution is not None and p.act_type != "coercion":
        errors.setdefault("coercive_execution", []).append(
            "coercive execution is an act of type 'coercion'")


def _applies(entry: dict, act_type: str) -> bool:
    return not entry.get("act_types") or act_type in entry["act_types"]


# The catalogue's rules in its order, each a few lines: kept whole (C901).
def classify(rs: RuleSet, p: DecisionProposal) -> Classification:  # noqa: C901
    """Classify ``p`` under rule set ``rs``; raises ValidationFailed for unknown codes."""
    checked = _validated(rs, p)
    measures, grounds, amount = checked.measures, checked.grounds, checked.fine
    md = rs.section("major_decisions")
    fired: list[FiredRule] = []
    optional: list[FiredRule] = []
    notes: list[str] = []

    for entry in md["act_types"]:
        if entry["code"] == p.act_type:
            fired.append(FiredRule(f"act_type.{p.act_type}", entry["label"], entry["basis"],
                                   f"act_type={p.act_type}"))

    if amount is not None:
        threshold = md["fine_thresholds"].get(p.party_kind)
        kind = PARTY_KINDS[p.party_kind or ""]  # _validated: a fine comes with a party kind
        if threshold is None:
            notes.append(f"fine_threshold: no threshold for {p.party_kind} in {rs.ref}")
        else:
            limit = Decimal(threshold["amount"])
            # 以上 includes the number itself (民法典 第一千二百五十九条), hence >=.
            if amount >= limit:
                fired.append(FiredRule(
                    "fine_threshold", f"对{kind}罚款{limit}元以上", threshold["basis"],
                    f"{p.party_kind} {kind} fine {amount} ≥ {limit} CNY"))
            else:
                notes.append(f"fine_threshold: {p.party_kind} {kind} fine {amount} < "
                             f"{limit} CNY")

    catalogue = {e["code"]: e for e in md["measures"]}
    asked: dict[str, str] = {m: f"measures includes {m}" for m in measures}
    if p.licence_action is not None:
        implied = LICENCE_ACTION_MEASURES.get((p.licence_action, p.act_type))
        if implied:
            asked.setdefault(implied, f"licence_action={p.licence_action}")
    for code, why in asked.items():
        entry = catalogue.get(code)
        if entry is None:
            notes.append(f"measure.{code}: not in the catalogue of {rs.ref}")
        elif not _applies(entry, p.act_type):
            notes.append(f"measure.{code}: catalogued only for "
                         f"{', '.join(entry['act_types'])}, not {p.act_type}")
        else:
            fired.append(FiredRule(f"measure.{code}", entry["label"], entry["basis"], why))

    hearing = md["hearing_held_is_major"]
    if p.hearing_held:
        if hearing["value"]:
            fired.append(FiredRule("hearing_held", "经过听证程序作出的决定", hearing["basis"],
                                   "hearing_held=true"))
        else:
            notes.append(f"hearing_held: a hearing does not make a decision major in {rs.ref}")

    ground_entries = {e["code"]: e for e in md["general_grounds"]}
    for code in grounds:
        entry = ground_entries.get(code)
        if entry is None:
            notes.append(f"ground.{code}: not a ground in the catalogue of {rs.ref}")
        elif not _applies(entry, p.act_type):
            notes.append(f"ground.{code}: applies only to {', '.join(entry['act_types'])}")
        else:
            fired.append(FiredRule(f"ground.{code}", entry["label"], entry["basis"],
                                   f"grounds includes {code}"))

    if p.coercive_execution is not None:
        rule = md["coercive_execution_is_major"]
        method = COERCIVE_EXECUTION_METHODS[p.coercive_execution]
        if not rule["value"]:
            notes.append(f"coercive_execution: not major as such in {rs.ref}")
        elif p.coercive_execution in rule.get("exceptions", ()):
            notes.append(f"coercive_execution: {p.coercive_execution} ({method}) is excepted "
                         f"({rule['basis']})")
        else:
            fired.append(FiredRule("coercive_execution", "行政强制执行决定", rule["basis"],
                                   f"coercive_execution={p.coercive_execution}（{method}）"))

    for item in md.get("catalogue", ()):
        rule, note = catalogue_item(item, p, checked.involved)
        if rule:
            fired.append(rule)
        elif note:
            notes.append(note)

    all_non_simple = md.get("all_non_simple_procedure")
    if all_non_simple and p.procedure != "simple":
        rule = FiredRule("all_non_simple_procedure", "法定简易程序以外的行政执法决定",
                         all_non_simple["basis"], f"procedure={p.procedure}")
        (fired if all_non_simple["mode"] == "must" else optional).append(rule)

    return Classification(major=bool(fired), fired=tuple(fired), optional=tuple(optional),
                          notes=tuple(notes), ruleset=rs.ref, fingerprint=rs.fingerprint)


def catalogue_item(item: dict, p: DecisionProposal,
                   involved: Decimal | None) -> tuple[FiredRule | None, str | None]:
    """An item of the agency's 目录清单 compiled by the factors of 002《法制审核办法》第九条
    第二款: it fires when the proposal meets every dimension the item names — its kinds of act,
    执法层级 (levels), 所属领域 (sectors), 涉案金额 from `amount_involved_from` (以上: the
    amount itself included) — and otherwise says which it did not meet, or which the proposal
    did not give."""
    code = f"catalogue.{item['code']}"
    met: list[str] = []
    dimensions = (("act_types", p.act_type, "act_type"), ("levels", p.enforcement_level,
                  "enforcement_level"), ("sectors", p.sector, "sector"))
    for key, value, name in dimensions:
        if not item.get(key):
            continue
        if value is None:
            return None, f"{code}: needs {name} ({', '.join(item[key])})"
        if value not in item[key]:
            return None, f"{code}: {name} {value} not in {', '.join(item[key])}"
        met.append(f"{name}={value}")
    if item.get("amount_involved_from") is not None:
        limit = Decimal(item["amount_involved_from"])
        if involved is None:
            return None, f"{code}: needs amount_involved (from {limit} CNY)"
        if involved < limit:
            return None, f"{code}: amount_involved {involved} < {limit} CNY"
        met.append(f"amount_involved {involved} ≥ {limit} CNY")
    return FiredRule(code, item["label"], item["basis"], "; ".join(met)), None
