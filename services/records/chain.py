"""Storage side of the per-case chain: load a case (locked for writing), append an entry
that hashes its canonical body together with the previous entry's hash, and sign heads."""
from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.records import domain
from services.records.models import cases, checkpoints, entries, outbox
from shared.actor import Actor
from shared.clock import iso
from shared.db import driver_fetch
from shared.errors import Conflict, NotFound
from shared.keys import key_id, public_key_pem
from shared.outbox import OUTBOX_COLUMNS


# Built once: constructing statements per call showed up in the append profile.
_INSERT_ENTRY = insert(entries)
_INSERT_OUTBOX = insert(outbox)
CASE_COLUMNS = tuple(column.name for column in cases.c)
_ENTRY_COLUMNS = ("case_id", "seq", "kind", "stage", "occurred_at", "recorded_at", "actor_id",
                  "actor_role", "corrects_seq", "body", "prev_hash", "entry_hash")
# On PostgreSQL the hot path speaks to the driver directly (SQLAlchemy's per-statement work
# was a third of an append's CPU): the case row locked for the writer …
PG_LOAD_CASE = f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE id = %s"
_PG_LOCK_CASE = PG_LOAD_CASE + " FOR UPDATE"


@dataclass(frozen=True)
class Entry:
    """An entry computed on top of a case's head, not yet written (see `write`)."""
    seq: int
    entry_hash: str
    row: dict    # the `entries` row
    head: dict   # what the case becomes: head_seq, head_hash and any case_updates
    expected_head_seq: int


def _on_postgresql(session: Session) -> bool:
    return session.bind.dialect.name == "postgresql"


def load_case(session: Session, case_id: str, *, lock: bool = False):
    if _on_postgresql(session):
        found = driver_fetch(session, _PG_LOCK_CASE if lock else PG_LOAD_CASE, (case_id,))
        row = dict(zip(CASE_COLUMNS, found)) if found is not None else None
    else:
        # (SQLite has no row locks: its writers are serialised by BEGIN IMMEDIATE)
        found = session.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
        row = dict(found) if found is not None else None
    if row is None:
        raise NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})
    return row


def prepare(case: dict, *, kind: str, occurred_at: datetime, actor: Actor, content: dict,
            now: datetime, corrects: int | None = None,
            case_updates: dict | None = None) -> Entry:
    """The next entry of `case`: its canonical body hashed together with the head's hash."""
    seq = case["head_seq"] + 1
    prev = case["head_hash"]
    stage = (case_updates or {}).get("stage", case["stage"])
    body_text = domain.canonical({
        "case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
        "occurred_at": iso(occurred_at), "recorded_at": iso(now),
        "actor": {"id": actor.id, "role": actor.role, "agency": actor.agency},
        "ruleset": case["ruleset"], "corrects_seq": corrects, "content": content})
    entry_hash = domain.link_hash(prev, body_text)
    row = {"case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
           "occurred_at": occurred_at, "recorded_at": now, "actor_id": actor.id,
           "actor_role": actor.role, "corrects_seq": corrects, "body": body_text,
           "prev_hash": prev, "entry_hash": entry_hash}
    return Entry(seq, entry_hash, row,
                 {"head_seq": seq, "head_hash": entry_hash, **(case_updates or {})},
                 case["head_seq"])


def write(session: Session, case: dict, entry: Entry, outbox_rows: Sequence[dict] = ()) -> int:
    """Write a prepared entry, move the case's head to it and insert the outbox rows that
    announce it, all in the caller's transaction; `case` is updated in place. Returns the
    entry's id.

    The head moves only if nobody else moved it: a second writer that slipped past the lock
    (several processes on one SQLite file) fails here with Conflict instead of forking the
    chain (and the (case_id, seq) unique key refuses a second entry at the same seq)."""
    if _on_postgresql(session) and entry.head.keys() == {"head_seq", "head_hash"}:
        entry_id, moved = _write_pg(session, case, entry, outbox_rows)
    else:
        entry_id = session.execute(_INSERT_ENTRY, entry.row).inserted_primary_key[0]
        moved = session.execute(
            update(cases).where(cases.c.id == case["id"])
            .where(cases.c.head_seq == entry.expected_head_seq).values(**entry.head)).rowcount
        if outbox_rows:
            session.execute(_INSERT_OUTBOX, list(outbox_rows))
    if moved != 1:
        raise Conflict(f"case {case['id']} changed concurrently; retry", code="concurrent_append")
    case.update(entry.head)
    return entry_id


@functools.lru_cache(maxsize=8)
def _pg_write_statement(events: int) -> str:
    """… and, in one statement (one round trip instead of three), the entry inserted, the
    head moved by compare-and-set, and the outbox rows inserted."""
    marks = lambda n: "(" + ", ".join(["%s"] * n) + ")"  # noqa: E731
    parts = [f"e AS (INSERT INTO entries ({', '.join(_ENTRY_COLUMNS)}) "
             f"VALUES {marks(len(_ENTRY_COLUMNS))} RETURNING id)",
             "h AS (UPDATE cases SET head_seq = %s, head_hash = %s "
             "WHERE id = %s AND head_seq = %s RETURNING 1)"]
    if events:
        parts.append(f"o AS (INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES "
                     + ", ".join([marks(len(OUTBOX_COLUMNS))] * events) + ")")
    return "WITH " + ", ".join(parts) + " SELECT (SELECT id FROM e), (SELECT count(*) FROM h)"


def _write_pg(session: Session, case: dict, entry: Entry, outbox_rows: Sequence[dict]):
    row = entry.row
    params = [row[column] for column in _ENTRY_COLUMNS]
    params += [entry.seq, entry.entry_hash, case["id"], entry.expected_head_seq]
    for event in outbox_rows:
        params += [event[column] for column in OUTBOX_COLUMNS]
    return driver_fetch(session, _pg_write_statement(len(outbox_rows)), params)


def append(session: Session, case: dict, *, kind: str, occurred_at: datetime, actor: Actor,
           content: dict, now: datetime, corrects: int | None = None,
           case_updates: dict | None = None) -> tuple[int, str, int]:
    """Append one entry to `case` (a dict, updated in place with the new head).
    Returns (seq, entry_hash, entry id)."""
    entry = prepare(case, kind=kind, occurred_at=occurred_at, actor=actor, content=content,
                    now=now, corrects=corrects, case_updates=case_updates)
    return entry.seq, entry.entry_hash, write(session, case, entry)


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
