"""Requests to correct a publication (000 第十九条, 002 第十八条, 004 第二十一条), entered by staff
or sent through the portal's form (usecases.submissions, which files through `file_in` too):
acknowledged with the agency's next number of the year, verified, then corrected — a `corrected`
public act in the publication's history, a leaf of the agency's log, publication_corrected.v1 —
or rejected with reasons or forwarded to the competent agency, and answered in writing. Who
asked is personal data: it stays on the request, never in a leaf, an event or the disclosure
log.

The written answer is recorded as its text and date; its rendered 答复 document is the
renderer's to make, and `answer.document` stays null until then."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.disclosure import store
from services.disclosure.domain import corrections as rules
from services.disclosure.domain import log as merkle_log
from services.disclosure.usecases.common import begin, public_act
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.trust.actor import Actor


def file_correction(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    with db.transaction() as session:
        pub = store.load(session, p["publication_id"])
        actor.require(agency=pub["agency"])
        rules.check_role("file", actor.role)
        return file_in(session, pub, p, actor, now)


def file_in(session: Session, pub: dict, p: dict, actor: Actor, now: datetime, *,
            channel: str = "staff", attachments: list[dict] | None = None) -> dict:
    """The request `p` on `pub` filed in `session`, through `channel` (staff, or portal: the
    public form, services.disclosure.usecases.submissions) with the attachments the vault
    keeps: acknowledged with the agency's next number of the year."""
    today = local_date(now)
    received = p.get("received_on") or today
    rules.check_received(received, today)
    _published(pub)
    seq = store.next_correction_seq(session, pub["agency"], today.year)
    number = rules.number(today.year, seq)
    kept = list(attachments or [])
    row = {"id": str(uuid.uuid4()), "agency": pub["agency"], "year": today.year, "seq": seq,
           "number": number, "publication_id": pub["id"], "state": "filed",
           "requester": dict(p["requester"]), "problem": p["problem"],
           "evidence": list(p["evidence"]), "channel": channel, "attachments": kept,
           "steps": [rules.step("file", "filed", actor.id, actor.role, now.isoformat(),
                                {"number": number, "received_on": received.isoformat(),
                                 "evidence": len(p["evidence"]), "channel": channel,
                                 "attachments": len(kept)})],
           "decision": None, "answer": None, "created_at": now, "created_by": actor.id,
           "updated_at": now}
    store.insert_correction(session, row)
    store.log(session, pub["id"], actor, "correction_filed",
              {"correction_id": row["id"], "number": number, "channel": channel}, now)
    return rules.view(row)


def verify_correction(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    with db.transaction() as session:
        row = _begin(session, p["correction_id"], actor, "verify")
        return _step(session, row, actor, "verify", {"findings": p["findings"]}, now)


def decide_correction(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter,
                      log_keys: merkle_log.LogKeys, now: datetime, **_: Any) -> dict:
    act = p["decision"]
    rules.check_decision(act, p["fields"], p["forward_to"])
    with db.transaction() as session:
        row = _begin(session, p["correction_id"], actor, act)
        decision: dict[str, Any] = {"decision": act, "reason": p["reason"],
                                    "forward_to": p["forward_to"], "by": actor.id,
                                    "at": now.isoformat()}
        if act == "correct":
            decision.update(_correct(session, row, p, actor, outbox, log_keys, now))
        row["decision"] = decision
        return _step(session, row, actor, act, {k: v for k, v in decision.items()
                                               if k not in ("by", "at")}, now,
                     decision=decision)


def answer_correction(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    with db.transaction() as session:
        row = _begin(session, p["correction_id"], actor, "answer")
        received = row["steps"][0]["body"]["received_on"]
        rules.check_answer_date(p["answered_on"], date.fromisoformat(received), local_date(now))
        answer = {"text": p["text"], "answered_on": p["answered_on"].isoformat(),
                  "by": actor.id, "at": now.isoformat(), "document": None}
        return _step(session, row, actor, "answer",
                     {"answered_on": answer["answered_on"]}, now, answer=answer)


def _begin(session: Session, correction_id: str, actor: Actor, act: str) -> dict:
    """The request, locked for writing, once the actor may act for its agency and take `act`
    in its state."""
    row = store.load_correction(session, correction_id, lock=True)
    actor.require(agency=row["agency"])
    rules.check_role(act, actor.role)
    row["after"] = rules.next_state(row["state"], act)
    return row


def _step(session: Session, row: dict, actor: Actor, act: str, body: dict, now: datetime,
          **values: Any) -> dict:
    """`act` taken: the request's state and its steps with this one, recorded."""
    state = row.pop("after")
    steps = [*row["steps"], rules.step(act, state, actor.id, actor.role, now.isoformat(), body)]
    store.save_correction(session, row["id"], state=state, steps=steps, updated_at=now,
                          **values)
    store.log(session, row["publication_id"], actor, f"correction_{act}",
              {"correction_id": row["id"], "number": row["number"]}, now)
    return rules.view(dict(row, state=state, steps=steps, **values))


def _correct(session: Session, row: dict, p: dict, actor: Actor, outbox: OutboxWriter,
             log_keys: merkle_log.LogKeys, now: datetime) -> dict:
    """The publication corrected: the fields as corrected in what the public sees (and in the
    summary and 双公示 record it came from), a `corrected` public act, the event."""
    pub = begin(session, row["publication_id"], actor)
    _published(pub)
    changes = rules.check_corrections(pub["published"], p["fields"])
    rules.check_unredacted(changes, pub["decision_date"])
    shown = rules.corrected_view(pub["published"], changes)
    body = {"decision_no": pub["decision_no"], "correction": row["number"], "fields": changes,
            "reason": p["reason"], "published": shown}
    index, head = public_act(session, pub, actor, "corrected", body, log_keys, now)
    store.save(session, pub["id"], published=shown, history_seq=pub["history_seq"],
               summary=_set(pub["summary"], changes, "summary"),
               credit=_set(pub["credit"], changes, "credit"), updated_at=now)
    store.emit(outbox, session, agency=pub["agency"], ruleset=pub["ruleset"], actor=actor,
               event_type="publication_corrected.v1", data={
                   "publication_id": pub["id"], "decision_no": pub["decision_no"],
                   "correction_id": row["id"], "number": row["number"], "fields": changes,
                   "published": shown, "leaf_index": index, "tree_size": head["size"],
                   "root": head["root"], "at": now.isoformat()})
    return {"fields": changes, "leaf_index": index}


def _set(fields: dict, changes: dict, part: str) -> dict:
    out = {code: dict(f) for code, f in fields.items()}
    for path, change in changes.items():
        where, _, code = path.partition(".")
        if where == part and code in out:
            out[code]["value"] = change["after"]
    return out


def _published(pub: dict) -> None:
    if pub["state"] != "published":
        raise DomainRuleViolated(
            f"publication {pub['id']} is {pub['state']}: only a published one is corrected",
            message_zh=f"公示信息 {pub['decision_no']} 当前未处于公开状态（{pub['state']}），"
                       "不能申请或进行更正",
            details={"rule": "correction_of_published", "state": pub["state"]})
