"""The written answer to a request to correct a publication (004 第二十一条), over real RabbitMQ:
the disclosure publisher (SQLite, PostgreSQL), the renderer with the shipped correction_answer
template and the vault beside it (local store, SQLite). A request sent through the portal's form
is verified, rejected and answered: the 更正申请答复书 is rendered by the renderer as the
disclosure publisher, stored in the vault, and the answer keeps its object; with no renderer
running the answer is refused naming it and nothing is recorded."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from shared.calendar.clock import local_date, now
from shared.errors import ServiceNotDeployed
from tests import suite as services
from tests.agencies import QINYUAN, agencies
from tests.plans import start_vault
from tests.unit.disclosure.support import draft_request
from tests.unit.vault.support import free_port

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def deployment(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(QINYUAN))
    port = free_port()
    container_factory(services.classes()["disclosure"], dict(
        config, DATABASE_URL=db_url, DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"),
        WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")).start()
    start_vault(container_factory, config, tmp_path)

    def renderer() -> None:
        folder = tmp_path / "templates"
        shutil.copytree(TEMPLATES / "correction_answer", folder / "correction_answer")
        container_factory(services.classes()["renderer"], dict(
            config, DATABASE_URL=f"sqlite:///{tmp_path / 'renderer.sqlite3'}",
            TEMPLATES_DIR=str(folder), **services.settings("renderer", tmp_path))).start()

    def rpc(role: str = "publisher") -> ClusterRpcProxy:
        token = token_issuer.issue(actor_id=f"{role}-qy-1", role=role, agency=QINYUAN,
                                   name=role)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=90)

    def requested() -> str:
        """A publication published, and a request to correct it sent through the form,
        verified and rejected: its id."""
        with rpc() as publisher:
            pub = publisher.disclosure.create_draft(**draft_request())
            publisher.disclosure.review_publication(publication_id=pub["id"], outcome="publish")
        answer = requests.post(
            f"http://127.0.0.1:{port}/disclosure/corrections", timeout=30,
            data={"publication_id": pub["id"], "requester_kind": "organisation",
                  "requester_name": "沁源县某某煤业有限公司", "requester_contact": "0355-7000000",
                  "problem": "罚款金额有误", "requested": "应为陆千元"},
            files=[("attachments", ("", b""))], headers={"Accept": "application/json"})
        assert answer.status_code == 201, answer.text
        with rpc() as publisher:
            [item] = publisher.disclosure.list_corrections(agency=QINYUAN)["items"]
            publisher.disclosure.verify_correction(correction_id=item["id"],
                                                   findings="与决定书一致")
            publisher.disclosure.decide_correction(correction_id=item["id"], decision="reject",
                                                   reason="经核对，公示金额与决定书一致")
        return item["id"]

    return renderer, rpc, requested


def test_the_answer_is_rendered_and_kept_in_the_vault(deployment):
    renderer, rpc, requested = deployment
    renderer()
    correction_id = requested()
    with rpc() as publisher:
        done = publisher.disclosure.answer_correction(
            correction_id=correction_id, text="经核实，公示信息无误，不予更正。",
            answered_on=local_date(now()).isoformat())
    assert done["state"] == "answered" and done["channel"] == "portal"
    document = done["answer"]["document"]
    assert (document["template_id"], document["format"]) == ("correction_answer", "docx")
    assert document["object_ref"] and len(document["sha256"]) == 64
    assert done["steps"][-1]["body"]["document"] == document["sha256"]
    with rpc("head") as head:
        obj = head.vault.get_object(object_id=document["object_ref"])
    assert obj["subject"] == "document" and obj["sha256"] == document["sha256"]
    assert obj["stamp"]["template_id"] == "correction_answer"
    assert obj["stamp"]["render_id"] == document["render_id"]


def test_with_no_renderer_running_the_answer_is_refused_and_nothing_recorded(deployment):
    _, rpc, requested = deployment
    correction_id = requested()
    # no renderer consumes its queue: not deployed here (presence auto, the default), named
    with rpc() as publisher, pytest.raises(ServiceNotDeployed) as err:
        publisher.disclosure.answer_correction(
            correction_id=correction_id, text="经核实，公示信息无误，不予更正。",
            answered_on=local_date(now()).isoformat())
    assert "renderer" in err.value.message and "文书生成服务" in err.value.message_zh
    with rpc() as publisher:
        still = publisher.disclosure.get_correction(correction_id=correction_id)
    assert still["state"] == "rejected" and still["answer"] is None
