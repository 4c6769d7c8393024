"""Requests to correct a publication (000 第十九条, 002 第十八条, 004 第二十一条), entered by staff
or sent through the portal's form (usecases.submissions, which files through `file_in` too):
acknowledged with the agency's next number of the year, verified, then corrected — a `corrected`
public act in the publication's history, a leaf of the agency's log, publication_corrected.v1 —
or rejected with reasons or forwarded to the competent agency, and answered in writing. Who
asked is personal data: it stays on the request, never in a leaf, an event or the disclosure
log.

The written answer is recorded as its text and date with its rendered 更正申请答复书
(answer_correction: the renderer renders it first, as this service; without it no answer is
recorded)."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from services.disclosure import store
from services.disclosure.domain import corrections as rules
from services.disclosure.domain import log as merkle_log
from services.disclosure.usecases.common import begin, public_act
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, SanxiangError, ServiceNotDeployed, Unavailable
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.trust.actor import Actor


class Renderer(Protocol):
    """The renderer, called as this service (services.disclosure.dependencies.AnswerRenderer)."""

    def call(self, acting_for: str, method: str, /, *, key: str | None = None,
             **request: Any) -> Any: ...


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


def answer_correction(p: dict, *, actor: Actor, db: Db, now: datetime,
                      renderer: Renderer | None = None, **deps: Any) -> dict:
    """The written answer (004 第二十一条): checked, then rendered by the renderer as this service
    (the 更正申请答复书, template correction_answer) before anything is recorded, then recorded
    with the rendered document. A renderer that is not deployed, does not answer or refuses the
    document refuses the answer, naming it: an answer is given in writing or not at all.
    `renderer` None: a caller with no renderer wired (the use case alone), document null."""
    with db.read() as session:
        row = _begin(session, p["correction_id"], actor, "answer", lock=False)
        received = date.fromisoformat(row["steps"][0]["body"]["received_on"])
        rules.check_answer_date(p["answered_on"], received, local_date(now))
        pub = store.load(session, row["publication_id"])
    document = None
    if renderer is not None:
        agencies = deps.get("rules")
        name = agencies.agency(row["agency"]).name if agencies is not None else row["agency"]
        document = _rendered(renderer, rules.answer_document(row, pub, name, p, received))
    with db.transaction() as session:
        row = _begin(session, p["correction_id"], actor, "answer")
        answer = {"text": p["text"], "answered_on": p["answered_on"].isoformat(),
                  "by": actor.id, "at": now.isoformat(), "document": document}
        return _step(session, row, actor, "answer",
                     {"answered_on": answer["answered_on"],
                      "document": document["sha256"] if document else None}, now,
                     answer=answer)


def _rendered(renderer: Renderer, data: dict) -> dict:
    """The 答复书 rendered (docx) — stored in the vault by the renderer where one is deployed
    beside it (object_ref) — or the refusal naming the renderer."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                            .encode()).hexdigest()
    try:
        out = renderer.call(data["agency"], "render",
                            key=f"correction-answer-{data['correction_id']}-{digest[:16]}",
                            template_id=rules.ANSWER_TEMPLATE, formats=["docx"],
                            data=data["document"], reference=data["document"]["doc_number"])
    except (Unavailable, ServiceNotDeployed):
        raise
    except SanxiangError as exc:
        raise DomainRuleViolated(
            f"the document renderer refused the written answer: {exc.code}: {exc.message}",
            message_zh=f"文书生成服务未能生成书面答复：{exc.message_zh or exc.message}",
            details={"rule": "answer_not_rendered", "renderer": exc.payload()}) from None
    [docx] = [o for o in out["outputs"] if o["format"] == "docx"]
    return {"template_id": out["template_id"], "version": out["version"],
            "render_id": out["render_id"], "format": "docx", "media_type": docx["media_type"],
            "sha256": docx["sha256"], "size": docx["size"], "object_ref": docx["object_ref"]}


def _begin(session: Session, correction_id: str, actor: Actor, act: str, *,
           lock: bool = True) -> dict:
    """The request, locked for writing, once the actor may act for its agency and take `act`
    in its state."""
    row = store.load_correction(session, correction_id, lock=lock)
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
    index, head = public_act(session, pub, actor, "corrected", body, log_keys, now,
                             outbox=outbox)
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
