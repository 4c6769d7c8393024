"""Officers on the register, over real RabbitMQ: the record keeper and the disclosure publisher
each on its own database (SQLite; PostgreSQL for both), the agency's officers register imported
with one officer valid and one whose certificate had expired; a case whose records name each of
them and one the register does not know — the findings raise officer_unqualified and
officer_unknown, each naming the record, the officer, the day and the rule set's article, and
nothing for the valid one; and with the publisher not deployed, the case has one
officer_unverified naming every officer left unchecked, never a silent pass."""
from __future__ import annotations

import base64
import io

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

from services.disclosure import spreadsheets
from services.disclosure.service import DisclosureService
from services.records.service import RecordsService
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, OFFICERS, demo_plan, step_request
from tests.plans import run_case

AGENCIES = agencies(LINGCHUAN)
AV_STEPS = ("onsite_video", "preservation_video")
VALID, EXPIRED = OFFICERS[0]["certificate_no"], OFFICERS[1]["certificate_no"]
UNKNOWN = "14052100099"
# 陵川's seeds are silent on officers' qualification: base's article
ARTICLE = "行政处罚法 第四十二条第一款（行政处罚应当由具有行政执法资格的执法人员实施）"


def workbook() -> str:
    book = load_workbook(io.BytesIO(spreadsheets.template()))
    sheet = book["行政执法人员清单"]
    sheet.append([OFFICERS[0]["name"], "陵川县应急管理局", "执法大队", "执法队员", VALID,
                  "2023-03-01", "2027-02-28", "行政检查、行政处罚", "陵川县"])
    sheet.append([OFFICERS[1]["name"], "陵川县应急管理局", "执法大队", "执法队员", EXPIRED,
                  "2021-03-01", "2025-09-30", "行政检查、行政处罚", "陵川县"])
    out = io.BytesIO()
    book.save(out)
    return base64.b64encode(out.getvalue()).decode("ascii")


def start(request, container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer,
          *, disclosure: bool, presence: str | None = None):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    if disclosure:
        url = (request.getfixturevalue("make_pg_database")() if db_url.startswith("postgres")
               else f"sqlite:///{tmp_path / 'disclosure.sqlite3'}")
        container_factory(DisclosureService, dict(
            config, DATABASE_URL=url, DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))).start()
    container_factory(RecordsService, dict(
        config, DATABASE_URL=db_url, VAULT="absent",
        DISCLOSURE=presence or ("required" if disclosure else "absent"))).start()

    def rpc(role="officer"):
        token = token_issuer.issue(actor_id=ACTORS.get(role, f"{role}-1"), role=role,
                                   agency=AGENCY, name=ACTORS.get(role, role))
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=60)
    return rpc


def case_naming_three(rpc, case_no: str) -> str:
    """The demo case through its interview (the valid and the expired officer named on 10-09
    and 10-10), and a record of 10-10 naming an officer the register does not know."""
    plan = [s for s in demo_plan(case_no, with_review=False, before="evidence_preserved")
            if s.name not in AV_STEPS]
    case_id = run_case(rpc, plan)["case_id"]
    stranger = [{"name": "刘某", "certificate_no": UNKNOWN, "certificate_shown": True}]
    request = step_request("interview", case_id, case_no=case_no)
    request["content"] = dict(request["content"], officers=stranger,
                              document_no="陵应急询〔2025〕32号")
    with rpc("officer") as officer:
        officer.records.append_record(**request)
    return case_id


def officer_findings(rpc, case_id: str) -> list[dict]:
    with rpc("head") as head:
        found = head.records.case_findings(case_id=case_id)
    return [f for f in found if f["code"].startswith("officer_")]


def test_an_expired_and_an_unknown_officer_are_found_the_valid_one_is_not(
        request, container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    rpc = start(request, container_factory, rabbit_config, db_url, tmp_path, keys_dir,
                token_issuer, disclosure=True)
    with rpc("publisher") as publisher:
        publisher.disclosure.import_register(agency=LINGCHUAN, workbook_base64=workbook())
    case_id = case_naming_three(rpc, "陵应急立〔2025〕801号")
    found = officer_findings(rpc, case_id)
    assert {f["officer"]["certificate_no"] for f in found} == {EXPIRED, UNKNOWN}
    expired = [f for f in found if f["officer"]["certificate_no"] == EXPIRED]
    assert {f["code"] for f in expired} == {"officer_unqualified"}
    # each record naming the expired officer: the 10-09 inspection, the 10-10 亮证 and interview
    assert len(expired) == 3 and all(f["article"].startswith(ARTICLE) for f in found)
    assert sorted(f["officer"]["on"] for f in expired) == ["2025-10-09", "2025-10-10",
                                                           "2025-10-10"]
    first = next(f for f in expired if f["officer"]["on"] == "2025-10-09")
    assert first["officer"] == {
        "certificate_no": EXPIRED, "name": OFFICERS[1]["name"], "on": "2025-10-09",
        "status": "expired", "reason": first["officer"]["reason"]}
    assert "2025-09-30" in first["message"] and EXPIRED in first["message"]
    assert first["at"].startswith("2025-10-09T06:30:00")   # the record's time, as kept (UTC)
    [unknown] = [f for f in found if f["officer"]["certificate_no"] == UNKNOWN]
    assert unknown["code"] == "officer_unknown"
    assert (unknown["officer"]["status"], unknown["officer"]["on"]) == ("unknown_officer",
                                                                        "2025-10-10")
    assert "刘某" in unknown["message"]


@pytest.mark.parametrize(("presence", "why"), [
    ("absent", "本部署未部署行政执法公示服务"),
    # said to be deployed but not running: its silence is no pass either
    ("required", "行政执法公示服务（disclosure）未响应")])
def test_without_the_publisher_the_officers_named_are_one_unverified_finding(
        request, container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer,
        presence, why):
    rpc = start(request, container_factory, rabbit_config, db_url, tmp_path, keys_dir,
                token_issuer, disclosure=False, presence=presence)
    case_id = case_naming_three(rpc, "陵应急立〔2025〕802号")
    [found] = officer_findings(rpc, case_id)
    assert found["code"] == "officer_unverified" and found["article"].startswith(ARTICLE)
    assert all(no in found["message"] for no in (VALID, EXPIRED, UNKNOWN))
    assert why in found["message"]
    with rpc("head") as head:
        page = head.records.agency_findings_v2(agency=AGENCY, limit=10)
    assert [f["code"] for f in page["items"] if f["code"].startswith("officer_")] == [
        "officer_unverified"]
