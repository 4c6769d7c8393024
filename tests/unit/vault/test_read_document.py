"""read_document: a rendered document's bytes for the disclosure publisher as itself, checked
against the object's SHA-256 as read (a store giving other bytes is refused, never passed on);
anything not a rendered document refused; no other caller admitted."""
from __future__ import annotations

import base64
import hashlib
import os

import pytest

from contracts.vault import CONTRACT
from services.vault import queries, store, usecases
from shared.errors import DomainRuleViolated, Forbidden, NotFound
from shared.service.entrypoint import handle
from shared.trust.actor import Actor
from tests import agencies

PDF = b"%PDF-1.6\n" + bytes(range(256)) * 4
SHA = hashlib.sha256(PDF).hexdigest()
DISCLOSURE = Actor(id="disclosure", role="service", agency=agencies.QINYUAN)
RENDERER = Actor(id="renderer", role="service", agency=agencies.QINYUAN)


def store_document(env) -> dict:
    """A PDF the renderer stored, as it stores each document it renders."""
    payload = {"render_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "format": "pdf",
               "template_id": "annual_statistics_report", "version": 2,
               "template_sha256": "a" * 64, "data_sha256": "b" * 64,
               "agency": agencies.QINYUAN, "name": "2025年度行政执法数据统计报告.pdf",
               "media_type": "application/pdf", "sha256": SHA, "size": len(PDF),
               "content_base64": base64.b64encode(PDF).decode(), "case_id": None}
    return handle(CONTRACT, "store_document", payload, usecases.store_document,
                  actor=RENDERER, refused=lambda *a: None, missing=store.missing,
                  **env.deps())


def read(env, object_id: str, who: Actor = DISCLOSURE) -> dict:
    return handle(CONTRACT, "read_document", {"object_id": object_id}, queries.read_document,
                  actor=who, refused=lambda *a: None, missing=store.missing, **env.deps())


def test_the_disclosure_service_reads_a_rendered_documents_bytes(env):
    stored = store_document(env)
    done = read(env, stored["id"])
    assert base64.b64decode(done["content_base64"]) == PDF and done["sha256"] == SHA
    for who in (Actor(id="review", role="service", agency=agencies.QINYUAN),
                Actor(id="head-1", role="head", agency=agencies.QINYUAN)):
        with pytest.raises(Forbidden):
            read(env, stored["id"], who)
    with pytest.raises(NotFound):   # another agency's token: answered as missing
        read(env, stored["id"], Actor(id="disclosure", role="service",
                                      agency=agencies.LINGCHUAN))


def test_bytes_the_store_changed_are_refused(env):
    stored = store_document(env)
    path = env.stores.primary._path(f"{agencies.QINYUAN}/sha256/{SHA[:2]}/{SHA}")
    os.chmod(path, 0o644)
    path.write_bytes(PDF[:-1] + b"\x00")
    with pytest.raises(DomainRuleViolated) as exc:
        read(env, stored["id"])
    assert exc.value.code == "digest_mismatch"
