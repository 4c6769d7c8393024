"""The 双公示 file for the provincial credit platform (国办发〔2015〕51号; 发改办财金〔2018〕424号
行政处罚信息数据标准), as pure rules: its two templates (法人及非法人组织, 自然人), each a
selection of the rule set's `disclosure.credit_fields` — the one list of the columns, in the
standard's order — and one row per public penalty: every value as the public sees it, a column
kept from the public (a natural person's ID number) as the redaction rules mask it, unless the
rule set's `disclosure.credit_export` says the platform takes the drafted values in full;
amounts in 万元 to the fen (six places, half up), dates as the rule set lays them out."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from shared.errors import ValidationFailed
from shared.rulesets.repository import RuleSet

# template → the kind of party whose penalties it holds
TEMPLATES: Final = {"legal_person": "organisation", "natural_person": "individual"}
TEMPLATE_ZH: Final = {"legal_person": "法人及非法人组织", "natural_person": "自然人"}
FORMATS: Final = ("csv", "xlsx")
# columns holding an amount in 万元, and a date
AMOUNTS: Final = frozenset({"fine_amount", "confiscation_amount"})
DATES: Final = frozenset({"decision_date", "valid_until", "publish_until"})
# 1 fen is 0.000001 万元: an amount to the fen is exact at six places
FEN: Final = Decimal("0.000001")
DATE_LAYOUTS: Final = {"YYYY/MM/DD": "%Y/%m/%d", "YYYY-MM-DD": "%Y-%m-%d"}
DEFAULT_SETTINGS: Final = {"personal_data": "as_published", "date_format": "YYYY/MM/DD"}
# what a spreadsheet program would run as a formula: such a cell is written with a leading '
ACTIVE: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    public: bool


@dataclass(frozen=True)
class Settings:
    personal_data: str                      # as_published | full
    date_format: str                        # YYYY/MM/DD | YYYY-MM-DD
    authority_code: str | None = None
    source: str | None = None
    source_code: str | None = None

    @classmethod
    def of(cls, rs: RuleSet) -> Settings:
        section = {**DEFAULT_SETTINGS, **(rs.section("disclosure").get("credit_export") or {})}
        return cls(str(section["personal_data"]), str(section["date_format"]),
                   section.get("authority_code"), section.get("source"),
                   section.get("source_code"))


def template_error(field: str, value: object, choices: Sequence[str]) -> ValidationFailed:
    return ValidationFailed(f"{field}: {value!r} is not one of {', '.join(choices)}",
                            message_zh=f"{field}：{value!r} 不是可选值（{'、'.join(choices)}）之一",
                            details={field: [f"one of {', '.join(choices)}"]})


def columns(rs: RuleSet, template: str) -> tuple[Column, ...]:
    """The template's columns: the rule set's credit fields of penalties for its kind of
    party, in the rule set's order."""
    kind = TEMPLATES.get(template)
    if kind is None:
        raise template_error("template", template, tuple(TEMPLATES))
    return tuple(Column(f["code"], f["label"], bool(f["public"]))
                 for f in rs.section("disclosure").get("credit_fields", [])
                 if "penalty" in f.get("act_types", ()) and kind in f.get("party_kinds", ()))


def wan_yuan(value: object) -> str | None:
    """An amount already in 万元 (as the draft holds it) to the fen, half up, no trailing
    zeros: 0.5, 1.234568, 12."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "") else text


def day(value: object, layout: str) -> str | None:
    if value in (None, ""):
        return None
    on = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return on.strftime(DATE_LAYOUTS[layout])


def _masked(pub: Mapping[str, Any]) -> dict[str, str | None]:
    """The redaction's replacement of each 双公示 column it changed (None: dropped)."""
    fields = (pub.get("redaction") or {}).get("fields") or []
    return {f["field"].split(".", 1)[1]: f["replacement"] for f in fields
            if f["field"].startswith("credit.")}


def _withheld(pub: Mapping[str, Any]) -> frozenset[str]:
    """The fields the review withheld in part (trade secrets, privacy)."""
    return frozenset((pub.get("review") or {}).get("withheld_fields") or ())


def _value(column: Column, pub: Mapping[str, Any], settings: Settings,
           masked: Mapping[str, str | None]) -> Any:
    drafted = (pub.get("credit") or {}).get(column.code) or {}
    if settings.personal_data == "full":
        return drafted.get("value")
    if column.public or column.code in _withheld(pub):
        # as published: redacted, a column withheld in part absent
        return ((pub.get("published") or {}).get("credit") or {}).get(column.code)
    if column.code in masked:
        return masked[column.code]
    # kept from the public page, the redaction rules publish it as it is (证件类型)
    return drafted.get("value")


def _filled(code: str, value: Any, pub: Mapping[str, Any], settings: Settings) -> Any:
    """A column the draft does not capture, from the publication or the rule set."""
    if value not in (None, ""):
        return value
    if code == "publish_until":
        return pub.get("display_until")
    if code == "authority_code":
        return settings.authority_code
    if code == "source":
        return settings.source or ((pub.get("credit") or {}).get("authority") or {}).get("value")
    if code == "source_code":
        return settings.source_code or settings.authority_code
    return value


def row(cols: Sequence[Column], pub: Mapping[str, Any], settings: Settings) -> list[str | None]:
    """One publication's row of the template: text, amounts in 万元, dates laid out."""
    masked = _masked(pub)
    out: list[str | None] = []
    for column in cols:
        value = _filled(column.code, _value(column, pub, settings, masked), pub, settings)
        if column.code in AMOUNTS:
            out.append(wan_yuan(value))
        elif column.code in DATES:
            out.append(day(value, settings.date_format))
        else:
            out.append(None if value in (None, "") else str(value))
    return out


def neutral(value: str | None) -> str:
    """A cell's text, a leading ' before what a spreadsheet program would run as a formula."""
    if value is None:
        return ""
    return "'" + value if value.startswith(ACTIVE) else value
