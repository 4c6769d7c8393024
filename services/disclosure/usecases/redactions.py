"""Redaction of a publication (000《公示办法》第十三条第二款; 002 第十五条; 004 第十九条),
joined to its life: on drafting, the party's structured fields masked by the rule set's
`disclosure.redaction` (each change recorded) and its free text scanned, each hit an open item;
the reviewer resolves every hit (mask, or keep with a reason: consent, the public interest) by
resolve_redactions; publishing is refused while a hit is open, and the published text is the
served text with exactly the recorded redactions (verify_redactions holds before anything is
written)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.disclosure import store
from services.disclosure.domain import redaction as rd
from services.disclosure.usecases.common import begin
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor

PARTY_CLASS = {"individual": "natural_person", "organisation": "organisation"}
# where each 双公示 field of redaction.FIELDS stands in a publication
LOCATIONS = {"party_name": ("summary.party", "credit.party_name"),
             "party_class": ("credit.party_category",), "credit_code": ("credit.credit_code",),
             "legal_rep": ("credit.representative",),
             "legal_rep_id_type": ("credit.representative_id_type",),
             "legal_rep_id_number": ("credit.representative_id_number",),
             "confiscation": ("credit.confiscation_amount",), "licence": ("credit.licence",),
             "penalty_category": ("credit.penalty_category",),
             "valid_until": ("credit.valid_until",), "id_type": ("credit.id_type",),
             "id_number": ("credit.id_number",), "decision_no": ("credit.decision_number",),
             "violation_type": ("credit.violation_type",), "facts": ("credit.facts",),
             "legal_basis": ("credit.legal_basis",),
             "penalty_content": ("credit.penalty_content",), "fine": ("credit.fine_amount",),
             "decision_date": ("credit.decision_date",), "authority": ("credit.authority",),
             "remark": ("credit.note",)}
# the free text scanned (违法事实, 执法结论, 案件名称, 处罚内容)
FREE_TEXT = ("summary.case_name", "summary.facts", "summary.conclusion", "credit.facts",
             "credit.penalty_content")


def rules_of(rs: RuleSet) -> rd.RedactionRules:
    """The rule set's redaction rules, read in full (a refusal names each entry at fault)."""
    section = rs.section("disclosure").get("redaction")
    return rd.RedactionRules.from_mapping(section if section is not None else rd.DEFAULT_RULES)


def _value(summary: Mapping[str, Any], credit: Mapping[str, Any], location: str) -> Any:
    part, code = location.split(".", 1)
    field = (summary if part == "summary" else credit).get(code)
    return field.get("value") if isinstance(field, Mapping) else None


def prepare(summary: Mapping[str, Any], credit: Mapping[str, Any], party_kind: str,
            rules: rd.RedactionRules, as_of: date) -> dict[str, Any]:
    """What a draft keeps of its redaction: the structured fields' masks (by location), the
    free text as served and each hit in it, open."""
    party_class = PARTY_CLASS.get(party_kind, "natural_person")
    values: dict[str, str | None] = {}
    for code, locations in LOCATIONS.items():
        found = [_value(summary, credit, at) for at in locations]
        present = [v for v in found if v is not None]
        if present:
            values[code] = str(present[0])
    masked = rd.mask_fields(values, party_class, rules)
    fields = [{"field": at, "kind": change.kind, "replacement": change.replacement}
              for change in masked.redactions for at in LOCATIONS[change.field]
              if _value(summary, credit, at) is not None]
    texts = {at: str(v) for at in FREE_TEXT
             if isinstance(v := _value(summary, credit, at), str) and v}
    hits: list[dict[str, Any]] = []
    scanned: set[str] = set()
    for at, text in texts.items():
        if text in scanned:
            continue  # the same text at another place: resolved once, applied to both
        scanned.add(text)
        hits += [{"id": f"{at}:{h.start}-{h.end}", "text_of": at, "kind": h.kind,
                  "kind_zh": rd.HIT_KINDS[h.kind], "start": h.start, "end": h.end,
                  "text": h.text, "reason": h.reason, "reason_zh": h.reason_zh,
                  "resolution": None} for h in rd.scan_text(text, as_of=as_of)]
    return {"basis": rules.basis, "party_class": party_class, "fields": fields,
            "texts": texts, "hits": hits, "record": None}


def open_hits(redaction: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [h for h in (redaction or {}).get("hits", []) if h["resolution"] is None]


def with_completions(redaction: Mapping[str, Any], summary: Mapping[str, Any],
                     as_of: date) -> dict[str, Any]:
    """The redaction with the free text the review completes (案件名称 of a decision from the
    record keeper): the reviewer writes it, so it is refused, naming what the scan found,
    while it holds a personal number or address — written masked it is published as it is."""
    out = dict(redaction, texts=dict(redaction["texts"]))
    for at in FREE_TEXT:
        part, code = at.split(".", 1)
        value = _value(summary, {}, at) if part == "summary" else None
        if not isinstance(value, str) or not value or at in out["texts"]:
            continue
        found = rd.scan_text(value, as_of=as_of)
        if found:
            names = "；".join(f"{rd.HIT_KINDS[h.kind]}“{h.text}”" for h in found)
            raise ValidationFailed(
                f"completions.{code}: holds {', '.join(h.kind for h in found)}: write it masked",
                message_zh=f"补充的{code}含有疑似个人信息（{names}），请遮蔽后再补充",
                details={f"completions.{code}": [
                    f"{h.kind} at {h.start}-{h.end}: {h.reason}" for h in found]})
        out["texts"][at] = value
    return out


# ---- resolving --------------------------------------------------------------------------------

def _refuse(path: str, rule: str, rule_zh: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {rule}", message_zh=f"{path}：{rule_zh}",
                            details={path: [rule]})


def _resolution(i: int, item: Mapping[str, Any], hits: Mapping[str, dict[str, Any]],
                rules: rd.RedactionRules, actor: Actor, now: datetime) -> dict[str, Any]:
    hit = hits.get(item["hit"])
    if hit is None:
        raise _refuse(f"resolutions.{i}.hit", f"{item['hit']!r} is not a hit of this draft",
                      f"{item['hit']!r} 不是该草稿扫描出的待处理项"
                      f"（可用：{'、'.join(hits) or '无'}）")
    reason = (item.get("reason") or "").strip()
    if item["action"] == "keep" and not reason:
        raise _refuse(f"resolutions.{i}.reason",
                      "required to keep a hit: the person's consent or the public interest",
                      f"保留{hit['kind_zh']}“{hit['text']}”须写明理由（本人同意或不公开会对公共利益"
                      "造成重大影响）")
    kind = item.get("kind")
    if kind is not None and (item["action"] != "mask" or kind not in rules.masks):
        raise _refuse(f"resolutions.{i}.kind", f"with mask only, one of {', '.join(rules.masks)}",
                      f"遮蔽类别只用于遮蔽，须为{'、'.join(rd.MASK_KINDS[k] for k in rules.masks)}"
                      "之一")
    return {"action": item["action"], "kind": kind, "reason": reason or None, "by": actor.id,
            "at": now.isoformat()}


def resolve_redactions(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                       now: datetime, **_: object) -> dict:
    """The reviewer's decision on hits of a draft's free text: mask (the hit's own kind, or
    `kind`) or keep with its reason. A hit may be decided again until the draft is reviewed."""
    with db.transaction() as session:
        pub = begin(session, p["publication_id"], actor)
        if pub["state"] != "draft":
            raise DomainRuleViolated(
                f"a publication that is {pub['state']} has no open redactions",
                message_zh="只有待审核的公示草稿可以处理脱敏项",
                details={"rule": "state", "state": pub["state"], "act": "resolve"})
        rs_rules = rules_of(rules.ruleset(pub["ruleset"]))
        redaction = dict(pub["redaction"] or prepare(
            pub["summary"], pub["credit"], pub["party_kind"], rs_rules, pub["decision_date"]))
        hits = {h["id"]: dict(h) for h in redaction["hits"]}
        seen: set[str] = set()
        for i, item in enumerate(p["resolutions"]):
            if item["hit"] in seen:
                raise _refuse(f"resolutions.{i}.hit", "each hit resolved once in a request",
                              f"待处理项 {item['hit']} 在同一请求中只能处理一次")
            seen.add(item["hit"])
            hits[item["hit"]]["resolution"] = _resolution(i, item, hits, rs_rules, actor, now)
        redaction["hits"] = list(hits.values())
        store.add_history(session, pub, actor, "resolved", {"resolutions": [
            {"hit": r["hit"], "action": r["action"], "kind": r.get("kind"),
             "reason": r.get("reason")} for r in p["resolutions"]],
            "open": len(open_hits(redaction))}, now)
        store.save(session, pub["id"], redaction=redaction, history_seq=pub["history_seq"],
                   updated_at=now)
        store.log(session, pub["id"], actor, "resolved", {"hits": sorted(seen)}, now)
        return store.view(dict(pub, redaction=redaction), store.history(session, pub["id"]))


# ---- publishing -------------------------------------------------------------------------------

def refuse_open(redaction: Mapping[str, Any]) -> None:
    """Publishing refused while a hit is open, naming each."""
    left = open_hits(redaction)
    if left:
        names = "；".join(f"{h['id']}（{h['kind_zh']}“{h['text']}”）" for h in left)
        raise DomainRuleViolated(
            f"redactions unresolved: {', '.join(h['id'] for h in left)}: resolve each hit "
            "(resolve_redactions) before publishing",
            message_zh=f"以下疑似个人信息尚未处理（遮蔽或写明理由保留），不能公开：{names}",
            details={"rule": "redactions_unresolved", "hits": [h["id"] for h in left]})


def apply(redaction: Mapping[str, Any], summary: Mapping[str, Any], credit: Mapping[str, Any],
          rules: rd.RedactionRules) -> tuple[dict, dict, dict[str, Any]]:
    """The summary and 双公示 record as published, and the redaction record the public act
    holds: each free text is the served one with exactly the recorded spans replaced
    (verify_redactions is checked here, before anything is written), the same text at several
    places (违法事实 in the summary and the 双公示 record) redacted once, its places named."""
    refuse_open(redaction)
    out = {"summary": {c: dict(f) for c, f in summary.items()},
           "credit": {c: dict(f) for c, f in credit.items()}}
    for change in redaction["fields"]:
        part, code = change["field"].split(".", 1)
        if change["replacement"] is None:
            out[part].pop(code, None)
        elif code in out[part]:
            out[part][code]["value"] = change["replacement"]
    texts: dict[str, Any] = {}
    redacted: dict[str, str] = {}
    first: dict[str, str] = {}
    for at, original in redaction["texts"].items():
        if original not in redacted:
            first[original] = at
            texts[at] = _redact(at, original, redaction["hits"], rules)
            redacted[original] = texts[at].pop("published")
        texts[first[original]]["places"].append(at)
        part, code = at.split(".", 1)
        if code in out[part]:
            out[part][code]["value"] = redacted[original]
    record = {"basis": redaction["basis"], "party_class": redaction["party_class"],
              "fields": redaction["fields"], "texts": texts}
    return out["summary"], out["credit"], record


def _redact(at: str, original: str, hits: list[dict[str, Any]],
            rules: rd.RedactionRules) -> dict[str, Any]:
    mine = [h for h in hits if h["text_of"] == at]
    found = [rd.Hit(h["kind"], h["start"], h["end"], h["text"], h["reason"], h["reason_zh"])
             for h in mine]
    resolutions = [rd.Resolution(h["start"], h["end"], h["resolution"]["action"],
                                 h["resolution"].get("kind"),
                                 h["resolution"].get("reason") or "") for h in mine]
    done = rd.apply_redactions(original, found, resolutions, rules)
    if not rd.verify_redactions(original, done.text, done.record):
        raise DomainRuleViolated(
            f"{at}: the published text is not the served one with the recorded redactions",
            message_zh=f"{at}：公开文本与原文去除已记录的遮蔽后不一致，未公开",
            details={"rule": "redaction_unverified", "field": at})
    return {"published": done.text, "places": [],
            "entries": [{"start": e.start, "end": e.end, "kind": e.kind,
                         "replacement": e.replacement} for e in done.record],
            "kept": [{"start": k.start, "end": k.end, "reason": k.reason} for k in done.kept]}
