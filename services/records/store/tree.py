"""The agency's append-only Merkle log of signed checkpoints (shared.trust.merkle): a checkpoint
appended as a leaf under the log row's lock, in the checkpoint's own transaction, and the tree
head it makes signed; and what verify_case reads of the log — a leaf, and the nodes of an
inclusion proof (O(log n) rows, never the whole log).

A tree head is signed after every checkpoint, not on a timer of its own: a checkpoint is
already the rare event (on request, or once per moved head per tick), so one more signature
and a few rows cost little; the head that anchors a checkpoint reaches the vault right behind
it, with no window in which a checkpoint is kept but proven by no head; its consistency proof
from the head before comes from the frontier alone (O(log n), no read of the log); and no
second timer has to be run once across instances. A tick that signs nothing signs no head."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.records.domain import anchor, chain
from services.records.models import entries, merkle_leaves, merkle_logs, merkle_nodes, tree_heads
from services.records.store.cases import on_postgresql
from shared.trust import merkle


@dataclass(frozen=True)
class Appended:
    """A checkpoint as a leaf of its agency's log, and the tree head signed after it."""
    leaf_index: int
    tree_head: dict              # the tree_heads row
    previous: dict | None        # {size, root} of the head before, None for the first leaf
    consistency: list[str]       # hex: the consistency proof from `previous` to this head


def _locked_log(session: Session, agency: str, now: datetime) -> merkle.Frontier:
    """The agency's log, its row created if need be and locked until the transaction ends:
    appends of one agency are serialised (on SQLite by BEGIN IMMEDIATE itself)."""
    values = {"agency": agency, "size": 0, "frontier": [], "root": merkle.EMPTY_ROOT.hex(),
              "updated_at": now}
    upsert = pg_insert if on_postgresql(session) else sqlite_insert
    session.execute(upsert(merkle_logs).values(**values).on_conflict_do_nothing())
    query = select(merkle_logs.c.size, merkle_logs.c.frontier).where(
        merkle_logs.c.agency == agency)
    if on_postgresql(session):
        query = query.with_for_update()
    size, frontier = session.execute(query).one()
    return merkle.Frontier.from_hex(int(size), frontier)


def append_checkpoint(session: Session, agency: str, checkpoint: dict,
                      keys: chain.CheckpointKeys, now: datetime) -> Appended:
    """The checkpoint (a `checkpoints` row) appended to its agency's log as a leaf — its
    statement as signed — and the new tree head signed: O(log n) whatever the log's size."""
    before = _locked_log(session, agency, now)
    leaf = merkle.leaf_hash(checkpoint["statement"].encode())
    after, made = before.append(leaf)
    session.execute(insert(merkle_leaves).values(
        agency=agency, idx=before.size, case_id=checkpoint["case_id"], seq=checkpoint["seq"],
        leaf=checkpoint["statement"], leaf_hash=leaf.hex()))
    nodes = [{"agency": agency, "level": level, "idx": idx, "hash": h.hex()}
             for (level, idx), h in made if level > 0]
    if nodes:
        session.execute(insert(merkle_nodes), nodes)
    root = after.root().hex()
    session.execute(update(merkle_logs).where(merkle_logs.c.agency == agency).values(
        size=after.size, frontier=after.to_hex(), root=root, updated_at=now))
    head = chain.signed_tree_head(agency, after.size, root, keys, now)
    session.execute(insert(tree_heads).values(**head))
    previous = {"size": before.size, "root": before.root().hex()} if before.size else None
    return Appended(before.size, head, previous,
                    [h.hex() for h in merkle.next_consistency(before, leaf)])


def leaf_at(session: Session, agency: str, index: int) -> str | None:
    """The leaf (a checkpoint's statement) the log holds at `index`."""
    return session.execute(select(merkle_leaves.c.leaf).where(merkle_leaves.c.agency == agency)
                           .where(merkle_leaves.c.idx == index)).scalar()


def inclusion_proof(session: Session, agency: str, index: int,
                    size: int) -> list[bytes] | None:
    """The inclusion proof of leaf `index` in the agency's tree of `size` leaves, from the
    hashes the database holds (leaf hashes and subtree roots): O(log n) rows in two reads.
    None when a node it needs is not there (the log was cut short)."""
    known = _nodes(session, agency, merkle.inclusion_nodes(index, size))
    if known is None:
        return None
    return merkle.inclusion_proof(index, size, lambda level, ix: known[(level, ix)])


def consistency_proof(session: Session, agency: str, first: int,
                      second: int) -> list[bytes] | None:
    """The consistency proof from the agency's tree of `first` leaves to the one of `second`,
    from the hashes the database holds; None when a node it needs is not there."""
    known = _nodes(session, agency, merkle.consistency_nodes(first, second))
    if known is None:
        return None
    return merkle.consistency_proof(first, second, lambda level, ix: known[(level, ix)])


def log_size(session: Session, agency: str) -> int:
    return int(session.execute(select(merkle_logs.c.size).where(
        merkle_logs.c.agency == agency)).scalar() or 0)


def _nodes(session: Session, agency: str,
           ids: list[merkle.NodeId]) -> dict[merkle.NodeId, bytes] | None:
    """The hashes of the nodes `ids` (level 0: leaf hashes), or None when one is missing."""
    needed = set(ids)
    leaves = [ix for level, ix in needed if level == 0]
    inner = [(level, ix) for level, ix in needed if level > 0]
    known: dict[merkle.NodeId, bytes] = {}
    rows: list = []
    if leaves:
        rows += session.execute(select(literal(0), merkle_leaves.c.idx, merkle_leaves.c.leaf_hash)
                                .where(merkle_leaves.c.agency == agency)
                                .where(merkle_leaves.c.idx.in_(leaves))).all()
    if inner:
        rows += session.execute(
            select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash)
            .where(merkle_nodes.c.agency == agency)
            .where(tuple_(merkle_nodes.c.level, merkle_nodes.c.idx).in_(inner))).all()
    for level, ix, h in rows:
        try:
            known[(int(level), int(ix))] = bytes.fromhex(h)
        except (TypeError, ValueError):
            return None  # not a hash: a row someone wrote by hand
    return known if len(known) == len(needed) else None


def entry_hash_at(session: Session, case_id: str, seq: int) -> str | None:
    return session.execute(select(entries.c.entry_hash).where(entries.c.case_id == case_id)
                           .where(entries.c.seq == seq)).scalar()


def anchor_facts(session: Session, agency: str, case_id: str, held: anchor.Held
                 ) -> tuple[str | None, anchor.Log | None]:
    """What the database says of the vault's checkpoint: the entry's hash at its seq, and the
    leaf at its index with its inclusion proof in the vault's tree head (None when that head
    does not cover it yet)."""
    cp, th = held.checkpoint, held.tree_head
    entry_hash = entry_hash_at(session, case_id, int(cp["seq"]))
    index = int(cp["leaf_index"])
    if th is None or index >= int(th["size"]):
        return entry_hash, None
    return entry_hash, anchor.Log(leaf_at(session, agency, index),
                                  inclusion_proof(session, agency, index, int(th["size"])))
