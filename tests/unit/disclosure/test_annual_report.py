"""The annual statistics report (000《公示办法》第十六条, 003 二(一)1(3)) and the
supervisor's view of 004 第五十七条: the due day and audience from the rule set, the
publisher's own figures as pure functions, figures the record keeper did not give named as gaps
(never zeros), each compile a version kept, publishing a leaf of the agency's log, the yearly
timer once per agency and year, a late withdrawal flagged under 第五十七条（三）,
publication_withheld.v1 on a withholding."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.disclosure import models, queries, usecases
from services.disclosure.domain import annual
from services.disclosure.usecases import annual as annual_usecases
from shared.errors import DomainRuleViolated
from tests import agencies
from tests.unit.disclosure.support import HEAD, PUBLISHER, RULES, Env, actor, draft_request, rpc

SUPERVISOR = actor("supervisor", agency=agencies.ZHOUCUN, id="supervisor-1")
JAN_5 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)      # 10:00 CST, a Monday


def _rs(code: str):
    return RULES.agency(code).ruleset


# ---- the due day and the audience (pure) ----------------------------------------------------

def test_qinyuan_reports_by_10_january_to_government_and_superior_and_publishes_the_data():
    due = annual.due_of(_rs(agencies.QINYUAN), 2025)
    assert due.due == date(2026, 1, 10)
    assert due.recipients == ("government", "superior")
    # 第十一条（二）: 上年度行政执法数据 is among what it publishes after the fact
    assert due.public is True
    assert "000《公示办法》第十六条" in due.basis
    assert set(due.figures) == set(annual.FIGURE_GROUPS)


def test_changzhi_publishes_by_31_january():
    due = annual.due_of(_rs(agencies.CHANGZHI), 2025)
    assert (due.due, due.public) == (date(2026, 1, 31), True)
    assert "public" in due.recipients and due.basis == "003 二(一)1(3)"


def test_working_days_left_come_from_the_legal_calendar():
    due = annual.due_of(_rs(agencies.QINYUAN), 2025)
    # 2026-01-05 (Mon) to 2026-01-10 (Sat): Mon–Fri are working days
    left = annual.workdays_left(RULES.calendar, due, date(2026, 1, 5), agencies.QINYUAN)
    assert left == RULES.calendar.workdays_between(date(2026, 1, 5), date(2026, 1, 10),
                                                   agencies.QINYUAN)
    assert 0 < left <= 5
    assert annual.workdays_left(RULES.calendar, due, date(2026, 1, 20), agencies.QINYUAN) < 0
    assert annual.is_overdue(due, date(2026, 1, 11), published=False)
    assert not annual.is_overdue(due, date(2026, 1, 10), published=False)
    assert not annual.is_overdue(due, date(2026, 2, 1), published=True)


# ---- the publisher's own figures (pure) -----------------------------------------------------

def _pub(id: str, act_type: str, decided: str, state: str, **more) -> dict:
    return {"id": id, "decision_no": f"沁能罚〔2025〕{id}号", "act_type": act_type,
            "decision_date": date.fromisoformat(decided), "state": state,
            "due": date.fromisoformat(more.pop("due", "2025-12-31")), "review": None,
            "withdrawal": None, "published": None, "published_on": None,
            "display_until": None, **more}


PUBS = [
    _pub("1", "penalty", "2025-03-01", "published", published={}, due="2025-03-10",
         published_on=date(2025, 3, 12),
         review={"outcome": "publish", "grounds": [], "at": "2025-03-12T02:00:00+00:00"}),
    _pub("2", "licence", "2025-05-01", "published", published={}, due="2025-05-12",
         published_on=date(2025, 5, 6),
         review={"outcome": "partial", "at": "2025-05-06T02:00:00+00:00",
                 "grounds": [{"code": "privacy", "label": "涉及个人隐私的执法案件信息"}]}),
    _pub("3", "penalty", "2025-06-01", "withheld", due="2025-06-10",
         review={"outcome": "withhold", "at": "2025-06-03T02:00:00+00:00",
                 "grounds": [{"code": "state_secret", "label": "依法确定为国家秘密的信息"}]}),
    _pub("4", "penalty", "2025-07-01", "withdrawn", published={}, due="2025-07-10",
         published_on=date(2025, 7, 2),
         review={"outcome": "publish", "grounds": [], "at": "2025-07-02T02:00:00+00:00"},
         withdrawal={"ground": "revoked", "reason": "撤销", "decided_on": "2025-09-01",
                     "due": "2025-09-04", "late": True, "at": "2025-09-10T02:00:00+00:00"}),
    _pub("5", "penalty", "2025-12-20", "draft", due="2025-12-29"),
    _pub("6", "penalty", "2024-12-01", "published", published={}, due="2024-12-10",
         published_on=date(2024, 12, 2)),
]
CORRECTIONS = [{"publication_id": "1", "number": "更正〔2025〕1号", "year": 2025,
                "state": "answered", "created_at": datetime(2025, 4, 1, tzinfo=UTC)},
               {"publication_id": "2", "number": "更正〔2025〕2号", "year": 2025,
                "state": "filed", "created_at": datetime(2025, 6, 1, tzinfo=UTC)}]


def test_the_publishers_figures_count_the_year_by_kind():
    figures = annual.own_figures(PUBS, CORRECTIONS, 2025, date(2026, 1, 5))
    assert figures["publications"] == {
        "decisions": 5, "published": 3, "published_late": 1, "overdue_unpublished": 1,
        "by_act_type": [{"code": "penalty", "label": "行政处罚", "count": 2},
                        {"code": "licence", "label": "行政许可", "count": 1}]}
    assert figures["withheld"] == {"whole": 1, "part": 1, "by_ground": [
        {"code": "privacy", "label": "涉及个人隐私的执法案件信息", "count": 1},
        {"code": "state_secret", "label": "依法确定为国家秘密的信息", "count": 1}]}
    assert figures["withdrawals"] == {"withdrawn": 1, "late": 1, "by_ground": [
        {"code": "revoked", "label": "被撤销", "count": 1}]}
    assert figures["corrections"]["filed"] == 2
    assert {i["code"] for i in figures["corrections"]["by_outcome"]} == {"answered", "filed"}
    assert figures["overdue"] == {"published_late": 1, "overdue_unpublished": 1}


def test_figures_the_record_keeper_did_not_give_are_gaps_never_zeros():
    due = annual.due_of(_rs(agencies.QINYUAN), 2025)
    own = annual.own_figures(PUBS, CORRECTIONS, 2025, date(2026, 1, 5))
    figures, gaps = annual.merge_figures(due, own, None, "记录保管服务未部署")
    assert set(figures) == {"publications", "withheld", "corrections", "withdrawals", "overdue"}
    assert {g["figure"] for g in gaps} == set(annual.RECORD_GROUPS)
    assert all(g["reason"] == "记录保管服务未部署" for g in gaps)
    rows = annual.statistics_rows(figures)
    assert not any(r["category"] == annual.FIGURE_GROUPS["penalties"] for r in rows)


def test_supervision_flags_a_late_withdrawal_a_late_publication_and_an_open_request():
    found = annual.supervision("qinyuan-energy", PUBS, CORRECTIONS, date(2025, 1, 1),
                               date(2025, 12, 31), date(2026, 1, 5))
    items = {i["code"]: i for i in found["items"]}
    assert [(p["kind"], p["decision_no"], p["due"], p["on"])
            for p in items["not_updated"]["publications"] if "decision_no" in p] == [
        ("withdrawn_late", "沁能罚〔2025〕4号", "2025-09-04", "2025-09-10")]
    assert [p["correction"] for p in items["not_updated"]["publications"]
            if p["kind"] == "correction_unanswered"] == ["更正〔2025〕2号"]
    assert [(p["kind"], p["decision_no"]) for p in items["not_published"]["publications"]] == [
        ("published_late", "沁能罚〔2025〕1号"), ("overdue", "沁能罚〔2025〕5号")]
    assert items["published_forbidden"]["count"] == 0
    assert items["not_updated"]["article"] == "004 第五十七条（三）"


# ---- the use cases on SQLite and PostgreSQL -------------------------------------------------

def published(env: Env, **changes) -> dict:
    pub = env.call(usecases.create_draft, "create_draft", draft_request(**changes), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def compile_(env: Env, key: str | None = None, year: int = 2025) -> dict:
    return rpc(env, annual_usecases.compile_annual_report, "compile_annual_report",
               {"agency": agencies.QINYUAN, "year": year}, PUBLISHER, key=key)


def test_compiling_without_the_record_keeper_names_its_figures_missing(env_db: Env):
    published(env_db)
    env_db.now = JAN_5
    report = rpc(env_db, annual_usecases.compile_annual_report, "compile_annual_report",
                 {"agency": agencies.QINYUAN, "year": 2025}, PUBLISHER, key="c-1")
    assert (report["version"], report["versions"], report["state"]) == (1, 1, "compiled")
    assert report["figures"]["publications"]["published"] == 1
    assert "penalties" not in report["figures"]
    assert {g["figure"] for g in report["gaps"]} == set(annual.RECORD_GROUPS)
    assert all("记录保管服务" in g["reason"] for g in report["gaps"])
    # the same call redelivered is one version; a recompile is the next, the first kept
    assert compile_(env_db, key="c-1") == report
    again = compile_(env_db, key="c-2")
    assert (again["version"], again["versions"]) == (2, 2)
    assert len(env_db.rows(models.annual_reports)) == 2
    first = env_db.call(queries.get_annual_report, "get_annual_report",
                        {"agency": agencies.QINYUAN, "year": 2025, "version": 1}, PUBLISHER)
    assert first["id"] == report["id"]


def test_a_year_not_over_is_refused_and_recorded(env: Env):
    env.now = JAN_5
    with pytest.raises(DomainRuleViolated) as exc:
        rpc(env, annual_usecases.compile_annual_report, "compile_annual_report",
            {"agency": agencies.QINYUAN, "year": 2026}, PUBLISHER)
    assert exc.value.code == "year_not_over"
    assert env.rows(models.annual_reports) == []
    assert [r["action"] for r in env.log()][-1] == "refused"


def test_publishing_appends_a_leaf_and_emits_once(env: Env):
    published(env)
    env.now = JAN_5
    compile_(env)
    leaves = len(env.rows(models.merkle_leaves))
    done = rpc(env, annual_usecases.publish_annual_report, "publish_annual_report",
               {"agency": agencies.QINYUAN, "year": 2025}, PUBLISHER, key="p-1")
    assert done["state"] == "published" and done["published"]["late"] is False
    assert len(env.rows(models.merkle_leaves)) == leaves + 1
    [event] = env.events("annual_report_published.v1")
    assert event["data"]["report_id"] == done["id"]
    assert event["data"]["leaf_index"] == done["published"]["leaf_index"]
    with pytest.raises(DomainRuleViolated) as exc:
        rpc(env, annual_usecases.publish_annual_report, "publish_annual_report",
            {"agency": agencies.QINYUAN, "year": 2025}, PUBLISHER, key="p-2")
    assert exc.value.code == "annual_report_published"


def test_the_timer_compiles_once_and_notices_an_overdue_report_once(env_db: Env):
    published(env_db)
    env_db.now = JAN_5
    deps: dict[str, Any] = dict(db=env_db.db, outbox=env_db.outbox, rules=env_db.rules,
                                records=None)
    first = annual_usecases.check_annual_reports(now=env_db.now, **deps)
    second = annual_usecases.check_annual_reports(now=env_db.now, **deps)
    served = [c for c, a in env_db.rules.agencies.items()
              if a.ruleset.section("disclosure").get("annual_report")]
    assert first["compiled"] == len(served) and second["compiled"] == 0
    qinyuan = [r for r in env_db.rows(models.annual_reports) if r["agency"] == agencies.QINYUAN]
    assert len(qinyuan) == 1
    assert env_db.events("annual_report_overdue.v1") == []
    # 2026-01-10 is a Saturday: on Monday the 12th the report is late by the legal calendar
    late = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
    annual_usecases.check_annual_reports(now=late, **deps)
    annual_usecases.check_annual_reports(now=late, **deps)
    overdue = [e["data"] for e in env_db.events("annual_report_overdue.v1")
               if e["data"]["agency"] == agencies.QINYUAN]
    assert overdue == [{"agency": agencies.QINYUAN, "year": 2025, "due": "2026-01-10",
                        "workdays_late": RULES.calendar.workdays_between(
                            date(2026, 1, 10), date(2026, 1, 12), agencies.QINYUAN),
                        "recipients": ["government", "superior"],
                        "basis": qinyuan[0]["due"]["basis"], "latest_version": 1,
                        "state": "compiled"}]


def test_supervision_lists_a_late_withdrawal_with_its_dates(env_db: Env):
    pub = published(env_db)
    env_db.now = datetime(2025, 12, 10, 2, 0, tzinfo=UTC)
    env_db.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": pub["id"], "ground": "revoked", "reason": "经行政复议，原决定被撤销",
        "decided_on": "2025-12-01", "by": "沁源县人民政府"}, HEAD)
    env_db.now = JAN_5
    report = rpc(env_db, queries.supervision_report, "supervision_report",
                 {"agencies": [agencies.QINYUAN],
                  "period": {"start": "2025-01-01", "end": "2025-12-31"}}, SUPERVISOR)
    [agency] = report["agencies"]
    items = {i["code"]: i for i in agency["items"]}
    [late] = items["not_updated"]["publications"]
    assert (late["kind"], late["decision_no"], late["due"], late["on"], late["decided_on"]) == (
        "withdrawn_late", pub["decision_no"], "2025-12-04", "2025-12-10", "2025-12-01")
    with pytest.raises(Exception) as exc:
        rpc(env_db, queries.supervision_report, "supervision_report",
            {"period": {"start": "2025-01-01", "end": "2025-12-31"}}, PUBLISHER)
    assert getattr(exc.value, "code", "") == "forbidden"


def test_a_withdrawal_for_what_must_not_be_published_is_item_four(env: Env):
    pub = published(env)
    env.now = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)
    env.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": pub["id"], "ground": "not_publishable",
        "reason": "误将当事人身份证号码公开", "decided_on": "2025-11-03",
        "by": "沁源县能源局"}, HEAD)
    env.now = JAN_5
    report = env.call(queries.supervision_report, "supervision_report",
                      {"agencies": None, "period": {"start": "2025-01-01",
                                                    "end": "2025-12-31"}}, SUPERVISOR)
    qinyuan = next(a for a in report["agencies"] if a["agency"] == agencies.QINYUAN)
    forbidden = next(i for i in qinyuan["items"] if i["code"] == "published_forbidden")
    assert [(p["kind"], p["on"]) for p in forbidden["publications"]] == [
        ("withdrawn_not_publishable", "2025-11-03")]


def test_withholding_emits_publication_withheld(env: Env):
    pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    env.call(usecases.review_publication, "review_publication",
             {"publication_id": pub["id"], "outcome": "withhold", "grounds": ["state_secret"],
              "reason": "涉及国家秘密"}, PUBLISHER)
    [event] = env.events("publication_withheld.v1")
    assert event["data"]["publication_id"] == pub["id"]
    assert [g["code"] for g in event["data"]["grounds"]] == ["state_secret"]
    assert env.events("decision_published.v1") == []


def test_a_published_report_gets_its_page_with_tables_and_charts_once(env: Env, tmp_path):
    from services.disclosure.usecases import portal as portal_usecases
    portal = portal_usecases.site(tmp_path / "portal")
    published(env)
    env.now = JAN_5
    compile_(env)
    rpc(env, annual_usecases.publish_annual_report, "publish_annual_report",
        {"agency": agencies.QINYUAN, "year": 2025}, PUBLISHER, key="p-1")
    [event] = env.events("annual_report_published.v1")
    written = annual_usecases.on_annual_published(event, db=env.db, rules=env.rules,
                                                  portal=portal, now=env.now)
    base = f"agency/{agencies.QINYUAN}/annual"
    assert written is not None
    assert {f"{base}/2025.html", f"{base}/2025.json", f"{base}/index.html",
            f"{base}/2025/chart-1.png"} <= set(written)
    page = (tmp_path / "portal" / base / "2025.html").read_text("utf-8")
    assert "<caption>行政执法决定信息公示情况</caption>" in page
    assert '<img src="2025/chart-1.png" alt="行政执法决定信息公示情况：行政处罚1"' in page
    assert "未能统计的数据" in page and "记录保管服务" in page
    assert ".pdf" not in page  # no renderer here: no PDF to link
    png = (tmp_path / "portal" / base / "2025" / "chart-1.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    # the same event again: handled before, nothing written
    assert annual_usecases.on_annual_published(event, db=env.db, rules=env.rules,
                                               portal=portal, now=env.now) is None


def test_a_compile_while_another_holds_the_year_is_a_conflict_to_retry(env_db: Env):
    from shared.errors import Conflict
    from shared.persistence import timers
    env_db.now = JAN_5
    with env_db.db.transaction() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers itself: no claim to hold")
        assert timers.claim(session, annual_usecases.ANNUAL_WATCH,
                            f"{agencies.QINYUAN}:2025")
        with pytest.raises(Conflict) as exc:
            compile_(env_db)
    assert exc.value.code == "annual_report_compiling"
    assert env_db.rows(models.annual_reports) == []
    assert compile_(env_db)["version"] == 1   # once the other is done
