"""The registers on the public portal over real RabbitMQ (a vhost per test): import_register
with a reason emits register_revised.v1, which the service consumes itself and writes the
agency's register pages — the officers page showing only the officers whose certificate is
valid today, the revision and its reason."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from tests import suite as services
from tests.agencies import QINYUAN, agencies
from tests.integration.test_disclosure_registers import OFFICER, workbook

CURRENT = ["李某", "沁源县能源局", None, "科员", "14043100456", None, "2099-12-31", "行政检查",
           "沁源县"]


@pytest.fixture
def disclosure(container_factory, rabbit_config, db_url, keys_dir, token_issuer, tmp_path):
    portal = tmp_path / "portal"
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(QINYUAN),
                  DATABASE_URL=db_url, DISCLOSURE_PORTAL_DIR=str(portal))
    container_factory(services.classes()["disclosure"], config).start()
    token = token_issuer.issue(actor_id="publisher-qy-1", role="publisher", agency=QINYUAN,
                               name="publisher")
    return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20), portal


def waited(path: Path, shown: str, seconds: float = 30) -> str:
    """The page once it shows `shown` (the event travels the broker to the service's handler)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and shown in (text := path.read_text(encoding="utf-8")):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{path} never showed {shown}")


def test_an_import_reaches_the_portal_through_the_service_own_event(disclosure):
    proxy, portal = disclosure
    base = portal / "agency" / QINYUAN / "registers"
    with proxy as rpc:
        done = rpc.disclosure.import_register(
            agency=QINYUAN, workbook_base64=workbook(OFFICER, CURRENT), reason="law_changed",
            reason_text="《行政处罚法》修订")
        assert done["registers"][0]["revision"] == 1
        page = waited(base / "officers.html", "李某")
        # 王某's certificate ended on 2025-10-31: not on the public register
        assert "王某" not in page and "14043100123" not in page
        assert "法律、法规、规章立改废释：《行政处罚法》修订" in page
        assert "registers/" in waited(portal / "index.html", "事前公开信息")
        got = rpc.disclosure.get_register(agency=QINYUAN, kind="officers")
        assert got["revisions"][0]["reason"] == "law_changed"
