"""A request to correct a publication (000 第十九条, 002 第十八条, 004 第二十一条), as pure rules:
its one transition table, who may take each step, its number (更正〔2026〕7号), and the fields a
correction may change.

A request is acknowledged with its number when filed, verified by a publisher or the legal unit,
then corrected (审核属实), rejected with reasons or forwarded to the competent agency (002 第十八条:
不属于本行政执法机关职能范围的，可以转送有权更正的行政执法机关), and answered in writing (004
第二十一条: 应当将信息更正情况书面答复申请人).

None of the three seeds sets a period for handling a request: 000 第十九条 says 及时作出处理,
002 第十八条 and 004 第二十一条 name no period at all. So a request carries no due date; when a rule
set gives one, it is to be counted through the shared calendar like the publication deadline."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.disclosure.domain.redaction import scan_text
from shared.errors import DomainRuleViolated, ValidationFailed

STATES = ("filed", "verified", "corrected", "rejected", "forwarded", "answered")
ACTS = ("verify", "correct", "reject", "forward", "answer")
DECISIONS = ("correct", "reject", "forward")
# the one transition table: (state, act) → the state after
TRANSITIONS: dict[tuple[str, str], str] = {
    ("filed", "verify"): "verified",
    ("verified", "correct"): "corrected",
    ("verified", "reject"): "rejected",
    ("verified", "forward"): "forwarded",
    ("corrected", "answer"): "answered",
    ("rejected", "answer"): "answered",
    ("forwarded", "answer"): "answered",
}
# who may take each step (filing: any member of the agency's staff entering a request)
FILE_ROLES = ("publisher", "head", "legal_unit", "reviewer")
ACT_ROLES: dict[str, tuple[str, ...]] = {
    "verify": ("publisher", "legal_unit"),
    "correct": ("publisher", "legal_unit"),
    "reject": ("publisher", "legal_unit"),
    "forward": ("publisher", "legal_unit"),
    "answer": ("publisher", "legal_unit", "head"),
}
ACT_ZH = {"verify": "核实", "correct": "更正", "reject": "不予更正", "forward": "转送",
          "answer": "书面答复"}
STATE_ZH = {"filed": "已受理", "verified": "已核实", "corrected": "已更正",
            "rejected": "不予更正", "forwarded": "已转送", "answered": "已答复"}
# bounds of what a request carries
MAX_TEXT = 2000
MAX_NAME = 100
MAX_EVIDENCE = 20


def step(act: str, state: str, by: str, role: str, at: str,
         body: Mapping[str, Any]) -> dict[str, Any]:
    """A step taken on a request as it is recorded: the act, the state it led to, who took it
    (id and role) and when."""
    return {"act": act, "state": state, "by": by, "role": role, "at": at, "body": dict(body)}


def next_state(state: str, act: str) -> str:
    """The state after `act` on a request in `state`, or a refusal naming both."""
    if act not in ACT_ZH:
        raise ValidationFailed(
            f"act: {act!r} is not one of {', '.join(ACTS)}",
            message_zh=f"更正申请的处理“{act}”不存在（可用：{'、'.join(ACT_ZH.values())}）",
            details={"act": [f"one of {', '.join(ACTS)}"]})
    after = TRANSITIONS.get((state, act))
    if after is None:
        allowed = [a for (s, a) in TRANSITIONS if s == state]
        raise DomainRuleViolated(
            f"a correction request that is {state} cannot be {act}ed"
            f" (allowed: {', '.join(allowed) or 'nothing'})",
            message_zh=f"更正申请当前为“{STATE_ZH.get(state, state)}”，不能"
                       f"{ACT_ZH[act]}（此时可以："
                       f"{'、'.join(ACT_ZH[a] for a in allowed) or '无'}）",
            details={"rule": "correction_transition", "state": state, "act": act})
    return after


def check_role(act: str, role: str) -> None:
    """Refused unless `role` may take `act` (verifying and deciding: publisher, legal unit)."""
    roles = FILE_ROLES if act == "file" else ACT_ROLES[act]
    if role not in roles:
        raise DomainRuleViolated(
            f"role {role!r} may not {act} a correction request (only {', '.join(roles)})",
            message_zh=f"角色“{role}”不能对更正申请进行“{ACT_ZH.get(act, '受理')}”"
                       f"（仅限：{'、'.join(roles)}）",
            details={"rule": "correction_role", "act": act, "role": role})


def number(year: int, seq: int) -> str:
    """The request's number as acknowledged: 更正〔2026〕7号."""
    return f"更正〔{year}〕{seq}号"


def check_corrections(published: Mapping[str, Mapping[str, Any]],
                      fields: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The corrected fields as `part.code` → {before, after}: each must name a field the public
    sees (summary.* or credit.*) and change it."""
    if not fields:
        raise ValidationFailed(
            "fields: a correction changes at least one published field",
            message_zh="更正至少要修改一个已公示的字段（fields 不能为空）",
            details={"fields": ["at least one published field"]})
    out: dict[str, dict[str, Any]] = {}
    for path, value in fields.items():
        part, _, code = path.partition(".")
        shown = published.get(part) or {}
        if code not in shown:
            raise ValidationFailed(
                f"fields.{path}: not a field the publication shows",
                message_zh=f"字段“{path}”不是该公示信息中公开的字段，不能更正",
                details={f"fields.{path}": ["a published field (summary.* or credit.*)"]})
        before = shown[code].get("value") if isinstance(shown[code], Mapping) else shown[code]
        if before == value:
            raise ValidationFailed(
                f"fields.{path}: the corrected value equals the published one",
                message_zh=f"字段“{path}”更正后的内容与公示内容相同",
                details={f"fields.{path}": ["differs from the published value"]})
        out[path] = {"before": before, "after": value}
    return out


def corrected_view(published: Mapping[str, Mapping[str, Any]],
                   changes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the public sees after the correction (the published fields with the changes)."""
    out = {part: {code: dict(v) if isinstance(v, Mapping) else v for code, v in shown.items()}
           for part, shown in published.items()}
    for path, change in changes.items():
        part, _, code = path.partition(".")
        cell = out[part][code]
        if isinstance(cell, dict):
            cell["value"] = change["after"]
        else:
            out[part][code] = change["after"]
    return out


def check_decision(decision: str, fields: Mapping[str, Any], forward_to: str | None) -> None:
    """correct names the fields as corrected; forward names the competent agency; neither
    reject nor forward changes a field."""
    if decision == "forward" and not forward_to:
        raise ValidationFailed(
            "forward_to: forwarding names the competent agency (002 第十八条)",
            message_zh="转送更正申请须写明有权更正的行政执法机关（forward_to）",
            details={"forward_to": ["required to forward"]})
    if decision != "forward" and forward_to:
        raise ValidationFailed(
            f"forward_to: only a forwarded request names an agency, not one to {decision}",
            message_zh=f"只有转送才填写接收机关（forward_to），“{ACT_ZH[decision]}”不填",
            details={"forward_to": ["only to forward"]})
    if decision != "correct" and fields:
        raise ValidationFailed(
            f"fields: only a correction changes fields, not one to {decision}",
            message_zh=f"只有更正才修改公示字段（fields），“{ACT_ZH[decision]}”不修改",
            details={"fields": ["only to correct"]})


def check_answer_date(answered_on: date, received_on: date, today: date) -> None:
    """An answer is dated between the day the request was received and today."""
    if answered_on > today or answered_on < received_on:
        raise ValidationFailed(
            f"answered_on: {answered_on} is not between the day received ({received_on}) and "
            f"today ({today})",
            message_zh=f"答复日期 {answered_on} 应在收到申请之日（{received_on}）与今天"
                       f"（{today}）之间",
            details={"answered_on": [f"between {received_on} and {today}"]})


def check_received(received_on: date, today: date) -> None:
    if received_on > today:
        raise ValidationFailed(
            f"received_on: {received_on} is after today ({today})",
            message_zh=f"收到申请的日期 {received_on} 晚于今天（{today}）",
            details={"received_on": [f"not after {today}"]})


def view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A request as the contract answers it. No rule set names a period for it (000 第十九条
    says 及时, 002 第十八条 and 004 第二十一条 nothing), so its deadline is null."""
    out = {k: row[k] for k in ("id", "agency", "number", "year", "seq", "publication_id",
                               "state", "requester", "problem", "evidence", "decision", "answer",
                               "steps", "created_at")}
    out["deadline"] = None
    out["channel"] = row.get("channel") or "staff"
    out["attachments"] = list(row.get("attachments") or [])
    return out


def check_unredacted(changes: Mapping[str, Mapping[str, Any]], as_of: date) -> None:
    """A corrected value goes public without the review's redaction: one in which the scan
    finds a personal number or an address below county level is refused (written masked)."""
    for path, change in changes.items():
        hits = scan_text(str(change["after"]), as_of=as_of)
        if hits:
            hit = hits[0]
            raise DomainRuleViolated(
                f"fields.{path}: the corrected value holds a {hit.kind} ({hit.reason}); "
                "write it masked as published",
                message_zh=f"字段“{path}”更正后的内容含有应当遮蔽的个人信息（{hit.reason_zh}），"
                           "请按公示的遮蔽方式填写",
                details={"rule": "correction_unredacted", "field": f"fields.{path}",
                         "kind": hit.kind})


# the written answer's document (templates/correction_answer): the renderer renders it
ANSWER_TEMPLATE = "correction_answer"


def answer_document(row: Mapping[str, Any], pub: Mapping[str, Any], agency_name: str,
                    answer: Mapping[str, Any], received_on: date) -> dict[str, Any]:
    """What the 更正申请答复书 is rendered from: the request, its decision and the answer (the
    template's fields), with the agency and request it is for."""
    decision = row.get("decision") or {}
    requester = row["requester"]
    document: dict[str, Any] = {
        "authority_name": agency_name, "doc_number": row["number"],
        "requester": {"name": requester["name"], "kind": requester["kind"]},
        "received_date": received_on.isoformat(), "decision_number": pub["decision_no"],
        "problem": row["problem"], "outcome": decision.get("decision") or "reject",
        "reason": decision.get("reason") or "", "answer_text": answer["text"],
        "answer_date": answer["answered_on"].isoformat()}
    if decision.get("forward_to"):
        document["forward_to"] = decision["forward_to"]
    return {"agency": row["agency"], "correction_id": row["id"], "document": document}
