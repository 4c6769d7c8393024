"""The materials of a review: which the rule set asks for, which are still missing, and what a
submission changes — the day they were received, the day they were complete."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Required, TypedDict

from services.review.domain import states
from shared.errors import ValidationFailed
from shared.rulesets.repository import RuleSet


class Received(TypedDict, total=False):
    """The review's fields a submission sets (Review's keys)."""
    materials: Required[list[dict]]
    applicable: Required[list[str]]
    received_on: date | None
    clock_start: date | None


class Completed(TypedDict, total=False):
    """The review's fields once its materials are complete (Review's keys)."""
    complete_on: Required[date | None]
    clock_start: date | None


def materials_missing(rs: RuleSet, submitted: set[str], applicable: set[str],
                      hearing_held: bool) -> list[dict]:
    """What a complete submission still lacks (000 第五条, 002 第十条). `when_applicable`
    materials are owed when they exist: the hearing transcript when a hearing was held,
    anything the handling unit declared applicable."""
    owed = set(applicable) | ({"hearing_or_assessment"} if hearing_held else set())
    return [{"code": m["code"], "label": m["label"], "basis": m["basis"]}
            for m in rs.section("review")["materials"]
            if m["code"] not in submitted
            and (m["required"] == "always" or m["code"] in owed)]


def missing(rs: RuleSet, review: Mapping) -> list[dict]:
    """What the review's submissions still lack."""
    return materials_missing(rs, {m["code"] for m in review["materials"]},
                             set(review["applicable"]),
                             bool(review["decision"].get("hearing_held")))


def material_codes(rs: RuleSet) -> list[str]:
    return [m["code"] for m in rs.section("review")["materials"]]


def clock_starts_on_receipt(rs: RuleSet) -> bool:
    rule = rs.section("review").get("clock_starts")
    if not rule:
        return False
    return bool(rule["value"] == "receipt")


def known_materials(rs: RuleSet, materials: Sequence[Mapping],
                    applicable: Sequence[str]) -> dict[str, dict]:
    """The rule set's materials by code, once every code submitted or declared applicable is
    one of them."""
    known = {m["code"]: m for m in rs.section("review")["materials"]}
    bad = {f"materials.{i}.code": [f"not a material of {rs.ref}; one of: {', '.join(known)}"]
           for i, m in enumerate(materials) if m["code"] not in known}
    bad.update({f"applicable.{i}": [f"not a material of {rs.ref}"]
                for i, code in enumerate(applicable) if code not in known})
    if bad:
        raise ValidationFailed.from_messages(bad)
    return known


def received(review: Mapping, rs: RuleSet, known: Mapping[str, dict],
             materials: Sequence[Mapping], applicable: Sequence[str], day: date,
             by: str) -> Received:
    """The review's fields after a submission on `day`: the materials (a code submitted again
    replaces the earlier one), what is applicable, and — on the first submission — the day
    received, from which the clock runs where the rule set starts it on receipt."""
    by_code = {m["code"]: m for m in review["materials"]}
    for m in materials:
        by_code[m["code"]] = dict(m, label=known[m["code"]]["label"],
                                  submitted_on=day.isoformat(), submitted_by=by)
    out: Received = {"materials": list(by_code.values()),
                     "applicable": sorted(set(review["applicable"]) | set(applicable))}
    if review["received_on"] is None:
        out["received_on"] = day
        if clock_starts_on_receipt(rs):
            out["clock_start"] = day
    return out


def submission_outcome(lacking: Sequence[dict], complete_on: date | None) -> str | None:
    """How a submission ends for the state machine: the materials complete now, returned
    incomplete, or (complete before) nothing new."""
    if lacking:
        return states.INCOMPLETE
    return states.COMPLETE if complete_on is None else None


def completed(review: Mapping, day: date) -> Completed:
    """The review's fields once its materials are complete on `day`: the clock runs from
    then unless it already runs from receipt."""
    out: Completed = {"complete_on": day}
    if review["clock_start"] is None:
        out["clock_start"] = day
    return out
