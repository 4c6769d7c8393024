"""Persistence of the record keeper — the only module that writes its tables: a case loaded
(locked for writing), an entry appended to its chain together with the events that announce
it, the chain read back for verification and its head signed, the access log and the refusals
it records, and the rows the use cases and the findings read."""
from __future__ import annotations

import contextlib
import functools
import json
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from services.records.domain import chain, findings, gate
from services.records.domain.chain import CheckpointKeys, Entry
from services.records.models import (
    access_log,
    av_records,
    cases,
    checkpoint_refusals,
    checkpoints,
    entries,
    outbox,
    situations,
)
from shared.errors import Conflict, DomainRuleViolated, NotFound
from shared.messaging.outbox import OUTBOX_COLUMNS, OutboxWriter
from shared.persistence.db import driver_fetch
from shared.service.entrypoint import refusal_reason
from shared.service.ports import Db
from shared.trust.actor import Actor

# Built once: constructing statements per call showed up in the append profile.
_INSERT_ENTRY = insert(entries)
_INSERT_OUTBOX = insert(outbox)
CASE_COLUMNS = tuple(column.name for column in cases.c)
_ENTRY_COLUMNS = ("case_id", "seq", "kind", "stage", "occurred_at", "recorded_at", "actor_id",
                  "actor_role", "corrects_seq", "body", "prev_hash", "entry_hash", "plain",
                  "openings")
# What readers of an entry's content select: the plain body where texts were sealed
PLAIN_BODY = func.coalesce(entries.c.plain, entries.c.body).label("body")
# On PostgreSQL the hot path speaks to the driver directly (SQLAlchemy's per-statement work
# was a third of an append's CPU): the case row locked for the writer …
PG_LOAD_CASE = f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE id = %s"
_PG_LOCK_CASE = PG_LOAD_CASE + " FOR UPDATE"


def _on_postgresql(session: Session) -> bool:
    bind = session.bind
    assert bind is not None, "a service's sessions are bound to its engine"
    return bind.dialect.name == "postgresql"


def load_case(session: Session, case_id: str, *, lock: bool = False) -> dict:
    if _on_postgresql(session):
        found = driver_fetch(session, _PG_LOCK_CASE if lock else PG_LOAD_CASE, (case_id,))
        row = dict(zip(CASE_COLUMNS, found, strict=False)) if found is not None else None
    else:
        # (SQLite has no row locks: its writers are serialised by BEGIN IMMEDIATE)
        found = session.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
        row = dict(found) if found is not None else None
    if row is None:
        raise NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})
    return row



# ---- cases ------------------------------------------------------------------------------

def writable_case(session: Session, case_id: str, actor: Actor) -> dict:
    """The case locked for writing, once it is of the actor's agency and not archived (who
    may write it the contract declares per RPC, and the kernel checked before this runs)."""
    case = load_case(session, case_id, lock=True)
    actor.require(agency=case["agency"])
    if case["status"] == "archived":
        raise DomainRuleViolated(f"case {case['case_no']} is archived; nothing more may be "
                                 "appended", code="case_archived")
    return case


def case_no_taken(session: Session, agency: str, case_no: str) -> bool:
    return session.execute(select(cases.c.id).where(cases.c.agency == agency)
                           .where(cases.c.case_no == case_no)).first() is not None


def insert_case(session: Session, row: dict) -> dict:
    """A new case row; returns it as the dict the chain's first entry is appended to."""
    session.execute(insert(cases).values(**row))
    return dict(row)

# ---- the chain's entries ----------------------------------------------------------------

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
        raise Conflict(f"case {case['id']} changed concurrently; retry", code="concurrent_append")
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


# ---- the gate's reading -------------------------------------------------------------------

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


# ---- checkpoints ------------------------------------------------------------------------

def sign_head(session: Session, case: dict, keys: CheckpointKeys, now: datetime) -> dict:
    row = chain.signed_checkpoint(case, keys, now)
    session.execute(insert(checkpoints).values(**row))
    return chain.checkpoint_answer(row, keys)


def refuse_checkpoint(session: Session, case: dict, bad: chain.ChainBreak,
                      now: datetime) -> None:
    """A head that does not verify, recorded so that later ticks pass it by."""
    session.execute(insert(checkpoint_refusals).values(
        case_id=case["id"], head_seq=case["head_seq"], head_hash=case["head_hash"],
        failure=bad.failure, first_bad_seq=bad.seq, problem=bad.problem, at=now))


def _moved_heads() -> Select:
    """Ids of the cases whose head has neither a checkpoint nor a refusal."""
    last = (select(checkpoints.c.case_id, func.max(checkpoints.c.id).label("id"))
            .group_by(checkpoints.c.case_id).subquery())
    signed_cp = checkpoints.alias("signed_cp")
    refused = (select(checkpoint_refusals.c.id)
               .where(checkpoint_refusals.c.case_id == cases.c.id)
               .where(checkpoint_refusals.c.head_seq == cases.c.head_seq)
               .where(checkpoint_refusals.c.head_hash == cases.c.head_hash).exists())
    return (select(cases.c.id).outerjoin(last, last.c.case_id == cases.c.id)
            .outerjoin(signed_cp, signed_cp.c.id == last.c.id)
            .where(signed_cp.c.id.is_(None) | (signed_cp.c.seq != cases.c.head_seq)
                   | (signed_cp.c.head_hash != cases.c.head_hash))
            .where(~refused))


def moved_heads(session: Session, limit: int) -> list[str]:
    """Up to `limit` cases (by id) whose head moved since its checkpoint or refusal."""
    return list(session.execute(_moved_heads().order_by(cases.c.id).limit(limit)).scalars())


def head_moved(session: Session, case_id: str) -> bool:
    return session.execute(_moved_heads().where(cases.c.id == case_id)).first() is not None


# ---- verification -----------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """A case's stored chain judged: walked up to its recorded head, against its signed
    checkpoints, its sealed texts re-derived."""
    walk: chain.Walk
    broken: chain.ChainBreak | None       # the earliest failure; None: the chain verifies
    checkpoints: list                     # (row, SignedHead) in seq order
    start_seq: int                        # 0, or the checkpoint an incremental walk began at


def verify(session: Session, case: dict, keys: CheckpointKeys | None, *,
           from_checkpoint: bool = False) -> Verdict:
    """The chain of `case` from genesis — or, `from_checkpoint`, from its last checkpoint
    whose signature holds (the signed hash is then where the walk starts, so a head that
    verifies links back to it) — to the case's recorded head."""
    signed = signed_heads(session, case["id"], keys.verifying if keys else {})
    start = (0, chain.GENESIS)
    if from_checkpoint:
        start = chain.walk_start((head for _, head in signed), case["head_seq"])
    walk = walk_stored(session, case["id"], {head.seq for _, head in signed},
                       after_seq=start[0], after_hash=start[1])
    # an incremental walk answers for what lies past its start only
    judged = [head for _, head in signed if head.seq > start[0]] if start[0] else \
        [head for _, head in signed]
    broken = chain.earliest((chain.judge(walk, case["head_seq"], case["head_hash"], judged),
                             check_sealed(session, case["id"], after_seq=start[0]),
                             _signed_entry_kept(session, case["id"], *start)))
    return Verdict(walk, broken, signed, start[0])


def _signed_entry_kept(session: Session, case_id: str, seq: int,
                       signed: str) -> chain.ChainBreak | None:
    """An incremental walk's start: is the checkpointed entry still there, with its hash?"""
    if not seq:
        return None
    stored = session.execute(select(entries.c.entry_hash).where(entries.c.case_id == case_id)
                             .where(entries.c.seq == seq)).scalar()
    return chain.signed_entry_changed(seq, signed, stored)


def signed_heads(session: Session, case_id: str,
                 public_keys: Any) -> list[tuple[Any, chain.SignedHead]]:
    """The case's checkpoints, each with what its signed statement says and whether its
    signature holds (chain.signed_head)."""
    rows = session.execute(select(checkpoints).where(checkpoints.c.case_id == case_id)
                           .order_by(checkpoints.c.seq, checkpoints.c.id)).mappings().all()
    return [(row, chain.signed_head(row, case_id, public_keys)) for row in rows]


def check_sealed(session: Session, case_id: str, *,
                 after_seq: int = 0) -> chain.ChainBreak | None:
    """Staff verification of sealed entries: every commitment of the hashed body re-derived
    from the plain text and its salt. (The hashed body itself is checked by the walk.)"""
    rows = session.execute(
        select(entries.c.seq, entries.c.body, entries.c.plain, entries.c.openings)
        .where(entries.c.case_id == case_id).where(entries.c.plain.isnot(None))
        .where(entries.c.seq > after_seq).order_by(entries.c.seq)).all()
    for seq, body, plain, openings in rows:
        if not chain.resealed_matches(body, plain, openings):
            return chain.sealed_break(seq)
    return None



# ---- the access log ---------------------------------------------------------------------

_ACCESS_COLUMNS = ("at", "actor_id", "actor_role", "actor_agency", "action", "case_id",
                   "agency", "outcome", "reason")
_INSERT_ACCESS = insert(access_log)  # built once, as the chain's statements
_PG_INSERT_ACCESS = (f"INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
                     f"VALUES ({', '.join(['%s'] * len(_ACCESS_COLUMNS))})")


def log_access(session: Session, actor: Actor, action: str, *, case: dict | None,
               outcome: str, now: datetime, reason: str | None = None,
               case_id: str | None = None) -> None:
    values = (now, actor.id, actor.role, actor.agency, action,
              case["id"] if case else case_id, case["agency"] if case else None, outcome, reason)
    if _on_postgresql(session):
        driver_fetch(session, _PG_INSERT_ACCESS, values)
    else:
        session.execute(_INSERT_ACCESS, dict(zip(_ACCESS_COLUMNS, values, strict=False)))


# The case row and, in the same statement, the reader's access row — written only when the
# case belongs to the reader's agency. queries.read_case sends it only for a staff reader,
# whom authorize_read grants exactly then, so the statement never logs a read it refuses.
_PG_READ_AND_LOG = (
    f"WITH c AS ({PG_LOAD_CASE}), "
    f"l AS (INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
    "SELECT %s, %s, %s, %s, %s, c.id, c.agency, 'granted', NULL FROM c "
    "WHERE c.agency = %s RETURNING 1) "
    f"SELECT {', '.join('c.' + column for column in CASE_COLUMNS)}, "
    "(SELECT count(*) FROM l) FROM c")


def load_case_logged(session: Session, actor: Actor, action: str, case_id: str,
                     now: datetime) -> tuple[dict, bool]:
    """(case, logged): on PostgreSQL the case and, where it is of the reader's own agency,
    the reader's granted access row, in one round trip; elsewhere the case alone."""
    if not _on_postgresql(session):
        return load_case(session, case_id), False
    found = driver_fetch(session, _PG_READ_AND_LOG, (
        case_id, now, actor.id, actor.role, actor.agency, action, actor.agency))
    if found is None:
        raise NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})
    return dict(zip(CASE_COLUMNS, found[:-1], strict=False)), bool(found[-1])


def record_refusal(db: Db, actor: Actor, method: str, request: dict, exc: Exception,
                   now: datetime) -> None:
    """A refused call is recorded in its own transaction (the call's own was rolled back):
    who (for a refused token: who it claimed to be, role "unverified"), what, which case if
    it exists, why."""
    case_id = request.get("case_id")
    with db.transaction() as session:
        case = None
        if isinstance(case_id, str) and case_id:
            case = session.execute(select(cases.c.id, cases.c.agency)
                                   .where(cases.c.id == case_id)).mappings().first()
        log_access(session, actor, method, case=dict(case) if case else None,
                   case_id=None, outcome="refused", now=now, reason=refusal_reason(exc))


# ---- what the findings and the archive read ---------------------------------------------

def entry_rows(session: Session, case_id: str) -> list[findings.EntryRow]:
    """The case's entries as stored (hashed bodies), in seq order."""
    return [findings.EntryRow(*row) for row in session.execute(
        select(entries.c.seq, entries.c.kind, entries.c.stage, entries.c.body,
               entries.c.prev_hash, entries.c.entry_hash)
        .where(entries.c.case_id == case_id).order_by(entries.c.seq))]


def av_rows(session: Session, case_id: str) -> list[findings.AvRecord]:
    return [findings.AvRecord(row["seq"], row["late"], row["storage_due"], row["stored_at"],
                              tuple(row["situations"] or ()))
            for row in session.execute(select(av_records)
                                       .where(av_records.c.case_id == case_id)
                                       .order_by(av_records.c.entry_id)).mappings()]


def refused_reads(session: Session, case_id: str) -> list[findings.RefusedAccess]:
    return [findings.RefusedAccess(row["at"], row["actor_id"], row["actor_role"],
                                   row["actor_agency"], row["action"], row["reason"])
            for row in session.execute(select(access_log)
                                       .where(access_log.c.case_id == case_id)
                                       .where(access_log.c.outcome == "refused")
                                       .order_by(access_log.c.id)).mappings()]


def av_contents(session: Session, case_id: str) -> list[tuple[int, dict]]:
    """(seq, plain content) of the case's AV records, in seq order."""
    return [(seq, json.loads(body)["content"]) for seq, body in session.execute(
        select(av_records.c.seq, PLAIN_BODY)
        .join(entries, entries.c.id == av_records.c.entry_id)
        .where(av_records.c.case_id == case_id).order_by(av_records.c.seq))]


def situation_codes(session: Session, case_id: str) -> list[str]:
    return list(session.execute(select(situations.c.code)
                                .where(situations.c.case_id == case_id)).scalars())


def fact_entries(session: Session, case_id: str) -> list[tuple[str, dict]]:
    """(kind, plain content) of the entries retention facts are read from."""
    return [(kind, json.loads(body)["content"]) for kind, body in session.execute(
        select(entries.c.kind, PLAIN_BODY).where(entries.c.case_id == case_id)
        .where(entries.c.kind.in_(["decision_issued", "decision_proposed", "av_record"])))]


_CHAIN_ROWS = ("SELECT seq, body, prev_hash, entry_hash FROM entries WHERE case_id = {} "
               "AND seq > {} ORDER BY seq")


def walk_stored(session: Session, case_id: str, note_seqs: Iterable[int] = (), *,
                after_seq: int = 0, after_hash: str = chain.GENESIS) -> chain.Walk:
    """chain.walk_chain over a case's entries as the database holds them. Reading the rows
    costs more than hashing them, so they come through the driver's own cursor with the
    texts as raw UTF-8 bytes (nothing decoded only to be encoded again for hashing); on
    PostgreSQL through a server-side cursor in batches, so a long chain is streamed into the
    hashing, not held in memory whole."""
    walk = functools.partial(chain.walk_chain, note_seqs=note_seqs, after_seq=after_seq,
                             after_hash=after_hash)
    dbapi = session.connection().connection  # the pooled DBAPI connection of this session
    if _on_postgresql(session):
        return _walk_pg(dbapi, walk, case_id, after_seq)
    return _walk_sqlite(dbapi.driver_connection, walk, case_id, after_seq)


def _walk_pg(dbapi: Any, walk: Callable[[Iterable[tuple]], chain.Walk], case_id: str,
             after_seq: int) -> chain.Walk:
    from psycopg2.extensions import BYTES, register_type
    if dbapi.driver_connection.autocommit:
        # a write transaction begun by hand (shared.persistence.db): psycopg2 opens no named cursor
        # there, and the lock held meanwhile makes one batch the right size anyway
        cur = dbapi.cursor()
        try:
            register_type(BYTES, cur)
            cur.execute(_CHAIN_ROWS.format("%s", "%s"), (case_id, after_seq))
            return walk(cur)
        finally:
            cur.close()
    cur = dbapi.cursor("sanxiang_verify_chain")
    try:
        register_type(BYTES, cur)  # text columns as bytes, for this cursor only
        cur.execute(_CHAIN_ROWS.format("%s", "%s"), (case_id, after_seq))
        rows = _fetched_ahead(cur, VERIFY_BATCH)
        try:
            return walk(rows)
        finally:
            rows.close()
    finally:
        cur.close()


def _walk_sqlite(raw: Any, walk: Callable[[Iterable[tuple]], chain.Walk], case_id: str,
                 after_seq: int) -> chain.Walk:
    factory, raw.text_factory = raw.text_factory, bytes
    try:
        cur = raw.cursor()
        try:
            cur.execute(_CHAIN_ROWS.format("?", "?"), (case_id, after_seq))
            return walk(cur)
        finally:
            cur.close()
    finally:
        raw.text_factory = factory


VERIFY_BATCH = 1000


def _fetched_ahead(cur: Any, batch: int) -> Generator[tuple, None, None]:
    """The rows of a server-side cursor, `batch` at a time, fetched by a helper thread one
    batch ahead of the consumer: PostgreSQL produces and sends the next batch while this one
    is hashed (the database's side of a read is most of its time). Under eventlet the
    helper is a green thread and the same overlap comes from the driver waiting green.
    Only the helper touches the cursor until it has been joined."""
    ahead: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cur.fetchmany(batch)
                ahead.put(rows)
                if len(rows) < batch:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            ahead.put(exc)

    helper = threading.Thread(target=fetch, name="verify-fetch-ahead", daemon=True)
    helper.start()
    try:
        while True:
            rows = ahead.get()
            if isinstance(rows, BaseException):
                raise rows
            yield from rows
            if len(rows) < batch:
                return
    finally:  # also when the consumer stopped early, at the first bad entry
        stop.set()
        while helper.is_alive():
            with contextlib.suppress(queue.Empty):
                ahead.get_nowait()  # a helper blocked on a full queue goes on and sees stop
            helper.join(0.01)
