"""A correction filed through the portal in a real browser: the disclosure publisher (real
RabbitMQ, SQLite) writes the portal from its own events, the portal is served with its form's
path passed to the service's web server on the same origin (as nginx does in compose), and a
reader opens a publication, follows 申请更正, fills the form with a PDF attached and sends it;
the acknowledgement names the request's number, the request is filed (channel portal) with its
attachment kept in the vault, and axe finds nothing on the form nor on the answer.

The vault and the disclosure publisher run as `nameko run` processes, as deployed: the browser
is driven synchronously from this process, whose green threads could not answer the form's
request while it waits."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from tests import suite as services
from tests.agencies import QINYUAN, agencies
from tests.browser.conftest import axe_violations
from tests.unit.disclosure.support import draft_request
from tests.unit.vault.support import free_port

ROOT = Path(__file__).resolve().parents[2]

PDF = (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _waited_for(path: Path, seconds: float = 60) -> Path:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"the portal never wrote {path.name}"
        time.sleep(0.2)
    return path


@pytest.fixture
def run(tmp_path: Path) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(name: str, config: dict) -> None:
        cls = services.classes()[name]
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump(dict(config, max_workers=4), allow_unicode=True),
                        encoding="utf-8")
        with open(tmp_path / f"{name}.log", "ab") as log:
            started.append(subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(path),
                 f"{cls.__module__}:{cls.__name__}"], cwd=ROOT,
                env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore"),
                stdout=log, stderr=subprocess.STDOUT))
    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _answering(config: dict, names: tuple[str, ...], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    for name in names:
        while True:
            try:
                with ClusterRpcProxy(config, timeout=5) as rpc:
                    getattr(rpc, name).health()
                break
            except Exception:  # not consuming yet: the call times out
                assert time.monotonic() < deadline, f"{name} never answered"
                time.sleep(0.5)


def test_a_reader_files_a_correction_through_the_portal_s_form(
        rabbit_config, keys_dir, token_issuer, tmp_path, run, serve, browser_context):
    config = dict(rabbit_config, KEYS_DIR=str(keys_dir), AGENCIES=agencies(QINYUAN))
    run("vault", dict(config, DATABASE_URL=f"sqlite:///{tmp_path / 'vault.sqlite3'}",
                      **services.settings("vault", tmp_path)))
    port, portal_dir = free_port(), tmp_path / "portal"
    database = f"sqlite:///{tmp_path / 'disclosure.sqlite3'}"
    run("disclosure", dict(
        config, DATABASE_URL=database, DISCLOSURE_PORTAL_DIR=str(portal_dir),
        WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", VAULT="required",
        RENDERER="absent", RECORD_KEEPER="absent",
        DISCLOSURE_FORM_ACTION="/disclosure/corrections"))
    _answering(config, ("vault", "disclosure"))
    token = token_issuer.issue(actor_id="publisher-qy-1", role="publisher", agency=QINYUAN,
                               name="publisher")
    with ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30) as rpc:
        pub = rpc.disclosure.create_draft(**draft_request())
        rpc.disclosure.review_publication(publication_id=pub["id"], outcome="publish")
    _waited_for(portal_dir / "correction" / f"{pub['id']}.html")
    portal = serve(portal_dir, proxy={"/disclosure/": f"http://127.0.0.1:{port}"})
    evidence = tmp_path / "送达回证.pdf"
    evidence.write_bytes(PDF)

    # the service's answer forbids every script (Content-Security-Policy default-src 'none'):
    # axe is let in by the test's browser, as a reader's browser would never do
    watched = browser_context(bypass_csp=True)
    page = watched.page()
    page.goto(f"{portal.url}p/{pub['id']}.html")
    href = page.get_by_role("link", name="申请更正").get_attribute("href")
    assert href is not None and href.endswith(f"correction/{pub['id']}.html")
    page.goto(f"{portal.url}correction/{pub['id']}.html")
    assert axe_violations(page) == []
    page.get_by_label("申请人姓名或名称").fill("张某某")
    page.get_by_label("联系方式").fill("13912345678")
    page.get_by_label("存在的问题").fill("公示的罚款金额与决定书不一致")
    page.get_by_label("请求更正的内容").fill("罚款金额应为人民币陆千元")
    page.get_by_label("证明材料").set_input_files(str(evidence))
    page.get_by_role("button", name="提交更正申请").click()
    page.get_by_role("heading", name="更正申请已受理").wait_for()
    number = page.locator("strong").first.inner_text()
    assert re.fullmatch(r"更正〔\d{4}〕1号", number), number
    assert axe_violations(page) == []
    assert watched.problems == []

    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            [row] = conn.execute(text(
                "SELECT number, channel, attachments, publication_id FROM corrections")
            ).mappings().all()
    finally:
        engine.dispose()
    assert (row["number"], row["channel"], row["publication_id"]) == (number, "portal",
                                                                      pub["id"])
    attachments = row["attachments"]
    if isinstance(attachments, str):
        attachments = json.loads(attachments)
    [kept] = attachments
    assert kept["media_type"] == "application/pdf" and kept["size"] == len(PDF)
