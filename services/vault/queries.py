"""The vault's reads: an object with its retention, hold and fixity events."""
from __future__ import annotations

from datetime import datetime

from services.vault import store
from shared.persistence.db import Db
from shared.trust.actor import Actor


def get_object(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        obj = store.load_object(session, p["object_id"])
        actor.require(agency=obj["agency"])
        return store.view(obj, store.fixity_of(session, obj["id"]))
