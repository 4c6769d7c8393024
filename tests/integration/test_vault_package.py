"""The record keeper and the vault over real RabbitMQ (a vhost per test), each on its own
database: the demo case's footage stored in the vault, the case run to its closing; records'
archive_due.v1 reaches the vault, which fetches the entries, the verification and a signed
checkpoint from records as itself (a service token it mints per call), stores the bag and its
四性检测 report write-once, and records marks the case archived (by the vault, as a service);
verify_package passes. A redelivered archive_due changes nothing. With records away, the
event is retried with back-off and dead-lettered after the bound, nothing stored."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import zipfile

import pytest
import requests
from kombu import Connection, Exchange, Producer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from contracts.records import CONTRACT as RECORDS
from services.records.service import RecordsService
from services.renderer.service import RendererService
from services.vault.service import VaultService
from services.vault.storage.local import LocalStore
from services.vault.usecases import package_bag
from shared.contracts.registry import envelope
from shared.trust.keys import KeyStore
from shared.trust.signatures import sign
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, av_media, demo_plan
from tests.databases import table_rows
from tests.events import dead_letters
from tests.plans import run_case
from tests.unit.vault.support import free_port

AGENCIES = agencies(LINGCHUAN)
FOOTAGE = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 2048
SHA = hashlib.sha256(FOOTAGE).hexdigest()
AV_STEPS = ("onsite_video", "preservation_video")


def _with_footage(step, footage: dict):
    """An AV step whose record names the footage the vault holds (`footage`, the object)."""
    if step.name not in AV_STEPS:
        return step

    def payload(ctx, original=step.payload, name=step.footage.name):
        return dict(original(dict(ctx, footage={name: footage})), media=av_media(footage))
    return dataclasses.replace(step, payload=payload, footage=None)


@pytest.fixture
def suite(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer,
          request):
    """records and the vault; with `renderer` (indirect parameter) the renderer too, the
    vault told it is part of the deployment and the renderer that the vault is."""
    renderer = getattr(request, "param", "absent")   # absent | deployed | away
    with_renderer = renderer == "deployed"
    port = free_port()
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    vault_url = f"sqlite:///{tmp_path / 'vault.sqlite3'}"
    vault = dict(config, DATABASE_URL=vault_url, VAULT_DIR=str(tmp_path / "vault"),
                 VAULT_REPLICA_DIR=str(tmp_path / "replica"),
                 WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                 VAULT_UPLOAD_URL=f"http://127.0.0.1:{port}",
                 INDEX_RENDERER="absent" if renderer == "absent" else "required",
                 EVENT_RETRY_ATTEMPTS=3, EVENT_RETRY_FIRST_DELAY=0.05)
    container_factory(VaultService, vault).start()
    container_factory(RecordsService, dict(config, DATABASE_URL=db_url)).start()
    if with_renderer:
        container_factory(RendererService, dict(
            config, DATABASE_URL=f"sqlite:///{tmp_path / 'renderer.sqlite3'}", PDF="off",
            RENDER_PROCESSES=1, TEMPLATES_POLL_SECONDS=0, DOCUMENT_VAULT="required")).start()

    def rpc(role="officer"):
        token = token_issuer.issue(actor_id=ACTORS.get(role, f"{role}-1"), role=role,
                                   agency=AGENCY, name=ACTORS.get(role, role))
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=60)

    return rpc, config, vault_url, db_url


def _store_footage(rpc) -> dict:
    with rpc("officer") as officer:
        target = officer.vault.begin_upload(agency=AGENCY, subject="av", sha256=SHA,
                                            size=len(FOOTAGE), name="执法记录仪.mp4",
                                            media_type="video/mp4",
                                            facts=["penalty_evidence"])
        assert requests.put(target["url"], data=FOOTAGE, timeout=30).status_code == 200
        return officer.vault.complete_upload(upload_id=target["upload_id"])


def _packages(url: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(text("SELECT * FROM packages")).mappings()]
    finally:
        engine.dispose()
    for row in rows:
        if isinstance(row["report"], str):
            row["report"] = json.loads(row["report"])
    return rows


def _archived(rpc, case_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    with rpc("head") as head:
        while True:
            case = head.records.get_case(case_id=case_id)
            if case["status"] == "archived" or time.monotonic() > deadline:
                return case
            time.sleep(0.5)


def test_a_closed_case_ends_archived_with_its_package(suite):
    rpc, config, vault_url, records_url = suite
    footage = _store_footage(rpc)
    plan = [_with_footage(s, footage) for s in demo_plan("陵应急立〔2025〕601号",
                                                         with_review=False,
                                                         before="case_archived")]
    ctx = run_case(rpc, plan)
    case = _archived(rpc, ctx["case_id"])
    assert case["status"] == "archived", case
    [package] = _packages(vault_url)
    assert package["case_id"] == ctx["case_id"] and package["state"] == "archived"
    with rpc("head") as head:
        entries = head.records.get_entries(case_id=ctx["case_id"], limit=1000)
        report = head.vault.verify_package(package_id=package["id"])
        bag = head.vault.get_object(object_id=package["object_id"])
    archived = entries[-1]
    # the vault archived it as itself: a service, no person's token
    assert archived["kind"] == "case_archived" and archived["actor_id"] == "vault"
    assert archived["actor_role"] == "service"
    assert archived["content"]["archive_no"] == f"VAULT-{package['id']}"
    assert package["head_seq"] == archived["seq"] - 1
    assert report["passed"], report
    assert any(c["check"] == "av_objects_held" and c["passed"]
               for c in report["integrity"]["checks"])
    assert bag["retention"]["class"] == "case_file" and bag["replica"] == "ok"
    assert footage["sha256"] == SHA
    # no renderer in this deployment: the 卷内目录 is JSON and CSV, and the report says so
    assert [n["code"] for n in package["report"]["notes"]] == ["rendered_index_missing"]

    # the same archive_due again (a redelivery): one package still, nothing appended
    body = _archive_due_of(records_url, ctx["case_id"])
    _publish(config, body)
    time.sleep(3)
    assert len(_packages(vault_url)) == 1
    with rpc("head") as head:
        assert len(head.records.get_entries(case_id=ctx["case_id"], limit=1000)) == len(entries)


@pytest.mark.parametrize("suite", ["deployed"], indirect=True, ids=["with-renderer"])
def test_the_package_holds_its_index_rendered_by_the_renderer_called_as_the_vault(
        suite, tmp_path):
    """The renderer deployed: the vault calls renderer.render as itself for the case's 卷内目录
    (template case_file_index); the renderer stores the docx in the vault, as itself; the bag
    holds it beside the JSON and CSV, the JSON lists it, it opens as a docx naming the case."""
    rpc, config, vault_url, records_url = suite
    footage = _store_footage(rpc)
    plan = [_with_footage(s, footage) for s in demo_plan("陵应急立〔2025〕602号", with_review=False,
                                                before="case_archived")]
    ctx = run_case(rpc, plan)
    assert _archived(rpc, ctx["case_id"], seconds=120)["status"] == "archived"
    [package] = _packages(vault_url)
    report = package["report"]
    assert report["passed"], report
    assert "rendered_index_missing" not in [n["code"] for n in report["notes"]]
    assert [n["code"] for n in report["notes"]] == ["pdf_unavailable"]      # PDF off here
    [bag] = table_rows(vault_url, f"SELECT key FROM objects WHERE id = '{package['object_id']}'")
    store = LocalStore(tmp_path / "vault")
    data = package_bag.from_tar(store, bag["key"], tmp_path / "out") / "data"
    with zipfile.ZipFile(data / "卷内目录.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert "陵应急立〔2025〕602号" in body and "卷内目录" in body
    index = json.loads((data / "卷内目录.json").read_text(encoding="utf-8"))
    assert "data/卷内目录.docx" in [row["文件"] for row in index]
    assert len(index) == len([p for p in data.rglob("*") if p.is_file()])
    # the renderer called as the vault: its render recorded against the service
    rendered = table_rows(f"sqlite:///{tmp_path / 'renderer.sqlite3'}",
                     "SELECT * FROM renders WHERE template_id = 'case_file_index'")
    assert len(rendered) == 1 and rendered[0]["actor_id"] == "vault"


@pytest.mark.parametrize("suite", ["away"], indirect=True, ids=["renderer-away"])
def test_a_deployed_renderer_that_does_not_answer_makes_the_package_wait(suite, tmp_path):
    """The renderer is part of the deployment but not running: the package is not archived
    without its rendered index — the event is retried, then dead-lettered, nothing stored."""
    rpc, config, vault_url, records_url = suite
    footage = _store_footage(rpc)
    plan = [_with_footage(s, footage) for s in demo_plan("陵应急立〔2025〕603号", with_review=False,
                                                before="case_archived")]
    ctx = run_case(rpc, plan)
    [dead] = dead_letters(config["AMQP_URI"], "dlq.vault", 1)
    assert dead.headers["x-transient"] is True and "renderer" in dead.headers["x-dead-reason"]
    assert _packages(vault_url) == []
    with rpc("head") as head:
        assert head.records.get_case(case_id=ctx["case_id"])["status"] == "closed"



def _archive_due_of(url: str, case_id: str) -> dict:
    """records' archive_due.v1 of the case as its outbox signed it."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT body FROM outbox WHERE event_type = "
                                     "'archive_due.v1'")).all()
    finally:
        engine.dispose()
    bodies = [json.loads(b) if isinstance(b, str) else b for (b,) in rows]
    return next(b for b in bodies if b["data"]["case_id"] == case_id)


def _publish(config, body: dict) -> None:
    with Connection(config["AMQP_URI"]) as conn:
        Producer(conn.default_channel).publish(
            json.dumps(body, ensure_ascii=False), routing_key="archive_due.v1",
            exchange=Exchange("records.events", type="topic", durable=True),
            content_type="application/json", delivery_mode=2)


def test_with_records_away_archive_due_is_retried_then_dead_lettered_nothing_stored(
        container_factory, rabbit_config, tmp_path, keys_dir):
    vault_url = f"sqlite:///{tmp_path / 'vault.sqlite3'}"
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES, DATABASE_URL=vault_url,
                  VAULT_DIR=str(tmp_path / "vault"), WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}",
                  EVENT_RETRY_ATTEMPTS=3,
                  EVENT_RETRY_FIRST_DELAY=0.05)
    container_factory(VaultService, config).start()
    data = dict(RECORDS.event("archive_due.v1").example, av_objects=[])
    body = envelope(RECORDS, "archive_due.v1", data, agency=AGENCY,
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, KeyStore(keys_dir).event_signing_key("records"))
    _publish(config, body)
    [dead] = dead_letters(config["AMQP_URI"], "dlq.vault", 1)
    headers = dead.headers
    assert headers["x-attempts"] == 3 and headers["x-transient"] is True
    assert "record keeper" in headers["x-dead-reason"]
    assert _packages(vault_url) == []
    assert not list((tmp_path / "vault" / "objects").rglob("*.*"))
