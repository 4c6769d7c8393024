"""Pure rules of the record keeper: stages and their transitions, which records belong to
which stage, the hash chain, masking for a party's view. No framework imports here."""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Iterable

from services.records import personal
from shared.errors import DomainRuleViolated

# 程序启动 → 调查取证 → 审查决定 → 送达执行 → 归档管理 (000 第三条, 002 第三条, 004 第二十二条)
STAGES = ("initiation", "investigation", "decision", "service_execution", "archive")
STAGE_LABELS = {"initiation": "程序启动", "investigation": "调查取证", "decision": "审查决定",
                "service_execution": "送达执行", "archive": "归档管理"}

# Forward only. A case may end early (不予立案, 撤销立案, 不予处罚) by closing, which moves it
# to `archive` from any open stage; `close_case` does that, `advance_stage` only steps ahead.
NEXT_STAGE = {"initiation": "investigation", "investigation": "decision",
              "decision": "service_execution", "service_execution": "archive"}

GENESIS = "0" * 64

# record_type → stages it may be recorded in. Seeds: 000 第十四至三十条; 004 第三十一至四十三条.
RECORD_STAGES: dict[str, tuple[str, ...]] = {
    "application_receipt": ("initiation",),
    "credentials_shown": ("investigation", "service_execution"),
    "investigation_document": ("investigation",),
    "rights_notice": ("investigation", "decision"),
    "statement_defence": ("investigation", "decision"),
    "hearing_record": ("investigation", "decision"),
    "refusal_to_cooperate": ("investigation", "service_execution"),
    "evidence_preservation": ("investigation",),
    "review_record": ("decision",),
    "expert_opinion": ("decision",),
    "collective_discussion": ("decision",),
    "simple_procedure": ("investigation", "decision"),
    "service": ("decision", "service_execution"),
    "performance": ("service_execution",),
    "rectification_check": ("service_execution",),
    "reminder": ("service_execution",),
    "statement_review": ("service_execution", "decision"),
    "coercive_execution": ("service_execution",),
    "court_enforcement": ("service_execution",),
    # 对外提供 may happen at any point of an open case (000 第三十三条; 004 第四十五条)
    "external_release": STAGES[:-1],
    "note": STAGES[:-1],
}

# Situations a record's content shows by itself, whatever the officer declares (the declared
# ones are kept too: the union is recorded). Whether a situation makes AV mandatory is the
# case's rule set's to say (av.mandatory_situations), not this table's: it only names what the
# seeds' AV lists speak of, where the content tells it —
#   000《全过程记录办法》第十七条（二）（三）、第十八条（二）（三）（四）、第二十七条（二）、第二十八条;
#   002《全过程记录办法》第十条（四）、第十一条; 001 工作方案 四(二)二, 附件2 第四条;
#   004 第二十五条、第三十三条、第三十六条第二款、第四十条第二款、第四十二条第二款.
# record_type → {None: situations of every such record, field: {value: situations}}.
IMPLIED_SITUATIONS: dict[str, dict[str | None, object]] = {
    "investigation_document": {"document_kind": {
        # 现场检查（勘验）: 000 第十八条（二）; 001 工作方案 四(二)二; 004 第二十五条、第三十三条
        "onsite_inspection": ("onsite_inspection",),
        # 抽样取证: 000 第十八条（二）; 004 第三十三条
        "sampling": ("sampling",),
        # 询问当事人和证人: 000 第十八条（二）; 001 附件2 第四条; 004 第三十三条
        "interview": ("interview",),
        "interview_party": ("interview",),
        "interview_witness": ("interview",),
        # 先行登记保存: 000 第十八条（二）; 004 第二十五条、第三十三条
        "evidence_preservation": ("evidence_preservation",),
        # 调取书证、物证 is 取证 itself: 001 工作方案 四(二)二; 004 第二十五条 (调查取证)
        "evidence_request": ("evidence_collection",),
        # 听证全过程记录文书 (000 第十五条（六）): 000 第十八条（三）; 004 第三十六条第二款
        "hearing": ("hearing",),
    }},
    "evidence_preservation": {None: ("evidence_preservation",)},
    "refusal_to_cooperate": {None: ("non_cooperation",)},          # 000 第十七条（三）
    "hearing_record": {None: ("hearing",)},
    "rectification_check": {None: ("rectification_check",)},      # 000 第二十八条; 004 第四十条
    # 000 第十八条（四）, 第二十七条（二） "并进行音像记录"
    "service": {"method": {"lien": ("service_lien",), "public_notice": ("service_public_notice",)}},
    "coercive_execution": {
        None: ("coercive_measure",),                                 # 001 工作方案 四(二)二; 004 第二十五条
        # 排除妨碍、恢复原状、代履行: 000 第十七条（二）; 002 第十条（四）; 004 第四十二条第二款
        "measure": {"substitute_performance": ("substitute_performance",),
                    "remove_obstruction": ("remove_obstruction",),
                    "restore_original_state": ("restore_original_state",)}},
}

def check_advance(current: str, target: str) -> None:
    if current == "archive":
        raise DomainRuleViolated(f"case is closed (stage archive); it cannot move to {target}",
                                 code="case_closed")
    expected = NEXT_STAGE.get(current)
    if target != expected:
        raise DomainRuleViolated(
            f"illegal stage transition {current} → {target}: the next stage after "
            f"{STAGE_LABELS[current]} is {expected} ({STAGE_LABELS[expected]}); stages only "
            "move forward one at a time, and closing a case early is close_case",
            code="illegal_transition", details={"from": current, "to": target,
                                                "allowed": [expected]})


def check_record_stage(record_type: str, stage: str) -> None:
    allowed = RECORD_STAGES[record_type]
    if stage not in allowed:
        raise DomainRuleViolated(
            f"a {record_type} record belongs to stage {' or '.join(allowed)}, "
            f"but the case is in {stage} ({STAGE_LABELS[stage]})",
            code="record_not_allowed_in_stage",
            details={"record_type": record_type, "stage": stage, "allowed": list(allowed)})


def implied_situations(record_type: str, content: dict) -> set[str]:
    """The situations `content` of a `record_type` record shows by itself."""
    rules = IMPLIED_SITUATIONS.get(record_type)
    if not rules:
        return set()
    found = set(rules.get(None, ()))
    for field, by_value in rules.items():
        if field is not None:
            found.update(by_value.get(content.get(field), ()))
    return found


# ---- the chain -------------------------------------------------------------------------

def canonical(body: dict) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 text kept."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link_hash(prev_hash: str, body_text: str) -> str:
    """entry_hash = SHA-256(prev_hash ‖ "\\n" ‖ canonical body)."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(b"\n")
    h.update(body_text.encode("utf-8"))
    return h.hexdigest()


# Bodies written since personal data is sealed carry "format": 2 (see services.records.personal);
# a body without it was hashed with every text as it stands.
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


def walk_chain(rows, *, note_seqs=(), after_seq: int = 0,
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


def _verify_bytes(rows, notes, after_seq, after_hash):
    prev = after_hash.encode("ascii")
    expected_seq = after_seq + 1
    noted = {}
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


def _walked(expected_seq, after_seq, prev, noted, broken) -> Walk:
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
    found = [walk.broken] if walk.broken else []
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
    if walk.broken is None:
        if walk.last_seq < head_seq:
            found.append(ChainBreak(walk.last_seq + 1, "chain ends before the case's head",
                                    f"entries up to seq {head_seq}",
                                    f"entries up to seq {walk.last_seq}", TRUNCATED))
        elif walk.last_seq > head_seq:
            found.append(ChainBreak(head_seq + 1, "entries beyond the case's recorded head",
                                    f"head at seq {head_seq}", f"entries up to seq "
                                    f"{walk.last_seq}", HEAD_MISMATCH))
        elif walk.last_hash != head_hash:
            found.append(ChainBreak(head_seq, "case's head hash is not the chain's",
                                    walk.last_hash, head_hash, HEAD_MISMATCH))
    return min(found, key=lambda b: (b.seq, FAILURES.index(b.failure))) if found else None


def checkpoint_statement(case_id: str, seq: int, head_hash: str, signed_at: str) -> str:
    return canonical({"type": "sanxiang.records.checkpoint.v1", "case_id": case_id, "seq": seq,
                      "head_hash": head_hash, "signed_at": signed_at})


# ---- a party's view --------------------------------------------------------------------
# (the rules are in services.records.personal; kept under these names for their callers)

MASK = personal.MASK
MASKED_PERSON_ROLES = personal.MASKED_PERSON_ROLES
protected_persons = personal.protected_persons


def mask_for_party(value, secrets: list[str]):
    """Replace every spelling of a protected person's name, id number, phone or address."""
    return personal.mask(value, secrets)
