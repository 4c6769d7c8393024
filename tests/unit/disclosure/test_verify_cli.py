"""`sanxiang disclosure verify` on the answers of the real query use cases (no broker): a
publication's public acts in the agency's signed tree head, the head under the service's
published key, the log consistent with the head the reader kept; a tampered proof, a head from
another key or a log that forked fails (exit 1), a bad --known file is a usage error."""
from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.disclosure import cli, queries, usecases
from services.disclosure.domain import log
from shared.errors import ValidationFailed
from shared.trust.keys import key_id, public_key_pem
from tests.unit.disclosure.support import HEAD, PUBLISHER, Env, actor, draft_request

READER = actor("supervisor")
QUERIES = {"get_publication": queries.get_publication, "tree_head": queries.tree_head,
           "inclusion_proof": queries.inclusion_proof,
           "consistency_proof": queries.consistency_proof}


def published(env: Env, **changes) -> dict:
    pub = env.call(usecases.create_draft, "create_draft", draft_request(**changes), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def call_of(env: Env, tamper=None):
    def call(method: str, payload: dict) -> dict:
        answer = env.call(QUERIES[method], method, payload, READER)
        return tamper(method, answer) if tamper else answer
    return call


def keys_dir(tmp_path: Path, key: Ed25519PrivateKey) -> str:
    folder = tmp_path / "keys" / "public" / "checkpoint" / "disclosure"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key_id(key.public_key())}.pem").write_text(public_key_pem(key))
    return str(tmp_path / "keys")


def args(pub: dict, keys: str, known: Path | None = None, as_json: bool = True):
    return argparse.Namespace(publication_id=pub["id"], keys=keys, known=known, json=as_json)


def test_a_publication_verifies_and_the_known_head_advances_when_the_log_grew(
        env_db: Env, tmp_path: Path, capsys):
    keys = keys_dir(tmp_path, env_db.log_keys.signing)
    pub = published(env_db)
    known = tmp_path / "known.json"
    assert cli.run_verify(args(pub, keys, known), call_of(env_db)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["head"]["size"] == 1
    assert [c["check"] for c in report["checks"]] == [
        "signature", "statement", "agency", "public", "inclusion", "known"]
    assert json.loads(known.read_text())[pub["agency"]]["size"] == 1

    env_db.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    env_db.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": pub["id"], "ground": "revoked", "reason": "经行政复议，原决定被撤销",
        "decided_on": "2025-12-01", "by": "沁源县人民政府"}, HEAD)
    published(env_db, decision_no="沁能罚〔2025〕13号")
    assert cli.run_verify(args(pub, keys, known, as_json=False), call_of(env_db)) == 0
    out = capsys.readouterr().out
    assert "inclusion    withdrawn (seq 3) at leaf 1" in out
    assert "consistency  from 1 to 3 leaves" in out and out.rstrip().endswith("verified")
    assert json.loads(known.read_text())[pub["agency"]]["size"] == 3


def test_a_tampered_inclusion_proof_fails(env: Env, tmp_path: Path, capsys):
    keys = keys_dir(tmp_path, env.log_keys.signing)
    first = published(env)
    published(env, decision_no="沁能罚〔2025〕13号")

    def flip(method: str, answer: dict) -> dict:
        if method == "inclusion_proof":
            h = answer["proof"][0]
            answer = dict(answer, proof=[("0" if h[0] != "0" else "1") + h[1:]])
        return answer
    assert cli.run_verify(args(first, keys), call_of(env, flip)) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and [c["ok"] for c in report["checks"]
                                 if c["check"] == "inclusion"] == [False]

    def other_leaf(method: str, answer: dict) -> dict:   # a leaf that is not this act
        if method == "inclusion_proof":
            answer = dict(answer, leaf=answer["leaf"].replace('"seq":2', '"seq":9'))
        return answer
    assert cli.run_verify(args(first, keys), call_of(env, other_leaf)) == 1


def test_a_head_signed_by_another_key_fails_and_keeps_nothing(env: Env, tmp_path: Path,
                                                              capsys):
    keys = keys_dir(tmp_path, Ed25519PrivateKey.generate())
    pub = published(env)
    known = tmp_path / "known.json"
    assert cli.run_verify(args(pub, keys, known), call_of(env)) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["checks"] == [{"check": "signature", "ok": False, "detail": report[
        "checks"][0]["detail"]}]
    assert not known.exists()


def test_a_log_that_forked_from_the_kept_head_fails_and_the_file_stays(
        env: Env, tmp_path: Path, capsys):
    keys = keys_dir(tmp_path, env.log_keys.signing)
    pub = published(env)
    published(env, decision_no="沁能罚〔2025〕13号")
    forged = log.signed_tree_head(pub["agency"], 1, "ab" * 32, env.log_keys, env.now)
    forged["signed_at"] = forged["signed_at"].isoformat()
    known = tmp_path / "known.json"
    known.write_text(json.dumps({pub["agency"]: forged}))
    assert cli.run_verify(args(pub, keys, known), call_of(env)) == 1
    checks = {c["check"]: c["ok"] for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["known"] is True and checks["consistency"] is False
    assert json.loads(known.read_text())[pub["agency"]]["root"] == "ab" * 32

    bigger = log.signed_tree_head(pub["agency"], 5, "cd" * 32, env.log_keys, env.now)
    known.write_text(json.dumps({pub["agency"]: dict(bigger, signed_at="x")}))
    assert cli.run_verify(args(pub, keys, known), call_of(env)) == 1   # the log shrank


def test_a_bad_known_file_or_no_published_key_is_a_usage_error(env: Env, tmp_path: Path):
    pub = published(env)
    known = tmp_path / "known.json"
    known.write_text("not json")
    with pytest.raises(ValidationFailed) as refused:
        cli.run_verify(args(pub, keys_dir(tmp_path, env.log_keys.signing), known),
                       call_of(env))
    assert "--known" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        cli.run_verify(args(pub, str(tmp_path / "nokeys")), call_of(env))
    assert "--keys" in refused.value.details


def test_the_command_answers_2_when_no_broker_answers(tmp_path: Path, capsys):
    keys = keys_dir(tmp_path, Ed25519PrivateKey.generate())
    ns = argparse.Namespace(publication_id="p", keys=keys, known=None, json=False, token="t",
                            role=None, agency="qinyuan-energy",
                            amqp="pyamqp://guest:guest@127.0.0.1:1/", timeout=2)
    assert cli._verify_command(ns) == 2
    assert "does not answer" in capsys.readouterr().err
