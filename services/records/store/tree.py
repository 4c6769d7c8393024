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

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.records.domain import anchor, chain
from services.records.models import entries, merkle_log


@dataclass(frozen=True)
class Appended:
    """A checkpoint as a leaf of its agency's log, and the tree head signed after it."""
    leaf_index: int
    tree_head: dict              # the tree_heads row
    previous: dict | None        # {size, root} of the head before, None for the first leaf
    consistency: list[str]       # hex: the consistency proof from `previous` to this head


def append_checkpoint(session: Session, agency: str, checkpoint: dict,
                      keys: chain.CheckpointKeys, now: datetime) -> Appended:
    """The checkpoint (a `checkpoints` row) appended to its agency's log as a leaf — its
    statement as signed — and the new tree head signed: O(log n) whatever the log's size."""
    done = merkle_log.append(
        session, agency, checkpoint["statement"],
        lambda a, size, root, at: chain.signed_tree_head(a, size, root, keys, at), now,
        case_id=checkpoint["case_id"], seq=checkpoint["seq"])
    return Appended(done.index, done.tree_head, done.previous, done.consistency)


# what verify_case and the vault read of the log (shared.persistence.merkle_log)
leaf_at = merkle_log.leaf_at
inclusion_proof = merkle_log.inclusion_proof
consistency_proof = merkle_log.consistency_proof
log_size = merkle_log.size


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
