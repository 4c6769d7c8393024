"""The public portal following the service's public acts (usecases.portal) on SQLite and
PostgreSQL: a published decision gets its page and its list entries, a withdrawn one leaves
the lists and its page shows the reason, a redelivered event writes nothing twice, and the
agency log's tree head published on the portal verifies against the key published beside it."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.disclosure import models, store, usecases
from services.disclosure.domain import log
from services.disclosure.portal import LocalDirectory
from services.disclosure.usecases import corrections
from services.disclosure.usecases import portal as portal_usecases
from shared.errors import ValidationFailed
from tests import agencies
from tests.unit.disclosure.support import HEAD, PUBLISHER, Env, actor, draft_request, rpc


def publish(env: Env) -> dict:
    pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def withdraw(env: Env, pub: dict) -> dict:
    env.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    return env.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": pub["id"], "ground": "revoked",
        "reason": "经行政复议，原决定被撤销 <b>", "decided_on": "2025-12-01",
        "by": "沁源县人民政府"}, HEAD)


def written_by(portal) -> list[str]:
    target = portal.target
    assert isinstance(target, LocalDirectory)
    return target.written


def deliver(env: Env, portal, event: dict):
    return portal_usecases.on_public_act(event, db=env.db, rules=env.rules, portal=portal,
                                         now=env.now)


def read_json(root: Path, path: str):
    return json.loads((root / path).read_text(encoding="utf-8"))


def listed_ids(root: Path, folder: str) -> list[str]:
    page = root / folder / "page" / "1.json"
    return [i["id"] for i in read_json(root, f"{folder}/page/1.json")["items"]] \
        if page.exists() else []


LISTS = ["list", f"agency/{agencies.QINYUAN}", "kind/penalty",
         f"agency/{agencies.QINYUAN}/kind/penalty"]


def test_a_published_decision_appears_with_its_page_and_list_entries(env_db: Env,
                                                                     tmp_path: Path):
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    pub = publish(env_db)
    [event] = env_db.events("decision_published.v1")
    written = deliver(env_db, portal, event)
    assert f"p/{pub['id']}.html" in written
    page = (root / "p" / f"{pub['id']}.html").read_text(encoding="utf-8")
    assert "沁能罚〔2025〕12号" in page
    assert all(listed_ids(root, folder) == [pub["id"]] for folder in LISTS)
    assert read_json(root, f"p/{pub['id']}.json")["state"] == "published"
    assert [r["message_id"] for r in env_db.rows(models.inbox)] == [event["message_id"]]


def test_a_redelivered_event_writes_nothing_twice(env_db: Env, tmp_path: Path):
    portal = portal_usecases.site(tmp_path / "portal")
    publish(env_db)
    [event] = env_db.events("decision_published.v1")
    deliver(env_db, portal, event)
    count = len(written_by(portal))
    assert deliver(env_db, portal, event) is None          # remembered: skipped
    with env_db.db.transaction() as s:                      # cut short before it was remembered
        s.execute(models.inbox.delete())
    assert deliver(env_db, portal, event) == ()             # the same state: nothing written
    assert len(written_by(portal)) == count
    assert len(env_db.rows(models.inbox)) == 1


def test_a_withdrawn_publication_leaves_the_lists_and_its_page_gives_the_reason(
        env_db: Env, tmp_path: Path):
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    pub = publish(env_db)
    withdraw(env_db, pub)
    for event in env_db.events():
        if event["event_type"] in portal_usecases.EVENTS:
            deliver(env_db, portal, event)
    assert all(listed_ids(root, folder) == [] for folder in LISTS)
    page = (root / "p" / f"{pub['id']}.html").read_text(encoding="utf-8")
    assert "经行政复议，原决定被撤销 &lt;b&gt;" in page      # shown, and escaped
    assert "原决定被撤销 <b>" not in page
    data = read_json(root, f"p/{pub['id']}.json")
    assert (data["state"], data["withdrawal_reason"]) == (
        "withdrawn", "经行政复议，原决定被撤销 <b>")


def test_the_tree_head_on_the_portal_verifies_against_the_published_key(env: Env,
                                                                        tmp_path: Path):
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    portal_usecases.publish_keys(portal.target, env.log_keys.verifying, {})
    pub = publish(env)
    withdraw(env, pub)
    for event in env.events():
        if event["event_type"] in portal_usecases.EVENTS:
            deliver(env, portal, event)
    head = read_json(root, portal_usecases.tree_head_path(agencies.QINYUAN))
    keys = {}
    for kid, pem in read_json(root, portal_usecases.LOG_KEYS_PATH)["keys"].items():
        key = serialization.load_pem_public_key(pem.encode())
        assert isinstance(key, Ed25519PublicKey)
        keys[kid] = key
    assert head["size"] == 2
    assert head["statement"] == log.tree_head_statement(
        head["agency"], head["size"], head["root"], datetime.fromisoformat(head["signed_at"]))
    assert log.statement_holds(head["statement"], head["signature"], head["key_id"], keys)
    forged = head["statement"].replace('"size":2', '"size":3')
    assert forged != head["statement"]
    assert not log.statement_holds(forged, head["signature"], head["key_id"], keys)
    assert read_json(root, portal_usecases.RECORDS_KEYS_PATH)["keys"] == {}


def test_an_event_that_is_not_of_the_contract_is_refused_and_writes_nothing(env: Env,
                                                                           tmp_path: Path):
    portal = portal_usecases.site(tmp_path / "portal")
    publish(env)
    [event] = env.events("decision_published.v1")
    del event["data"]["publication_id"]
    before = len(written_by(portal))
    with pytest.raises(ValidationFailed):
        deliver(env, portal, event)
    assert len(written_by(portal)) == before and env.rows(models.inbox) == []


def test_sanxiang_run_writes_the_portal_into_its_data_folder(tmp_path: Path, monkeypatch):
    from shared.cli.run import embedded_env
    monkeypatch.delenv("DISCLOSURE_PORTAL_DIR", raising=False)
    assert embedded_env(tmp_path)["DISCLOSURE_PORTAL_DIR"] == str(tmp_path.resolve() / "portal")


def test_a_publication_never_made_public_is_not_on_the_portal(env: Env, tmp_path: Path):
    pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    with env.db.read() as s:
        row = store.load(s, pub["id"])
        history = store.history(s, pub["id"])
    assert portal_usecases.publication_of(row, history, "沁源县能源局") is None


def test_a_corrected_publication_shows_its_corrected_fields_on_its_page(env: Env,
                                                                       tmp_path: Path):
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    pub = publish(env)
    code, before = next(iter(pub["published"]["summary"].items()))
    legal = actor("legal_unit")
    c = rpc(env, corrections.file_correction, "file_correction", {
        "publication_id": pub["id"], "problem": "案件名称有误", "evidence": ["送达回证"],
        "requester": {"kind": "person", "name": "张某某", "contact": "13912345678"}},
        PUBLISHER)
    rpc(env, corrections.verify_correction, "verify_correction",
        {"correction_id": c["id"], "findings": "与决定书不符"}, legal)
    rpc(env, corrections.decide_correction, "decide_correction", {
        "correction_id": c["id"], "decision": "correct", "reason": "经核实",
        "fields": {f"summary.{code}": before + "（更正）"}}, legal)
    kinds = [e["event_type"] for e in env.events() if e["event_type"] in portal_usecases.EVENTS]
    assert kinds == ["decision_published.v1", "publication_corrected.v1"]
    for event in env.events():
        if event["event_type"] in portal_usecases.EVENTS:
            deliver(env, portal, event)
    data = read_json(root, f"p/{pub['id']}.json")
    assert data["state"] == "corrected"
    assert [c["state"] for c in data["history"]] == ["published", "corrected"]
    assert before + "（更正）" in (root / "p" / f"{pub['id']}.html").read_text(encoding="utf-8")
    assert all(listed_ids(root, folder) == [pub["id"]] for folder in LISTS)
