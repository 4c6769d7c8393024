"""The vault's upload endpoint (the local store's HTTP PUT) under hostile input, in the fuzz
deployment: ids that are no upload, path tricks, bodies longer or shorter than announced, or
sent again after completion. Each answer is a 4xx whose JSON names the rule or field — never a
500, never a worker lost — nothing is stored from a refused body, and the vault takes a good
upload afterwards."""
from __future__ import annotations

import copy
import hashlib

import requests

from contracts.vault import CONTRACT as VAULT
from tests.fuzz.harness import CALL_SECONDS, encode

DATA = b"hostile upload " * 512
IDS = ["x", "..", "../../etc/passwd", "%2e%2e%2fobjects", "0" * 5000, "\u202e\u200b",
       "6F1C1D0E-8F5B-4C1A-9D2E-3B4A5C6D7E8F", "6f1c1d0e-8f5b-4c1a-9d2e-3b4a5c6d7e8f",
       "'; DROP TABLE objects; --"]


def _announce(deployment, data: bytes) -> dict:
    request = dict(copy.deepcopy(VAULT.rpc("begin_upload").example_request),
                   agency=deployment.ids["agency"], case_id=deployment.ids["case_id"],
                   sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return deployment.ok("vault", "begin_upload", request, "officer")


def _base(target: dict) -> str:
    return target["url"].rsplit("/vault/uploads/", 1)[0]


def _refused(answer: requests.Response, what: str) -> dict:
    assert 400 <= answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:200]}"
    return answer.json() if answer.headers.get("content-type", "").startswith(
        "application/json") else {}


def test_hostile_uploads_are_refused_by_rule_and_the_vault_keeps_working(deployment):
    target = _announce(deployment, DATA)
    base = _base(target)
    counts = deployment.counters["vault"].counts()
    for upload_id in IDS:
        answer = requests.put(f"{base}/vault/uploads/{upload_id}", data=DATA,
                              timeout=CALL_SECONDS)
        body = _refused(answer, upload_id)
        assert not body or body.get("code") in ("not_found", "validation_failed"), body
    # longer than announced: refused, nothing staged that complete_upload would take
    too_long = requests.put(target["url"], data=DATA + b"!", timeout=CALL_SECONDS)
    _refused(too_long, "a body longer than announced")
    # shorter than announced: staged, but complete_upload refuses it by rule
    short = _announce(deployment, DATA[:-1] + b"?")
    assert requests.put(short["url"], data=DATA[:100], timeout=CALL_SECONDS).status_code == 200
    reply = deployment.call("vault", "complete_upload",
                            encode({"upload_id": short["upload_id"]}), "officer",
                            what="complete_upload of a short body")
    assert reply is not None and reply["error"] is not None
    assert deployment.counters["vault"].counts()["objects"] == counts["objects"]
    # a good upload still goes through, and its id cannot be written again once completed
    good = _announce(deployment, DATA + b" good")
    assert requests.put(good["url"], data=DATA + b" good", timeout=CALL_SECONDS).status_code \
        == 200
    stored = deployment.ok("vault", "complete_upload", {"upload_id": good["upload_id"]},
                           "officer")
    again = requests.put(good["url"], data=DATA + b" good", timeout=CALL_SECONDS)
    assert _refused(again, "a completed upload written again").get("code") == \
        "domain_rule_violated"
    assert deployment.ok("vault", "get_object", {"object_id": stored["id"]},
                         "officer")["sha256"] == hashlib.sha256(DATA + b" good").hexdigest()
    assert not deployment.judge.problems, "\n".join(deployment.judge.problems)

