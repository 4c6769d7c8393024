"""Reads of the disclosure publisher: a publication with its history, a page of an agency's
publications, the latest signed tree head of an agency's log, a leaf's inclusion proof and the
log's consistency proofs."""
from __future__ import annotations

from datetime import datetime

from services.disclosure import store
from shared.errors import DomainRuleViolated, NotFound, ValidationFailed
from shared.persistence import paging
from shared.persistence.db import Db
from shared.trust.actor import Actor


def get_publication(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        pub = store.load(session, p["publication_id"])
        actor.require(agency=pub["agency"])
        return store.view(pub, store.history(session, pub["id"]))


def list_publications(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    """A page of the agency's publications, the earliest due first (ties by id), after
    `cursor` — read from the index of the agency's publications by state and due date."""
    actor.require(agency=p["agency"])
    after = tuple(paging.decode(p["cursor"], 2)) if p.get("cursor") else None
    with db.read() as session:
        rows = store.page(session, p["agency"], p["state"], after, p["limit"] + 1)
    rows, following = paging.page(rows, p["limit"], lambda r: (r["due"].isoformat(), r["id"]))
    return {"items": [{k: r[k] for k in ("id", "agency", "decision_no", "act_type", "case_id",
                                         "decision_date", "state", "due", "missing")}
                      for r in rows], "next": following}


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


def _beyond(agency: str, size: int, held: int) -> DomainRuleViolated:
    return DomainRuleViolated(
        f"the publication log of {agency} holds {held} leaves, not {size}", code="log_shorter",
        message_zh=f"执法机关 {agency} 的公示日志只有 {held} 条记录，没有 {size} 条",
        details={"rule": "log_shorter", "agency": agency, "size": size, "held": held})


def _cut_short(agency: str) -> DomainRuleViolated:
    return DomainRuleViolated(
        f"the publication log of {agency} no longer holds a node the proof needs",
        code="log_incomplete",
        message_zh=f"执法机关 {agency} 的公示日志缺少证明所需的节点（日志可能被截断）",
        details={"rule": "log_incomplete", "agency": agency})


def inclusion_proof(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    agency, index, size = p["agency"], p["leaf_index"], p["size"]
    with db.read() as session:
        held = store.log_size(session, agency)
        if size > held or index >= size:
            raise _beyond(agency, max(size, index + 1), held)
        leaf = store.leaf_at(session, agency, index)
        proof = store.inclusion_proof(session, agency, index, size)
    if leaf is None or proof is None:
        raise _cut_short(agency)
    return {"agency": agency, "leaf_index": index, "size": size, "leaf": leaf,
            "proof": [h.hex() for h in proof]}


def consistency_proof(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    agency, first, second = p["agency"], p["first"], p["second"]
    if first > second:
        raise ValidationFailed(f"first: {first} is beyond second {second}",
                               message_zh=f"first（{first}）不得大于 second（{second}）",
                               details={"first": [f"at most second ({second})"]})
    with db.read() as session:
        held = store.log_size(session, agency)
        if second > held:
            raise _beyond(agency, second, held)
        proof = store.consistency_proof(session, agency, first, second)
    if proof is None:
        raise _cut_short(agency)
    return {"agency": agency, "first": first, "second": second,
            "proof": [h.hex() for h in proof]}
