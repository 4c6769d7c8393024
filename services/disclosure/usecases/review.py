"""The review before publishing (002 第七条, 004 第十九条 保密审查) and the withdrawal of a
published decision changed, revoked, declared illegal or void (行政处罚法 第四十八条): each a
recorded decision in the publication's history; publishing and withdrawing are public acts,
leaves of the agency's Merkle log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.disclosure import store
from services.disclosure.domain import log as merkle_log
from services.disclosure.domain import publication as rules_of
from services.disclosure.usecases import redactions
from services.disclosure.usecases import windows as display_windows
from services.disclosure.usecases.common import begin, public_act
from shared.calendar.clock import local_date
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor


def review_publication(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                       log_keys: merkle_log.LogKeys, now: datetime) -> dict:
    with db.transaction() as session:
        pub = begin(session, p["publication_id"], actor)
        rs = rules.ruleset(pub["ruleset"])
        decided = rules_of.review(
            rs, pub["state"], pub["summary"], pub["credit"], pub["missing"],
            outcome=p["outcome"], grounds=p["grounds"], withheld_fields=p["withheld_fields"],
            reason=p["reason"], completions=p["completions"])
        state = rules_of.next_state(pub["state"], p["outcome"])
        record = {"outcome": decided.outcome, "grounds": decided.grounds,
                  "withheld_fields": decided.withheld_fields, "reason": decided.reason,
                  "by": actor.id, "at": now.isoformat()}
        values: dict[str, Any] = {"state": state, "summary": decided.summary, "missing": [],
                                  "review": record}
        if state == "withheld":
            store.add_history(session, pub, actor, "withheld",
                              {"grounds": decided.grounds, "reason": decided.reason}, now)
            store.emit(outbox, session, agency=pub["agency"], ruleset=rs.ref, actor=actor,
                       event_type="publication_withheld.v1", data={
                           "publication_id": pub["id"], "decision_no": pub["decision_no"],
                           "act_type": pub["act_type"], "decision_date":
                           pub["decision_date"].isoformat(), "grounds": decided.grounds,
                           "reason": decided.reason, "at": now.isoformat()})
        else:
            summary, credit, values["redaction"] = _redacted(pub, rs, decided)
            shown = rules_of.public_view(summary, credit, decided.withheld_fields)
            values["redaction"]["record"] = _shown_only(values["redaction"]["record"], shown)
            values.update(display_windows.at_publishing(rs, pub, p.get("display_class")))
            values["published"] = _publish(session, pub, rs.ref, decided, actor, outbox, log_keys,
                                           now, shown, values["redaction"]["record"])
        store.save(session, pub["id"], history_seq=pub["history_seq"], updated_at=now,
                   **values)
        store.log(session, pub["id"], actor, "reviewed", {"outcome": decided.outcome}, now)
        return store.view(dict(pub, **values), store.history(session, pub["id"]))


def _redacted(pub: dict, rs: RuleSet, decided: rules_of.Review) -> tuple[dict, dict, dict]:
    """The draft's redaction with the summary and 双公示 record as published and its record
    (refused while a hit is open; verified before anything is written)."""
    redaction = pub["redaction"] or redactions.prepare(
        pub["summary"], pub["credit"], pub["party_kind"], redactions.rules_of(rs),
        pub["decision_date"])
    redaction = redactions.with_completions(redaction, decided.summary, pub["decision_date"])
    summary, credit, record = redactions.apply(redaction, decided.summary, pub["credit"],
                                               redactions.rules_of(rs))
    return summary, credit, dict(redaction, record=record)


def _shown_only(record: dict, shown: dict) -> dict:
    """The redaction record as the public act holds it: the masks of the fields published (a
    column kept from the public, such as a natural person's ID number, says nothing there)."""
    fields = [f for f in record["fields"] if f["replacement"] is None
              or f["field"].split(".", 1)[1] in shown[f["field"].split(".", 1)[0]]]
    return dict(record, fields=fields)


def _publish(session, pub: dict, ruleset: str, decided: rules_of.Review, actor: Actor,
             outbox: OutboxWriter, log_keys: merkle_log.LogKeys, now: datetime, shown: dict,
             record: dict) -> dict:
    body = {"decision_no": pub["decision_no"], "act_type": pub["act_type"],
            "published": shown, "withheld_fields": decided.withheld_fields,
            "grounds": [g["code"] for g in decided.grounds], "redactions": record}
    index, head = public_act(session, pub, actor, "published", body, log_keys, now,
                             outbox=outbox)
    store.emit(outbox, session, agency=pub["agency"], ruleset=ruleset, actor=actor,
               event_type="decision_published.v1", data={
                   "publication_id": pub["id"], "decision_no": pub["decision_no"],
                   "act_type": pub["act_type"], "case_id": pub["case_id"], "published": shown,
                   "withheld_fields": decided.withheld_fields, "leaf_index": index,
                   "tree_size": head["size"], "root": head["root"],
                   "late": rules_of.is_late(pub["deadline"], local_date(now)),
                   "at": now.isoformat()})
    return shown


def withdraw_publication(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                         log_keys: merkle_log.LogKeys, now: datetime) -> dict:
    with db.transaction() as session:
        pub = begin(session, p["publication_id"], actor)
        state = rules_of.next_state(pub["state"], "withdraw")
        today = local_date(now)
        rules_of.check_decided_on(p["decided_on"], pub["decision_date"], today)
        rs = rules.ruleset(pub["ruleset"])
        due = rules_of.withdrawal_due(rules.calendar, rs, p["decided_on"], pub["agency"])
        withdrawal = {"ground": p["ground"], "reason": p["reason"],
                      "decided_on": p["decided_on"].isoformat(), "by": p["by"],
                      "due": due.isoformat(), "late": today > due, "at": now.isoformat()}
        body = {"decision_no": pub["decision_no"], "ground": p["ground"], "reason": p["reason"],
                "decided_on": withdrawal["decided_on"], "by": p["by"]}
        index, head = public_act(session, pub, actor, "withdrawn", body, log_keys, now,
                                 outbox=outbox)
        store.save(session, pub["id"], state=state, withdrawal=withdrawal,
                   history_seq=pub["history_seq"], updated_at=now)
        store.log(session, pub["id"], actor, "withdrawn", {"ground": p["ground"]}, now)
        store.emit(outbox, session, agency=pub["agency"], ruleset=rs.ref, actor=actor,
                   event_type="publication_withdrawn.v1", data={
                       "publication_id": pub["id"], "decision_no": pub["decision_no"],
                       "ground": p["ground"], "reason": p["reason"],
                       "late": withdrawal["late"], "leaf_index": index,
                       "tree_size": head["size"], "root": head["root"],
                       "at": now.isoformat()})
        return store.view(dict(pub, state=state, withdrawal=withdrawal),
                          store.history(session, pub["id"]))
