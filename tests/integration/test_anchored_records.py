"""Records no insider can rewrite (DESIGN.md "Trust between services"), over real RabbitMQ with
the record keeper and the vault each on its own database (SQLite; PostgreSQL for both) and the
local store: a signed checkpoint and the agency's tree head reach the vault, which keeps them
write-once; an insider who deletes a case's tail with its checkpoints and Merkle leaves, or
rewrites an entry, re-hashes the chain and re-signs the head with the record keeper's own key,
is caught by verify_case against what the vault keeps, which names the checkpoint it relied on.
A redelivered event stores nothing twice; a statement signed by a key the vault did not pin is
refused, recorded, alerted and dead-lettered."""
from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from contracts.records import CONTRACT as RECORDS
from services.records.domain import chain
from services.records.service import RecordsService
from services.vault.service import VaultService
from shared.contracts.registry import envelope
from shared.errors import NotFound
from shared.trust.keys import KeyStore, key_id
from shared.trust.signatures import sign
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, demo_plan, open_case_request
from tests.databases import table_rows
from tests.events import dead_letters, publish_event, queue_depth
from tests.plans import run_case
from tests.unit.vault.support import free_port

AGENCIES = agencies(LINGCHUAN)
AV_STEPS = ("onsite_video", "preservation_video")


@pytest.fixture
def suite(request, container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    vault_url = (request.getfixturevalue("make_pg_database")() if db_url.startswith("postgres")
                 else f"sqlite:///{tmp_path / 'vault.sqlite3'}")
    vault = dict(config, DATABASE_URL=vault_url, VAULT_DIR=str(tmp_path / "vault"),
                 WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}", EVENT_RETRY_ATTEMPTS=2,
                 EVENT_RETRY_FIRST_DELAY=0.05)
    container_factory(VaultService, vault).start()
    container_factory(RecordsService, dict(config, DATABASE_URL=db_url)).start()

    def rpc(role="officer"):
        token = token_issuer.issue(actor_id=ACTORS.get(role, f"{role}-1"), role=role,
                                   agency=AGENCY, name=ACTORS.get(role, role))
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=60)

    return rpc, config, db_url, vault_url


def _case(rpc, case_no: str) -> str:
    plan = [s for s in demo_plan(case_no, with_review=False, before="decision_stage")
            if s.name not in AV_STEPS]
    return run_case(rpc, plan)["case_id"]


def _kept(rpc, case_id: str, seq: int, size: int | None = None, seconds: float = 30) -> tuple:
    """The vault's last checkpoint of the case and tree head, once they reach `seq` / `size`."""
    deadline = time.monotonic() + seconds
    with rpc("head") as head:
        while True:
            try:
                cp = head.vault.latest_checkpoint(agency=AGENCY, case_id=case_id)
                th = head.vault.latest_tree_head(agency=AGENCY)
                if cp["seq"] == seq and th["size"] > cp["leaf_index"] \
                        and (size is None or th["size"] >= size):
                    return cp, th
            except NotFound:
                pass
            assert time.monotonic() < deadline, "the vault did not keep the checkpoint"
            time.sleep(0.3)



TRIGGERS = ("entries", "checkpoints", "merkle_leaves")


def _as_insider(url: str, statements) -> None:
    """Statements run by someone who may switch the append-only triggers off (an owner or a
    superuser of the record keeper's database)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            for table in TRIGGERS:
                if pg:
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER "
                                      f"{table}_append_only"))
                else:
                    for action in ("update", "delete"):
                        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
            statements(conn)
    finally:
        engine.dispose()


def test_a_deleted_tail_with_its_checkpoints_and_leaves_fails_against_the_vault(suite):
    rpc, _config, records_url, _vault_url = suite
    case_id = _case(rpc, "陵应急立〔2025〕701号")
    other = _case(rpc, "陵应急立〔2025〕702号")  # another case of the agency's log
    with rpc("head") as head:
        signed = head.records.checkpoint_case(case_id=case_id)
        head.records.checkpoint_case(case_id=other)
    kept, tree = _kept(rpc, case_id, signed["seq"], size=2)
    assert kept["head_hash"] == signed["head_hash"] and kept["statement"] == signed["statement"]
    with rpc("head") as head:
        before = head.records.verify_case(case_id=case_id)
    assert before["ok"] and before["anchor"]["anchored"] and before["anchor"]["ok"], before
    assert before["anchor"]["tree_head"]["included"] is True

    keep = signed["seq"] - 3

    def cut(conn):
        for table in ("av_records", "situations", "entries"):
            conn.execute(text(f"DELETE FROM {table} WHERE case_id = :c AND seq > :s"),
                         {"c": case_id, "s": keep})
        conn.execute(text("DELETE FROM checkpoints WHERE case_id = :c"), {"c": case_id})
        conn.execute(text("DELETE FROM merkle_leaves WHERE case_id = :c"), {"c": case_id})
        last = conn.execute(text("SELECT entry_hash FROM entries WHERE case_id = :c AND "
                                 "seq = :s"), {"c": case_id, "s": keep}).scalar()
        conn.execute(text("UPDATE cases SET head_seq = :s, head_hash = :h, checkpoint_hash = "
                          ":h WHERE id = :c"), {"s": keep, "h": last, "c": case_id})
    _as_insider(records_url, cut)

    with rpc("head") as head:
        verdict = head.records.verify_case(case_id=case_id)
    assert verdict["ok"] is False and verdict["failure"] == "anchor_truncated", verdict
    # the chain agrees with itself: only the vault shows what is gone
    assert verdict["entries_checked"] == keep and verdict["checkpoints_checked"] == 0
    anchor = verdict["anchor"]
    assert anchor["anchored"] and anchor["ok"] is False
    relied = anchor["checkpoint"]
    assert (relied["seq"], relied["head_hash"]) == (signed["seq"], signed["head_hash"])
    assert relied["object_id"] == kept["object_id"] and relied["store"] == kept["store"]
    assert relied["signature_valid"] and relied["entry_hash"] is None
    assert verdict["first_bad"]["checkpoint_seq"] == signed["seq"]
    assert kept["object_id"] in verdict["first_bad"]["problem"]
    # the leaf is gone from the records database: the tree the vault holds no longer proves it
    assert anchor["tree_head"]["included"] is False
    with rpc("head") as head:
        neighbour = head.records.verify_case(case_id=other)
    # the other case's chain still holds its checkpoint, but its proof in the agency's log ran
    # through the deleted leaf: the cut shows there too
    assert neighbour["anchor"]["checkpoint"]["entry_hash"] == \
        neighbour["anchor"]["checkpoint"]["head_hash"]
    assert neighbour["failure"] == "anchor_not_included", neighbour


def test_a_rewritten_and_re_signed_chain_fails_against_the_vault(suite, keys_dir):
    rpc, _config, records_url, _vault_url = suite
    case_id = _case(rpc, "陵应急立〔2025〕703号")
    with rpc("head") as head:
        signed = head.records.checkpoint_case(case_id=case_id)
    kept, _ = _kept(rpc, case_id, signed["seq"])
    keys = chain.CheckpointKeys.of(KeyStore(keys_dir).checkpoint_key("records").key)

    def rewrite(conn):
        rows = conn.execute(text("SELECT seq, body FROM entries WHERE case_id = :c ORDER BY "
                                 "seq"), {"c": case_id}).all()
        prev, changed = chain.GENESIS, 0
        for seq, body in rows:
            if seq >= 2 and "宏泰" in body:
                body, changed = body.replace("宏泰", "宏达"), changed + 1
            h = chain.link_hash(prev, body)
            conn.execute(text("UPDATE entries SET body = :b, prev_hash = :p, entry_hash = :h, "
                              "plain = NULL, openings = NULL WHERE case_id = :c AND seq = :s"),
                         {"b": body, "p": prev, "h": h, "c": case_id, "s": seq})
            prev = h
        case = dict(conn.execute(text("SELECT * FROM cases WHERE id = :c"),
                                 {"c": case_id}).mappings().one(), head_hash=prev)
        conn.execute(text("UPDATE cases SET head_hash = :h, checkpoint_hash = :h WHERE id = :c"),
                     {"h": prev, "c": case_id})
        conn.execute(text("DELETE FROM checkpoints WHERE case_id = :c"), {"c": case_id})
        row = chain.signed_checkpoint(case, keys, time_of(signed["signed_at"]))
        conn.execute(text("INSERT INTO checkpoints (case_id, seq, head_hash, signed_at, key_id, "
                          "signature, statement) VALUES (:case_id, :seq, :head_hash, "
                          ":signed_at, :key_id, :signature, :statement)"), row)
        assert changed and prev != signed["head_hash"]
    _as_insider(records_url, rewrite)

    with rpc("head") as head:
        verdict = head.records.verify_case(case_id=case_id)
    assert verdict["ok"] is False and verdict["failure"] == "anchor_mismatch", verdict
    assert verdict["checkpoints_checked"] == 1 and verdict["checkpoint"]["valid"]  # re-signed
    relied = verdict["anchor"]["checkpoint"]
    assert (relied["seq"], relied["head_hash"]) == (signed["seq"], signed["head_hash"])
    assert relied["object_id"] == kept["object_id"]
    assert relied["entry_hash"] not in (None, signed["head_hash"])
    assert verdict["first_bad"]["expected"] == signed["head_hash"]


def time_of(text_: str):
    from datetime import datetime
    return datetime.fromisoformat(text_)


def test_a_redelivered_checkpoint_stores_nothing_twice_and_a_forged_one_is_refused(suite,
                                                                                   keys_dir):
    rpc, config, records_url, vault_url = suite
    case_id = _case(rpc, "陵应急立〔2025〕704号")
    with rpc("head") as head:
        signed = head.records.checkpoint_case(case_id=case_id)
    kept, tree = _kept(rpc, case_id, signed["seq"])
    counts = _counts(vault_url)
    assert counts == {"anchored_checkpoints": 1, "anchored_tree_heads": 1, "objects": 2,
                      "pinned_keys": 1}, counts

    bodies = [json.loads(r["body"]) for r in table_rows(
        records_url, "SELECT body FROM outbox WHERE event_type IN ('checkpoint_signed.v1', "
                     "'tree_head_signed.v1') ORDER BY id")]
    assert len(bodies) == 2
    for body in bodies:  # delivered again
        publish_event(config["AMQP_URI"], body, routing_key=body["event_type"],
                      exchange="records.events")
    time.sleep(3)
    assert _counts(vault_url) == counts

    # a checkpoint signed by a key the vault never pinned, in an event the record keeper's
    # event key signed (what an insider holding a key of its own would try)
    forger = Ed25519PrivateKey.generate()
    statement = chain.checkpoint_statement(case_id, signed["seq"] + 1, "ab" * 32,
                                           signed["signed_at"])
    data = dict(bodies[0]["data"], seq=signed["seq"] + 1, head_hash="ab" * 32,
                statement=statement, key_id=key_id(forger.public_key()), leaf_index=7,
                signature=base64.b64encode(forger.sign(statement.encode())).decode())
    forged = envelope(RECORDS, "checkpoint_signed.v1", data, agency=AGENCY,
                      actor={"id": "head-1", "role": "head"}, ruleset=bodies[0]["ruleset"])
    sign(forged, KeyStore(keys_dir).event_signing_key("records"))
    publish_event(config["AMQP_URI"], forged, routing_key="checkpoint_signed.v1",
                  exchange="records.events")
    [dead] = dead_letters(config["AMQP_URI"], "dlq.vault", 1)
    assert "not pinned" in dead.headers["x-dead-reason"]
    assert _counts(vault_url) == counts
    refused = table_rows(vault_url, "SELECT body FROM vault_log WHERE action = 'refused'")
    assert [json.loads(r["body"]) if isinstance(r["body"], str) else r["body"]
            for r in refused][-1]["rule"] == "unpinned_key"
    alerts = [json.loads(r["body"]) for r in table_rows(
        vault_url, "SELECT body FROM outbox WHERE event_type = 'anchor_refused.v1'")]
    assert [a["data"]["rule"] for a in alerts] == ["unpinned_key"]
    with rpc("head") as head:  # what the vault keeps of the case is still the true one
        assert head.vault.latest_checkpoint(agency=AGENCY, case_id=case_id)["seq"] == \
            signed["seq"]
        published = head.vault.checkpoint_keys()
    assert [k["key_id"] for k in published["keys"]] == [signed["key_id"]]


def _counts(url: str) -> dict:
    return {table: table_rows(url, f"SELECT count(*) AS n FROM {table}")[0]["n"]
            for table in ("anchored_checkpoints", "anchored_tree_heads", "objects",
                          "pinned_keys")}


def test_a_burst_of_checkpoints_is_kept_whole_whatever_order_the_vault_handles_it(suite):
    """Heads signed in quick succession reach the vault's workers side by side: each is kept,
    the ones ahead of their predecessor checked with the record keeper's proof; nothing is
    refused or dead-lettered, and every case verifies against the last head."""
    rpc, config, _records_url, vault_url = suite
    with rpc("officer") as officer:
        ids = [officer.records.open_case(**open_case_request(f"陵应急立〔2025〕8{n:02d}号"))[
            "id"] for n in range(8)]
    with rpc("head") as head:
        replies = [head.records.checkpoint_case.call_async(case_id=i) for i in ids]
        signed = [r.result() for r in replies]
    deadline = time.monotonic() + 30
    while _counts(vault_url)["anchored_tree_heads"] < len(ids):
        assert time.monotonic() < deadline, _counts(vault_url)
        time.sleep(0.3)
    assert _counts(vault_url)["anchored_checkpoints"] == len(ids)
    assert queue_depth(config["AMQP_URI"], "dlq.vault") == 0
    assert table_rows(vault_url, "SELECT count(*) AS n FROM outbox WHERE event_type = "
                            "'anchor_refused.v1'")[0]["n"] == 0
    with rpc("head") as head:
        for case_id, cp in zip(ids, signed, strict=True):
            verdict = head.records.verify_case(case_id=case_id)
            assert verdict["ok"] and verdict["anchor"]["ok"], verdict
            assert verdict["anchor"]["checkpoint"]["seq"] == cp["seq"]
            assert verdict["anchor"]["tree_head"]["size"] == len(ids)
