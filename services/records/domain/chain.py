"""The per-case hash chain: the canonical form of an entry's body, the link hash, a walk over
stored entries that recomputes every link, the judgement of a walked chain against the case's
head and its signed checkpoints, and the checkpoint statement with the keys that sign it."""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.records.domain import personal
from shared.calendar.clock import iso
from shared.errors import DomainRuleViolated
from shared.trust.keys import key_id, public_key_pem
from shared.trust.signatures import statement_holds as statement_holds

if TYPE_CHECKING:
    from shared.trust.actor import Actor

GENESIS = "0" * 64

# ---- the chain -------------------------------------------------------------------------

def canonical(body: Any) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 text kept."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link_hash(prev_hash: str, body_text: str) -> str:
    """entry_hash = SHA-256(prev_hash ‖ "\\n" ‖ canonical body)."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(b"\n")
    h.update(body_text.encode("utf-8"))
    return h.hexdigest()


# Bodies written since personal data is sealed carry "format": 2 (see domain.personal); a
# body without it was hashed with every text as it stands.
ENTRY_FORMAT = 2

# Why a chain does not verify, each named in verify_case's `failure`.
ENTRY_ALTERED = "entry_altered"            # a body, a link or a sealed text no longer matches
MISSING_ENTRIES = "missing_entries"        # a gap below the head
TRUNCATED = "truncated"                    # the chain stops before the head or a checkpoint
HEAD_MISMATCH = "head_mismatch"            # the case's recorded head is not where the chain ends
CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # the chain no longer leads to a signed hash
CHECKPOINT_SIGNATURE_INVALID = "checkpoint_signature_invalid"
# (in this order when two fail at one seq: a signed hash says more than the case's projection)
FAILURES = (ENTRY_ALTERED, MISSING_ENTRIES, CHECKPOINT_MISMATCH, TRUNCATED, HEAD_MISMATCH,
            CHECKPOINT_SIGNATURE_INVALID)


@dataclass(frozen=True)
class Entry:
    """An entry computed on top of a case's head, not yet written (store.write)."""
    seq: int
    entry_hash: str
    row: dict    # the `entries` row
    head: dict   # what the case becomes: head_seq, head_hash and any case_updates
    expected_head_seq: int


def _detector(persons: list[dict] | None) -> re.Pattern | None:
    return personal.detector(tuple(personal.protected_persons(persons or [])[1]))


def prepare(case: Mapping[str, Any], *, kind: str, occurred_at: datetime, actor: Actor,
            content: dict, now: datetime, corrects: int | None = None,
            case_updates: dict | None = None) -> Entry:
    """The next entry of `case`: its canonical body hashed together with the head's hash."""
    seq = case["head_seq"] + 1
    prev = case["head_hash"]
    stage = (case_updates or {}).get("stage", case["stage"])
    body = {"format": ENTRY_FORMAT,
            "case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
            "occurred_at": iso(occurred_at), "recorded_at": iso(now),
            "actor": {"id": actor.id, "role": actor.role, "agency": actor.agency},
            "ruleset": case["ruleset"], "corrects_seq": corrects, "content": content}
    # a text spelling a protected person's data is hashed as a salted commitment (000
    # 第三十四条: a party's masked view must not let it test guesses against the hash)
    hashed, openings = personal.seal(body, _detector(case["persons"]))
    body_text = canonical(hashed)
    entry_hash = link_hash(prev, body_text)
    row = {"case_id": case["id"], "seq": seq, "kind": kind, "stage": stage,
           "occurred_at": occurred_at, "recorded_at": now, "actor_id": actor.id,
           "actor_role": actor.role, "corrects_seq": corrects, "body": body_text,
           "prev_hash": prev, "entry_hash": entry_hash,
           "plain": canonical(body) if openings else None,
           "openings": canonical(openings) if openings else None}
    return Entry(seq, entry_hash, row,
                 {"head_seq": seq, "head_hash": entry_hash, **(case_updates or {})},
                 case["head_seq"])


def resealed_matches(body: str, plain: str, openings: str | None) -> bool:
    """Staff verification of a sealed entry: every commitment of the hashed body re-derived
    from the plain text and its salt."""
    try:
        resealed = canonical(personal.reseal(json.loads(plain), json.loads(openings or "null")))
    except (ValueError, TypeError, KeyError, IndexError):
        resealed = None
    return resealed == body


def sealed_break(seq: int) -> ChainBreak:
    return ChainBreak(seq, "personal data does not match its commitment",
                      "the sealed body re-derived from text and salt",
                      "a different text, salt or body")


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str
    expected: str
    found: str
    failure: str = ENTRY_ALTERED
    checkpoint_seq: int | None = None    # the signed checkpoint that showed it, if one did
    since_seq: int | None = None         # earliest entry that may differ (after the last
                                         # checkpoint still matched), when not pinned down

    def to_dict(self) -> dict:
        return {"seq": self.seq, "problem": self.problem, "expected": self.expected,
                "found": self.found, "failure": self.failure,
                "checkpoint_seq": self.checkpoint_seq, "since_seq": self.since_seq}


@dataclass(frozen=True)
class Walk:
    """What a walk over stored entries established."""
    checked: int                 # entries whose links recomputed, from the start
    last_seq: int                # the last of them (the start's seq when none)
    last_hash: str               # its recomputed hash
    broken: ChainBreak | None    # the first entry that did not recompute
    noted: dict                  # seq → recomputed hash, for the seqs asked for


def verify_chain(rows: Iterable[tuple[int, str | bytes, str | bytes, str | bytes]], *,
                 note_seq: int | None = None) -> tuple[int, ChainBreak | None, str | None]:
    """rows: (seq, body, prev_hash, entry_hash) in seq order, the texts either all str or all
    UTF-8 bytes (as a driver can hand them over without decoding). Returns (entries checked,
    the first break or None, the recomputed hash at `note_seq`). Every link is recomputed from
    the bodies, so an edited body, a deleted or reordered entry, or a rewritten hash all show
    at the first entry affected; the hash at `note_seq` is what a signed checkpoint covers.
    (Whether the chain reaches the case's head is `judge`'s question.)"""
    walk = walk_chain(rows, note_seqs=() if note_seq is None else (note_seq,))
    return walk.checked, walk.broken, walk.noted.get(note_seq)


def walk_chain(rows: Iterable[tuple], *, note_seqs: Iterable[int] = (), after_seq: int = 0,
               after_hash: str = GENESIS) -> Walk:
    """The walk behind verify_chain, starting after entry `after_seq` whose hash is
    `after_hash` (genesis by default: a checkpointed hash lets a walk start there), noting the
    recomputed hash at each of `note_seqs`."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return Walk(0, after_seq, after_hash, None, {})
    rows = itertools.chain((first,), rows)
    if isinstance(first[1], str):
        # hashed as link_hash does: the UTF-8 encoding of each text
        rows = ((seq, body.encode("utf-8"), prev.encode("utf-8"), hash_.encode("utf-8"))
                for seq, body, prev, hash_ in rows)
    return _verify_bytes(rows, frozenset(note_seqs), after_seq, after_hash)


def _verify_bytes(rows: Iterator[tuple[int, bytes, bytes, bytes]], notes: frozenset[int],
                  after_seq: int, after_hash: str) -> Walk:
    prev = after_hash.encode("ascii")
    expected_seq = after_seq + 1
    noted: dict[int, str] = {}
    sha256 = hashlib.sha256
    for seq, body, stored_prev, stored_hash in rows:
        if seq != expected_seq:
            return _walked(expected_seq, after_seq, prev, noted, ChainBreak(
                expected_seq, "missing entry", str(expected_seq), str(seq), MISSING_ENTRIES))
        if stored_prev != prev:
            return _walked(expected_seq, after_seq, prev, noted, ChainBreak(
                seq, "previous-hash link broken", _text(prev), _text(stored_prev)))
        h = sha256(prev)
        h.update(b"\n")
        h.update(body)
        actual = h.hexdigest().encode("ascii")
        if actual != stored_hash:
            return _walked(expected_seq, after_seq, prev, noted, ChainBreak(
                seq, "content does not match its hash", _text(actual), _text(stored_hash)))
        if seq in notes:
            noted[seq] = actual.decode("ascii")
        prev = actual
        expected_seq += 1
    return _walked(expected_seq, after_seq, prev, noted, None)


def _walked(expected_seq: int, after_seq: int, prev: bytes, noted: dict[int, str],
            broken: ChainBreak | None) -> Walk:
    return Walk(expected_seq - 1 - after_seq, expected_seq - 1, prev.decode("ascii"), broken,
                noted)


_GENESIS_BYTES = GENESIS.encode("ascii")


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@dataclass(frozen=True)
class SignedHead:
    """A checkpoint as stored: the seq and hash it signed, and whether its signature holds."""
    seq: int
    head_hash: str
    signature_valid: bool


def judge(walk: Walk, head_seq: int, head_hash: str,
          checkpoints: Iterable[SignedHead] = ()) -> ChainBreak | None:
    """The first failure of a walked chain, or None when it verifies: it must recompute,
    reach the case's recorded head exactly (seq and hash), hold every checkpoint's entry and
    lead to every signed hash. Several failures: the one at the earliest seq."""
    found: list[ChainBreak | None] = [walk.broken] if walk.broken else []
    found += _checkpoint_breaks(walk, checkpoints)
    if walk.broken is None:
        found.append(_head_break(walk, head_seq, head_hash))
    return earliest(found)


def _checkpoint_breaks(walk: Walk, checkpoints: Iterable[SignedHead]) -> list[ChainBreak]:
    found = []
    attested = 0  # the last seq a matching checkpoint vouches for
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if not cp.signature_valid:
            found.append(ChainBreak(cp.seq, "checkpoint signature does not verify",
                                    "a valid signature", "an invalid one",
                                    CHECKPOINT_SIGNATURE_INVALID, checkpoint_seq=cp.seq))
        elif walk.broken is None and cp.seq > walk.last_seq:
            found.append(ChainBreak(walk.last_seq + 1, "entries missing below a signed "
                                    "checkpoint", f"entries up to seq {cp.seq}",
                                    f"entries up to seq {walk.last_seq}", TRUNCATED,
                                    checkpoint_seq=cp.seq))
        elif cp.seq in walk.noted:
            if walk.noted[cp.seq] == cp.head_hash:
                attested = max(attested, cp.seq)
            else:
                found.append(ChainBreak(cp.seq, "chain does not lead to the signed hash",
                                        cp.head_hash, walk.noted[cp.seq], CHECKPOINT_MISMATCH,
                                        checkpoint_seq=cp.seq, since_seq=attested + 1))
    return found


def _head_break(walk: Walk, head_seq: int, head_hash: str) -> ChainBreak | None:
    """Does an unbroken walk end exactly at the case's recorded head?"""
    if walk.last_seq < head_seq:
        return ChainBreak(walk.last_seq + 1, "chain ends before the case's head",
                          f"entries up to seq {head_seq}",
                          f"entries up to seq {walk.last_seq}", TRUNCATED)
    if walk.last_seq > head_seq:
        return ChainBreak(head_seq + 1, "entries beyond the case's recorded head",
                          f"head at seq {head_seq}", f"entries up to seq "
                          f"{walk.last_seq}", HEAD_MISMATCH)
    if walk.last_hash != head_hash:
        return ChainBreak(head_seq, "case's head hash is not the chain's",
                          walk.last_hash, head_hash, HEAD_MISMATCH)
    return None


def checkpoint_statement(case_id: str, seq: int, head_hash: str, signed_at: str) -> str:
    return canonical({"type": "sanxiang.records.checkpoint.v1", "case_id": case_id, "seq": seq,
                      "head_hash": head_hash, "signed_at": signed_at})


@dataclass(frozen=True)
class CheckpointKeys:
    """The key that signs checkpoints now, and every public key whose checkpoints still
    count (public/checkpoint/<service>/*.pem): after a rotation the old checkpoints keep
    verifying under the key id each one names."""
    signing: Ed25519PrivateKey
    verifying: Mapping[str, Ed25519PublicKey]

    @classmethod
    def of(cls, signing: Ed25519PrivateKey,
           published: Mapping[str, Ed25519PublicKey] | None = None) -> CheckpointKeys:
        own = signing.public_key()
        return cls(signing, {**(published or {}), key_id(own): own})


def signed_checkpoint(case: Mapping[str, Any], keys: CheckpointKeys,
                      now: datetime) -> dict:
    """The `checkpoints` row signing the case's head at `now`."""
    signing_key = keys.signing
    statement = checkpoint_statement(
        case["id"], case["head_seq"], case["head_hash"],
        iso(now))
    signature = base64.b64encode(signing_key.sign(statement.encode())).decode()
    return {"case_id": case["id"], "seq": case["head_seq"], "head_hash": case["head_hash"],
            "signed_at": now, "key_id": key_id(signing_key.public_key()),
            "signature": signature, "statement": statement}


def checkpoint_answer(row: dict, keys: CheckpointKeys) -> dict:
    """What signing a head answers: its row, the time as text and the public key."""
    return dict(row, signed_at=iso(row["signed_at"]), public_key=public_key_pem(keys.signing))


def signed_head(row: Mapping[Any, Any], case_id: str,
                public_keys: Mapping[str, Ed25519PublicKey]) -> SignedHead:
    """What a stored checkpoint's signed statement says (the statement is what counts, not
    the row's own columns) and whether its signature holds under the published key its key
    id names."""
    try:
        statement = json.loads(row["statement"])
        seq, head_hash = int(statement["seq"]), str(statement["head_hash"])
        public_key = public_keys.get(row["key_id"])
        ok = False
        if statement.get("case_id") == case_id and public_key is not None:
            public_key.verify(base64.b64decode(row["signature"]), row["statement"].encode())
            ok = True
    except (InvalidSignature, ValueError, KeyError, TypeError):
        seq, head_hash, ok = row["seq"], row["head_hash"], False
    return SignedHead(seq, head_hash, ok)


def walk_start(signed: Iterable[SignedHead], head_seq: int) -> tuple[int, str]:
    """Where an incremental walk starts: the last checkpoint at or below the head whose
    signature holds, else genesis."""
    valid = [head for head in signed if head.signature_valid and head.seq <= head_seq]
    if not valid:
        return 0, GENESIS
    last = max(valid, key=lambda head: head.seq)
    return last.seq, last.head_hash


def earliest(found: Iterable[ChainBreak | None]) -> ChainBreak | None:
    """The failure at the earliest seq (in FAILURES order at one seq), or None."""
    breaks = [b for b in found if b]
    return min(breaks, key=lambda b: (b.seq, FAILURES.index(b.failure))) if breaks else None


def signed_entry_changed(seq: int, signed: str, stored: str | None) -> ChainBreak | None:
    """An incremental walk's start: is the checkpointed entry still there, with its hash?"""
    if not seq or stored == signed:
        return None
    return ChainBreak(
        seq, "the entry of a signed checkpoint no longer has the signed hash", signed,
        stored or "no entry", CHECKPOINT_MISMATCH if stored else TRUNCATED,
        checkpoint_seq=seq)


def not_verified(case: Mapping[str, Any], bad: ChainBreak) -> DomainRuleViolated:
    """The refusal to sign a head whose chain does not verify."""
    return DomainRuleViolated(
        f"case {case['case_no']}: the chain does not verify ({bad.failure} at seq {bad.seq}: "
        f"{bad.problem}); its head is not signed",
        code="chain_not_verified", message_zh="执法记录链校验未通过，不予签署",
        details={"failure": bad.failure, "first_bad": bad.to_dict(),
                 "head_seq": case["head_seq"], "head_hash": case["head_hash"]})


# ---- the agency's Merkle log of checkpoints (RFC 9162; shared.trust.merkle) -----------------
#
# Every signed checkpoint of an agency's cases is a leaf of the agency's append-only log, in the
# order signed: the leaf is the checkpoint's statement exactly as signed (its UTF-8 bytes). Each
# append is followed by a signed tree head, whose statement is, like the checkpoint's, the
# canonical JSON (sorted keys, no spaces, UTF-8) of
#   {"type": "sanxiang.records.tree_head.v1", "agency": …, "size": n, "root": hex MTH,
#    "signed_at": ISO 8601}
# signed with Ed25519 by the record keeper's checkpoint key (signature: standard base64).

def tree_head_statement(agency: str, size: int, root: str, signed_at: str) -> str:
    return canonical({"type": "sanxiang.records.tree_head.v1", "agency": agency, "size": size,
                      "root": root, "signed_at": signed_at})


def sign_statement(keys: CheckpointKeys, statement: str) -> tuple[str, str]:
    """(key id, base64 signature) of `statement` under the checkpoint key."""
    return (key_id(keys.signing.public_key()),
            base64.b64encode(keys.signing.sign(statement.encode())).decode())


def signed_tree_head(agency: str, size: int, root: str, keys: CheckpointKeys,
                     now: datetime) -> dict:
    """The `tree_heads` row signing the agency's log of `size` leaves with root `root`."""
    statement = tree_head_statement(agency, size, root, iso(now))
    kid, signature = sign_statement(keys, statement)
    return {"agency": agency, "size": size, "root": root, "signed_at": now, "key_id": kid,
            "signature": signature, "statement": statement}


