"""The chain read back: walked in batches to its recorded head, judged against its signed
checkpoints and its sealed texts; heads signed or refused, and which heads moved since."""
from __future__ import annotations

import contextlib
import functools
import queue
import threading
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from services.records.domain import chain
from services.records.domain.chain import CheckpointKeys
from services.records.models import (
    JUDGE_PENDING,
    cases,
    checkpoint_refusals,
    checkpoints,
    entries,
)
from services.records.store import tree
from services.records.store.cases import on_postgresql
from shared.calendar.clock import iso
from shared.messaging.outbox import OutboxWriter

# who signs on the timer's behalf, in the events it emits
CHECKPOINT_TIMER_ACTOR = {"id": "records-checkpoint-timer", "role": "legal_unit",
                          "name": "检查点定时签署"}


def sign_head(session: Session, case: dict, keys: CheckpointKeys, now: datetime, *,
              outbox: OutboxWriter, actor: dict | None = None) -> dict:
    """The case's head signed; the checkpoint appended to its agency's Merkle log and the new
    tree head signed, in the same transaction; both emitted (checkpoint_signed.v1,
    tree_head_signed.v1 with its consistency proof from the head before) for the vault to keep
    write-once."""
    row = chain.signed_checkpoint(case, keys, now)
    session.execute(insert(checkpoints).values(**row))
    mark_judged(session, case)
    appended = tree.append_checkpoint(session, case["agency"], row, keys, now)
    ref = actor or CHECKPOINT_TIMER_ACTOR
    outbox.stage(session, "checkpoint_signed.v1", {
        "case_id": case["id"], "case_no": case["case_no"], "seq": row["seq"],
        "head_hash": row["head_hash"], "signed_at": iso(now), "key_id": row["key_id"],
        "signature": row["signature"], "statement": row["statement"],
        "leaf_index": appended.leaf_index}, agency=case["agency"], actor=ref,
        ruleset=case["ruleset"])
    head = appended.tree_head
    outbox.stage(session, "tree_head_signed.v1", {
        "agency": case["agency"], "size": head["size"], "root": head["root"],
        "signed_at": iso(now), "key_id": head["key_id"], "signature": head["signature"],
        "statement": head["statement"], "previous": appended.previous,
        "consistency": appended.consistency}, agency=case["agency"], actor=ref,
        ruleset=case["ruleset"])
    return chain.checkpoint_answer(row, keys)


def refuse_checkpoint(session: Session, case: dict, bad: chain.ChainBreak,
                      now: datetime) -> None:
    """A head that does not verify, recorded so that later ticks pass it by."""
    session.execute(insert(checkpoint_refusals).values(
        case_id=case["id"], head_seq=case["head_seq"], head_hash=case["head_hash"],
        failure=bad.failure, first_bad_seq=bad.seq, problem=bad.problem, at=now))
    mark_judged(session, case)


def mark_judged(session: Session, case: dict) -> None:
    """The case's head judged (signed, refused, or found judged already): the timer's
    candidates no longer include it until the head moves again."""
    session.execute(update(cases).where(cases.c.id == case["id"])
                    .values(checkpoint_hash=case["head_hash"]))


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


_NOT_JUDGED = text(JUDGE_PENDING)


def moved_heads(session: Session, limit: int) -> list[str]:
    """Up to `limit` cases (by id) whose head the timer has not judged since it moved: read
    from the partial index of such cases, so a tick costs what it finds, not what the
    deployment holds."""
    return list(session.execute(select(cases.c.id).where(_NOT_JUDGED)
                                .order_by(cases.c.id).limit(limit)).scalars())


def head_moved(session: Session, case_id: str) -> bool:
    """Has the case's head neither a checkpoint nor a refusal? Judged from those tables
    themselves, not from the timer's note of what it judged."""
    return session.execute(_moved_heads().where(cases.c.id == case_id)).first() is not None


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
    if on_postgresql(session):
        return _walk_pg(dbapi, walk, case_id, after_seq)
    return _walk_sqlite(dbapi.driver_connection, walk, case_id, after_seq)


def _walk_pg(dbapi: Any, walk: Callable[[Iterable[tuple]], chain.Walk], case_id: str,
             after_seq: int) -> chain.Walk:
    from psycopg2.extensions import BYTES, register_type
    if dbapi.driver_connection.autocommit:
        # a write transaction begun by hand (shared.persistence.db): psycopg2 opens no named
        # cursor there, so the chain is read a batch per statement (keyset by seq) instead —
        # the case's lock, held meanwhile, keeps the chain still between them
        cur = dbapi.cursor()
        try:
            register_type(BYTES, cur)
            return walk(_keyset_batches(cur, case_id, after_seq, VERIFY_BATCH))
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
_CHAIN_BATCH = _CHAIN_ROWS.format("%s", "%s") + " LIMIT %s"


def _keyset_batches(cur: Any, case_id: str, after_seq: int,
                    batch: int) -> Generator[tuple, None, None]:
    """The chain's rows after `after_seq`, `batch` per statement, in seq order."""
    while True:
        cur.execute(_CHAIN_BATCH, (case_id, after_seq, batch))
        rows = cur.fetchall()
        yield from rows
        if len(rows) < batch:
            return
        after_seq = rows[-1][0]
        del rows


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
