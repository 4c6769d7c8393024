"""The renderer's start and stop over real RabbitMQ: a render that is the first thing a fresh
container hears is rendered, not refused template_not_found; health says not ready (naming the
template library) until the library is registered, and whether the PDF converter is warm and
how long the first PDF should take; a container whose LibreOffice and render worker are busy
stops within seconds."""
from __future__ import annotations

import time

import eventlet
import psycopg2
import pytest
import yaml
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.renderer.library import default_root
from services.renderer.service import RendererService
from shared.errors import Unavailable
from shared.persistence.db import make_engine, migrate
from tests.unit.renderer.fixtures import (
    SAMPLE,
    WIDE_FIELDS,
    long_rows,
    wide_table_docx,
    write_template,
)
from tests.unit.renderer.support import AGENCIES, count, docx_of

SHIPPED = "penalty_decision"
# generous: a bound on stopping, not a benchmark (a busy LibreOffice and render worker)
STOP_BOUND = 10.0


def _sample(template_id: str) -> dict:
    manifest = default_root() / template_id / "1" / "manifest.yaml"
    return yaml.safe_load(manifest.read_text("utf-8"))["sample"]


def _queue_rpc_requests(config: dict) -> None:
    """Declare the renderer's RPC queue as nameko does, so requests sent before the container
    starts wait there and are the first thing it consumes."""
    with Connection(config["AMQP_URI"]) as conn:
        Queue("rpc-renderer", Exchange("nameko-rpc", type="topic", durable=True),
              routing_key="renderer.*", durable=True)(conn.default_channel).declare()


@pytest.fixture
def config(rabbit_config, keys_dir, db_url):
    return dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                PDF="off")


def _proxy(config: dict, token_issuer, timeout: float = 60) -> ServiceRpcProxy:
    token = token_issuer.issue(actor_id="officer-1", role="officer",
                               agency="lingchuan-emergency")
    return ServiceRpcProxy("renderer", config, context_data={"actor_token": token},
                           timeout=timeout)


def test_a_render_that_is_a_fresh_renderers_first_call_is_rendered(container_factory, config,
                                                                    token_issuer, db_url):
    _queue_rpc_requests(config)
    with _proxy(config, token_issuer) as rpc:
        # every shipped template registers on this first start, while the call is consumed
        reply = rpc.render.call_async(template_id=SHIPPED, data=_sample(SHIPPED))
        container_factory(RendererService, config).start()
        result = reply.result()
    assert result["template_id"] == SHIPPED and docx_of(result)
    assert count(db_url, "renders") == 1


@pytest.mark.postgres
def test_health_is_not_ready_until_templates_are_registered_and_a_render_waits(
        container_factory, rabbit_config, keys_dir, fresh_database, token_issuer):
    config = dict(rabbit_config, DATABASE_URL=fresh_database, KEYS_DIR=keys_dir,
                  AGENCIES=AGENCIES, PDF="off")
    engine = make_engine(fresh_database)
    migrate(engine, "services.renderer:migrations")
    engine.dispose()
    # the registry cannot read its table until this transaction ends: registration is held
    lock = psycopg2.connect(fresh_database)
    lock.cursor().execute("LOCK TABLE template_versions IN ACCESS EXCLUSIVE MODE")
    _queue_rpc_requests(config)
    starting = eventlet.spawn(container_factory(RendererService, config).start)
    try:
        with ServiceRpcProxy("renderer", config, timeout=10) as rpc:
            health = rpc.health()
        assert health["ready"] is False and health["templates"] == 0
        assert len(health["pending"]) == 1 and health["pending"][0].startswith(
            "templates: registering the template library"), health
        with _proxy(config, token_issuer) as rpc:
            reply = rpc.render.call_async(template_id=SHIPPED, data=_sample(SHIPPED))
            eventlet.sleep(1)
            lock.rollback()  # registration goes on
            result = reply.result()
            health = rpc.health()
    finally:
        lock.close()
        starting.wait()
    assert result["template_id"] == SHIPPED
    assert health["ready"] is True and health["pending"] == [] and health["templates"] >= 18


@pytest.mark.postgres
def test_a_render_waits_for_registration_at_most_its_bound_then_is_unavailable(
        container_factory, rabbit_config, keys_dir, fresh_database, token_issuer):
    config = dict(rabbit_config, DATABASE_URL=fresh_database, KEYS_DIR=keys_dir,
                  AGENCIES=AGENCIES, PDF="off", TEMPLATES_START_TIMEOUT=1)
    engine = make_engine(fresh_database)
    migrate(engine, "services.renderer:migrations")
    engine.dispose()
    lock = psycopg2.connect(fresh_database)
    lock.cursor().execute("LOCK TABLE template_versions IN ACCESS EXCLUSIVE MODE")
    _queue_rpc_requests(config)
    starting = eventlet.spawn(container_factory(RendererService, config).start)
    try:
        with _proxy(config, token_issuer) as rpc, pytest.raises(Unavailable) as refused:
            rpc.render(template_id=SHIPPED, data=_sample(SHIPPED))
    finally:
        lock.rollback()
        lock.close()
        starting.wait()
    assert "registering the template library" in refused.value.message
    assert refused.value.details["pending"] == ["templates"]


def test_health_says_when_pdf_is_warm_and_a_busy_renderer_stops_within_seconds(
        container_factory, rabbit_config, keys_dir, tmp_path, token_issuer):
    """The service starts its own LibreOffice (no UNOSERVER_HOST): health first estimates the
    first PDF from a cold start, then reports it warm with the time measured at warm-up; with
    a long PDF and a long render in progress, stopping takes seconds (it waited for them
    both, 162 s for two long renders and a PDF, before)."""
    data = {"agency_name": SAMPLE["agency_name"], "decision_no": SAMPLE["decision_no"],
            "rows": long_rows(4000)}
    write_template(tmp_path / "templates", "register", docx=wide_table_docx(60),
                   fields=WIDE_FIELDS, sample=dict(data, rows=data["rows"][:1]), title="登记表")
    # quick to render, long to convert: hundreds of PDF pages
    write_template(tmp_path / "templates", "ledger", docx=wide_table_docx(2),
                   fields=WIDE_FIELDS, sample=dict(data, rows=data["rows"][:1]), title="台账")
    config = dict(rabbit_config, DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}",
                  KEYS_DIR=keys_dir, AGENCIES=AGENCIES, TEMPLATES_DIR=str(tmp_path / "templates"),
                  RENDER_PROCESSES=1)
    container = container_factory(RendererService, config)
    container.start()
    with ServiceRpcProxy("renderer", config, timeout=10) as rpc:
        cold = rpc.health()["pdf"]
        assert cold["available"] is True and cold["warm"] is False, cold
        assert cold["basis"] in ("typical cold start", "last cold start")
        assert cold["first_pdf_seconds"] > 0
        deadline = time.monotonic() + 120
        while not (warm := rpc.health()["pdf"])["warm"] and time.monotonic() < deadline:
            time.sleep(0.5)
    assert warm["basis"] == "measured at warm-up" and 0 < warm["first_pdf_seconds"] < 30, warm
    with _proxy(config, token_issuer, timeout=180) as rpc:
        ledger = dict(data, rows=data["rows"][:3000])
        busy = [rpc.render.call_async(template_id="ledger", data=ledger, formats=["docx", "pdf"]),
                rpc.render.call_async(template_id="register", data=data)]
        time.sleep(3)  # LibreOffice converts the ledger, the worker renders the register
        started = time.monotonic()
        container.stop()
        took = time.monotonic() - started
        for reply in busy:  # refused, nothing written: the caller sends it again elsewhere
            with pytest.raises(Unavailable, match="the renderer is stopping"):
                reply.result()
    assert took < STOP_BOUND, f"stopping took {took:.1f} s"
    assert count(config["DATABASE_URL"], "renders") == 0
