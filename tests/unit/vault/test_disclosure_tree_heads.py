"""The disclosure publisher's signed tree heads kept by the vault as the record keeper's are
(services.vault.usecases.anchors, source disclosure): the disclosure log key pinned under its
own name; each head verified under it alone, consistent with the last head kept of the same
log (the proof asked of the publisher's consistency_proof when heads come out of order), kept
permanently, beside the record keeper's heads of the same agency and size; a redelivery stores
nothing twice; a head signed by another key (the record keeper's included), one that says
otherwise or an inconsistent log are refused, logged and alerted, nothing stored. And the
publisher emits each public act's head with its consistency proof. SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from contracts.disclosure import CONTRACT as DISCLOSURE
from services.disclosure.domain import log
from services.vault import models
from services.vault.usecases import anchors
from shared.contracts.registry import envelope
from shared.errors import DomainRuleViolated
from shared.trust import merkle
from shared.trust.keys import key_id
from shared.trust.signatures import sign
from tests.agencies import QINYUAN
from tests.unit.vault.support import event_key
from tests.unit.vault.test_anchors import RecordKeeper, counts, keep

SIGNED_AT = datetime(2025, 11, 4, 2, 0, tzinfo=UTC)
DISCLOSURE_EVENTS = event_key("disclosure")


class Publisher:
    """The disclosure publisher's side: public acts appended to the agency's log, each head
    signed with its log key and emitted as its outbox signs it, and its consistency_proof RPC
    as the vault calls it (services.vault.dependencies.AgencyNamed puts the agency the call
    acts for into the request)."""

    def __init__(self, key: Ed25519PrivateKey | None = None) -> None:
        self.keys = log.LogKeys.of(key or Ed25519PrivateKey.generate())
        self.frontier = merkle.Frontier()
        self.leaves: list[bytes] = []
        self.asked: list[dict] = []

    @property
    def pinned(self) -> dict:
        public = self.keys.signing.public_key()
        return {key_id(public): public}

    def call(self, agency: str, method: str, *, key=None, **request):
        assert (agency, method) == (QINYUAN, "consistency_proof")
        self.asked.append(request)
        first, second = request["first"], request["second"]
        proof = merkle.consistency_proof(first, second, lambda level, ix: merkle.root_of(
            self.leaves[ix << level:(ix + 1) << level]))
        return {"agency": agency, "first": first, "second": second,
                "proof": [h.hex() for h in proof]}

    def act(self, n: int) -> dict:
        before = self.frontier
        leaf = merkle.leaf_hash(log.leaf(QINYUAN, f"pub-{n}", 1, "published", SIGNED_AT,
                                         {"n": n}).encode())
        self.frontier, _ = before.append(leaf)
        self.leaves.append(leaf)
        head = log.signed_tree_head(QINYUAN, self.frontier.size, self.frontier.root().hex(),
                                    self.keys, SIGNED_AT)
        return event({"agency": QINYUAN, "size": head["size"], "root": head["root"],
                      "signed_at": log.iso(SIGNED_AT), "key_id": head["key_id"],
                      "signature": head["signature"], "statement": head["statement"],
                      "previous": {"size": before.size, "root": before.root().hex()}
                      if before.size else None,
                      "consistency": [h.hex() for h in merkle.next_consistency(before, leaf)]})


def event(data: dict) -> dict:
    body = envelope(DISCLOSURE, "tree_head_signed.v1", data, agency=QINYUAN,
                    actor={"id": "publisher-1", "role": "publisher"}, ruleset="qinyuan-energy@1")
    sign(body, DISCLOSURE_EVENTS)
    return body


def kept(env, body: dict, publisher: Publisher, pinned: dict | None = None):
    return anchors.on_tree_head_signed(body, db=env.db, stores=env.stores, outbox=env.outbox,
                                       records=publisher, configured=pinned or publisher.pinned,
                                       now=env.now, source="disclosure")


def heads(env) -> list[dict]:
    with env.db.read() as s:
        return [dict(r) for r in s.execute(select(models.anchored_tree_heads).order_by(
            models.anchored_tree_heads.c.id)).mappings()]


def refused(env, body: dict, publisher: Publisher, rule: str, pinned: dict | None = None):
    before = counts(env)
    with pytest.raises(DomainRuleViolated) as err:
        kept(env, body, publisher, pinned)
    assert err.value.details["rule"] == rule and "行政执法公示服务" in err.value.message_zh
    assert err.value.message.startswith("disclosure.tree_head_signed.v1")
    assert {k: v for k, v in counts(env).items() if k != "pinned_keys"} == {
        k: v for k, v in before.items() if k != "pinned_keys"}
    alert = env.events("anchor_refused.v1")[-1]["data"]
    assert (alert["what"], alert["rule"], alert["message_id"]) == (
        "tree_head", rule, body["message_id"])


def test_the_publishers_heads_are_kept_beside_the_record_keepers_under_its_pinned_key(env_db):
    env, publisher, records = env_db, Publisher(), RecordKeeper()
    for n in (1, 2, 3):
        assert kept(env, publisher.act(n), publisher)
    for body in records.checkpoint("case-1", 1):   # the record keeper's log of the same agency
        assert keep(env, body, records.pinned)
    rows = heads(env)
    assert [(r["source"], r["size"]) for r in rows] == [
        ("disclosure", 1), ("disclosure", 2), ("disclosure", 3), ("records", 1)]
    assert rows[2]["root"] == publisher.frontier.root().hex()
    with env.db.read() as s:
        pins = {r["key_id"]: r["signer"] for r in s.execute(select(models.pinned_keys))
                .mappings()}
        obj = s.execute(select(models.objects).where(
            models.objects.c.id == rows[2]["object_id"])).mappings().one()
    assert pins == {**{k: "disclosure" for k in publisher.pinned},
                    **{k: "records" for k in records.pinned}}
    assert obj["retention"]["permanent"] and obj["retain_until"] is None
    assert obj["name"] == f"tree-head-disclosure-{QINYUAN}-3.json"
    assert env.stores.primary.exists(obj["key"]) and env.stores.replica.exists(obj["key"])
    assert publisher.asked == []                    # each head's own proof served


def test_a_redelivered_head_stores_nothing_twice(env_db):
    env, publisher = env_db, Publisher()
    body = publisher.act(1)
    kept(env, body, publisher)
    once = counts(env)
    assert kept(env, body, publisher) is None
    kept(env, dict(body, message_id=str(uuid.uuid4())), publisher)
    assert counts(env) == once


def test_heads_out_of_order_are_checked_with_the_proof_asked_of_the_publisher(env_db):
    env, publisher = env_db, Publisher()
    first, second, third = (publisher.act(n) for n in (1, 2, 3))
    kept(env, first, publisher)
    kept(env, third, publisher)                     # the second is still on its way
    kept(env, second, publisher)
    assert publisher.asked == [{"first": 1, "second": 3}, {"first": 2, "second": 3}]
    assert [r["size"] for r in heads(env)] == [1, 3, 2]


def test_a_head_signed_by_another_key_says_otherwise_or_forks_the_log_is_refused(env_db):
    env, publisher = env_db, Publisher()
    records = RecordKeeper()
    # the record keeper's key is pinned, but not for the disclosure log
    anchors.pin_keys(env.db, env.stores, records.pinned, env.now)
    forger = Publisher(records.keys.signing)
    refused(env, forger.act(1), publisher, "unpinned_key")
    body = publisher.act(1)
    refused(env, dict(body, data=dict(body["data"], root="ab" * 32)), publisher,
            "statement_mismatch")
    kept(env, body, publisher)
    fork = Publisher(publisher.keys.signing)        # the same key, another history
    fork.act(7)
    refused(env, fork.act(8), publisher, "inconsistent")


def test_the_publisher_emits_each_public_acts_head_with_its_consistency_proof(tmp_path):
    from services.disclosure import usecases
    from shared.persistence.db import make_engine, migrate, open_db
    from tests.unit.disclosure.support import PUBLISHER, Env, draft_request

    engine = make_engine(f"sqlite:///{tmp_path / 'disclosure.sqlite3'}")
    migrate(engine, "services.disclosure:migrations")
    env = Env(open_db(engine))
    for n in (1, 2):
        pub = env.call(usecases.create_draft, "create_draft",
                       draft_request(decision_no=f"沁能罚〔2025〕{n}号"), PUBLISHER)
        env.call(usecases.review_publication, "review_publication",
                 {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)
    engine.dispose()
    one, two = (e["data"] for e in env.events("tree_head_signed.v1"))
    assert (one["size"], one["previous"], two["size"]) == (1, None, 2)
    assert two["previous"] == {"size": 1, "root": one["root"]}
    assert merkle.verify_consistency(1, 2, bytes.fromhex(one["root"]),
                                     bytes.fromhex(two["root"]),
                                     [bytes.fromhex(h) for h in two["consistency"]])
    assert log.statement_holds(two["statement"], two["signature"], two["key_id"],
                               env.log_keys.verifying)
