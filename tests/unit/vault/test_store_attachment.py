"""store_attachment: an attachment to a request to correct a publication, sent by the disclosure
publisher as itself once its scan passed — its bytes held to the SHA-256 and size it names (a
mismatch refused and recorded, nothing stored), written once under the case-file retention
class as subject `attachment` without a stamp, the submission logged; the same content not
stored twice; only the disclosure publisher may call it."""
from __future__ import annotations

import base64
import hashlib

import pytest

from contracts.vault import CONTRACT
from services.vault import store, usecases
from shared.errors import DomainRuleViolated, Forbidden
from shared.service.entrypoint import handle
from shared.trust.actor import Actor
from tests import agencies
from tests.unit.vault.support import OFFICER

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
SHA = hashlib.sha256(PDF).hexdigest()
DISCLOSURE = Actor(id="disclosure", role="service", agency=agencies.QINYUAN)
RENDERER = Actor(id="renderer", role="service", agency=agencies.QINYUAN)
SUBMISSION = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"


def request(blob: bytes = PDF, **changes) -> dict:
    return {"agency": agencies.QINYUAN, "submission_id": SUBMISSION, "index": 0,
            "name": "送达回证.pdf", "media_type": "application/pdf",
            "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob),
            "content_base64": base64.b64encode(blob).decode(), **changes}


def call(env, payload: dict, who: Actor = DISCLOSURE):
    return handle(CONTRACT, "store_attachment", payload, usecases.store_attachment, actor=who,
                  refused=lambda *a: None, missing=store.missing, **env.deps())


def test_an_attachment_is_stored_once_under_the_case_file_class(env):
    stored = call(env, request())
    assert (stored["subject"], stored["sha256"], stored["stamp"]) == ("attachment", SHA, None)
    assert stored["retention"]["class"] == "case_file" and stored["case_id"] is None
    assert stored["stored_by"] == "disclosure" and stored["media_type"] == "application/pdf"
    key = f"{agencies.QINYUAN}/sha256/{SHA[:2]}/{SHA}"
    assert env.stores.primary.digest(key, ("sha256",))["sha256"] == SHA
    [logged] = env.log("stored")
    assert logged["body"]["submission_id"] == SUBMISSION and logged["body"]["index"] == 0
    again = call(env, request(submission_id="5e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"))
    assert again["id"] == stored["id"] and len(env.events("object_stored.v1")) == 1
    [twice] = env.log("stored_again")
    assert twice["body"] == {"submission_id": "5e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
                             "index": 0}


@pytest.mark.parametrize("changes, rule", [
    ({"sha256": "c" * 64}, "digest_mismatch"), ({"size": len(PDF) + 1}, "size_mismatch")])
def test_bytes_that_are_not_what_is_named_are_refused_and_recorded(env, changes, rule):
    with pytest.raises(DomainRuleViolated) as err:
        call(env, request(**changes))
    assert err.value.details["rule"] == rule
    [refusal] = env.log("refused")
    assert refusal["body"]["action"] == "store_attachment"
    assert refusal["object_id"] == SUBMISSION and refusal["actor_id"] == "disclosure"
    assert not list(env.stores.primary.root.rglob(f"*{SHA}*")) and env.events() == []


@pytest.mark.parametrize("who", [RENDERER, OFFICER])
def test_only_the_disclosure_publisher_stores_attachments(env, who):
    with pytest.raises(Forbidden):
        call(env, request(), who)
    assert env.events() == []
