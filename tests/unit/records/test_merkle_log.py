"""Each agency's append-only Merkle log of signed checkpoints (services.records.store.tree,
shared.trust.merkle): every checkpoint — asked for or the timer's — is a leaf in the order
signed; every tree head is signed, extends the one before by the consistency proof its event
carries, and is the RFC 9162 root of the statements signed; every leaf's inclusion proof read
from the database verifies; verify_case against what a vault keeps (domain.anchor) catches a
cut or a rewritten leaf table, and without a vault says it was not anchored. SQLite and
PostgreSQL."""
from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from services.records import queries, store
from services.records.domain import anchor
from services.records.store import tree
from services.records.usecases import checkpoints
from shared.errors import DomainRuleViolated, Forbidden, ValidationFailed
from shared.trust import merkle
from tests.builders import demo_plan
from tests.unit.records.support import (
    actor,
    call,
    insider,
    open_case,
    remember,
    request_of,
    store_footage,
)

AGENCY = "lingchuan-emergency"


def checkpoint(env, case_id):
    return checkpoints.checkpoint_case({"case_id": case_id}, actor=actor("head"), db=env.db,
                                       signing_key=env.signing_key, outbox=env.outbox,
                                       now=env.now)


def demo_checkpointed(env) -> str:
    """The demo case up to its decision, its head signed after every step."""
    ctx: dict = {"decision_no": "陵应急罚〔2025〕31号"}
    for step in demo_plan("陵应急立〔2025〕31号", with_review=False):
        if step.method == "propose_decision":
            break
        if not step.expect_error:
            store_footage(env, step, ctx)
            remember(ctx, step, call(env, step.method, request_of(step, ctx), actor(step.role)))
            checkpoint(env, ctx["case_id"])
    return ctx["case_id"]


def holds(statement: str, signature: str, env) -> bool:
    public = env.signing_key.signing.public_key()
    public.verify(base64.b64decode(signature), statement.encode())
    return True


def test_every_checkpoint_is_a_leaf_and_every_tree_head_extends_the_last(env_db):
    case_id = demo_checkpointed(env_db)
    other = open_case(env_db, AGENCY, "陵应急立〔2025〕77号")["id"]
    checkpoint(env_db, other)
    cps = [e["data"] for e in env_db.events("checkpoint_signed.v1")]
    heads = [e["data"] for e in env_db.events("tree_head_signed.v1")]
    assert len(cps) == len(heads) >= 10
    assert [c["leaf_index"] for c in cps] == list(range(len(cps)))
    assert {c["case_id"] for c in cps} == {case_id, other}
    leaves: list[bytes] = []
    for cp, head in zip(cps, heads, strict=True):
        assert holds(cp["statement"], cp["signature"], env_db)
        assert holds(head["statement"], head["signature"], env_db)
        leaves.append(cp["statement"].encode())
        assert head["size"] == len(leaves) and head["agency"] == AGENCY
        assert head["root"] == merkle.mth(leaves).hex()
        if head["previous"] is None:
            assert head["size"] == 1 and head["consistency"] == []
            continue
        before = head["previous"]
        assert before == {"size": len(leaves) - 1, "root": merkle.mth(leaves[:-1]).hex()}
        assert merkle.verify_consistency(before["size"], head["size"],
                                         bytes.fromhex(before["root"]),
                                         bytes.fromhex(head["root"]),
                                         [bytes.fromhex(h) for h in head["consistency"]])
    # every leaf proven from the database against the last head
    last = heads[-1]
    with env_db.db.read() as s:
        for cp in cps:
            proof = tree.inclusion_proof(s, AGENCY, cp["leaf_index"], last["size"])
            assert proof is not None and merkle.verify_inclusion(
                merkle.leaf_hash(cp["statement"].encode()), cp["leaf_index"], last["size"],
                proof, bytes.fromhex(last["root"]))


def test_the_timers_checkpoints_are_leaves_too(env_db):
    case = open_case(env_db, AGENCY, "陵应急立〔2025〕78号")
    done = checkpoints.checkpoint_moved_heads(db=env_db.db, signing_key=env_db.signing_key,
                                              outbox=env_db.outbox, now=env_db.now)
    assert done["signed"] == 1
    [cp] = env_db.events("checkpoint_signed.v1")
    [head] = env_db.events("tree_head_signed.v1")
    assert cp["data"]["case_id"] == case["id"] and head["data"]["size"] == 1
    assert cp["actor"]["id"] == "records-checkpoint-timer"


def _held(env, case_id) -> anchor.Held:
    """What a vault that kept the case's last checkpoint and the agency's last tree head
    answers (services.vault: latest_checkpoint, latest_tree_head, checkpoint_keys)."""
    cp = [e["data"] for e in env.events("checkpoint_signed.v1")
          if e["data"]["case_id"] == case_id][-1]
    head = env.events("tree_head_signed.v1")[-1]["data"]
    public = env.signing_key.signing.public_key()
    return anchor.Held(dict(cp, object_id="kept-1", store="local"),
                       dict(head, object_id="kept-2", store="local"),
                       {cp["key_id"]: public})


def judged(env, case_id, held) -> tuple[dict, dict | None]:
    """The case judged against what the vault holds, from what the database says of it."""
    with env.db.read() as s:
        case = store.load_case(s, case_id)
        entry_hash, log = store.anchor_facts(s, AGENCY, case_id, held)
    report, bad = anchor.judge(case, held, entry_hash, log)
    return report, bad.to_dict() if bad else None


def test_a_case_holds_against_the_vault_until_its_log_or_chain_is_cut(env_db):
    case_id = demo_checkpointed(env_db)
    held = _held(env_db, case_id)
    report, bad = judged(env_db, case_id, held)
    assert report["ok"] and bad is None, report
    assert report["tree_head"]["included"] is True and report["tree_head"]["covers"]
    seq = held.checkpoint["seq"]
    # a sibling's leaf hash rewritten in the database: the proof no longer reaches the root
    with insider(env_db) as s:
        s.execute(text("DROP TRIGGER IF EXISTS merkle_leaves_no_update")
                  if s.get_bind().dialect.name == "sqlite" else
                  text("ALTER TABLE merkle_leaves DISABLE TRIGGER merkle_leaves_append_only"))
        s.execute(text("UPDATE merkle_leaves SET leaf_hash = :h WHERE agency = :a AND idx = :i"),
                  {"h": "00" * 32, "a": AGENCY, "i": held.checkpoint["leaf_index"] ^ 1})
    report, bad = judged(env_db, case_id, held)
    assert report["ok"] is False and report["failure"] == "anchor_not_included", report
    assert bad is not None and bad["checkpoint_seq"] == seq and "kept-1" in bad["problem"]
    assert report["checkpoint"]["entry_hash"] == held.checkpoint["head_hash"]
    # the chain cut below the vault's seq: truncated, before anything else
    with insider(env_db) as s:
        s.execute(text("DELETE FROM entries WHERE case_id = :c AND seq >= :s"),
                  {"c": case_id, "s": seq - 1})
    report, bad = judged(env_db, case_id, held)
    assert report["failure"] == "anchor_truncated"
    assert bad is not None and bad["checkpoint_seq"] == seq
    assert report["checkpoint"]["entry_hash"] is None


def test_a_statement_not_signed_by_a_pinned_key_is_not_relied_on(env_db):
    case_id = demo_checkpointed(env_db)
    held = _held(env_db, case_id)
    unpinned = anchor.Held(held.checkpoint, held.tree_head, {})
    report, _ = judged(env_db, case_id, unpinned)
    assert report["ok"] is False and report["failure"] == "anchor_signature_invalid"
    assert report["checkpoint"]["signature_valid"] is False
    assert report["tree_head"]["signature_valid"] is False
    assert report["tree_head"]["included"] is False
    # a statement of another case, validly signed, is not this case's checkpoint
    other = anchor.Held(dict(held.checkpoint, case_id="another"), held.tree_head, held.keys)
    with env_db.db.read() as s:
        case = dict(store.load_case(s, case_id), id="another-case")
    assert anchor.judge(case, other, held.checkpoint["head_hash"], None)[0]["checkpoint"][
        "signature_valid"] is False


def test_without_a_vault_verify_case_says_it_was_not_anchored_and_why(env_db):
    case_id = demo_checkpointed(env_db)
    verdict = queries.verify_case({"case_id": case_id}, actor=actor("head"), db=env_db.db,
                                  signing_key=env_db.signing_key, now=env_db.now)
    assert verdict["ok"] is True
    assert verdict["anchor"]["anchored"] is False
    assert verdict["anchor"]["reason"] == "vault_not_deployed"
    assert "no vault" in verdict["anchor"]["detail"]


def test_log_consistency_proves_any_two_sizes_from_the_stored_nodes(env_db):
    demo_checkpointed(env_db)
    heads = {h["size"]: h["root"] for h in
             (e["data"] for e in env_db.events("tree_head_signed.v1"))}
    size = max(heads)
    legal = actor("legal_unit")
    for first in range(1, size + 1):
        for second in range(first, size + 1):
            answer = queries.log_consistency({"first": first, "second": second},
                                             actor=legal, db=env_db.db)
            assert merkle.verify_consistency(
                first, second, bytes.fromhex(heads[first]), bytes.fromhex(heads[second]),
                [bytes.fromhex(h) for h in answer["proof"]]), (first, second)
    with pytest.raises(DomainRuleViolated) as err:
        queries.log_consistency({"first": 1, "second": size + 1}, actor=legal, db=env_db.db)
    assert err.value.code == "log_shorter"
    with pytest.raises(ValidationFailed):
        queries.log_consistency({"first": 3, "second": 2}, actor=legal, db=env_db.db)
    with pytest.raises(DomainRuleViolated) as err:  # another agency's log: its own, empty
        queries.log_consistency({"first": 1, "second": 2},
                                actor=actor("legal_unit", agency="qinyuan-energy"), db=env_db.db)
    assert err.value.code == "log_shorter"
    with pytest.raises(Forbidden):
        queries.log_consistency({"first": 1, "second": 2}, actor=actor("officer"),
                                db=env_db.db)
    with insider(env_db) as s:  # the log's nodes deleted: no proof, said so
        s.execute(text("DROP TRIGGER IF EXISTS merkle_nodes_no_delete")
                  if s.get_bind().dialect.name == "sqlite" else
                  text("ALTER TABLE merkle_nodes DISABLE TRIGGER merkle_nodes_append_only"))
        s.execute(text("DELETE FROM merkle_nodes"))
    with pytest.raises(DomainRuleViolated) as err:
        queries.log_consistency({"first": 3, "second": size}, actor=legal, db=env_db.db)
    assert err.value.code == "log_incomplete" and err.value.message_zh
