"""The agency's findings are a recorded read (002 第十九条); the archive_due.v1 example as the
service emits it; the 股室 label of stored AV (001 附件2 第七条).
Every test runs on SQLite and on PostgreSQL (the `db_url` fixture of tests/conftest.py)."""
from __future__ import annotations

import copy
from datetime import datetime

import pytest
from sqlalchemy import select

from contracts.records import CONTRACT
from services.records import domain, findings, queries, usecases
from services.records.models import access_log
from shared import demo_case
from shared import rules as rulebook
from shared.clock import local_date
from shared.contracts import load
from shared.db import make_engine, migrate, open_db
from shared.errors import ValidationFailed
from shared.keys import KeyStore
from shared.rules import Rules
from tests.unit.records.conftest import AGENCIES as BASE_AGENCIES
from tests.unit.records.conftest import Env, actor

AGENCIES = {**BASE_AGENCIES, "anze-county": {"name": "安泽县司法局", "ruleset": "anze-county"}}
LC, QY, ZC, AZ = "lingchuan-emergency", "qinyuan-energy", "zhoucun-district", "anze-county"
QUERIES = {"get_case", "get_entries", "list_cases"}


@pytest.fixture
def env(db_url, tmp_path):
    engine = make_engine(db_url)
    migrate(engine, "services.records:migrations")
    yield Env(open_db(engine), Rules.from_config({"AGENCIES": AGENCIES}),
              KeyStore(tmp_path / "keys"))
    engine.dispose()


def call(env, method, payload, who):
    """A use case as its RPC runs it: the request loaded by the contract first."""
    request = load(CONTRACT.rpc(method).request, payload, what=method)
    if method in QUERIES:
        return getattr(queries, method)(request, actor=who, db=env.db, now=env.now)
    return getattr(usecases, method)(request, actor=who, **env.deps())


def t(day: str, hm: str = "10:00") -> str:
    return f"2025-10-{day}T{hm}:00+08:00"


def open_case(env, agency, case_no, stage="investigation") -> str:
    payload = copy.deepcopy(demo_case.steps(case_no)[0].payload({}))
    payload.update(agency=agency, occurred_at=t("09", "08:00"))
    case_id = call(env, "open_case", payload, actor(agency=agency))["id"]
    for to in ("investigation", "decision", "service_execution"):
        if domain.STAGES.index(to) > domain.STAGES.index(stage):
            break
        call(env, "advance_stage", {"case_id": case_id, "to_stage": to,
                                    "occurred_at": t("09", "09:00")}, actor(agency=agency))
    return case_id


def record_av(env, case_id, agency, situations, **extra):
    return call(env, "record_av", {
        "case_id": case_id, "party": "某公司", "handler": "李明", "device_no": "ZFJLY-0031",
        "started_at": t("10", "09:00"), "ended_at": t("10", "09:40"), "place": "现场",
        "opening_statement_made": True, "situations": list(situations),
        "media": {"object_ref": "vault://av/x.mp4", "sha256": "ab" * 32, "size_bytes": 1,
                  "format": "mp4"}, "stored_at": t("10", "17:00"), **extra},
        actor(agency=agency))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- 3. the agency's findings are a recorded read -----------------------------------------

def test_agency_findings_leave_an_access_row(env):
    open_case(env, LC, "陵应急立〔2025〕44号")
    findings.for_agency({"agency": LC}, actor=actor("supervisor", LC, id="sup-7"), db=env.db,
                        rules=env.rules, now=env.now)
    with env.db.read() as s:
        rows = s.execute(select(access_log.c.actor_id, access_log.c.action,
                                access_log.c.case_id, access_log.c.agency,
                                access_log.c.outcome, access_log.c.reason)
                         .where(access_log.c.action == "agency_findings")).all()
    assert rows == [("sup-7", "agency_findings", None, None, "granted",
                     f"agency={LC}")]


# --- 4. the archive_due.v1 example is what the service emits ------------------------------

def test_archive_due_example_is_the_services_own(env):
    example = CONTRACT.event("archive_due.v1").example
    closed = CONTRACT.rpc("close_case")
    rs = env.rules.ruleset("lingchuan-emergency")
    period = rs.period("case_archive")
    closed_on = local_date(when(closed.example_request["closed_at"]))
    due = env.rules.calendar.due(closed_on, period.amount, period.unit, rule=period.name,
                                 basis=period.basis, agency=LC).to_dict()
    assert example["due"] == due == closed.example_response["deadline"]
    # the example case is a penalty whose AV is its evidence (000 第三十六条第一款（一）)
    assert example["retention"] == rulebook.retention_classes(rs, {"penalty_evidence"})
    # and it has every field the service's own event has
    case_id = open_case(env, LC, "陵应急立〔2025〕45号")
    call(env, "close_case", {"case_id": case_id, "closed_at": closed.example_request["closed_at"],
                             "reason": "不予处罚"}, actor(agency=LC))
    emitted = env.events("archive_due.v1")[0]["data"]
    assert emitted.keys() == example.keys() and emitted["due"] == due


def test_record_av_example_deadline_is_the_rule_sets_storage_period(env):
    rpc = CONTRACT.rpc("record_av")
    period = env.rules.ruleset("lingchuan-emergency").period("av_storage")
    due = env.rules.calendar.due(local_date(when(rpc.example_request["ended_at"])), period.amount,
                                 period.unit, rule=period.name, basis=period.basis, agency=LC)
    assert rpc.example_response["deadline"] == due.to_dict()


# --- 5. the 股室 label of stored AV -------------------------------------------------------

def test_av_record_carries_its_unit(env):
    case_id = open_case(env, LC, "陵应急立〔2025〕46号")
    seq = record_av(env, case_id, LC, ["onsite_inspection"], unit="执法监察股")["seq"]
    bare = record_av(env, case_id, LC, ["onsite_inspection"])["seq"]
    entries = call(env, "get_entries", {"case_id": case_id, "from_seq": seq, "limit": 2},
                   actor("head"))
    assert [(e["seq"], e["content"]["unit"]) for e in entries] == [(seq, "执法监察股"), (bare, None)]
    with pytest.raises(ValidationFailed) as err:
        record_av(env, case_id, LC, [], unit="")
    assert list(err.value.details) == ["unit"]
