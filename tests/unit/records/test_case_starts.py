"""案源 from a referral (004 第三十条: 上级行政机关和其他行政执法机关或者单位移送的违法行为线索) —
a start mode only 周村's rule set provides — and decide_source: the decision to start (with its
立案审批表), and the decision not to start, with the notice to the source recorded and the
案源 record closed and falling due for archiving. On SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from services.records.models import cases, entries
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, Forbidden, ValidationFailed
from tests.agencies import AGENCIES
from tests.builders import open_case_request
from tests.unit.records.support import (
    ARCHIVE_LATE_MESSAGE,
    actor,
    call,
    case_findings,
    finding,
    open_case,
    t,
)

ZC = "zhoucun-district"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


REFERRAL = {"kind": "referral", "referring_body": "淄博市生态环境局周村分局",
            "received_at": t("2025-09-01", "09:00"),
            "content": "移送线索：某化工企业涉嫌未按规定贮存危险化学品"}


NOT_STARTED = {"decision": "not_start", "reason": "经审查，该企业不属本机关管辖",
               "legal_basis": "《中华人民共和国行政处罚法》第二十二条",
               "notified_at": t("2025-09-04", "15:00"), "notice_method": "written",
               "notice_content": "经审查，不予立案，已告知移送单位不启动理由及依据"}


def open_referral(env, agency=ZC, case_no="周村源〔2025〕1号"):
    return open_case(env, agency, case_no, start_mode="referral", filing_approval=None,
                     source=REFERRAL)


def start_state(env, case) -> str:
    with env.db.read() as s:
        return s.execute(select(cases.c.start_state).where(cases.c.id == case["id"])).scalar()


def entry_list(env, case) -> list[dict]:
    return call(env, "get_entries", {"case_id": case["id"]}, actor("head", case["agency"]))


def test_only_zhoucuns_rule_set_provides_the_referral_start_mode(env):
    providing = {code for code, agency in env.rules.agencies.items()
                 if "referral" in {m["code"] for m in
                                   agency.ruleset.section("records")["start_modes"]}}
    assert providing == {ZC}
    referral = next(m for m in env.rules.agency(ZC).ruleset.section("records")["start_modes"]
                    if m["code"] == "referral")
    assert referral["basis"] == "004 第三十条"


@pytest.mark.parametrize("agency", sorted(set(AGENCIES) - {ZC}))
def test_a_referral_is_refused_where_the_rule_set_does_not_provide_it(env, agency):
    with pytest.raises(DomainRuleViolated) as err:
        open_referral(env, agency)
    ref = env.rules.agency(agency).ruleset.ref
    assert err.value.code == "start_mode_not_allowed"
    assert err.value.details == {"start_mode": "referral", "ruleset": ref}
    with env.db.read() as s:
        assert s.execute(select(func.count()).select_from(cases)).scalar() == 0
    # the same 案源 as a complaint is a start mode every rule set provides (000 第十三条)
    complaint = open_case(env, agency, "源〔2025〕2号", start_mode="complaint",
                          filing_approval=None, source=dict(REFERRAL, kind="complaint"))
    assert start_state(env, complaint) == "pending_decision"


def test_a_referral_in_zhoucun_awaits_the_decision_to_start(env):
    case = open_referral(env)
    assert (case["start_mode"], case["start_state"], case["stage"]) == (
        "referral", "pending_decision", "initiation")
    opened = entry_list(env, case)[0]
    assert opened["kind"] == "case_opened" and opened["content"]["source"] == dict(
        REFERRAL, provider_person_id=None)
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "advance_stage", {"case_id": case["id"], "to_stage": "investigation",
                                    "occurred_at": t("2025-09-03")}, actor(agency=ZC))
    assert err.value.code == "not_started"


def test_decide_source_start_needs_the_filing_approval_and_starts_the_procedure(env):
    case = open_referral(env)
    start = dict(NOT_STARTED, decision="start", reason="线索属实，属本机关管辖",
                 notice_content="已决定立案调查，执法结果将另行告知")
    with pytest.raises(ValidationFailed) as err:
        call(env, "decide_source", dict(start, case_id=case["id"]), actor(agency=ZC))
    assert err.value.details == {"filing_approval": ["starting a case needs its 立案审批表"]}
    approval = open_case_request("x")["filing_approval"]
    result = call(env, "decide_source", dict(start, case_id=case["id"],
                                             filing_approval=approval), actor(agency=ZC))
    assert (result["seq"], result["stage"], result["deadline"]) == (2, "initiation", None)
    assert start_state(env, case) == "approved"
    decided = entry_list(env, case)[-1]
    assert decided["kind"] == "source_decided"
    assert decided["content"]["decision"] == "start"
    assert decided["content"]["filing_approval"]["head_opinion"] == approval["head_opinion"]
    assert decided["content"]["notice_content"] == start["notice_content"]
    assert env.events("case_closed.v1") == []
    moved = call(env, "advance_stage", {"case_id": case["id"], "to_stage": "investigation",
                                        "occurred_at": t("2025-09-05")}, actor(agency=ZC))
    assert moved["stage"] == "investigation"
    with pytest.raises(DomainRuleViolated) as decided_once:
        call(env, "decide_source", dict(NOT_STARTED, case_id=case["id"]), actor(agency=ZC))
    assert decided_once.value.code == "no_pending_decision"


def test_decide_source_not_start_records_the_notice_and_closes_the_source(env):
    case = open_referral(env)
    result = call(env, "decide_source", dict(NOT_STARTED, case_id=case["id"]),
                  actor(agency=ZC))
    period = env.rules.agency(ZC).ruleset.period("case_archive")
    assert (period.amount, period.unit, period.basis) == (30, "natural_days",
                                                          "004 第四十三条第二款")
    due = env.rules.calendar.due(local_date(datetime.fromisoformat(NOT_STARTED["notified_at"])),
                                 period.amount, period.unit, rule=period.name,
                                 basis=period.basis, agency=ZC)
    assert result["deadline"] == due.to_dict()
    assert start_state(env, case) == "not_started"
    kinds = [(e["seq"], e["kind"]) for e in entry_list(env, case)]
    assert kinds == [(1, "case_opened"), (2, "source_decided"), (3, "case_closed")]
    decided, closed = entry_list(env, case)[1:]
    notice = {k: decided["content"][k] for k in ("decision", "reason", "legal_basis",
                                                 "notice_method", "notice_content")}
    assert notice == {k: NOT_STARTED[k] for k in notice}
    assert closed["content"] == {"reason": f"不予立案: {NOT_STARTED['reason']}",
                                 "archive_due": due.to_dict()}
    view = call(env, "get_case", {"case_id": case["id"]}, actor("head", ZC))
    assert (view["status"], view["stage"], view["archive_due"]) == (
        "closed", "archive", due.to_dict())
    [event] = env.events("case_closed.v1")
    assert event["data"]["reason"] == closed["content"]["reason"]
    assert [e["data"]["case_id"] for e in env.events("archive_due.v1")] == [case["id"]]
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "decide_source", dict(NOT_STARTED, case_id=case["id"]), actor(agency=ZC))
    assert err.value.code == "no_pending_decision"

    # the closed 案源 record is archived like any case file (004 第四十三条第二款)
    env.now = datetime.combine(due.due, time(12, 0), tzinfo=UTC)
    assert case_findings(env, case) == []
    env.now = datetime.combine(env.rules.calendar.next_workday(due.due), time(12, 0),
                               tzinfo=UTC)
    assert case_findings(env, case) == [finding(case, "archive_late", period.basis,
                                                ARCHIVE_LATE_MESSAGE, due=due.due.isoformat())]


def test_decide_source_is_refused_for_other_start_modes_and_other_agencies(env):
    ex_officio = open_case(env, ZC, "周村立〔2025〕61号")
    with pytest.raises(DomainRuleViolated) as err:
        call(env, "decide_source", dict(NOT_STARTED, case_id=ex_officio["id"]),
             actor(agency=ZC))
    assert err.value.code == "no_pending_decision"
    referral = open_referral(env)
    with pytest.raises(Forbidden):
        call(env, "decide_source", dict(NOT_STARTED, case_id=referral["id"]),
             actor(agency="lingchuan-emergency"))
    with env.db.read() as s:
        bodies = s.execute(select(entries.c.body).where(entries.c.case_id == referral["id"])
                           ).scalars().all()
    assert [json.loads(b)["kind"] for b in bodies] == ["case_opened"]
    assert start_state(env, referral) == "pending_decision"


def test_the_time_the_source_was_told_reads_back_as_given(env):
    case = open_referral(env)
    call(env, "decide_source", dict(NOT_STARTED, case_id=case["id"]), actor(agency=ZC))
    decided = entry_list(env, case)[1]
    assert decided["kind"] == "source_decided"
    assert decided["occurred_at"] == datetime.fromisoformat(NOT_STARTED["notified_at"])
