"""The record keeper and the disclosure publisher over real RabbitMQ (a vhost per test), each on
its own database (SQLite files, or PostgreSQL databases): the demo case's decision, issued by
the record keeper after its legal review, reaches the disclosure publisher as a signed
decision_issued.v1 and becomes one draft — nothing public — which the publisher reviews and
publishes over RPC, as a leaf of the agency's log under a signed tree head. A decision_issued.v1
signed by any key but the record keeper's is dead-lettered before it is read; one delivered
twice is drafted once."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.disclosure.domain import log
from shared.contracts.registry import envelope
from shared.errors import DomainRuleViolated
from shared.trust.keys import KeyStore
from shared.trust.signatures import sign
from tests import suite as services
from tests.agencies import LINGCHUAN, agencies
from tests.builders import demo_plan
from tests.events import dead_letters, publish_event
from tests.plans import run_case, start_vault

AGENCIES = agencies(LINGCHUAN)
PUBLISHER = "publisher-lc-009"


@pytest.fixture
def deployment(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer,
               request):
    """records (with the vault beside it), review and disclosure, each on its own database."""
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)

    def url(name: str) -> str:
        if name == "records":
            return db_url
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        return request.getfixturevalue("make_pg_database")()

    urls = {name: url(name) for name in ("records", "review", "disclosure")}
    portal = {"DISCLOSURE_PORTAL_DIR": str(tmp_path / "portal")}
    for name in ("records", "review", "disclosure"):
        container_factory(services.classes()[name], dict(
            config, DATABASE_URL=urls[name], **(portal if name == "disclosure" else {}))).start()
    start_vault(container_factory, config, tmp_path)

    def rpc(role: str = "officer", actor_id: str | None = None):
        from demo.case import ACTORS
        who = actor_id or ACTORS[role]
        token = token_issuer.issue(actor_id=who, role=role, agency=LINGCHUAN, name=who)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20)

    return rpc, urls, dict(config, **portal)


def _appears(path, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    return path.exists()


def _drafts(url: str, seconds: float = 30) -> list[dict]:
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + seconds
        while True:
            with engine.connect() as conn:
                rows = [dict(r) for r in conn.execute(text(
                    "SELECT id, decision_no, source, state FROM publications")).mappings()]
            if rows or time.monotonic() > deadline:
                return rows
            time.sleep(0.3)
    finally:
        engine.dispose()


def test_an_issued_decision_is_drafted_then_published_after_review(deployment):
    rpc, urls, config = deployment
    with rpc("head") as head:
        assert head.disclosure.health()["missing_peers"] == []
    ctx = run_case(rpc, demo_plan("陵应急立〔2025〕601号", with_review=True),
                   decision_no="陵应急罚〔2025〕601号")
    [row] = _drafts(urls["disclosure"])
    assert (row["decision_no"], row["source"], row["state"]) == (
        "陵应急罚〔2025〕601号", "records", "draft")
    with rpc("publisher", PUBLISHER) as publisher:
        draft = publisher.disclosure.get_publication(publication_id=row["id"])
        assert draft["case_id"] == ctx["case_id"] and draft["published"] is None
        assert draft["summary"]["authority"]["value"] == "陵川县应急管理局"
        assert draft["deadline"]["rule"] == "publish_licence_penalty"
        done = publisher.disclosure.review_publication(publication_id=row["id"],
                                                       outcome="publish")
        head = publisher.disclosure.tree_head(agency=LINGCHUAN)
        with pytest.raises(DomainRuleViolated):     # reviewed once
            publisher.disclosure.review_publication(publication_id=row["id"],
                                                    outcome="publish")
    assert done["state"] == "published"
    assert [h["action"] for h in done["history"]] == ["drafted", "published"]
    assert head["size"] == 1
    keys = KeyStore(config["KEYS_DIR"]).checkpoint_verification_keys("disclosure")
    assert log.statement_holds(head["statement"], head["signature"], head["key_id"], keys)
    # the same decision seen again (records' outbox relaying it twice) drafts nothing new
    assert len(_drafts(urls["disclosure"], seconds=0)) == 1
    # the portal follows: the publication's page, its list entry, the signed tree head and
    # the key that verifies it
    site = Path(config["DISCLOSURE_PORTAL_DIR"])
    assert _appears(site / "transparency" / LINGCHUAN / "tree-head.json")
    assert "陵应急罚〔2025〕601号" in (site / "p" / f"{row['id']}.html").read_text("utf-8")
    listed = json.loads((site / "list" / "page" / "1.json").read_text("utf-8"))
    assert [i["id"] for i in listed["items"]] == [row["id"]]
    shown = json.loads((site / "transparency" / LINGCHUAN / "tree-head.json").read_text())
    assert shown["root"] == head["root"] and shown["size"] == 1
    published_keys = json.loads((site / "keys" / "disclosure-log.json").read_text())["keys"]
    assert shown["key_id"] in published_keys and shown["key_id"] in keys


@pytest.fixture
def disclosure_alone(container_factory, rabbit_config, db_url, keys_dir, tmp_path):
    """The disclosure publisher by itself: events are published to it as records' outbox would."""
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))
    container_factory(services.classes()["disclosure"], dict(config, DATABASE_URL=db_url)).start()
    return config, db_url


def _issued(decision_no: str, signer) -> dict:
    from contracts.records import CONTRACT as RECORDS
    data = dict(RECORDS.event("decision_issued.v1").example, decision_no=decision_no)
    body = envelope(RECORDS, "decision_issued.v1", data, agency=LINGCHUAN,
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, signer)
    return body


def test_only_the_record_keepers_signed_decision_is_drafted_and_only_once(disclosure_alone):
    config, url = disclosure_alone
    records_key = KeyStore(config["KEYS_DIR"]).event_signing_key("records")
    forged_key = KeyStore(config["KEYS_DIR"]).event_signing_key("review")
    forged = _issued("陵应急罚〔2025〕701号", forged_key)
    good = _issued("陵应急罚〔2025〕702号", records_key)
    for body in (forged, good, good):           # the good one delivered twice
        publish_event(config["AMQP_URI"], body, routing_key="decision_issued.v1")
    [letter] = dead_letters(config["AMQP_URI"], "dlq.disclosure", 1)
    assert json.loads(letter.body)["message_id"] == forged["message_id"]
    assert letter.headers["x-dead-reason"].startswith("event_unknown_key")
    assert letter.headers["x-handler"] == "disclosure.on_decision_issued"
    rows = _drafts(url)
    time.sleep(1)                               # the redelivery's chance to draft again
    rows = _drafts(url, seconds=0)
    assert [(r["decision_no"], r["source"]) for r in rows] == [("陵应急罚〔2025〕702号", "records")]
