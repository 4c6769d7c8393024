"""What an insider with rights to switch the append-only triggers off can do to a chain, and
what verification and the checkpoints make of it: truncation, gaps, rewrites, a head that is
not the chain's; a head that does not verify is never signed. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from services.records import models, queries
from services.records.domain import chain
from services.records.usecases import checkpoints
from shared.errors import DomainRuleViolated
from tests.unit.records.support import actor, call, demo_until, insider, run_demo


def delete_entries_from(env, case_id: str, seq: int, *, move_head: bool = False) -> None:
    with insider(env) as s:
        s.execute(text("DELETE FROM av_records WHERE case_id = :c AND seq >= :s"),
                  {"c": case_id, "s": seq})
        s.execute(text("DELETE FROM entries WHERE case_id = :c AND seq >= :s"),
                  {"c": case_id, "s": seq})
        if move_head:  # and the case's projection made to agree
            last = s.execute(text("SELECT seq, entry_hash FROM entries WHERE case_id = :c "
                                  "ORDER BY seq DESC LIMIT 1"), {"c": case_id}).one()
            s.execute(text("UPDATE cases SET head_seq = :s, head_hash = :h WHERE id = :c"),
                      {"s": last[0], "h": last[1], "c": case_id})


def rewrite(env, case_id: str, seq: int, old: str, new: str) -> None:
    """Edit one entry and re-hash it and every later one, the case's head moved along."""
    with insider(env) as s:
        rows = s.execute(text("SELECT seq, body FROM entries WHERE case_id = :c ORDER BY seq"),
                         {"c": case_id}).all()
        prev = chain.GENESIS
        for n, body in rows:
            body = body.replace(old, new) if n == seq else body
            h = chain.link_hash(prev, body)
            s.execute(text("UPDATE entries SET body = :b, prev_hash = :p, entry_hash = :h "
                           "WHERE case_id = :c AND seq = :s"),
                      {"b": body, "p": prev, "h": h, "c": case_id, "s": n})
            prev = h
        s.execute(text("UPDATE cases SET head_hash = :h WHERE id = :c"), {"h": prev, "c": case_id})


def verify(env, case_id):
    return queries.verify_case({"case_id": case_id}, actor=actor("head"), db=env.db,
                               signing_key=env.signing_key, now=env.now)


def checkpoint(env, case_id):
    return checkpoints.checkpoint_case({"case_id": case_id}, actor=actor("head"), db=env.db,
                                       signing_key=env.signing_key, outbox=env.outbox,
                                       now=env.now)


def tick(env):
    done = checkpoints.checkpoint_moved_heads(db=env.db, signing_key=env.signing_key,
                                              outbox=env.outbox, now=env.now)
    assert done.pop("failed") == 0
    return done


def checkpoint_count(env, case_id) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(models.checkpoints)
                         .where(models.checkpoints.c.case_id == case_id)).scalar()


def refused_to_sign(env, case_id) -> dict:
    with pytest.raises(DomainRuleViolated) as err:
        checkpoint(env, case_id)
    assert err.value.code == "chain_not_verified"
    return err.value.details


def test_a_deleted_tail_is_truncation_and_is_not_signed(env_db):
    case_id = demo_until(env_db, "propose_decision")  # 12 entries
    delete_entries_from(env_db, case_id, 9)
    verdict = verify(env_db, case_id)
    assert verdict["ok"] is False and verdict["failure"] == "truncated"
    assert verdict["first_bad"]["seq"] == 9 and verdict["entries_checked"] == 8
    assert verdict["head_seq"] == 12 and verdict["chain_head"]["seq"] == 8
    assert refused_to_sign(env_db, case_id)["failure"] == "truncated"
    assert tick(env_db) == {"signed": 0, "refused": 1}
    assert checkpoint_count(env_db, case_id) == 0


def test_every_entry_deleted_is_truncation_from_seq_1(env_db):
    case_id = demo_until(env_db, "propose_decision")
    delete_entries_from(env_db, case_id, 1)
    verdict = verify(env_db, case_id)
    assert verdict["ok"] is False and verdict["failure"] == "truncated"
    assert verdict["first_bad"]["seq"] == 1 and verdict["entries_checked"] == 0
    assert verdict["chain_head"] == {"seq": 0, "hash": chain.GENESIS}
    assert refused_to_sign(env_db, case_id)["first_bad"]["seq"] == 1
    assert checkpoint_count(env_db, case_id) == 0


def test_a_tail_deleted_with_the_head_moved_back_is_caught_by_the_checkpoint(env_db):
    case_id = demo_until(env_db, "propose_decision")
    checkpoint(env_db, case_id)  # signed at seq 12
    delete_entries_from(env_db, case_id, 10, move_head=True)
    verdict = verify(env_db, case_id)
    assert verdict["ok"] is False and verdict["failure"] == "truncated"
    assert verdict["first_bad"]["seq"] == 10 and verdict["first_bad"]["checkpoint_seq"] == 12
    assert verdict["head_seq"] == 9 and verdict["chain_head"]["seq"] == 9
    refused_to_sign(env_db, case_id)
    assert tick(env_db) == {"signed": 0, "refused": 1}
    assert tick(env_db) == {"signed": 0, "refused": 0}  # judged once per head, not each tick
    assert checkpoint_count(env_db, case_id) == 1


def test_a_gap_below_the_head_is_missing_entries(env_db):
    case_id = demo_until(env_db, "propose_decision")
    with insider(env_db) as s:
        s.execute(text("DELETE FROM entries WHERE case_id = :c AND seq = 4"), {"c": case_id})
    verdict = verify(env_db, case_id)
    assert (verdict["failure"], verdict["first_bad"]["seq"]) == ("missing_entries", 4)


def test_a_rewritten_chain_is_named_and_never_gets_a_valid_signature(env_db):
    case_id = demo_until(env_db, "propose_decision")
    checkpoint(env_db, case_id)
    rewrite(env_db, case_id, 5, "3人", "1人")  # every hash re-computed, the head moved along
    verdict = verify(env_db, case_id)
    assert verdict["ok"] is False and verdict["failure"] == "checkpoint_mismatch"
    bad = verdict["first_bad"]
    assert bad is not None and bad["seq"] == 12 and bad["checkpoint_seq"] == 12
    assert bad["since_seq"] == 1 and bad["expected"] == verdict["checkpoint"]["head_hash"]
    assert bad["found"] == verdict["chain_head"]["hash"] == verdict["head_hash"]
    details = refused_to_sign(env_db, case_id)
    assert details["failure"] == "checkpoint_mismatch" and details["head_seq"] == 12
    # the timer's walk starts at the signed hash: the rewritten entries no longer link to it
    assert tick(env_db) == {"signed": 0, "refused": 1}
    assert tick(env_db) == {"signed": 0, "refused": 0}
    assert checkpoint_count(env_db, case_id) == 1
    with env_db.db.read() as s:
        refusal = s.execute(select(models.checkpoint_refusals)).mappings().one()
    assert (refusal["case_id"], refusal["head_seq"], refusal["failure"]) == (
        case_id, 12, "checkpoint_mismatch")


def test_a_rewrite_between_checkpoints_is_narrowed_to_after_the_last_good_one(env_db):
    case_id = demo_until(env_db, "advance_stage")  # seq 1, 2
    checkpoint(env_db, case_id)  # at 2
    call(env_db, "advance_stage", {"case_id": case_id, "to_stage": "investigation",
                                   "occurred_at": "2025-10-10T08:30:00+08:00"}, actor())
    for n in range(3):
        call(env_db, "append_record", {
            "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-10T09:00:00+08:00",
            "content": {"title": f"记录{n}", "summary": f"第{n}次检查情况"}}, actor())
    assert tick(env_db) == {"signed": 1, "refused": 0}  # at 6, walked from 2
    rewrite(env_db, case_id, 4, "第0次", "第九次")
    verdict = verify(env_db, case_id)
    assert verdict["failure"] == "checkpoint_mismatch" and verdict["checkpoints_checked"] == 2
    assert (verdict["first_bad"]["seq"], verdict["first_bad"]["since_seq"]) == (6, 3)


def test_a_head_that_is_not_the_chains_is_a_head_mismatch(env_db):
    case_id = demo_until(env_db, "propose_decision")
    with env_db.db.transaction() as s:
        s.execute(text("UPDATE cases SET head_hash = :h WHERE id = :c"),
                  {"h": "f" * 64, "c": case_id})
    verdict = verify(env_db, case_id)
    assert verdict["failure"] == "head_mismatch" and verdict["first_bad"]["seq"] == 12
    assert verdict["first_bad"]["found"] == "f" * 64
    refused_to_sign(env_db, case_id)


def test_the_timer_signs_verified_heads_from_the_last_checkpoint_on(env_db):
    case_id = demo_until(env_db, "propose_decision")
    assert tick(env_db) == {"signed": 1, "refused": 0}
    assert tick(env_db) == {"signed": 0, "refused": 0}  # nothing moved
    call(env_db, "append_record", {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-17T11:00:00+08:00",
        "content": {"title": "补充记录", "summary": "补充说明"}}, actor())
    assert tick(env_db) == {"signed": 1, "refused": 0}
    verdict = verify(env_db, case_id)
    assert verdict["ok"] and verdict["failure"] is None and verdict["first_bad"] is None
    assert verdict["checkpoints_checked"] == 2 and verdict["checkpoint"]["seq"] == 13
    assert verdict["checkpoint"]["valid"] and verdict["chain_head"]["seq"] == 13


def test_checkpoints_signed_before_a_key_rotation_still_verify(env_db):
    """After the checkpoint key is rotated (the new public key published beside the old),
    the old checkpoints verify under the key id each names; a checkpoint whose key is not
    published does not count, and the chain is then not trusted to it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from services.records.domain.chain import CheckpointKeys

    case_id = demo_until(env_db, "propose_decision")
    old = env_db.signing_key
    checkpoint(env_db, case_id)
    call(env_db, "append_record", {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-17T11:00:00+08:00",
        "content": {"title": "补充记录", "summary": "补充说明"}}, actor())
    new = Ed25519PrivateKey.generate()
    env_db.signing_key = CheckpointKeys.of(new, old.verifying)   # rotated: both published
    checkpoint(env_db, case_id)
    verdict = verify(env_db, case_id)
    assert verdict["ok"] and verdict["checkpoints_checked"] == 2
    # the old key withdrawn from public/: its checkpoint no longer vouches for the chain
    env_db.signing_key = CheckpointKeys.of(new)
    verdict = verify(env_db, case_id)
    assert not verdict["ok"] and verdict["failure"] == "checkpoint_signature_invalid"


def test_entries_refuse_update_and_tampering_is_named(env):
    ctx = run_demo(env, until="propose_decision")
    with pytest.raises(Exception, match="append-only"):
        with env.db.transaction() as s:
            s.execute(text("update entries set body = 'x' where seq = 3"))
    with env.db.transaction() as s:  # an intruder with DDL rights
        s.execute(text("drop trigger entries_no_update"))
        s.execute(text("update entries set body = replace(body, '3人', '1人') "
                       "where case_id = :c and seq = 5"), {"c": ctx["case_id"]})
    verdict = queries.verify_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                  signing_key=env.signing_key, now=env.now)
    assert not verdict["ok"]
    assert verdict["first_bad"]["seq"] == 5
    assert verdict["first_bad"]["problem"] == "content does not match its hash"


def test_a_consistently_rehashed_chain_is_caught_by_the_signed_checkpoint(env):
    ctx = run_demo(env, until="propose_decision")
    checkpoints.checkpoint_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                signing_key=env.signing_key, outbox=env.outbox, now=env.now)
    with env.db.transaction() as s:  # an intruder rewrites seq 5 and every hash after it
        s.execute(text("drop trigger entries_no_update"))
        rows = s.execute(text("select seq, body from entries where case_id = :c order by seq"),
                         {"c": ctx["case_id"]}).all()
        prev = chain.GENESIS
        for seq, body in rows:
            body = body.replace("3人", "1人") if seq == 5 else body
            h = chain.link_hash(prev, body)
            s.execute(text("update entries set body = :b, prev_hash = :p, entry_hash = :h "
                           "where case_id = :c and seq = :s"),
                      {"b": body, "p": prev, "h": h, "c": ctx["case_id"], "s": seq})
            prev = h
    verdict = queries.verify_case({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                                  signing_key=env.signing_key, now=env.now)
    assert verdict["checkpoint"]["signature_valid"] is True
    assert verdict["checkpoint"]["head_matches"] is False  # the chain is not what was signed
    assert verdict["ok"] is False and verdict["failure"] == "checkpoint_mismatch"
    assert verdict["first_bad"]["seq"] == 12 and verdict["first_bad"]["since_seq"] == 1
