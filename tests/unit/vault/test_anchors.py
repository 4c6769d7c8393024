"""The record keeper's checkpoints and tree heads kept write-once (services.vault.usecases
.anchors): the checkpoint key pinned; each statement verified under the pinned keys, each tree
head against the last one kept (RFC 9162 consistency); kept as objects (a checkpoint under the
case file's class, a tree head permanently) in the store and the replica; a redelivery stores
nothing twice; an unpinned key, a statement that says otherwise, a second statement for a
seq, an inconsistent or shrinking log are refused, logged and alerted, nothing stored; a head
whose predecessor has not arrived is a passing fault. SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select

from contracts.records import CONTRACT as RECORDS
from services.records.domain import chain
from services.vault import models, queries
from services.vault.usecases import anchors
from shared.contracts.registry import envelope
from shared.errors import DomainRuleViolated, NotFound, Unavailable
from shared.trust import merkle
from shared.trust.keys import key_id, public_key_pem
from shared.trust.signatures import sign
from tests.agencies import QINYUAN
from tests.unit.vault.support import actor, event_key

SIGNED_AT = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)


class RecordKeeper:
    """The record keeper's side of the log: checkpoints signed with its checkpoint key,
    appended, each followed by its signed tree head — the events it emits — and its
    log_consistency RPC as the vault calls it (services.records.queries.log_consistency
    answers the same from its stored nodes; tests/integration/test_anchored_records.py runs
    the two services together)."""

    def __init__(self, key: Ed25519PrivateKey | None = None) -> None:
        self.keys = chain.CheckpointKeys.of(key or Ed25519PrivateKey.generate())
        self.frontier = merkle.Frontier()
        self.leaves: list[bytes] = []
        self.asked: list[tuple[int, int]] = []
        self.away = False

    def call(self, agency: str, method: str, *, key=None, **request):
        assert (agency, method) == (QINYUAN, "log_consistency")
        if self.away:
            raise Unavailable("the record keeper did not answer", message_zh="记录保管服务未响应")
        first, second = request["first"], request["second"]
        self.asked.append((first, second))
        if second > len(self.leaves):
            raise DomainRuleViolated(f"the agency's log has {len(self.leaves)} leaves",
                                     code="log_shorter", message_zh="机构记录日志叶节点不足")
        proof = merkle.consistency_proof(first, second, lambda level, ix: merkle.root_of(
            self.leaves[ix << level:(ix + 1) << level]))
        return {"agency": agency, "first": first, "second": second,
                "proof": [h.hex() for h in proof]}

    @property
    def pinned(self) -> dict:
        public = self.keys.signing.public_key()
        return {key_id(public): public}

    def checkpoint(self, case_id: str, seq: int, **changes) -> tuple[dict, dict]:
        head_hash = f"{seq:064x}"
        case = {"id": case_id, "head_seq": seq, "head_hash": head_hash}
        row = chain.signed_checkpoint(case, self.keys, SIGNED_AT)
        before = self.frontier
        leaf = merkle.leaf_hash(row["statement"].encode())
        self.frontier, _ = before.append(leaf)
        self.leaves.append(leaf)
        cp = {"case_id": case_id, "case_no": "沁能立〔2025〕9号", "seq": seq,
              "head_hash": head_hash, "signed_at": SIGNED_AT.isoformat(),
              "key_id": row["key_id"], "signature": row["signature"],
              "statement": row["statement"], "leaf_index": before.size, **changes}
        head = chain.signed_tree_head(QINYUAN, self.frontier.size,
                                      self.frontier.root().hex(), self.keys, SIGNED_AT)
        th = {"agency": QINYUAN, "size": head["size"], "root": head["root"],
              "signed_at": SIGNED_AT.isoformat(), "key_id": head["key_id"],
              "signature": head["signature"], "statement": head["statement"],
              "previous": {"size": before.size, "root": before.root().hex()}
              if before.size else None,
              "consistency": [h.hex() for h in merkle.next_consistency(before, leaf)]}
        return event("checkpoint_signed.v1", cp), event("tree_head_signed.v1", th)


RECORDS_EVENTS = event_key("records")


def event(event_type: str, data: dict) -> dict:
    """The event as the record keeper's outbox signs it (the consumer's gate checked that
    signature before a use case runs; what the use cases check is the statement's)."""
    body = envelope(RECORDS, event_type, data, agency=QINYUAN,
                    actor={"id": "head-1", "role": "head"}, ruleset="qinyuan-energy@1")
    sign(body, RECORDS_EVENTS)
    return body


def keep(env, body: dict, pinned: dict, records: RecordKeeper | None = None):
    if body["event_type"] == "checkpoint_signed.v1":
        return anchors.on_checkpoint_signed(body, db=env.db, rules=env.rules,
                                            stores=env.stores, outbox=env.outbox,
                                            configured=pinned, now=env.now)
    return anchors.on_tree_head_signed(body, db=env.db, stores=env.stores, outbox=env.outbox,
                                       records=records or RecordKeeper(), configured=pinned,
                                       now=env.now)


def counts(env) -> dict:
    with env.db.read() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar()
                for t in (models.anchored_checkpoints, models.anchored_tree_heads,
                          models.objects, models.pinned_keys)}


def refused(env, body: dict, pinned: dict, rule: str,
            records: RecordKeeper | None = None) -> None:
    anchors.pin_keys(env.db, env.stores, pinned, env.now)
    before = counts(env)
    with pytest.raises(DomainRuleViolated) as err:
        keep(env, body, pinned, records)
    assert err.value.details["rule"] == rule and err.value.message_zh
    assert counts(env) == before
    assert env.log("refused")[-1]["body"]["rule"] == rule
    alert = env.events("anchor_refused.v1")[-1]["data"]
    assert alert["rule"] == rule and alert["message_id"] == body["message_id"]


def test_checkpoints_and_tree_heads_are_kept_write_once_under_the_pinned_key(env_db):
    env, records = env_db, RecordKeeper()
    for seq in (3, 5, 9):
        for body in records.checkpoint("case-1", seq):
            assert keep(env, body, records.pinned)
    assert counts(env) == {"anchored_checkpoints": 3, "anchored_tree_heads": 3,
                           "objects": 6, "pinned_keys": 1}
    head = actor("head")
    kept = queries.latest_checkpoint({"agency": QINYUAN, "case_id": "case-1"}, actor=head,
                                     db=env.db)
    tree = queries.latest_tree_head({"agency": QINYUAN}, actor=head, db=env.db)
    assert kept["seq"] == 9 and kept["leaf_index"] == 2 and kept["store"]
    assert tree["size"] == 3 and tree["root"] == records.frontier.root().hex()
    with env.db.read() as s:
        cp_obj = s.execute(select(models.objects).where(
            models.objects.c.id == kept["object_id"])).mappings().one()
        th_obj = s.execute(select(models.objects).where(
            models.objects.c.id == tree["object_id"])).mappings().one()
    assert cp_obj["retention"]["class"] == "case_file" and cp_obj["replica"] == "ok"
    assert th_obj["retention"]["permanent"] and th_obj["retain_until"] is None
    for obj in (cp_obj, th_obj):  # in the store and its replica, locked
        assert env.stores.primary.exists(obj["key"]) and env.stores.replica.exists(obj["key"])
    published = anchors.checkpoint_keys({}, db=env.db, stores=env.stores,
                                        configured=records.pinned, now=env.now)["keys"]
    assert [k["key_id"] for k in published] == list(records.pinned)
    with pytest.raises(NotFound):
        queries.latest_checkpoint({"agency": QINYUAN, "case_id": "case-2"}, actor=head,
                                  db=env.db)


def test_a_redelivered_or_replayed_statement_stores_nothing_twice(env_db):
    env, records = env_db, RecordKeeper()
    bodies = records.checkpoint("case-1", 4)
    for body in bodies:
        keep(env, body, records.pinned)
    once = counts(env)
    for body in bodies:  # the same messages again, and again under new message ids
        assert keep(env, body, records.pinned) is None
        keep(env, dict(body, message_id=str(uuid.uuid4())), records.pinned)
    assert counts(env) == once


def test_a_statement_signed_by_a_key_not_pinned_is_refused(env_db):
    env, records, forger = env_db, RecordKeeper(), RecordKeeper()
    cp, th = forger.checkpoint("case-1", 4)
    refused(env, cp, records.pinned, "unpinned_key")
    refused(env, th, records.pinned, "unpinned_key")
    # the event's data altered after signing: the signature no longer holds
    cp, _ = records.checkpoint("case-1", 4)
    tampered = dict(cp, data=dict(cp["data"], statement=cp["data"]["statement"].replace(
        '"seq":4', '"seq":5'), seq=5))
    refused(env, tampered, records.pinned, "signature_invalid")


def test_a_statement_that_says_otherwise_or_a_second_one_for_a_seq_is_refused(env_db):
    env, records = env_db, RecordKeeper()
    cp, th = records.checkpoint("case-1", 4)
    refused(env, dict(cp, data=dict(cp["data"], head_hash="ff" * 32)), records.pinned,
            "statement_mismatch")
    keep(env, cp, records.pinned)
    keep(env, th, records.pinned)
    again = RecordKeeper(records.keys.signing)  # the same key signing another head for seq 4
    other, _ = again.checkpoint("case-1", 4)
    other["data"]["head_hash"] = "ee" * 32
    statement = chain.checkpoint_statement("case-1", 4, "ee" * 32, SIGNED_AT.isoformat())
    kid, signature = chain.sign_statement(records.keys, statement)
    other["data"].update(statement=statement, signature=signature)
    refused(env, other, records.pinned, "conflict")
    # the same head signed again a minute later (checkpoint_case on a head already signed):
    # a leaf of the log too, kept once, nothing refused
    later = RecordKeeper(records.keys.signing)
    statement = chain.checkpoint_statement("case-1", 4, cp["data"]["head_hash"],
                                           "2025-10-20T01:01:00+00:00")
    kid, signature = chain.sign_statement(records.keys, statement)
    resigned, _ = later.checkpoint("case-1", 4)
    resigned["data"].update(statement=statement, signature=signature,
                            signed_at="2025-10-20T01:01:00+00:00", leaf_index=1)
    before = counts(env)
    assert keep(env, resigned, records.pinned)
    assert counts(env) == before and len(env.events("anchor_refused.v1")) == 2


def test_a_tree_head_that_does_not_extend_the_last_one_kept_is_refused(env_db):
    env, records = env_db, RecordKeeper()
    for seq in (1, 2):
        for body in records.checkpoint("case-1", seq):
            keep(env, body, records.pinned, records)
    # a fork: the same key, a log whose second leaf differs from the one kept
    fork = RecordKeeper(records.keys.signing)
    fork.checkpoint("case-1", 1)
    fork.checkpoint("case-9", 2)
    _, forked = fork.checkpoint("case-1", 3)
    refused(env, forked, records.pinned, "inconsistent", fork)
    # another root for a size kept
    other = RecordKeeper(records.keys.signing)
    _, first = other.checkpoint("case-7", 1)
    refused(env, first, records.pinned, "inconsistent", other)
    # the true next head with its consistency proof altered
    _, nxt = records.checkpoint("case-1", 3)
    proof = nxt["data"]["consistency"]
    altered = dict(nxt, data=dict(nxt["data"], consistency=[("00" * 32)] + proof[1:]))
    refused(env, altered, records.pinned, "inconsistent", records)
    # a head ahead of the last kept, from a log that no longer holds what the vault kept
    _, far = fork.checkpoint("case-1", 4)
    refused(env, dict(far, data=dict(far["data"], previous=None)), records.pinned,
            "inconsistent", fork)
    assert [a["data"]["rule"] for a in env.events("anchor_refused.v1")] == ["inconsistent"] * 4
    assert keep(env, nxt, records.pinned, records)  # the head itself, with its true proof
    with env.db.read() as s:
        assert s.execute(select(func.max(models.anchored_tree_heads.c.size))).scalar() == 3


def test_heads_handled_out_of_order_are_checked_with_the_record_keepers_proof(env_db):
    env, records = env_db, RecordKeeper()
    heads = [records.checkpoint("case-1", seq)[1] for seq in (1, 2, 3, 4)]
    keep(env, heads[0], records.pinned, records)
    records.away = True  # a record keeper that does not answer: a passing fault, retried
    with pytest.raises(Unavailable):
        keep(env, heads[2], records.pinned, records)
    records.away = False
    keep(env, heads[2], records.pinned, records)   # 1 → 3, asked of the record keeper
    keep(env, heads[1], records.pinned, records)   # 2, after 3 was kept: 2 → 3 asked
    keep(env, heads[3], records.pinned, records)   # 3 → 4, the event's own proof
    assert records.asked == [(1, 3), (2, 3)]
    assert counts(env)["anchored_tree_heads"] == 4
    assert env.events("anchor_refused.v1") == []
    # the record keeper's log cut short under it: a head it cannot prove is refused
    _, fifth = records.checkpoint("case-1", 5)
    records.leaves = records.leaves[:2]
    refused(env, dict(fifth, data=dict(fifth["data"], previous=None)), records.pinned,
            "inconsistent", records)
    assert records.asked[-1] == (4, 5)


def test_a_pinned_key_stays_pinned_once_stored_and_is_never_replaced(env_db):
    env, records = env_db, RecordKeeper()
    anchors.pin_keys(env.db, env.stores, records.pinned, env.now)
    anchors.pin_keys(env.db, env.stores, records.pinned, env.now)  # again: nothing new
    with env.db.read() as s:
        [row] = s.execute(select(models.pinned_keys)).mappings().all()
    assert env.stores.primary.exists(row["object_key"])
    assert env.stores.replica.exists(row["object_key"])
    # the configuration no longer names it (a rotation): what it signed still counts
    cp, th = records.checkpoint("case-1", 2)
    assert keep(env, cp, {}) and keep(env, th, {})
    # a key named under another key's id is never pinned
    stranger = Ed25519PrivateKey.generate().public_key()
    pinned = anchors.pin_keys(env.db, env.stores, {"0123456789abcdef": stranger}, env.now)
    assert list(pinned) == list(records.pinned)
    # a key row written into the table by hand, with no stored object behind it, pins nothing
    pem = public_key_pem(stranger)
    with env.db.transaction() as s:
        s.execute(insert(models.pinned_keys).values(
            key_id=key_id(stranger), signer="records", public_key=pem,
            object_key="_pinned/checkpoint/records/forged.pem",
            sha256=hashlib.sha256(pem.encode()).hexdigest(), pinned_at=env.now))
    assert list(anchors.pin_keys(env.db, env.stores, {}, env.now)) == list(records.pinned)
    published = anchors.checkpoint_keys({}, db=env.db, stores=env.stores, configured={},
                                        now=env.now)["keys"]
    assert [k["key_id"] for k in published] == list(records.pinned)
