"""The disclosure publisher's tree heads reach the vault over real RabbitMQ and are kept there
write-once, as the record keeper's are: each public act's head, verified under the disclosure
log key the vault pins, consistent with the one before, on the vault's own database."""
from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from services.disclosure.service import DisclosureService
from tests.agencies import QINYUAN
from tests.integration.test_disclosure_portal_instances import AGENCIES, _json
from tests.plans import start_vault
from tests.unit.disclosure.support import draft_request


def kept_heads(url: str, count: int, seconds: float = 60) -> list[dict]:
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + seconds
        while True:
            with engine.connect() as conn:
                rows = [dict(r) for r in conn.execute(text(
                    "SELECT source, agency, size, root, key_id FROM anchored_tree_heads "
                    "ORDER BY size")).mappings()]
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.3)
    finally:
        engine.dispose()


def test_the_vault_keeps_each_public_acts_tree_head(container_factory, rabbit_config, tmp_path,
                                                    keys_dir, token_issuer):
    from nameko.standalone.rpc import ClusterRpcProxy

    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))
    container_factory(DisclosureService, dict(
        config, DATABASE_URL=f"sqlite:///{tmp_path / 'disclosure.sqlite3'}")).start()
    start_vault(container_factory, config, tmp_path)
    token = token_issuer.issue(actor_id="publisher-qy-1", role="publisher", agency=QINYUAN,
                               name="publisher-qy-1")
    with ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30) as rpc:
        for n in (1, 2):
            pub = rpc.disclosure.create_draft(**_json(draft_request(
                decision_no=f"沁能罚〔2025〕{n}号")))
            rpc.disclosure.review_publication(publication_id=pub["id"], outcome="publish")
        head = rpc.disclosure.tree_head(agency=QINYUAN)
    rows = kept_heads(f"sqlite:///{tmp_path / 'vault.sqlite3'}", 2)
    assert [(r["source"], r["agency"], r["size"]) for r in rows] == [
        ("disclosure", QINYUAN, 1), ("disclosure", QINYUAN, 2)]
    assert (rows[-1]["root"], rows[-1]["key_id"]) == (head["root"], head["key_id"])
