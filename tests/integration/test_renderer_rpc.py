"""The renderer over real RabbitMQ (a vhost per test) with a real LibreOffice (one warm
unoserver per session): render with validation, stamp and PDF with embedded CJK fonts, the
document_rendered event, refusals, and a template file changed under the running service."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import uuid
from typing import Any

import pytest
from docx import Document
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import create_engine, text

from services.renderer.rendering import core_properties
from services.renderer.service import RendererService
from shared.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from tests.unit.renderer.converter import pdf_fonts, unoserver  # noqa: F401  session fixture
from tests.unit.renderer.fixtures import SAMPLE, template_docx, write_template
from tests.unit.renderer.support import AGENCIES, count, docx_of

TID = "fixture_penalty"


@pytest.fixture
def renderer(container_factory, rabbit_config, tmp_path, unoserver, request, keys_dir,
             token_issuer):
    db_url = getattr(request, "param", None) or f"sqlite:///{tmp_path / 'renderer.sqlite3'}"
    if db_url == "postgresql":
        db_url = request.getfixturevalue("fresh_database")
    write_template(tmp_path / "templates")
    config = dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir,
                  AGENCIES=AGENCIES, TEMPLATES_DIR=str(tmp_path / "templates"),
                  TEMPLATES_POLL_SECONDS=0, UNOSERVER_HOST="127.0.0.1",
                  UNOSERVER_PORT=unoserver.client.url.rsplit(":", 1)[1])
    container_factory(RendererService, config).start()
    signer = token_issuer

    def proxy(role="officer", agency="lingchuan-emergency"):
        # a party token is bound to its party and its case (shared.trust.actor)
        bound = ({"party_id": "party-1", "case_id": "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"}
                 if role == "party" else {})
        token = signer.issue(actor_id=f"{role}-1", role=role, agency=agency, **bound)
        return ServiceRpcProxy("renderer", config, context_data={"actor_token": token},
                               timeout=60)

    return config, proxy, db_url


def test_health_is_open_to_any_caller(renderer):
    config, _, _ = renderer
    with ServiceRpcProxy("renderer", config, timeout=10) as rpc:
        health = rpc.health()
    assert health["service"] == "renderer" and health["templates"] == 1
    assert health["ready"] is True and health["pending"] == []
    assert health["pdf"]["available"] is True and health["pdf"]["reason"] is None
    assert health["contracts"]["events"] == ["document_rendered.v1"]


@pytest.mark.parametrize("renderer", [None, pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True, ids=["sqlite", "postgresql"])
def test_render_docx_and_pdf_stamped_with_fonts_embedded_and_announced(renderer, tmp_path):
    config, proxy, db_url = renderer
    conn = Connection(config["AMQP_URI"])
    tap = Queue(f"tap-{uuid.uuid4().hex[:8]}",
                Exchange("renderer.events", type="topic", durable=True), routing_key="#")
    tap(conn.default_channel).declare()
    with proxy() as rpc:
        result = rpc.render(template_id=TID, data=SAMPLE, formats=["docx", "pdf"],
                            reference="陵应急立〔2025〕12号")
    assert result["notes"] == [] and [o["format"] for o in result["outputs"]] == ["docx", "pdf"]
    blob = docx_of(result)
    doc = Document(io.BytesIO(blob))
    texts = [p.text for p in doc.paragraphs]
    assert "当事人：陵川县某某煤业有限公司 A & B <C>" in texts  # autoescape kept every character
    assert "处罚种类：罚款。罚款人民币陆万元整（¥60,000.00）。" in texts
    assert [c.text for c in doc.tables[0].rows[2].cells] == ["特种作业人员未持证上岗",
                                                             "30,000.00"]
    props = core_properties(blob)
    assert props["identifier"] == f"sanxiang:{TID}@1"
    assert props["keywords"] == (f"template={TID}; version=1; template_sha256="
                                 f"{result['template_sha256']}; "
                                 f"data_sha256={result['data_sha256']}")
    assert result["template_sha256"] == hashlib.sha256(
        (tmp_path / "templates" / TID / "1" / "template.docx").read_bytes()).hexdigest()
    pdf = base64.b64decode(result["outputs"][1]["content_base64"])
    assert pdf.startswith(b"%PDF")
    fonts = pdf_fonts(pdf, tmp_path)
    # 仿宋_GB2312 (Normal), 楷体, 方正小标宋简体 reached LibreOffice as their free stand-ins
    assert {"FandolFang-Regular", "UKaiCN"} <= set(fonts), fonts
    assert any(name.startswith("NotoSerifCJK") for name in fonts), fonts
    assert set(fonts.values()) == {"yes"}, fonts
    assert count(db_url, "renders") == 1
    deadline = time.monotonic() + 10
    events: list[dict[str, Any]] = []
    while not events and time.monotonic() < deadline:
        msg = tap(conn.default_channel).get(no_ack=True)
        if msg:
            events = [json.loads(msg.body)]
        else:
            time.sleep(0.1)
    conn.release()
    event = events[0]
    assert event["event_type"] == "document_rendered.v1" and event["ruleset"] == \
        "lingchuan-emergency@1" and event["actor"]["role"] == "officer"
    assert event["data"] == {
        "render_id": result["render_id"], "template_id": TID, "version": 1,
        "template_sha256": result["template_sha256"], "data_sha256": result["data_sha256"],
        "reference": "陵应急立〔2025〕12号",
        "outputs": [{k: o[k] for k in ("format", "sha256", "size", "object_ref")}
                    for o in result["outputs"]]}


def test_same_data_same_bytes(renderer):
    _, proxy, _ = renderer
    with proxy("legal_unit") as rpc:
        first = rpc.render(template_id=TID, data=SAMPLE)
        second = rpc.render(template_id=TID, data=SAMPLE, version=1)
    assert docx_of(first) == docx_of(second)
    assert first["outputs"][0]["sha256"] == second["outputs"][0]["sha256"]


def test_bad_input_is_refused_naming_field_and_rule_and_writes_nothing(renderer):
    _, proxy, db_url = renderer
    with proxy() as rpc:
        with pytest.raises(ValidationFailed) as err:
            rpc.render(template_id=TID, data=dict(SAMPLE, fine_amount="6万", extra="x",
                                                  rows=[{"item": "x"}]))
        assert err.value.details == {
            "data.extra": ["unknown field: not declared in the template's schema"],
            "data.fine_amount": ["must be a CNY amount as a decimal string, e.g. \"60000.00\""],
            "data.rows.0.amount": ["required field is missing"]}
        with pytest.raises(ValidationFailed) as err:
            rpc.render(template_id=TID, data={k: v for k, v in SAMPLE.items()
                                              if k != "decision_no"})
        assert err.value.details == {"data.decision_no": ["required field is missing"]}
        with pytest.raises(ValidationFailed) as err:
            rpc.render(template_id=TID, data=SAMPLE, formats=["pdf"])
        assert err.value.details == {"formats": ['must be ["docx"] or ["docx", "pdf"]']}
        with pytest.raises(NotFound) as missing:
            rpc.render(template_id="no_such", data=SAMPLE)
        assert missing.value.code == "template_not_found"
        assert missing.value.details["known"] == [TID]
        with pytest.raises(NotFound) as missing:
            rpc.render(template_id=TID, version=7, data=SAMPLE)
        assert missing.value.code == "template_version_not_found"
        assert missing.value.details == {"template_id": TID, "version": 7, "known": [1]}
        assert rpc.health()["service"] == "renderer"  # no worker crashed
    assert count(db_url, "renders") == 0 and count(db_url, "outbox") == 0


def test_roles_and_agency_are_checked(renderer):
    config, proxy, db_url = renderer
    for role in ("party", "public"):
        with proxy(role) as rpc, pytest.raises(Forbidden):
            rpc.render(template_id=TID, data=SAMPLE)
    with proxy("officer", agency="elsewhere") as rpc, pytest.raises(NotFound) as err:
        rpc.render(template_id=TID, data=SAMPLE)
    assert "not served by this deployment" in err.value.message
    with ServiceRpcProxy("renderer", config, timeout=10) as rpc, \
            pytest.raises(Unauthenticated):
        rpc.list_templates()
    with proxy("supervisor") as rpc:
        assert [t["title"] for t in rpc.list_templates()] == ["行政处罚决定书"]
        detail = rpc.get_template(template_id=TID)
        with pytest.raises(Forbidden):
            rpc.render(template_id=TID, data=SAMPLE)
    assert detail["sample"] == SAMPLE and detail["json_schema"]["required"][0] == "agency_name"
    # every refusal is recorded with who, what and why; nothing was rendered
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            refused = conn.execute(text(
                "select actor_id, actor_role, actor_agency, method, template_id, reason "
                "from refusals order by id")).all()
    finally:
        engine.dispose()
    assert [r[:5] for r in refused] == [
        ("party-1", "party", "lingchuan-emergency", "render", TID),
        ("public-1", "public", "lingchuan-emergency", "render", TID),
        ("", "unverified", "", "list_templates", None),  # the call without a token
        ("supervisor-1", "supervisor", "lingchuan-emergency", "render", TID)]
    assert all(r[5] for r in refused)
    assert refused[2][5].startswith("unauthenticated (missing): ")
    assert count(db_url, "renders") == 0


def test_changed_template_file_is_picked_up_without_restart_and_old_version_kept(renderer,
                                                                                 tmp_path):
    _, proxy, db_url = renderer
    with proxy() as rpc:
        before = rpc.render(template_id=TID, data=SAMPLE)
        # the maintainer edits the file in place
        write_template(tmp_path / "templates", docx=template_docx("（修订：增加告知段落）"))
        after = rpc.render(template_id=TID, data=SAMPLE)
        again = rpc.render(template_id=TID, version=1, data=SAMPLE)
        versions = rpc.list_templates(all_versions=True)
    assert before["version"] == 1 and after["version"] == 2
    revised = Document(io.BytesIO(docx_of(after)))
    assert "（修订：增加告知段落）" in [p.text for p in revised.paragraphs]
    assert docx_of(again) == docx_of(before)  # the old version re-renders byte for byte
    assert [(v["version"], v["source"]) for v in versions] == [(1, f"{TID}/1"), (2, f"{TID}/1")]
    assert count(db_url, "template_versions") == 2


def test_shipped_penalty_decision_without_pdf_gives_docx_and_says_why(container_factory,
                                                                       rabbit_config, tmp_path,
                                                                       keys_dir, token_issuer):
    import yaml

    from services.renderer.library import default_root
    config = dict(rabbit_config, DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}",
                  KEYS_DIR=keys_dir, AGENCIES=AGENCIES, PDF="off")
    container_factory(RendererService, config).start()
    sample = yaml.safe_load((default_root() / "penalty_decision" / "1" / "manifest.yaml")
                            .read_text("utf-8"))["sample"]
    token = token_issuer.issue(
        actor_id="legal-1", role="legal_unit", agency="lingchuan-emergency")
    with ServiceRpcProxy("renderer", config, context_data={"actor_token": token},
                         timeout=30) as rpc:
        result = rpc.render(template_id="penalty_decision", data=sample, formats=["docx", "pdf"])
        assert rpc.health()["pdf"] == {"available": False, "reason": result["notes"][0]["message"],
                                       "warm": False, "first_pdf_seconds": None, "basis": None}
    assert [o["format"] for o in result["outputs"]] == ["docx"]
    assert result["notes"] == [{"code": "pdf_unavailable", "message":
                                "PDF is switched off in this deployment (PDF: off); docx only"}]
    texts = "\n".join(p.text for p in Document(io.BytesIO(docx_of(result))).paragraphs)
    assert sample["doc_number"] in texts and "行政处罚决定书" in texts
