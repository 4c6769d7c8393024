"""Storage side of the per-case chain: load a case (locked for writing), append an entry
that hashes its canonical body together with the previous entry's hash, and sign heads."""
from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.records import domain
from services.records.models import cases, checkpoints, entries
from shared.actor import Actor
from shared.clock import iso
from shared.errors import Conflict, NotFound
from shared.keys import key_id, public_key_pem


# Built once: constructing statements per call showed up in the append profile.
_INSERT_ENTRY = insert(entries)


def load_case(session: Session, case_id: str, *, lock: bool = False):
    query = select(cases).where(cases.c.id == case_id)
    if lock and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})
    return dict(row)


def append(session: Session, case: dict, *, kind: str, occurred_at: datetime, actor: Actor,
           content: dict, now: datetime, corrects: int | None = None,
           case_updates: dict | None = None) -> tuple[int, str, int]:
    """Append one entry to `case` (a dict, updated in place with the new head).
    Returns (seq, entry_hash, entry id)."""
    seq = case["head_seq"] + 1
    prev = case["head_hash"]
    stage = (case_updates or {}).get("stage", case["stage"])
    body_text = domain.canonical({
        "case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
        "occurred_at": iso(occurred_at), "recorded_at": iso(now),
        "actor": {"id": actor.id, "role": actor.role, "agency": actor.agency},
        "ruleset": case["ruleset"], "corrects_seq": corrects, "content": content})
    entry_hash = domain.link_hash(prev, body_text)
    result = session.execute(_INSERT_ENTRY, {
        "case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
        "occurred_at": occurred_at, "recorded_at": now, "actor_id": actor.id,
        "actor_role": actor.role, "corrects_seq": corrects, "body": body_text,
        "prev_hash": prev, "entry_hash": entry_hash})
    values = {"head_seq": seq, "head_hash": entry_hash, **(case_updates or {})}
    # The head moves only if nobody else moved it: a second writer that slipped past the
    # lock (several processes on one SQLite file) fails here instead of forking the chain.
    updated = session.execute(update(cases).where(cases.c.id == case["id"])
                              .where(cases.c.head_seq == case["head_seq"]).values(**values))
    if updated.rowcount != 1:
        raise Conflict(f"case {case['id']} changed concurrently; retry", code="concurrent_append")
    case.update(values)
    return seq, entry_hash, result.inserted_primary_key[0]


def sign_head(session: Session, case: dict, signing_key, now: datetime) -> dict:
    signed_at = iso(now)
    statement = domain.checkpoint_statement(case["id"], case["head_seq"], case["head_hash"],
                                            signed_at)
    signature = base64.b64encode(signing_key.sign(statement.encode())).decode()
    row = {"case_id": case["id"], "seq": case["head_seq"], "head_hash": case["head_hash"],
           "signed_at": now, "key_id": key_id(signing_key.public_key()),
           "signature": signature, "statement": statement}
    session.execute(insert(checkpoints).values(**row))
    return dict(row, signed_at=signed_at, public_key=public_key_pem(signing_key))
