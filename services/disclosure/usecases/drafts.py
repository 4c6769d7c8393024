"""A decision drafted for publication: by RPC (create_draft, for an agency whose case system is
elsewhere) or from the record keeper's decision_issued.v1 (verified by the event gate, validated
against the record keeper's contract, handled once per message id and once per decision)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from contracts.records import CONTRACT as RECORDS
from services.disclosure import store
from services.disclosure.domain import publication as rules_of
from services.disclosure.models import inbox
from services.disclosure.usecases import redactions
from services.disclosure.usecases.common import SYSTEM
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, NotFound
from shared.messaging import consumer
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.rulesets.vocabulary import MEASURES
from shared.trust.actor import Actor


def create_draft(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                 now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    agency = rules.agency(p["agency"])
    decision = rules_of.Decision(
        act_type=p["act_type"], decision_no=p["decision_no"], decision_date=p["decision_date"],
        authority=p["authority"], party=p["party"], facts=p["facts"],
        legal_basis=p["legal_basis"], conclusion=p["conclusion"], case_name=p["case_name"],
        fine_amount=p["fine_amount"], violation_type=p["violation_type"])
    made = rules_of.draft(rules.calendar, agency.ruleset, decision, agency.code)
    redaction = _redaction(agency.ruleset, decision, made)
    with db.transaction() as session:
        if store.of_decision(session, agency.code, p["decision_no"]) is not None:
            raise DomainRuleViolated(
                f"decision {p['decision_no']} of {agency.code} is drafted already",
                message_zh=f"决定书 {p['decision_no']} 已有公示草稿，不再重复起草",
                details={"rule": "decision_drafted", "decision_no": p["decision_no"]})
        pub = _insert(session, agency.code, agency.ruleset.ref, "rpc", p["case_id"], decision,
                      made, redaction, actor, now)
        return store.view(pub, store.history(session, pub["id"]))


def _redaction(rs: RuleSet, decision: rules_of.Decision, made: rules_of.Draft) -> dict:
    """The draft's redaction: the party's fields masked by the rule set, its free text
    scanned, each hit open for the review (usecases.redactions)."""
    return redactions.prepare(made.summary, made.credit, str(decision.party["kind"]),
                              redactions.rules_of(rs), decision.decision_date)


def _insert(session: Session, agency: str, ruleset: str, source: str, case_id: str | None,
            decision: rules_of.Decision, made: rules_of.Draft, redaction: dict,
            actor: Actor | dict, now: datetime) -> dict:
    ref = actor if isinstance(actor, dict) else {"id": actor.id, "role": actor.role}
    pub: dict[str, Any] = {
        "id": str(uuid.uuid4()), "agency": agency, "ruleset": ruleset, "source": source,
        "case_id": case_id, "decision_no": decision.decision_no, "act_type": decision.act_type,
        "party_kind": decision.party["kind"], "decision_date": decision.decision_date,
        "state": "draft", "summary": made.summary, "credit": made.credit,
        "missing": made.missing, "published": None, "deadline": made.deadline,
        "due": date.fromisoformat(made.deadline["due"]), "review": None, "withdrawal": None,
        "redaction": redaction, "reminded_for": None, "overdue_for": None, "history_seq": 0,
        "created_at": now,
        "created_by": ref["id"], "updated_at": now}
    store.insert_publication(session, pub)
    store.add_history(session, pub, actor, "drafted",
                      {"source": source, "missing": made.missing, "due": made.deadline["due"],
                       "masked": len(redaction["fields"]),
                       "hits": [h["id"] for h in redaction["hits"]]},
                      now)
    store.save(session, pub["id"], history_seq=pub["history_seq"])
    return pub


def _from_event(data: dict) -> rules_of.Decision:
    decision, party = data["decision"], data["party"]
    organisation = party["kind"] == "organisation"
    return rules_of.Decision(
        act_type=decision["act_type"], decision_no=data["decision_no"],
        decision_date=local_date(data["issued_at"]), authority=data["agency_name"],
        party={"kind": party["kind"], "name": party["name"],
               "credit_code": party.get("id_number") if organisation else None,
               "representative": party.get("representative") if organisation else None,
               "id_type": None if organisation else "身份证",
               "id_number": None if organisation else party.get("id_number")},
        facts=decision["facts"], legal_basis=decision["legal_basis"],
        conclusion=decision["conclusion"], case_name=None,
        fine_amount=decision.get("fine_amount"), penalty_category=_category(decision))


def _category(decision: dict) -> str | None:
    """处罚类别 of a penalty: the kinds of 行政处罚法 第九条 it imposes (罚款 with a fine)."""
    if decision["act_type"] != "penalty":
        return None
    kinds = (["罚款"] if decision.get("fine_amount") else []) + [
        MEASURES[m] for m in decision.get("measures") or () if m in MEASURES]
    return "、".join(dict.fromkeys(kinds)) or None


def on_decision_issued(body: dict, *, db: Db, rules: Rules, outbox: OutboxWriter,
                       now: datetime) -> str | None:
    """The record keeper issued a decision: its publication drafted once (per message id and
    per decision number of the agency). 案件名称 is not in the event: a rule set asking for it
    leaves it missing, for the review to complete."""
    with consumer.once(db, inbox, RECORDS, body, now) as (session, event):
        if event is None:
            return None
        agency = rules.agency(event["agency"])
        data = event["data"]
        found = store.of_decision(session, agency.code, data["decision_no"])
        if found is not None:
            store.log(session, found["id"], SYSTEM, "decision_seen_again",
                      {"message_id": event["message_id"], "case_id": data["case_id"]}, now)
            return found["id"]
        decision = _from_event(data)
        rs, unknown = _case_ruleset(rules, agency.ruleset, event["ruleset"])
        made = rules_of.draft(rules.calendar, rs, decision, agency.code)
        pub = _insert(session, agency.code, rs.ref, "records", data["case_id"],
                      decision, made, _redaction(rs, decision, made), SYSTEM, now)
        if unknown is not None:
            store.log(session, pub["id"], SYSTEM, "ruleset_not_held",
                      {"case_ruleset": event["ruleset"], "used": rs.ref,
                       "reason": unknown.message}, now)
        return str(pub["id"])


def _case_ruleset(rules: Rules, current: RuleSet,
                  ref: str) -> tuple[RuleSet, NotFound | None]:
    """The rule set the case was decided under (the event's `ruleset`), which sets the
    summary, the deadline and the redaction of its publication; one this deployment does not
    hold, or of another rule-set line than the agency's, gives way to the agency's current rule
    set — the decision is still drafted on time, and the publication's log says why."""
    try:
        held = rules.ruleset(ref)
    except NotFound as exc:
        return current, exc
    if held.id != current.id:
        return current, NotFound(
            f"the case's rule set {ref} is not the agency's ({current.ref})",
            message_zh=f"案件规则集 {ref} 不属于本机关（{current.ref}）",
            details={"ruleset": ref})
    return held, None
