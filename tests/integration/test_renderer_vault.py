"""The renderer and the vault over real RabbitMQ (a vhost per test; the vault on a local store
and SQLite): with the vault deployed every rendered document is stored there by the renderer as
itself — the answer and document_rendered.v1 carry object_ref, no bytes; the object keeps the
template stamp, the case-file retention class and the case; the same document rendered again
is not stored twice; the case's objects (what its archive package takes) include it. With no
vault, the bytes come back base64 as before."""
from __future__ import annotations

import json

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.renderer.service import RendererService
from services.vault import store as vault_store
from services.vault.service import VaultService
from shared.errors import Unavailable
from shared.persistence.db import make_engine, open_db
from tests.agencies import LINGCHUAN, agencies
from tests.databases import table_rows
from tests.unit.renderer.converter import unoserver  # noqa: F401  session fixture
from tests.unit.renderer.fixtures import SAMPLE, write_template
from tests.unit.renderer.support import docx_of
from tests.unit.vault.support import free_port

TID = "fixture_penalty"
CASE = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"



@pytest.fixture
def deployment(container_factory, rabbit_config, tmp_path, keys_dir, token_issuer):
    write_template(tmp_path / "templates")
    base = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(LINGCHUAN))
    renderer_url = f"sqlite:///{tmp_path / 'renderer.sqlite3'}"
    vault_url = f"sqlite:///{tmp_path / 'vault.sqlite3'}"

    def start(*, vault: bool, mode: str = "auto", pdf: dict | None = None) -> None:
        if vault:
            port = free_port()
            container_factory(VaultService, dict(
                base, DATABASE_URL=vault_url, VAULT_DIR=str(tmp_path / "vault"),
                VAULT_REPLICA_DIR=str(tmp_path / "replica"),
                WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                VAULT_UPLOAD_URL=f"http://127.0.0.1:{port}")).start()
        container_factory(RendererService, dict(
            base, DATABASE_URL=renderer_url, TEMPLATES_DIR=str(tmp_path / "templates"),
            TEMPLATES_POLL_SECONDS=0, RENDER_PROCESSES=1, DOCUMENT_VAULT=mode,
            **(pdf or {"PDF": "off"}))).start()

    def rpc(role: str = "officer") -> ClusterRpcProxy:
        token = token_issuer.issue(actor_id=f"{role}-1", role=role, agency=LINGCHUAN)
        return ClusterRpcProxy(base, context_data={"actor_token": token}, timeout=60)

    return start, rpc, renderer_url, vault_url


def _rendered_events(url: str) -> list[dict]:
    bodies = [r["body"] for r in table_rows(url, "SELECT body FROM outbox WHERE event_type = "
                                            "'document_rendered.v1' ORDER BY id")]
    return [json.loads(b) if isinstance(b, str) else b for b in bodies]


def test_with_the_vault_deployed_each_document_is_stored_there_once(deployment):
    start, rpc, renderer_url, vault_url = deployment
    start(vault=True)
    with rpc() as officer:
        first = officer.renderer.render(template_id=TID, data=SAMPLE,
                                        reference="陵应急立〔2025〕12号", case_id=CASE)
        again = officer.renderer.render(template_id=TID, data=SAMPLE,
                                        reference="陵应急立〔2025〕12号", case_id=CASE)
    [out] = first["outputs"]
    assert out["object_ref"] and out["content_base64"] is None
    with rpc("head") as head:
        obj = head.vault.get_object(object_id=out["object_ref"])
    assert obj["subject"] == "document" and obj["case_id"] == CASE
    assert obj["sha256"] == out["sha256"] and obj["size"] == out["size"]
    assert obj["stored_by"] == "renderer" and obj["retention"]["class"] == "case_file"
    assert obj["stamp"] == {"render_id": first["render_id"], "format": "docx",
                            "template_id": TID, "version": 1,
                            "template_sha256": first["template_sha256"],
                            "data_sha256": first["data_sha256"]}
    assert obj["name"] == "行政处罚决定书（陵应急立〔2025〕12号）.docx"
    # the same document again: its object, nothing stored twice
    assert again["render_id"] != first["render_id"]
    assert again["outputs"][0]["object_ref"] == out["object_ref"]
    objects = table_rows(vault_url, "SELECT id, subject FROM objects")
    assert objects == [{"id": out["object_ref"], "subject": "document"}]
    actions = [r["action"]
               for r in table_rows(vault_url, "SELECT action FROM vault_log ORDER BY id")]
    assert actions.count("stored") == 1 and actions.count("stored_again") == 1
    # both renders announced with the object, not the bytes
    events = _rendered_events(renderer_url)
    assert [e["data"]["outputs"][0]["object_ref"] for e in events] == [out["object_ref"]] * 2
    # what the case's archive package takes (services.vault.usecases.package): this document
    engine = make_engine(vault_url)
    try:
        with open_db(engine).read() as session:
            held = vault_store.objects_of_case(session, LINGCHUAN, CASE)
    finally:
        engine.dispose()
    assert [o["id"] for o in held] == [out["object_ref"]]


def test_a_pdf_is_stored_beside_its_docx_each_with_its_stamp(deployment, unoserver):
    start, rpc, _, vault_url = deployment
    start(vault=True, mode="required",
          pdf={"UNOSERVER_HOST": "127.0.0.1",
               "UNOSERVER_PORT": unoserver.client.url.rsplit(":", 1)[1]})
    with rpc() as officer:
        result = officer.renderer.render(template_id=TID, data=SAMPLE, formats=["docx", "pdf"],
                                         case_id=CASE)
    assert result["notes"] == []
    with rpc("head") as head:
        stored = [head.vault.get_object(object_id=o["object_ref"]) for o in result["outputs"]]
    assert [(o["stamp"]["format"], o["media_type"]) for o in stored] == [
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("pdf", "application/pdf")]
    assert all(o["stamp"]["render_id"] == result["render_id"] and o["case_id"] == CASE
               for o in stored)
    assert [o["sha256"] for o in stored] == [o["sha256"] for o in result["outputs"]]
    assert all(o["content_base64"] is None for o in result["outputs"])
    assert len(table_rows(vault_url, "SELECT id FROM objects")) == 2


def test_with_no_vault_the_bytes_come_back_as_before(deployment):
    start, rpc, renderer_url, _ = deployment
    start(vault=False)
    with rpc() as officer:
        result = officer.renderer.render(template_id=TID, data=SAMPLE, case_id=CASE)
    docx_of(result)   # object_ref null, the bytes base64 and matching their digest
    [event] = _rendered_events(renderer_url)
    assert event["data"]["outputs"][0]["object_ref"] is None


def test_a_vault_the_deployment_requires_but_is_down_refuses_the_render(deployment):
    start, rpc, renderer_url, _ = deployment
    start(vault=False, mode="required")
    with rpc() as officer, pytest.raises(Unavailable) as err:
        officer.renderer.render(template_id=TID, data=SAMPLE, case_id=CASE)
    assert err.value.details["service"] == "vault"
    assert err.value.details["method"] == "store_document"
    assert "archive vault" in err.value.message and err.value.message_zh
    # nothing recorded: the render is not half done
    assert table_rows(renderer_url, "SELECT render_id FROM renders") == []
    assert _rendered_events(renderer_url) == []
