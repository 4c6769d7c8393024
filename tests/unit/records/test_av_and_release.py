"""The agency's findings are a recorded read (002 第十九条).
Every test runs on SQLite and on PostgreSQL (the `db_url` fixture of tests/conftest.py)."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from contracts.records import CONTRACT
from services.records import domain, findings, queries, usecases
from services.records.models import access_log
from shared import demo_case
from shared.contracts import load
from shared.db import make_engine, migrate, open_db
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
