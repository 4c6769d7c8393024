"""A 行政复议 or 诉讼 outcome on a published decision (行政处罚法 第四十八条): a decision changed,
revoked, declared illegal or void is withdrawn, exactly as withdraw_publication withdraws (its
3-working-day due date from the outcome's date, the public act a leaf of the agency's log), the
published reason naming the procedure, the authority and its document.

Entered by RPC only: the record keeper publishes no event of a decision's outcome yet."""
from __future__ import annotations

from datetime import datetime

from services.disclosure.domain import log as merkle_log
from services.disclosure.usecases.review import withdraw_publication
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

PROCEDURES_ZH = {"reconsideration": "行政复议", "litigation": "行政诉讼"}
OUTCOMES_ZH = {"changed": "被变更", "revoked": "被撤销", "illegal": "被确认违法",
               "void": "被确认无效"}


def outcome_reason(p: dict) -> str:
    """The reason the public reads: the procedure, its authority and document, the outcome,
    and what else the agency says."""
    said = (f"经{PROCEDURES_ZH[p['procedure']]}（{p['authority']} {p['document_no']}），"
            f"原决定{OUTCOMES_ZH[p['outcome']]}")
    return f"{said}。{p['reason']}" if p.get("reason") else said


def record_outcome(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                   log_keys: merkle_log.LogKeys, now: datetime) -> dict:
    return withdraw_publication(
        {"publication_id": p["publication_id"], "ground": p["outcome"],
         "reason": outcome_reason(p), "decided_on": p["decided_on"], "by": p["authority"]},
        actor=actor, db=db, outbox=outbox, rules=rules, log_keys=log_keys, now=now)
