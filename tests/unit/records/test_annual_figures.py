"""The record keeper's figures of an agency's year for the annual statistics report
(records.annual_figures): pure counts by kind, and the query on SQLite and PostgreSQL — the
year's cases of the agency only, the inspection plan named missing, never zero; the read
recorded; the disclosure publisher admitted as itself by the contract's grant."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.records import CONTRACT
from services.records import queries
from services.records.domain import annual
from services.records.models import access_log
from shared.errors import Forbidden
from shared.trust.actor import Actor
from tests.unit.records.support import actor, open_case, t

LC, QY = "lingchuan-emergency", "qinyuan-energy"


def test_penalties_and_coercion_are_counted_by_kind():
    year = annual.Year(
        cases=[annual.Case("penalty", "complaint", "approved"),
               annual.Case("penalty", "complaint", "not_started"),
               annual.Case("inspection", "ex_officio", "approved")],
        decisions=[annual.Decision("penalty", ("warning",), Decimal("5000"), major=False),
                   annual.Decision("penalty", (), Decimal("60000"), major=True),
                   annual.Decision("coercion")],
        situations=["seize", "seize", "seal", "onsite_inspection", "random_inspection"])
    figures = annual.figures(year)
    assert figures["penalties"] == {
        "decisions": 2, "major": 1, "fines_total": "65000",
        "by_kind": [{"code": "fine", "label": "罚款", "count": 2},
                    {"code": "warning", "label": "警告", "count": 1}]}
    assert figures["coercive_measures"] == {"decisions": 1, "by_kind": [
        {"code": "seize", "label": "扣押财物", "count": 2},
        {"code": "seal", "label": "查封场所、设施或者财物", "count": 1}]}
    assert figures["complaints"]["received"] == 2
    assert [i["code"] for i in figures["complaints"]["by_kind"]] == [
        "complaint:approved", "complaint:not_started"]
    plan = figures["inspection_plan"]
    assert (plan["inspection_cases"], plan["random_inspections"], plan["planned"]) == (1, 1, None)
    assert plan["missing"]["figure"] == "planned"


@pytest.fixture
def env(env_db):
    return env_db


def test_the_query_counts_the_agencys_year_and_records_the_read(env):
    open_case(env, LC, "陵应急立〔2025〕1号", opened=t("2025-03-01"))
    open_case(env, LC, "陵应急立〔2025〕2号", opened=t("2025-12-31", "23:30"),
              act_type="inspection")
    open_case(env, LC, "陵应急立〔2026〕1号", opened=t("2026-01-01", "00:10"))
    open_case(env, QY, "沁能立〔2025〕1号", opened=t("2025-05-01"))
    answer = queries.annual_figures({"agency": LC, "year": 2025}, actor=actor("head", LC),
                                    db=env.db, rules=env.rules, now=env.now)
    figures = answer["figures"]
    assert figures["cases_opened"] == 2   # China time: 23:30 on 31 December is still 2025
    assert figures["cases_by_act_type"] == [{"code": "inspection", "count": 1},
                                            {"code": "penalty", "count": 1}]
    assert figures["penalties"]["decisions"] == 0
    assert figures["inspection_plan"]["planned"] is None
    with env.db.read() as s:
        logged = s.execute(select(access_log.c.action, access_log.c.outcome)
                           .where(access_log.c.action == "annual_figures")).all()
    assert [tuple(r) for r in logged] == [("annual_figures", "granted")]


def test_another_agency_and_a_service_without_the_grant_are_refused(env):
    with pytest.raises(Forbidden):
        queries.annual_figures({"agency": LC, "year": 2025}, actor=actor("head", QY),
                               db=env.db, rules=env.rules, now=env.now)
    spec = CONTRACT.rpc("annual_figures")
    disclosure = Actor(id="disclosure", role="service", agency=LC)
    assert spec.admit(disclosure).granted
    with pytest.raises(Forbidden):
        spec.admit(replace(disclosure, id="review"))
