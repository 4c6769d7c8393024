"""The chain's entries: one written (with the head moved and the events that announce it,
in one statement on PostgreSQL), the AV and situation rows beside it, and the entries the
use cases and the gate read back."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.orm import Session

from services.records.domain import chain, gate
from services.records.domain.chain import Entry
from services.records.models import (
    av_records,
    cases,
    entries,
    outbox,
    situations,
)
from services.records.store.cases import on_postgresql
from shared.errors import Conflict, NotFound
from shared.messaging.outbox import OUTBOX_COLUMNS, OutboxWriter
from shared.persistence.db import driver_fetch
from shared.trust.actor import Actor

# Built once: constructing statements per call showed up in the append profile.
_INSERT_ENTRY = insert(entries)
_INSERT_OUTBOX = insert(outbox)
_ENTRY_COLUMNS = ("case_id", "seq", "kind", "stage", "occurred_at", "recorded_at", "actor_id",
                  "actor_role", "corrects_seq", "body", "prev_hash", "entry_hash", "plain",
                  "openings")
# What readers of an entry's content select: the plain body where texts were sealed
PLAIN_BODY = func.coalesce(entries.c.plain, entries.c.body).label("body")



def write(session: Session, case: dict, entry: Entry, outbox_rows: Sequence[dict] = ()) -> int:
    """Write a prepared entry, move the case's head to it and insert the outbox rows that
    announce it, all in the caller's transaction; `case` is updated in place. Returns the
    entry's id.

    The head moves only if nobody else moved it: a second writer that slipped past the lock
    (several processes on one SQLite file) fails here with Conflict instead of forking the
    chain (and the (case_id, seq) unique key refuses a second entry at the same seq).

    The one row rewritten per entry is the case's: its head is the compare-and-set that keeps
    the chain from forking, the row appends lock, and what reads of the case and the
    checkpoint timer's index read in one step — a head derived from the entries instead
    (max(seq) per case) would give concurrent appends nothing to collide on. Everything else
    an entry writes is inserted: the entry, its events, the call's idempotency record."""
    if on_postgresql(session) and entry.head.keys() == {"head_seq", "head_hash"}:
        entry_id, moved = _write_pg(session, case, entry, outbox_rows)
    else:
        key = cast("CursorResult[Any]", session.execute(_INSERT_ENTRY, entry.row)
                   ).inserted_primary_key
        assert key is not None, "a single-row INSERT answers the key it made"
        entry_id = key[0]
        moved = cast("CursorResult[Any]", session.execute(
            update(cases).where(cases.c.id == case["id"])
            .where(cases.c.head_seq == entry.expected_head_seq).values(**entry.head))).rowcount
        if outbox_rows:
            session.execute(_INSERT_OUTBOX, list(outbox_rows))
    if moved != 1:
        raise Conflict(f"case {case['id']} changed concurrently; retry", code="concurrent_append",
                       message_zh=f"案件 {case['id']} 正被同时修改，请重试")
    case.update(entry.head)
    return entry_id


@functools.lru_cache(maxsize=8)
def _pg_write_statement(events: int) -> str:
    """… and, in one statement (one round trip instead of three), the entry inserted, the
    head moved by compare-and-set, and the outbox rows inserted."""
    marks = lambda n: "(" + ", ".join(["%s"] * n) + ")"
    parts = [f"e AS (INSERT INTO entries ({', '.join(_ENTRY_COLUMNS)}) "
             f"VALUES {marks(len(_ENTRY_COLUMNS))} RETURNING id)",
             "h AS (UPDATE cases SET head_seq = %s, head_hash = %s "
             "WHERE id = %s AND head_seq = %s RETURNING 1)"]
    if events:
        parts.append(f"o AS (INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES "
                     + ", ".join([marks(len(OUTBOX_COLUMNS))] * events) + ")")
    return "WITH " + ", ".join(parts) + " SELECT (SELECT id FROM e), (SELECT count(*) FROM h)"


def _write_pg(session: Session, case: dict, entry: Entry,
              outbox_rows: Sequence[dict]) -> tuple[int, int]:
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
    entry = chain.prepare(case, kind=kind, occurred_at=occurred_at, actor=actor,
                          content=content, now=now, corrects=corrects, case_updates=case_updates)
    return entry.seq, entry.entry_hash, write(session, case, entry)


def emit(outbox: OutboxWriter, session: Session, case: dict, actor: Actor, event_type: str,
         data: dict) -> None:
    """An event of the case, staged in the outbox of the caller's transaction."""
    outbox.stage(session, event_type, data, agency=case["agency"], actor=actor.ref(),
                 ruleset=case["ruleset"])


def appended(outbox: OutboxWriter, session: Session, case: dict, actor: Actor, seq: int,
             entry_hash: str, kind: str, record_type: str | None = None) -> dict:
    """entry_appended.v1 of the entry just appended, and the write's answer."""
    emit(outbox, session, case, actor, "entry_appended.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "seq": seq, "kind": kind,
        "record_type": record_type, "stage": case["stage"], "entry_hash": entry_hash})
    return {"case_id": case["id"], "seq": seq, "entry_hash": entry_hash, "stage": case["stage"],
            "deadline": None, "classification": None}


def write_appended(outbox: OutboxWriter, session: Session, case: dict, actor: Actor,
                   entry: Entry, kind: str, record_type: str | None = None) -> int:
    """`write` of a prepared entry together with its entry_appended.v1 event (the same event
    `appended` stages), in one statement where the database allows; returns the entry's
    id."""
    _, row = outbox.prepare("entry_appended.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "seq": entry.seq, "kind": kind,
        "record_type": record_type, "stage": entry.row["stage"],
        "entry_hash": entry.entry_hash}, agency=case["agency"], actor=actor.ref(),
        ruleset=case["ruleset"])
    return write(session, case, entry, [row])


def appended_answer(case: dict, entry: Entry) -> dict:
    """The answer of a write whose entry went through `write_appended`."""
    return {"case_id": case["id"], "seq": entry.seq, "entry_hash": entry.entry_hash,
            "stage": case["stage"], "deadline": None, "classification": None}


_INSERT_AV = insert(av_records)


def insert_av(session: Session, row: dict) -> None:
    session.execute(_INSERT_AV, row)


def insert_situations(session: Session, case_id: str, seq: int, codes: Iterable[str]) -> None:
    session.execute(insert(situations), [{"case_id": case_id, "seq": seq, "code": code}
                                         for code in codes])


def entry_at(session: Session, case_id: str, seq: int, kind: str | None = None) -> Any:
    """The entry's kind and plain body (its texts as written, not their commitments)."""
    row = session.execute(select(entries.c.kind, PLAIN_BODY).where(entries.c.case_id == case_id)
                          .where(entries.c.seq == seq)).first()
    if row is None or (kind and row.kind != kind):
        raise NotFound(f"case {case_id} has no {kind or 'entry'} at seq {seq}",
                       message_zh=f"案件 {case_id} 没有第{seq}号{kind or ''}记录",
                       details={"seq": seq, "kind": kind})
    return row


def content_at(session: Session, case_id: str, seq: int, kind: str) -> dict:
    """The plain content of the case's `kind` entry at `seq` (NotFound otherwise)."""
    return json.loads(entry_at(session, case_id, seq, kind).body)["content"]


def kind_at(session: Session, case_id: str, seq: int) -> str | None:
    """The kind of the case's entry at `seq`, None where it has none."""
    return session.execute(select(entries.c.kind).where(entries.c.case_id == case_id)
                           .where(entries.c.seq == seq)).scalar()


def actor_ids(session: Session, case_id: str) -> list[str]:
    """Everyone who has written an entry of the case."""
    return list(session.execute(select(entries.c.actor_id).distinct()
                                .where(entries.c.case_id == case_id)).scalars())


def issued_proposals(session: Session, case_id: str) -> list[int]:
    """The proposal_seq of every decision_issued entry of the case."""
    return [json.loads(body)["content"]["proposal_seq"] for body in session.execute(
        select(entries.c.body).where(entries.c.case_id == case_id)
        .where(entries.c.kind == "decision_issued")).scalars()]


def reviews_of(session: Session, case_id: str, proposal_seq: int) -> list[gate.Review]:
    """Every legal_review entry about the proposal, oldest first."""
    rows = session.execute(select(entries.c.seq, entries.c.body)
                           .where(entries.c.case_id == case_id)
                           .where(entries.c.kind == "legal_review")
                           .order_by(entries.c.seq)).all()
    out = []
    for seq, raw in rows:
        content = json.loads(raw)["content"]
        if content["proposal_seq"] == proposal_seq:
            out.append(gate.Review.of(seq, content))
    return out


def discussions_after(session: Session, case_id: str, review_seq: int
                      ) -> Iterator[gate.Discussion]:
    """The collective_discussion records appended after the review at `review_seq`, latest
    first (read lazily: the gate wants the latest about its proposal)."""
    rows = session.execute(select(entries.c.seq, entries.c.body)
                           .where(entries.c.case_id == case_id)
                           .where(entries.c.kind == "record")
                           .where(entries.c.seq > review_seq)
                           .order_by(entries.c.seq.desc())).all()
    for seq, raw in rows:
        content = json.loads(raw)["content"]
        if content.get("record_type") == "collective_discussion":
            yield gate.Discussion(seq, content.get("outcome"), content.get("proposal_seq"))
