"""Reads of the disclosure publisher: a publication with its history, the latest signed tree
head of an agency's log."""
from __future__ import annotations

from datetime import datetime

from services.disclosure import store
from shared.errors import NotFound
from shared.persistence.db import Db
from shared.trust.actor import Actor


def get_publication(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        pub = store.load(session, p["publication_id"])
        actor.require(agency=pub["agency"])
        return store.view(pub, store.history(session, pub["id"]))


def tree_head(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    with db.read() as session:
        head = store.latest_tree_head(session, p["agency"])
    if head is None:
        raise NotFound(f"the publication log of {p['agency']} is empty",
                       message_zh=f"执法机关 {p['agency']} 的公示日志尚无记录（尚未公开任何信息）",
                       details={"agency": p["agency"]})
    return {k: head[k] for k in ("agency", "size", "root", "signed_at", "key_id", "signature",
                                 "statement")}
