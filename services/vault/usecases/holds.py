"""Legal holds put on and lifted, and disposal: asked for once the retention has expired and no
hold is on the object, approved by a second person, the object then deleted from the store and
the replica and the disposal record kept."""
from __future__ import annotations

import uuid
from datetime import datetime

from services.vault import domain, store
from services.vault.storage.config import Stores
from services.vault.usecases.common import keep_refusal
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.trust.actor import Actor


def set_legal_hold(p: dict, *, actor: Actor, db: Db, stores: Stores, now: datetime,
                   **_: object) -> dict:
    with db.transaction() as session:
        obj = store.load_object(session, p["object_id"], lock=True)
        actor.require(agency=obj["agency"])
        if obj["state"] != "stored":
            raise DomainRuleViolated(f"object {obj['id']} was disposed of",
                                     message_zh=f"对象 {obj['id']} 已销毁",
                                     details={"object_id": obj["id"], "rule": "disposed"})
        for target in (stores.primary, stores.replica):
            if target is not None:
                target.hold(obj["key"], p["on"])
        store.save_object(session, obj["id"], legal_hold=p["on"])
        store.log(session, obj["id"], actor, "legal_hold_on" if p["on"] else "legal_hold_off",
                  {"reason": p["reason"]}, now)
        obj["legal_hold"] = p["on"]
        return store.view(obj, store.fixity_of(session, obj["id"]))


def request_disposal(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        obj = store.load_object(session, p["object_id"])
    actor.require(agency=obj["agency"])
    try:
        if obj["state"] != "stored":
            raise DomainRuleViolated(f"object {obj['id']} was disposed of",
                                     message_zh=f"对象 {obj['id']} 已销毁",
                                     details={"object_id": obj["id"], "rule": "disposed"})
        domain.check_disposal(obj["id"], obj["retain_until"], obj["legal_hold"],
                              local_date(now))
    except DomainRuleViolated as exc:
        keep_refusal(db, obj["id"], actor, "request_disposal", exc, now)
        raise
    row = {"id": str(uuid.uuid4()), "object_id": obj["id"], "agency": obj["agency"],
           "state": "requested", "reason": p["reason"], "requested_by": actor.id,
           "requested_at": now, "approved_by": None, "approved_at": None, "note": None,
           "sha256": obj["sha256"], "retention": obj["retention"]}
    with db.transaction() as session:
        store.insert_disposal(session, row)
        store.log(session, obj["id"], actor, "disposal_requested",
                  {"disposal_id": row["id"], "reason": p["reason"]}, now)
    return row


def approve_disposal(p: dict, *, actor: Actor, db: Db, stores: Stores, outbox: OutboxWriter,
                     now: datetime, **_: object) -> dict:
    with db.read() as session:
        disposal = store.load_disposal(session, p["disposal_id"])
        obj = store.load_object(session, disposal["object_id"])
    actor.require(agency=disposal["agency"])
    try:
        domain.check_approver(disposal["id"], disposal["state"], disposal["requested_by"],
                              actor.id)
        domain.check_disposal(obj["id"], obj["retain_until"], obj["legal_hold"],
                              local_date(now))
    except DomainRuleViolated as exc:
        keep_refusal(db, obj["id"], actor, "approve_disposal", exc, now)
        raise
    for target in (stores.primary, stores.replica):
        if target is not None and target.exists(obj["key"]):
            target.delete(obj["key"], at=now)
    with db.transaction() as session:
        again = store.load_disposal(session, disposal["id"], lock=True)
        domain.check_approver(again["id"], again["state"], again["requested_by"], actor.id)
        store.save_disposal(session, disposal["id"], state="approved", approved_by=actor.id,
                            approved_at=now, note=p["note"])
        store.save_object(session, obj["id"], state="disposed")
        store.log(session, obj["id"], actor, "disposed",
                  {"disposal_id": disposal["id"], "requested_by": disposal["requested_by"],
                   "sha256": obj["sha256"]}, now)
        store.emit(outbox, session, agency=obj["agency"], ruleset=obj["retention"]["ruleset"],
                   actor=actor, event_type="object_disposed.v1", data={
                       "object_id": obj["id"], "disposal_id": disposal["id"],
                       "sha256": obj["sha256"], "requested_by": disposal["requested_by"],
                       "approved_by": actor.id, "at": now.isoformat()})
        return store.load_disposal(session, disposal["id"])
