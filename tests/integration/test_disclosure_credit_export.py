"""The 双公示 file over real RabbitMQ (a vhost per test; SQLite and PostgreSQL): a company's and a
person's penalty published, the file asked of the service as the publisher — each template
holding its kind of party, read back by openpyxl (.xlsx) and as CSV with a BOM, the person's ID
number masked — and a bad template or format refused naming the field, the refusal logged by the
service at INFO without a traceback; a caller of another role is refused."""
from __future__ import annotations

import base64
import copy
import csv
import io
import logging

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

from contracts.disclosure import CONTRACT
from services.disclosure.domain import redaction as rd
from shared.errors import Forbidden, ValidationFailed
from tests import suite as services
from tests.agencies import QINYUAN, agencies

ID = "14043119900101123" + rd.id_check_char("14043119900101123")
PERSON = {"kind": "individual", "name": "王小明", "credit_code": None, "representative": None,
          "id_type": "身份证", "id_number": ID}
RANGE = {"agency": QINYUAN, "from": "2025-10-01", "to": "2025-12-31"}


@pytest.fixture
def disclosure(container_factory, rabbit_config, db_url, keys_dir, token_issuer, tmp_path):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(QINYUAN),
                  DATABASE_URL=db_url, DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))
    container_factory(services.classes()["disclosure"], config).start()

    def as_person(role: str):
        token = token_issuer.issue(actor_id=f"{role}-qy-1", role=role, agency=QINYUAN,
                                   name=role)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30)
    return as_person


def publish(proxy, **changes) -> None:
    request = copy.deepcopy(CONTRACT.rpc("create_draft").example_request)
    request.update(changes)
    draft = proxy.disclosure.create_draft(**request)
    proxy.disclosure.review_publication(publication_id=draft["id"], outcome="publish")


def test_both_templates_are_exported_and_read_back(disclosure):
    with disclosure("publisher") as publisher:
        publish(publisher, decision_no="沁能罚〔2025〕61号")
        publish(publisher, decision_no="沁能罚〔2025〕62号", party=PERSON,
                facts="未按规定进行安全培训", fine_amount="5000")
        organisations = publisher.disclosure.export_credit(
            template="legal_person", format="xlsx", **RANGE)
        people = publisher.disclosure.export_credit(template="natural_person", format="csv",
                                                    **RANGE)
    book = load_workbook(io.BytesIO(base64.b64decode(organisations["content_base64"])))
    header, *rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
    assert organisations["rows"] == len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["行政处罚决定书文号"] == "沁能罚〔2025〕61号"
    assert row["行政相对人类别"] == "法人及非法人组织" and "证件号码" not in row
    assert organisations["filename"].endswith(".xlsx")
    blob = base64.b64decode(people["content_base64"])
    assert blob.startswith("\ufeff".encode()) and people["rows"] == 1
    header, *rows = list(csv.reader(io.StringIO(blob.decode("utf-8-sig"))))
    person = dict(zip(header, rows[0], strict=True))
    assert (person["行政相对人名称"], person["证件号码"]) == ("王某", ID[:6] + "********" + ID[-4:])
    assert person["罚款金额（万元）"] == "0.5" and "统一社会信用代码" not in person


def test_a_bad_template_or_format_is_refused_naming_the_field_and_logged(disclosure, caplog):
    caplog.set_level(logging.INFO, logger="nameko")
    with disclosure("publisher") as publisher:
        for field, value in (("template", "sole_trader"), ("format", "pdf")):
            request = {**RANGE, "template": "legal_person", "format": "csv", field: value}
            with pytest.raises(ValidationFailed) as refused:
                publisher.disclosure.export_credit(**request)
            assert list(refused.value.details) == [field]
    with disclosure("head") as head, pytest.raises(Forbidden):
        head.disclosure.export_credit(template="legal_person", format="csv", **RANGE)
    handled = [r for r in caplog.records if r.name == "nameko.containers"
               and r.getMessage().startswith("refused <WorkerContext [disclosure.export_credit]")]
    assert len(handled) == 3, [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in handled)
