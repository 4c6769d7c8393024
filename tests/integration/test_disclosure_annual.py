"""The annual statistics report over real RabbitMQ, each service on its own database (SQLite
files, or PostgreSQL databases): with the record keeper running, the demo case's penalty is
counted by records.annual_figures, called by the disclosure publisher as itself, and the only
gap is the inspection plan the record keeper does not keep; the same compile redelivered is one
report, a recompile a second version; the publisher publishes it and the portal shows it. With
the record keeper absent the report names its figures missing and why, never zeros."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.disclosure.domain import annual
from shared.persistence.idempotency import CONTEXT_KEY as IDEMPOTENCY_KEY
from shared.trust.actor import CONTEXT_KEY as TOKEN_KEY
from tests import suite as services
from tests.agencies import LINGCHUAN, agencies
from tests.builders import demo_plan
from tests.plans import run_case, start_vault
from tests.unit.renderer.converter import unoserver  # noqa: F401  session fixture

AGENCIES = agencies(LINGCHUAN)
PUBLISHER = "publisher-lc-009"


def _proxy(config: dict, token_issuer, role: str, who: str, key: str | None = None):
    token = token_issuer.issue(actor_id=who, role=role, agency=LINGCHUAN, name=who)
    data = {TOKEN_KEY: token, **({IDEMPOTENCY_KEY: key} if key else {})}
    return ClusterRpcProxy(config, context_data=data, timeout=60)


@pytest.fixture
def deployment(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer,
               request):
    """records (with the vault beside it) and disclosure, each on its own database."""
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    disclosure_url = (f"sqlite:///{tmp_path / 'disclosure.sqlite3'}"
                      if db_url.startswith("sqlite") else request.getfixturevalue(
                          "make_pg_database")())
    portal = str(tmp_path / "portal")
    container_factory(services.classes()["records"], dict(config, DATABASE_URL=db_url)).start()
    container_factory(services.classes()["disclosure"], dict(
        config, DATABASE_URL=disclosure_url, DISCLOSURE_PORTAL_DIR=portal,
        RECORD_KEEPER="required", RENDERER="absent")).start()
    start_vault(container_factory, config, tmp_path)

    def rpc(role: str = "officer", actor_id: str | None = None, key: str | None = None):
        from demo.case import ACTORS
        return _proxy(config, token_issuer, role, actor_id or ACTORS[role], key)

    return rpc, disclosure_url, Path(portal)


def _reports(url: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(
                "SELECT id, agency, year, version FROM annual_reports")).mappings()]
    finally:
        engine.dispose()


def _appears(path: Path, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    return path.exists()


def test_the_report_counts_the_record_keepers_penalty_and_is_published(deployment):
    rpc, url, portal = deployment
    run_case(rpc, demo_plan("陵应急立〔2025〕801号", with_review=False),
             decision_no="陵应急罚〔2025〕801号")
    request = {"agency": LINGCHUAN, "year": 2025}
    with rpc("publisher", PUBLISHER, key="annual-2025-1") as publisher:
        report = publisher.disclosure.compile_annual_report(**request)
    with rpc("publisher", PUBLISHER, key="annual-2025-1") as publisher:   # redelivered
        again = publisher.disclosure.compile_annual_report(**request)
    assert again == report
    assert [(r["year"], r["version"]) for r in _reports(url)] == [(2025, 1)]
    penalties = report["figures"]["penalties"]
    assert penalties["decisions"] == 1
    assert {i["code"] for i in penalties["by_kind"]} >= {"fine"}
    assert report["figures"]["complaints"]["received"] == 0
    assert [g["figure"] for g in report["gaps"]] == ["inspection_plan.planned"]
    plan = report["figures"]["inspection_plan"]
    assert (plan["planned"], plan["register_items"]) == (None, 0)   # no register imported
    assert report["document"]["rendered"] is False   # no renderer in this deployment
    with rpc("publisher", PUBLISHER, key="annual-2025-2") as publisher:
        second = publisher.disclosure.compile_annual_report(**request)
        done = publisher.disclosure.publish_annual_report(agency=LINGCHUAN, year=2025,
                                                          version=None)
        first = publisher.disclosure.get_annual_report(agency=LINGCHUAN, year=2025, version=1)
    assert (second["version"], second["versions"]) == (2, 2)
    assert first["id"] == report["id"] and first["figures"] == report["figures"]
    assert done["version"] == 2 and done["state"] == "published"
    page = portal / "agency" / LINGCHUAN / "annual" / "2025.html"
    assert _appears(page)
    html = page.read_text("utf-8")
    assert "<caption>行政处罚案件办理情况</caption>" in html
    assert 'alt="行政处罚案件办理情况：' in html


@pytest.fixture
def disclosure_alone(container_factory, rabbit_config, db_url, keys_dir, tmp_path,
                     token_issuer):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))
    container_factory(services.classes()["disclosure"], dict(
        config, DATABASE_URL=db_url, RECORD_KEEPER="absent", RENDERER="absent")).start()
    return config


def test_without_the_record_keeper_its_figures_are_named_missing(disclosure_alone,
                                                                 token_issuer):
    with _proxy(disclosure_alone, token_issuer, "publisher", PUBLISHER, "alone-1") as p:
        report = p.disclosure.compile_annual_report(agency=LINGCHUAN, year=2025)
    assert {g["figure"] for g in report["gaps"]} == set(annual.RECORD_GROUPS)
    assert all("记录保管服务" in g["reason"] for g in report["gaps"])
    assert not set(annual.RECORD_GROUPS) & set(report["figures"])


@pytest.fixture
def with_renderer(container_factory, rabbit_config, keys_dir, tmp_path, unoserver):
    """disclosure and the renderer (its shipped templates, PDF through LibreOffice), the record
    keeper absent; `start(vault=...)`: with the vault the renderer stores the outputs there,
    without it they come back as bytes."""
    from services.renderer.library import default_root
    from services.renderer.service import RendererService
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    portal = tmp_path / "portal"

    def start(vault: bool) -> None:
        presence = "required" if vault else "absent"
        if vault:
            start_vault(container_factory, config, tmp_path)
        container_factory(RendererService, dict(
            config, DATABASE_URL=f"sqlite:///{tmp_path / 'renderer.sqlite3'}",
            TEMPLATES_DIR=str(default_root()), TEMPLATES_POLL_SECONDS=0, RENDER_PROCESSES=1,
            DOCUMENT_VAULT=presence, UNOSERVER_HOST="127.0.0.1",
            UNOSERVER_PORT=unoserver.client.url.rsplit(":", 1)[1])).start()
        container_factory(services.classes()["disclosure"], dict(
            config, DATABASE_URL=f"sqlite:///{tmp_path / 'disclosure.sqlite3'}",
            DISCLOSURE_PORTAL_DIR=str(portal), RECORD_KEEPER="absent",
            RENDERER="required", VAULT=presence)).start()
    return start, config, portal


def _published_report(config, token_issuer) -> dict:
    """A publication of 2025 (so there is a chart), then the report compiled and published."""
    from contracts.disclosure import CONTRACT
    draft = dict(CONTRACT.rpc("create_draft").example_request, agency=LINGCHUAN,
                 decision_no="陵应急罚〔2025〕901号", authority="陵川县应急管理局")
    with _proxy(config, token_issuer, "publisher", PUBLISHER, "draft-901") as p:
        made = p.disclosure.create_draft(**draft)
    with _proxy(config, token_issuer, "publisher", PUBLISHER, "review-901") as p:
        p.disclosure.review_publication(publication_id=made["id"], outcome="publish")
    with _proxy(config, token_issuer, "publisher", PUBLISHER, "rendered-1") as p:
        report = p.disclosure.compile_annual_report(agency=LINGCHUAN, year=2025)
        p.disclosure.publish_annual_report(agency=LINGCHUAN, year=2025, version=None)
    return report


def test_the_renderer_renders_the_report_with_its_chart_and_the_pdf_reaches_the_portal(
        with_renderer, token_issuer):
    import base64
    import io

    from docx import Document

    start, config, portal = with_renderer
    start(vault=False)
    report = _published_report(config, token_issuer)
    document = report["document"]
    assert document["rendered"] is True and document["version"] == 2, document
    outputs = {o["format"]: o for o in document["outputs"]}
    docx = Document(io.BytesIO(base64.b64decode(outputs["docx"]["content_base64"])))
    images = [part for part in docx.part.package.parts if part.content_type == "image/png"]
    assert images and len(docx.inline_shapes) == len(images)
    pdf = base64.b64decode(outputs["pdf"]["content_base64"])
    assert pdf.startswith(b"%PDF")
    copied = portal / "agency" / LINGCHUAN / "annual" / "2025.pdf"
    assert _appears(copied) and copied.read_bytes() == pdf
    assert 'href="2025.pdf"' in (copied.parent / "2025.html").read_text("utf-8")


def test_a_pdf_the_renderer_stored_in_the_vault_is_read_from_it_for_the_portal(
        with_renderer, token_issuer):
    import hashlib
    start, config, portal = with_renderer
    start(vault=True)
    report = _published_report(config, token_issuer)
    outputs = {o["format"]: o for o in report["document"]["outputs"]}
    assert outputs["pdf"]["object_ref"] and outputs["pdf"]["content_base64"] is None
    copied = portal / "agency" / LINGCHUAN / "annual" / "2025.pdf"
    assert _appears(copied)
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == outputs["pdf"]["sha256"]
    # the vault gives a rendered document's bytes to the disclosure service alone
    with _proxy(config, token_issuer, "head", "head-lc-001") as head, pytest.raises(
            Exception) as refused:
        head.vault.read_document(object_id=outputs["pdf"]["object_ref"])
    assert getattr(refused.value, "code", None) == "forbidden"
