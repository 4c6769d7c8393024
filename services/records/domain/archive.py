"""What a closed case hands to archiving (archive_due.v1): its manifest — the AV objects with
the storage labels each carries — and the facts its rule set's retention classes are written
against."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.rulesets import provider as rulebook
from shared.rulesets.repository import RuleSet

# the storage labels an AV record carries (001 附件2 第七条; 000 第三十二条)
AV_LABELS = ("party", "handler", "unit", "device_no", "started_at", "ended_at", "place")


def av_object(seq: int, content: Mapping[str, Any]) -> dict:
    """An AV record's object as the manifest lists it; one registered before a label existed
    (unit) simply lacks it."""
    media = content["media"]
    labels = {k: content[k] for k in AV_LABELS if content.get(k) is not None}
    return {"seq": seq, "object_ref": media["object_ref"], "sha256": media["sha256"], **labels}


def case_facts(case: Mapping[str, Any], situations: Iterable[str],
               entries: Iterable[tuple[str, Mapping[str, Any]]]) -> set[str]:
    """Facts of a case that retention conditions are written against: its situations and
    what its decision_proposed, decision_issued and av_record entries (kind, content) show."""
    facts = set(situations)
    for kind, content in entries:
        if kind == "decision_proposed" and content["classification"]["major"]:
            facts.add("major_difficult_complex")
        elif kind == "decision_issued" and case["act_type"] == "penalty":
            facts.add("penalty_evidence")
        elif kind == "av_record" and content.get("evidence_note"):
            facts.add("used_as_evidence")
    if "non_cooperation" in facts:
        facts.add("obstruction")
    if "mass_incident" in facts:
        facts.add("major_emergency_mass_incident")
    return facts


def manifest(case: Mapping[str, Any], due: dict, av_objects: list[dict], rs: RuleSet,
             facts: set[str]) -> dict:
    """archive_due.v1's data."""
    return {"case_id": case["id"], "case_no": case["case_no"], "title": case["title"],
            "act_type": case["act_type"], "parties": [p["name"] for p in case["parties"]],
            "handlers": case["handlers"], "due": due, "head_seq": case["head_seq"],
            "head_hash": case["head_hash"], "entries": case["head_seq"],
            "av_objects": av_objects, "retention": rulebook.retention_classes(rs, facts)}
