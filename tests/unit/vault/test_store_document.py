"""store_document: a rendered document sent by the renderer as itself — its bytes held to the
SHA-256 and size it names (a mismatch refused and recorded, nothing stored), written once under
the rule set's case-file retention class with the stamp kept on the object, object_stored.v1
emitted; the same content not stored twice; only the renderer, for its own agency."""
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

DOCX = b"PK\x03\x04" + bytes(range(256)) * 8
SHA = hashlib.sha256(DOCX).hexdigest()
RENDERER = Actor(id="renderer", role="service", agency=agencies.QINYUAN)
CASE = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
STAMP = {"render_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "format": "docx",
         "template_id": "penalty_decision", "version": 1, "template_sha256": "a" * 64,
         "data_sha256": "b" * 64}


def request(blob: bytes = DOCX, **changes) -> dict:
    return {**STAMP, "agency": agencies.QINYUAN, "name": "行政处罚决定书.docx",
            "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml"
                          ".document", "sha256": hashlib.sha256(blob).hexdigest(),
            "size": len(blob), "content_base64": base64.b64encode(blob).decode(),
            "case_id": CASE, **changes}


def call(env, payload: dict, who: Actor = RENDERER, refusals: list | None = None):
    def refused(*args):
        if refusals is not None:
            refusals.append(args)

    result = handle(CONTRACT, "store_document", payload, usecases.store_document, actor=who,
                    refused=refused, missing=store.missing, **env.deps())
    return result, refusals


def test_a_document_is_stored_once_with_its_stamp_under_the_case_file_class(env):
    stored, _ = call(env, request())
    assert stored["subject"] == "document" and stored["sha256"] == SHA
    assert stored["stamp"] == STAMP and stored["case_id"] == CASE
    assert stored["retention"]["class"] == "case_file" and stored["replica"] == "ok"
    assert stored["stored_by"] == "renderer"
    key = f"{agencies.QINYUAN}/sha256/{SHA[:2]}/{SHA}"
    assert env.stores.primary.digest(key, ("sha256",))["sha256"] == SHA
    assert env.stores.replica.digest(key, ("sha256",))["sha256"] == SHA
    [event] = env.events("object_stored.v1")
    assert event["data"]["object_id"] == stored["id"] and event["actor"]["role"] == "service"
    # the same document rendered again (another render id): nothing stored twice
    again, _ = call(env, request(render_id="1f8fad5b-d9cb-469f-a165-70867728950e"))
    assert again["id"] == stored["id"] and again["stamp"] == STAMP
    assert len(env.events("object_stored.v1")) == 1
    [logged] = env.log("stored_again")
    assert logged["body"]["render_id"] == "1f8fad5b-d9cb-469f-a165-70867728950e"
    # the case's archive package finds it among the case's objects
    with env.db.read() as session:
        [held] = store.objects_of_case(session, agencies.QINYUAN, CASE)
    assert held["id"] == stored["id"] and held["stamp"] == STAMP


@pytest.mark.parametrize("changes, rule", [
    ({"sha256": "c" * 64}, "digest_mismatch"),
    ({"size": len(DOCX) + 1}, "size_mismatch")])
def test_bytes_that_are_not_what_the_renderer_names_are_refused_and_recorded(env, changes, rule):
    with pytest.raises(DomainRuleViolated) as err:
        call(env, request(**changes))
    assert err.value.details["rule"] == rule and err.value.message_zh
    [refusal] = env.log("refused")
    assert refusal["body"]["action"] == "store_document" and refusal["actor_id"] == "renderer"
    assert not list(env.stores.primary.root.rglob(f"*{SHA}*"))
    assert env.events() == []


def test_only_the_renderer_stores_documents_and_only_for_its_agency(env):
    refusals: list = []
    with pytest.raises(Forbidden):
        call(env, request(), who=OFFICER, refusals=refusals)
    with pytest.raises(Forbidden):
        call(env, request(), who=Actor(id="vault", role="service", agency=agencies.QINYUAN),
             refusals=refusals)
    # a renderer token is bound to its agency: another agency's document is out of its reach
    other = Actor(id="renderer", role="service", agency=agencies.LINGCHUAN)
    with pytest.raises(Forbidden):
        call(env, request(), who=other, refusals=refusals)
    assert [(a.principal, m) for a, m, _, _ in refusals] == [
        ("officer", "store_document"), ("service:vault", "store_document"),
        ("service:renderer", "store_document")]
    assert env.events() == []
