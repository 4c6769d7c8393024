"""An agency's append-only Merkle log (shared.trust.merkle, RFC 9162) kept in a service's own
database — one log per agency, the same four tables and the same reads wherever a service keeps
one (the record keeper's log of signed checkpoints, the disclosure publisher's log of public
acts):

    merkle_logs    per agency: size, frontier (hex roots, largest subtree first), root; the row
                   locked while a leaf is appended, so appends of one agency are serialised (on
                   SQLite by BEGIN IMMEDIATE itself)
    merkle_leaves  per agency and index: the leaf as it was logged and its leaf hash, with the
                   columns the service adds to name what it logged
    merkle_nodes   the subtree roots above the leaves (level > 0), as the frontier makes them
    tree_heads     the tree heads signed, one per size

Appending costs O(log n) rows whatever the log's size; an inclusion or consistency proof reads
O(log n) hashes (leaf hashes and stored subtree roots), never the whole log, and is None when a
hash it needs is not there (the log was cut short)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shared.persistence.schema import BigId, UtcDateTime
from shared.trust import merkle

# sign(agency, size, root hex, now) -> the tree_heads row of the head signed
Signer = Callable[[str, int, str, datetime], dict]


@dataclass(frozen=True)
class Appended:
    """A leaf appended: its index, the tree head signed after it, the log before it and the
    leaf's hash (what a consistency proof from the head before is made of)."""
    index: int
    tree_head: dict
    before: merkle.Frontier
    leaf_hash: bytes

    @property
    def previous(self) -> dict[str, Any] | None:
        """{size, root (hex)} of the head before, None for the log's first leaf."""
        return {"size": self.before.size, "root": self.before.root().hex()} \
            if self.before.size else None

    @property
    def consistency(self) -> list[str]:
        """The consistency proof (hex) from the head before to the one after the leaf."""
        return [h.hex() for h in merkle.next_consistency(self.before, self.leaf_hash)]


class MerkleLog:
    """The four tables of a service's agency logs (module docstring), declared in `metadata`
    with the leaf columns the service adds (`leaf_columns`, e.g. the case and seq a checkpoint
    names), and the log's writes and reads over them."""

    def __init__(self, metadata: MetaData, *leaf_columns: Column) -> None:
        self.logs = Table(
            "merkle_logs", metadata,
            Column("agency", String(64), primary_key=True),
            Column("size", BigInteger, nullable=False),
            Column("frontier", JSON, nullable=False),    # hex roots, largest subtree first
            Column("root", String(64), nullable=False),
            Column("updated_at", UtcDateTime(), nullable=False),
        )
        self.leaves = Table(
            "merkle_leaves", metadata,
            Column("agency", String(64), primary_key=True),
            Column("idx", BigInteger, primary_key=True, autoincrement=False),
            *leaf_columns,
            Column("leaf", Text, nullable=False),        # the leaf as logged (signed text)
            Column("leaf_hash", String(64), nullable=False),
        )
        self.nodes = Table(
            "merkle_nodes", metadata,
            Column("agency", String(64), primary_key=True),
            Column("level", Integer, primary_key=True, autoincrement=False),
            Column("idx", BigInteger, primary_key=True, autoincrement=False),
            Column("hash", String(64), nullable=False),
        )
        self.heads = Table(
            "tree_heads", metadata,
            Column("id", BigId, primary_key=True, autoincrement=True),
            Column("agency", String(64), nullable=False),
            Column("size", BigInteger, nullable=False),
            Column("root", String(64), nullable=False),
            Column("signed_at", UtcDateTime(), nullable=False),
            Column("key_id", String(16), nullable=False),
            Column("signature", String(128), nullable=False),
            Column("statement", Text, nullable=False),   # exactly the bytes that were signed
            UniqueConstraint("agency", "size", name="uq_tree_heads_agency_size"),
        )

    # ---- writing -------------------------------------------------------------------------

    def append(self, session: Session, agency: str, leaf: str, sign: Signer, now: datetime,
               **leaf_values: Any) -> Appended:
        """`leaf` appended to the agency's log (with the service's `leaf_values`) and the tree
        head it makes signed by `sign` — in the caller's transaction, under the log row's
        lock: O(log n) whatever the log's size."""
        before = self._locked(session, agency, now)
        leaf_hash = merkle.leaf_hash(leaf.encode())
        after, made = before.append(leaf_hash)
        session.execute(insert(self.leaves).values(
            agency=agency, idx=before.size, leaf=leaf, leaf_hash=leaf_hash.hex(),
            **leaf_values))
        nodes = [{"agency": agency, "level": level, "idx": idx, "hash": h.hex()}
                 for (level, idx), h in made if level > 0]
        if nodes:
            session.execute(insert(self.nodes), nodes)
        root = after.root().hex()
        session.execute(update(self.logs).where(self.logs.c.agency == agency).values(
            size=after.size, frontier=after.to_hex(), root=root, updated_at=now))
        head = sign(agency, after.size, root, now)
        session.execute(insert(self.heads).values(**head))
        return Appended(before.size, head, before, leaf_hash)

    def _locked(self, session: Session, agency: str, now: datetime) -> merkle.Frontier:
        """The agency's log, its row created if need be and locked until the transaction
        ends."""
        postgresql = _on_postgresql(session)
        upsert = pg_insert if postgresql else sqlite_insert
        session.execute(upsert(self.logs).values(
            agency=agency, size=0, frontier=[], root=merkle.EMPTY_ROOT.hex(),
            updated_at=now).on_conflict_do_nothing())
        query = select(self.logs.c.size, self.logs.c.frontier).where(
            self.logs.c.agency == agency)
        if postgresql:
            query = query.with_for_update()
        size, frontier = session.execute(query).one()
        return merkle.Frontier.from_hex(int(size), frontier)

    # ---- reading -------------------------------------------------------------------------

    def size(self, session: Session, agency: str) -> int:
        return int(session.execute(select(self.logs.c.size).where(
            self.logs.c.agency == agency)).scalar() or 0)

    def leaf_at(self, session: Session, agency: str, index: int) -> str | None:
        """The leaf the log holds at `index`, as it was logged."""
        return session.execute(select(self.leaves.c.leaf)
                               .where(self.leaves.c.agency == agency)
                               .where(self.leaves.c.idx == index)).scalar()

    def latest_tree_head(self, session: Session, agency: str) -> dict | None:
        row = session.execute(select(self.heads).where(self.heads.c.agency == agency)
                              .order_by(self.heads.c.size.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def inclusion_proof(self, session: Session, agency: str, index: int,
                        size: int) -> list[bytes] | None:
        """The inclusion proof of leaf `index` in the agency's tree of `size` leaves."""
        known = self._nodes(session, agency, merkle.inclusion_nodes(index, size))
        if known is None:
            return None
        return merkle.inclusion_proof(index, size, lambda level, ix: known[(level, ix)])

    def consistency_proof(self, session: Session, agency: str, first: int,
                          second: int) -> list[bytes] | None:
        """The consistency proof from the agency's tree of `first` leaves to `second`."""
        known = self._nodes(session, agency, merkle.consistency_nodes(first, second))
        if known is None:
            return None
        return merkle.consistency_proof(first, second, lambda level, ix: known[(level, ix)])

    def _nodes(self, session: Session, agency: str,
               ids: list[merkle.NodeId]) -> dict[merkle.NodeId, bytes] | None:
        """The hashes of the nodes `ids` (level 0: leaf hashes), or None when one is
        missing."""
        needed = set(ids)
        leaf_ids = [ix for level, ix in needed if level == 0]
        inner = [(level, ix) for level, ix in needed if level > 0]
        rows: list = []
        if leaf_ids:
            rows += session.execute(
                select(literal(0), self.leaves.c.idx, self.leaves.c.leaf_hash)
                .where(self.leaves.c.agency == agency)
                .where(self.leaves.c.idx.in_(leaf_ids))).all()
        if inner:
            rows += session.execute(
                select(self.nodes.c.level, self.nodes.c.idx, self.nodes.c.hash)
                .where(self.nodes.c.agency == agency)
                .where(tuple_(self.nodes.c.level, self.nodes.c.idx).in_(inner))).all()
        known: dict[merkle.NodeId, bytes] = {}
        for level, ix, h in rows:
            try:
                known[(int(level), int(ix))] = bytes.fromhex(h)
            except (TypeError, ValueError):
                return None  # not a hash: a row someone wrote by hand
        return known if len(known) == len(needed) else None


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
