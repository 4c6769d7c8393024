"""A case judged against what the vault keeps write-once of it (DESIGN.md "Trust between
services"): the last checkpoint of the case the vault stored, its signature under the key the
vault pinned, the database chain still holding that seq with that hash (and the head not
before it), and the checkpoint a leaf of the agency's Merkle log under the last tree head the
vault stored — the proof computed from the records database, so a log rewritten or cut short
there fails against the root the vault holds."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.records.domain.chain import ChainBreak, statement_holds
from shared.trust import merkle

# Why a case does not hold against the vault, each named in verify_case's `failure`
ANCHOR_TRUNCATED = "anchor_truncated"            # the chain no longer reaches the vault's seq
ANCHOR_MISMATCH = "anchor_mismatch"              # the entry there has another hash
ANCHOR_NOT_INCLUDED = "anchor_not_included"      # the log does not prove the checkpoint
ANCHOR_SIGNATURE_INVALID = "anchor_signature_invalid"
# (in this order at one seq: a statement that does not verify is not relied on for anything)
ANCHOR_FAILURES = (ANCHOR_SIGNATURE_INVALID, ANCHOR_TRUNCATED, ANCHOR_MISMATCH,
                   ANCHOR_NOT_INCLUDED)

# why a verification was not anchored
VAULT_NOT_DEPLOYED = "vault_not_deployed"
NOT_IN_VAULT = "no_checkpoint_in_vault"


@dataclass(frozen=True)
class Held:
    """What the vault answered: the case's last stored checkpoint, the agency's last stored
    tree head (or None) and the verification keys it pinned."""
    checkpoint: Mapping[str, Any]
    tree_head: Mapping[str, Any] | None
    keys: Mapping[str, Ed25519PublicKey]


@dataclass(frozen=True)
class Log:
    """What the records database holds for the inclusion: the leaf at the checkpoint's index
    and the proof of it in the tree of the head's size (None: nodes missing)."""
    leaf: str | None
    proof: list[bytes] | None


def not_anchored(reason: str, detail: str) -> dict:
    return {"anchored": False, "reason": reason, "detail": detail, "ok": None,
            "failure": None, "checkpoint": None, "tree_head": None}


def judge(case: Mapping[str, Any], held: Held, entry_hash: str | None,
          log: Log | None) -> tuple[dict, ChainBreak | None]:
    """The answer's `anchor` and the break it found (None: the case holds against the
    vault). `entry_hash`: the database's entry at the checkpoint's seq (None: no entry)."""
    cp, th = held.checkpoint, held.tree_head
    seq, signed = int(cp["seq"]), str(cp["head_hash"])
    where = f"vault object {cp.get('object_id')} ({cp.get('store')})"
    valid = (statement_holds(cp["statement"], cp["signature"], cp["key_id"], held.keys)
             and _says(cp["statement"], case["id"], seq, signed))
    breaks: list[ChainBreak] = []
    if not valid:
        breaks.append(ChainBreak(seq, "the vault's checkpoint does not verify under the pinned "
                                 "key", "a valid signature", "an invalid one",
                                 ANCHOR_SIGNATURE_INVALID, checkpoint_seq=seq))
    if case["head_seq"] < seq or entry_hash is None:
        breaks.append(ChainBreak(min(case["head_seq"] + 1, seq), "the chain stops before the "
                                 f"checkpoint kept in the {where}",
                                 f"entries up to seq {seq}", f"head at seq {case['head_seq']}"
                                 + ("" if entry_hash else f", no entry {seq}"),
                                 ANCHOR_TRUNCATED, checkpoint_seq=seq))
    elif entry_hash != signed:
        breaks.append(ChainBreak(seq, f"the entry differs from the checkpoint kept in the "
                                 f"{where}", signed, entry_hash, ANCHOR_MISMATCH,
                                 checkpoint_seq=seq))
    tree, tree_break = _tree(cp, th, held.keys, log, where)
    if tree_break is not None:
        breaks.append(tree_break)
    first = min(breaks, key=lambda b: (b.seq, ANCHOR_FAILURES.index(b.failure))) \
        if breaks else None
    checkpoint = {k: cp.get(k) for k in ("seq", "head_hash", "signed_at", "key_id",
                                         "leaf_index", "object_id", "store", "stored_at")}
    checkpoint.update(signature_valid=valid, entry_hash=entry_hash)
    return ({"anchored": True, "reason": None, "detail": None, "ok": first is None,
             "failure": first.failure if first else None, "checkpoint": checkpoint,
             "tree_head": tree}, first)


def _says(statement: str, case_id: str, seq: int, head_hash: str) -> bool:
    try:
        said = json.loads(statement)
        return bool(said["case_id"] == case_id and int(said["seq"]) == seq
                    and said["head_hash"] == head_hash)
    except (ValueError, KeyError, TypeError):
        return False


def _tree(cp: Mapping[str, Any], th: Mapping[str, Any] | None,
          keys: Mapping[str, Ed25519PublicKey], log: Log | None,
          where: str) -> tuple[dict | None, ChainBreak | None]:
    """The checkpoint's inclusion in the vault's last tree head. A head that does not cover
    the checkpoint yet (stored a moment before it) proves nothing either way."""
    if th is None:
        return None, None
    seq, index, size = int(cp["seq"]), int(cp["leaf_index"]), int(th["size"])
    signed = (statement_holds(th["statement"], th["signature"], th["key_id"], keys)
              and _head_says(th["statement"], size, str(th["root"])))
    report = {k: th.get(k) for k in ("size", "root", "signed_at", "key_id", "object_id",
                                     "store")}
    report.update(signature_valid=signed, covers=index < size, included=None)
    if index >= size:
        return report, None
    leaf = merkle.leaf_hash(str(cp["statement"]).encode())
    included = bool(signed and log is not None and log.leaf == cp["statement"]
                    and log.proof is not None and merkle.verify_inclusion(
                        leaf, index, size, log.proof, bytes.fromhex(str(th["root"]))))
    report["included"] = included
    if included:
        return report, None
    why = ("the tree head's signature does not verify" if not signed
           else "the log holds another leaf there" if log is None or log.leaf != cp["statement"]
           else "the log is cut short" if log.proof is None
           else "the log's proof does not lead to the signed root")
    return report, ChainBreak(seq, f"the checkpoint kept in the {where} is not proven in the "
                              f"agency's log of {size} leaves: {why}",
                              f"leaf {index} under root {th['root']}", why,
                              ANCHOR_NOT_INCLUDED, checkpoint_seq=seq)


def _head_says(statement: str, size: int, root: str) -> bool:
    try:
        said = json.loads(statement)
        return bool(int(said["size"]) == size and said["root"] == root)
    except (ValueError, KeyError, TypeError):
        return False
