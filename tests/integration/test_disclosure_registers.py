"""The registers published before enforcement over real RabbitMQ (a vhost per test): an agency's
workbook travels base64 in import_register, a broken cell comes back as validation_failed naming
sheet, row and column with nothing recorded, the register is read back and an officer's
qualification asked — by a person and, as itself, by the record keeper."""
from __future__ import annotations

import base64
import io

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

from services.disclosure import spreadsheets
from shared.errors import ValidationFailed
from shared.trust.actor import ServiceIdentity
from tests import suite as services
from tests.agencies import QINYUAN, agencies

OFFICER = ["王某", "沁源县能源局", "执法监察大队", "执法队员", "14043100123", "2023-03-01",
           "2025-10-31", "行政检查、行政处罚", "沁源县"]


def workbook(*rows: list) -> str:
    book = load_workbook(io.BytesIO(spreadsheets.template()))
    for row in rows:
        book["行政执法人员清单"].append(row)
    out = io.BytesIO()
    book.save(out)
    return base64.b64encode(out.getvalue()).decode("ascii")


@pytest.fixture
def disclosure(container_factory, rabbit_config, db_url, keys_dir, token_issuer, tmp_path):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(QINYUAN),
                  DATABASE_URL=db_url, DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))
    container_factory(services.classes()["disclosure"], config).start()

    def as_person(role: str):
        token = token_issuer.issue(actor_id=f"{role}-qy-1", role=role, agency=QINYUAN,
                                   name=role)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20)

    def as_service(name: str):
        identity = ServiceIdentity.from_config(config, name)
        token = identity.token(agency=QINYUAN, audience="disclosure")
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20)

    return as_person, as_service


def test_a_workbook_is_imported_read_back_and_asked_over_rpc(disclosure):
    as_person, as_service = disclosure
    bad = list(OFFICER)
    bad[6] = "2025/02/30"
    with as_person("publisher") as publisher:
        with pytest.raises(ValidationFailed) as refused:
            publisher.disclosure.import_register(agency=QINYUAN,
                                                 workbook_base64=workbook(OFFICER, bad))
        assert "officers.3.valid_until" in refused.value.details
        assert publisher.disclosure.get_register(agency=QINYUAN, kind="officers")[
            "revision"] == 0
        done = publisher.disclosure.import_register(agency=QINYUAN,
                                                    workbook_base64=workbook(OFFICER))
        assert done["registers"][0]["revision"] == 1
        got = publisher.disclosure.get_register(agency=QINYUAN, kind="officers")
        assert got["entries"][0]["values"]["certificate_no"] == "14043100123"
        verdict = publisher.disclosure.officer_qualified(
            agency=QINYUAN, certificate_no="14043100123", on="2025-11-01")
        assert verdict["status"] == "expired"
    with as_service("records") as records:
        verdict = records.disclosure.officer_qualified(
            agency=QINYUAN, certificate_no="14043100123", on="2025-10-31")
        assert verdict["qualified"] is True
