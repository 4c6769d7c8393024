"""Storage side of the per-case chain: load a case (locked for writing), append an entry
that hashes its canonical body (a protected person's data sealed as salted commitments)
together with the previous entry's hash, verify a stored chain up to the case's head and
against its signed checkpoints, and sign heads."""
from __future__ import annotations

import base64
import contextlib
import functools
import json
import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.records import domain, personal
from services.records.models import cases, checkpoints, entries, outbox
from shared.trust.actor import Actor
from shared.calendar.clock import iso
from shared.persistence.db import driver_fetch
from shared.errors import Conflict, NotFound
from shared.trust.keys import key_id, public_key_pem
from shared.messaging.outbox import OUTBOX_COLUMNS


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


def _detector(persons):
    return personal.detector(tuple(personal.protected_persons(persons or [])[1]))


def prepare(case: dict, *, kind: str, occurred_at: datetime, actor: Actor, content: dict,
            now: datetime, corrects: int | None = None,
            case_updates: dict | None = None) -> Entry:
    """The next entry of `case`: its canonical body hashed together with the head's hash."""
    seq = case["head_seq"] + 1
    prev = case["head_hash"]
    stage = (case_updates or {}).get("stage", case["stage"])
    body = {"format": domain.ENTRY_FORMAT,
            "case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
            "occurred_at": iso(occurred_at), "recorded_at": iso(now),
            "actor": {"id": actor.id, "role": actor.role, "agency": actor.agency},
            "ruleset": case["ruleset"], "corrects_seq": corrects, "content": content}
    # a text spelling a protected person's data is hashed as a salted commitment (000
    # 第三十四条: a party's masked view must not let it test guesses against the hash)
    hashed, openings = personal.seal(body, _detector(case["persons"]))
    body_text = domain.canonical(hashed)
    entry_hash = domain.link_hash(prev, body_text)
    row = {"case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
           "occurred_at": occurred_at, "recorded_at": now, "actor_id": actor.id,
           "actor_role": actor.role, "corrects_seq": corrects, "body": body_text,
           "prev_hash": prev, "entry_hash": entry_hash,
           "plain": domain.canonical(body) if openings else None,
           "openings": domain.canonical(openings) if openings else None}
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


@dataclass(frozen=True)
class CheckpointKeys:
    """The key that signs checkpoints now, and every public key whose checkpoints still
    count (public/checkpoint/<service>/*.pem): after a rotation the old checkpoints keep
    verifying under the key id each one names."""
    signing: Ed25519PrivateKey
    verifying: Mapping[str, Ed25519PublicKey]

    @classmethod
    def of(cls, signing: Ed25519PrivateKey,
           published: Mapping[str, Ed25519PublicKey] | None = None) -> "CheckpointKeys":
        own = signing.public_key()
        return cls(signing, {**(published or {}), key_id(own): own})


def sign_head(session: Session, case: dict, keys: CheckpointKeys, now: datetime) -> dict:
    signing_key = keys.signing
    signed_at = iso(now)
    statement = domain.checkpoint_statement(case["id"], case["head_seq"], case["head_hash"],
                                            signed_at)
    signature = base64.b64encode(signing_key.sign(statement.encode())).decode()
    row = {"case_id": case["id"], "seq": case["head_seq"], "head_hash": case["head_hash"],
           "signed_at": now, "key_id": key_id(signing_key.public_key()),
           "signature": signature, "statement": statement}
    session.execute(insert(checkpoints).values(**row))
    return dict(row, signed_at=signed_at, public_key=public_key_pem(signing_key))


# ---- verification -----------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """A case's stored chain judged: walked up to its recorded head, against its signed
    checkpoints, its sealed texts re-derived."""
    walk: domain.Walk
    broken: domain.ChainBreak | None      # the earliest failure; None: the chain verifies
    checkpoints: list                     # (row, SignedHead) in seq order
    start_seq: int                        # 0, or the checkpoint an incremental walk began at


def verify(session, case: dict, keys: CheckpointKeys | None, *,
           from_checkpoint: bool = False) -> Verdict:
    """The chain of `case` from genesis — or, `from_checkpoint`, from its last checkpoint
    whose signature holds (the signed hash is then where the walk starts, so a head that
    verifies links back to it) — to the case's recorded head."""
    signed = signed_heads(session, case["id"], keys.verifying if keys else {})
    start = (0, domain.GENESIS)
    if from_checkpoint:
        valid = [head for _, head in signed if head.signature_valid and
                 head.seq <= case["head_seq"]]
        if valid:
            last = max(valid, key=lambda head: head.seq)
            start = (last.seq, last.head_hash)
    walk = walk_stored(session, case["id"], {head.seq for _, head in signed},
                       after_seq=start[0], after_hash=start[1])
    # an incremental walk answers for what lies past its start only
    judged = [head for _, head in signed if head.seq > start[0]] if start[0] else \
        [head for _, head in signed]
    found = [b for b in (domain.judge(walk, case["head_seq"], case["head_hash"], judged),
                         check_sealed(session, case["id"], after_seq=start[0]),
                         _signed_entry_kept(session, case["id"], *start)) if b]
    broken = min(found, key=lambda b: (b.seq, domain.FAILURES.index(b.failure))) \
        if found else None
    return Verdict(walk, broken, signed, start[0])


def _signed_entry_kept(session, case_id: str, seq: int, signed: str) -> domain.ChainBreak | None:
    """An incremental walk's start: is the checkpointed entry still there, with its hash?"""
    if not seq:
        return None
    stored = session.execute(select(entries.c.entry_hash).where(entries.c.case_id == case_id)
                             .where(entries.c.seq == seq)).scalar()
    if stored == signed:
        return None
    return domain.ChainBreak(
        seq, "the entry of a signed checkpoint no longer has the signed hash", signed,
        stored or "no entry", domain.CHECKPOINT_MISMATCH if stored else domain.TRUNCATED,
        checkpoint_seq=seq)


def signed_heads(session, case_id: str, public_keys: Mapping[str, Ed25519PublicKey]) -> list:
    """The case's checkpoints, each with what its signed statement says (the statement is
    what counts, not the row's own columns) and whether its signature holds under the
    published key its key id names."""
    rows = session.execute(select(checkpoints).where(checkpoints.c.case_id == case_id)
                           .order_by(checkpoints.c.seq, checkpoints.c.id)).mappings().all()
    out = []
    for row in rows:
        try:
            statement = json.loads(row["statement"])
            seq, head_hash = int(statement["seq"]), str(statement["head_hash"])
            public_key = public_keys.get(row["key_id"])
            ok = statement.get("case_id") == case_id and public_key is not None
            if ok:
                public_key.verify(base64.b64decode(row["signature"]), row["statement"].encode())
        except (InvalidSignature, ValueError, KeyError, TypeError):
            seq, head_hash, ok = row["seq"], row["head_hash"], False
        out.append((row, domain.SignedHead(seq, head_hash, ok)))
    return out


def check_sealed(session, case_id: str, *, after_seq: int = 0) -> domain.ChainBreak | None:
    """Staff verification of sealed entries: every commitment of the hashed body re-derived
    from the plain text and its salt. (The hashed body itself is checked by the walk.)"""
    rows = session.execute(
        select(entries.c.seq, entries.c.body, entries.c.plain, entries.c.openings)
        .where(entries.c.case_id == case_id).where(entries.c.plain.isnot(None))
        .where(entries.c.seq > after_seq).order_by(entries.c.seq)).all()
    for seq, body, plain, openings in rows:
        try:
            resealed = domain.canonical(personal.reseal(json.loads(plain),
                                                        json.loads(openings or "null")))
        except (ValueError, TypeError, KeyError, IndexError):
            resealed = None
        if resealed != body:
            return domain.ChainBreak(seq, "personal data does not match its commitment",
                                     "the sealed body re-derived from text and salt",
                                     "a different text, salt or body")
    return None


_CHAIN_ROWS = ("SELECT seq, body, prev_hash, entry_hash FROM entries WHERE case_id = {} "
               "AND seq > {} ORDER BY seq")


def walk_stored(session, case_id: str, note_seqs=(), *, after_seq: int = 0,
                after_hash: str = domain.GENESIS) -> domain.Walk:
    """domain.walk_chain over a case's entries as the database holds them. Reading the rows
    costs more than hashing them, so they come through the driver's own cursor with the
    texts as raw UTF-8 bytes (nothing decoded only to be encoded again for hashing); on
    PostgreSQL through a server-side cursor in batches, so a long chain is streamed into the
    hashing, not held in memory whole."""
    walk = functools.partial(domain.walk_chain, note_seqs=note_seqs, after_seq=after_seq,
                             after_hash=after_hash)
    dbapi = session.connection().connection  # the pooled DBAPI connection of this session
    if _on_postgresql(session):
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
    raw = dbapi.driver_connection
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


def _fetched_ahead(cur, batch: int):
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
