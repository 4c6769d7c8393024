"""`sanxiang disclosure verify` against the disclosure publisher over real RabbitMQ: a decision
from the record keeper's signed event is published, then withdrawn from a 行政复议 outcome
(record_outcome); the reader's command checks both acts in the signed tree head under the
service's published key and keeps the head; a later run checks the log only grew. A reader
holding another deployment's key fails (exit 1); an unknown publication is refused (exit 2)."""
from __future__ import annotations

import argparse
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.standalone.rpc import ClusterRpcProxy

from services.disclosure import cli
from shared.calendar.clock import local_date, now
from shared.trust.keys import KeyStore, key_id, public_key_pem
from tests.integration.test_disclosure_drafts import (  # noqa: F401  (fixture)
    LINGCHUAN,
    PUBLISHER,
    _drafts,
    _issued,
    disclosure_alone,
)


def _args(config, token, keys, pub_id, known):
    return argparse.Namespace(publication_id=pub_id, keys=keys, known=known, json=True,
                              token=token, role=None, agency=LINGCHUAN,
                              amqp=config["AMQP_URI"], timeout=20)


def test_a_reader_verifies_a_published_then_withdrawn_decision(disclosure_alone, keys_dir,
                                                                token_issuer, tmp_path, capsys):
    from tests.events import publish_event
    config, url = disclosure_alone
    body = _issued("陵应急罚〔2025〕801号", KeyStore(keys_dir).event_signing_key("records"))
    publish_event(config["AMQP_URI"], body, routing_key="decision_issued.v1")
    [row] = _drafts(url)
    token = token_issuer.issue(actor_id=PUBLISHER, role="publisher", agency=LINGCHUAN,
                               name=PUBLISHER)
    with ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20) as rpc:
        rpc.disclosure.review_publication(publication_id=row["id"], outcome="publish")
        known = tmp_path / "known.json"
        assert cli._verify_command(_args(config, token, keys_dir, row["id"], known)) == 0
        assert json.loads(capsys.readouterr().out)["head"]["size"] == 1
        done = rpc.disclosure.record_outcome(
            publication_id=row["id"], outcome="revoked", procedure="reconsideration",
            authority="陵川县人民政府", document_no="陵政复决〔2026〕1号",
            decided_on=local_date(now()).isoformat())
    assert done["state"] == "withdrawn" and done["withdrawal"]["late"] is False
    assert cli._verify_command(_args(config, token, keys_dir, row["id"], known)) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["check"] for c in report["checks"] if c["ok"]].count("inclusion") == 2
    assert json.loads(known.read_text())[LINGCHUAN]["size"] == 2

    other = tmp_path / "other-keys"              # another deployment's published key
    folder = other / "public" / "checkpoint" / "disclosure"
    folder.mkdir(parents=True)
    key = Ed25519PrivateKey.generate()
    (folder / f"{key_id(key.public_key())}.pem").write_text(public_key_pem(key))
    assert cli._verify_command(_args(config, token, str(other), row["id"], None)) == 1
    capsys.readouterr()
    assert cli._verify_command(_args(config, token, keys_dir, "0" * 8 + "-0000-4000-8000-"
                                     + "0" * 12, None)) == 2
