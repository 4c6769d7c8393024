"""The portal's correction form over HTTP against the disclosure publisher's web server, with
real RabbitMQ, the vault beside it (local store, SQLite) and the disclosure publisher on SQLite
and PostgreSQL: a form posted is filed as a request (channel portal) acknowledged with its
number on a page, its attachment kept in the vault; an oversized body is refused 413 before it
is read, the sixth submission of a client in its window 429 with Retry-After — also when it
goes to a second instance sharing the database; a PDF carrying JavaScript 400, nothing stored;
with no vault running, 503 naming it and nothing filed. Refusals are in the disclosure log."""
from __future__ import annotations

import hashlib
import json
import re

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from tests import suite as services
from tests.agencies import QINYUAN, agencies
from tests.plans import start_vault
from tests.unit.disclosure.support import draft_request
from tests.unit.vault.support import free_port

PDF = (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
EVIL = PDF.replace(b"trailer", b"3 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) "
                               b">> >>\nendobj\ntrailer")
LIMITS = {"DISCLOSURE_FORM_MAX_BYTES": "200000", "DISCLOSURE_FORM_MAX_FILE_BYTES": "100000",
          "DISCLOSURE_FORM_MAX_FILES": "3", "DISCLOSURE_FORM_CLIENT_RATE": "5/3600",
          "DISCLOSURE_FORM_AGENCY_RATE": "100/3600"}


@pytest.fixture
def deployment(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(QINYUAN))

    def disclosure(**extra: str) -> str:
        port = free_port()
        container_factory(services.classes()["disclosure"], dict(
            config, DATABASE_URL=db_url, DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"),
            WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", **{**LIMITS, **extra})).start()
        return f"http://127.0.0.1:{port}/disclosure/corrections"

    def vault() -> None:
        start_vault(container_factory, config, tmp_path)

    def rpc(role: str = "publisher") -> ClusterRpcProxy:
        token = token_issuer.issue(actor_id=f"{role}-qy-1", role=role, agency=QINYUAN,
                                   name=role)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30)

    def published(url: str) -> str:
        with rpc() as publisher:
            pub = publisher.disclosure.create_draft(**draft_request())
            publisher.disclosure.review_publication(publication_id=pub["id"], outcome="publish")
        return pub["id"]

    return disclosure, vault, rpc, published


def rows(url: str, sql: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql)).mappings()]
    finally:
        engine.dispose()


def form(pub_id: str, **changes: str) -> dict:
    return {"publication_id": pub_id, "requester_kind": "person", "requester_name": "张某某",
            "requester_contact": "13912345678", "problem": "罚款金额有误",
            "requested": "应为陆千元", **changes}


def post(url: str, fields: dict, files: list | None = None, **kw) -> requests.Response:
    return requests.post(url, data=fields, files=files or [("attachments", ("", b""))],
                         timeout=30, **kw)


def test_a_form_posted_is_filed_with_its_number_and_its_attachment_kept_in_the_vault(
        deployment, db_url, tmp_path):
    disclosure, vault, rpc, published = deployment
    vault()
    url = disclosure()
    pub_id = published(url)
    answer = post(url, form(pub_id), files=[("attachments", ("送达回证.pdf", PDF,
                                                              "application/octet-stream"))])
    assert answer.status_code == 201, answer.text
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.text
    assert '<html lang="zh-CN">' in page and "<h1>更正申请已受理</h1>" in page
    found = re.search(r"<strong>(更正〔\d{4}〕1号)</strong>", page)
    assert found is not None, page
    number = found.group(1)
    [row] = rows(db_url, "SELECT id, number, channel FROM corrections")
    assert (row["number"], row["channel"]) == (number, "portal")
    with rpc() as publisher:
        filed = publisher.disclosure.get_correction(correction_id=row["id"])
    assert filed["channel"] == "portal" and filed["state"] == "filed"
    assert filed["requester"] == {"kind": "person", "name": "张某某", "contact": "13912345678"}
    assert filed["steps"][0]["role"] == "public" and filed["steps"][0]["body"]["attachments"] == 1
    [kept] = filed["attachments"]
    assert kept["sha256"] == hashlib.sha256(PDF).hexdigest() and kept["size"] == len(PDF)
    assert (kept["media_type"], kept["name"]) == ("application/pdf", "送达回证.pdf")
    with rpc("head") as head:
        obj = head.vault.get_object(object_id=kept["object_id"])
    assert obj["subject"] == "attachment" and obj["sha256"] == kept["sha256"]
    assert obj["stored_by"] == "disclosure" and obj["retention"]["class"] == "case_file"
    # who asked is never in the disclosure log
    logged = json.dumps(rows(db_url, "SELECT body FROM disclosure_log"), ensure_ascii=False,
                        default=str)
    assert "张某某" not in logged and "13912345678" not in logged
    # the attachment is never written where the portal is served from
    portal = tmp_path / "portal"
    assert all(PDF not in f.read_bytes() and "送达回证" not in f.name
               for f in portal.rglob("*") if f.is_file())


def test_oversize_malicious_and_unlimited_submissions_are_refused_nothing_filed(
        deployment, db_url, tmp_path):
    disclosure, vault, rpc, published = deployment
    vault()
    url = disclosure()
    pub_id = published(url)
    big = post(url, form(pub_id), files=[("attachments", ("a.pdf", PDF + b"%" * 250_000))])
    assert big.status_code == 413 and "提交内容过大" in big.text
    # a body with no declared length, growing past the limit as it is read
    chunked = requests.post(url, data=(b"x" * 10_000 for _ in range(30)), timeout=30, headers={
        "Content-Type": "multipart/form-data; boundary=zz", "Accept": "application/json"})
    assert chunked.status_code == 413 and chunked.json()["rule"] == "too_large"
    evil = post(url, form(pub_id), files=[("attachments", ("a.pdf", EVIL))],
                headers={"Accept": "application/json"})
    assert evil.status_code == 400
    assert (evil.json()["field"], evil.json()["rule"]) == ("attachments", "pdf_active_content")
    bad = post(url, form(pub_id, requester_kind="<script>alert(1)</script>", problem=""))
    assert bad.status_code == 400 and "<script>" not in bad.text
    assert "申请人类型" in bad.text and "存在的问题" in bad.text
    assert rows(db_url, "SELECT id FROM corrections") == []
    # (the vault keeps the publisher's signed tree heads as objects too, as they arrive)
    assert rows(f"sqlite:///{tmp_path / 'vault.sqlite3'}",
                "SELECT id FROM objects WHERE subject = 'attachment'") == []
    # five submissions a client an hour: the four above count, the fifth is filed
    assert post(url, form(pub_id)).status_code == 201
    sixth = post(url, form(pub_id), headers={"Accept": "application/json"})
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) >= 1
    assert sixth.json()["rule"] == "rate_limited"
    assert len(rows(db_url, "SELECT id FROM corrections")) == 1
    refusals = [json.loads(r["body"]) if isinstance(r["body"], str) else r["body"]
                for r in rows(db_url, "SELECT body FROM disclosure_log WHERE action = 'refused'")]
    assert [(r["code"], r["rule"]) for r in refusals if r["method"] == "submit_correction"] == [
        ("domain_rule_violated", "too_large"), ("domain_rule_violated", "too_large"),
        ("validation_failed", "pdf_active_content"),
        ("validation_failed", "required: must not be empty"),
        ("domain_rule_violated", "rate_limited")]


def test_a_second_instance_sharing_the_database_holds_the_same_limit(deployment, db_url):
    disclosure, vault, rpc, published = deployment
    vault()
    first = disclosure()
    second = disclosure()
    pub_id = published(first)
    codes = [post(url, form(pub_id)).status_code
             for url in (first, second, first, second, first, second)]
    assert codes == [201] * 5 + [429]
    assert len(rows(db_url, "SELECT id FROM corrections")) == 5


def test_with_no_vault_running_the_request_is_refused_naming_it_and_nothing_filed(
        deployment, db_url):
    disclosure, vault, rpc, published = deployment
    url = disclosure()
    pub_id = published(url)
    answer = post(url, form(pub_id), files=[("attachments", ("a.pdf", PDF))],
                  headers={"Accept": "application/json"})
    # no vault consumes its queue: not deployed here (presence auto, the default), named
    assert answer.status_code == 503 and answer.json()["error"] == "service_not_deployed"
    assert "vault" in answer.json()["message"] and "档案存储服务" in answer.json()["message_zh"]
    assert rows(db_url, "SELECT id FROM corrections") == []


def test_each_agency_has_its_limit_whatever_the_clients_and_an_unknown_publication_is_404(
        deployment, db_url):
    disclosure, vault, rpc, published = deployment
    vault()
    url = disclosure(DISCLOSURE_FORM_AGENCY_RATE="2/3600",
                     DISCLOSURE_FORM_CLIENT_HEADER="X-Real-IP")
    pub_id = published(url)
    codes = [post(url, form(pub_id), headers={"X-Real-IP": f"198.51.100.{n}"}).status_code
             for n in range(3)]
    assert codes == [201, 201, 429]
    missing = post(url, form("0" * 8 + "-0000-4000-8000-" + "0" * 12),
                   headers={"X-Real-IP": "198.51.100.9", "Accept": "application/json"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    # the clients are known by their hashes only
    keys = [r["key"] for r in rows(db_url, "SELECT key FROM form_windows WHERE scope = 'client'")]
    assert len(keys) == 4 and not any("198.51.100" in k for k in keys)
