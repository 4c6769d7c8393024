"""The findings of one case (004 第五十七条 as far as it concerns records): archive_late,
credentials_not_recorded, rights_notice_missing, service_not_recorded and record_altered —
each beside the compliant variant of the same case, which has none. Every test runs on SQLite
and on PostgreSQL (the `db_url` fixture of tests/conftest.py)."""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import event, text

from services.records.store import reads
from shared.calendar.clock import CST, iso, local_date
from tests.builders import OFFICERS, demo_decision
from tests.unit.records.support import (
    ARCHIVE_LATE_MESSAGE,
    actor,
    advance,
    call,
    case_findings,
    closed_case,
    credentials_missing,
    expected_archive_due,
    finding,
    investigated_case,
    record,
    t,
)

LC, QY, ZC = "lingchuan-emergency", "qinyuan-energy", "zhoucun-district"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


# 陵川's seeds are silent on these: base's articles (national law, the State Council guidance)
RIGHTS_MISSING = ("rights_notice_missing",
                  "行政处罚法 第四十四条（告知陈述、申辩、要求听证等权利）",
                  "作出处罚决定前未记录告知当事人陈述、申辩权利")


SERVICE = {"document": "行政处罚决定书", "method": "direct", "recipient": "赵建国",
           "signed_by": "赵建国", "served_at": t("2025-09-16"), "document_no": "送〔2025〕1号"}


SERVICE_MISSING = ("service_not_recorded", "国办发〔2018〕118号（执法全过程记录制度）",
                   "执法决定未记录送达过程")


@pytest.mark.parametrize("agency, article", [(QY, "000《全过程记录办法》第三十二条第一款"),
                                             (ZC, "004 第四十三条第二款")])
@pytest.mark.parametrize("archived", ["on_the_due_day", "the_next_working_day"])
def test_archive_late_when_archived_after_the_rule_sets_period(env, agency, article, archived):
    period, due = expected_archive_due(env, agency)
    assert period.basis == article
    case, closed = closed_case(env, agency, "归〔2025〕1号")
    assert closed["deadline"] == due.to_dict()
    day = due.due if archived == "on_the_due_day" else env.rules.calendar.next_workday(due.due)
    # given in UTC (10:00 CST) so that the stored instant is the same on both databases; the
    # +08:00 evening case is test_archiving_in_the_evening_of_the_due_day_is_on_time
    archived_at = datetime.combine(day, time(2, 0), tzinfo=UTC)
    call(env, "archive_case", {"case_id": case["id"], "archived_at": archived_at.isoformat(),
                               "archive_no": "GD-1", "location": "档案室1号柜"},
         actor(agency=agency))
    env.now = datetime.combine(day, time(12, 0), tzinfo=UTC)
    found = case_findings(env, case)
    if archived == "on_the_due_day":
        assert found == []
    else:
        assert found == [finding(case, "archive_late", article, ARCHIVE_LATE_MESSAGE,
                                 due=due.due.isoformat(), at=iso(archived_at))]


def test_an_unarchived_case_is_late_from_the_first_cst_day_after_the_due_day(env):
    period, due = expected_archive_due(env, QY)
    case, _ = closed_case(env, QY, "沁能立〔2025〕9号")
    # the supervisor's clock is UTC; the day it is in law is the CST day (shared.calendar.clock)
    env.now = datetime.combine(due.due, time(15, 59), tzinfo=UTC)
    assert local_date(env.now) == due.due                           # 23:59 CST: still on time
    assert case_findings(env, case) == []
    env.now = datetime.combine(due.due, time(16, 30), tzinfo=UTC)
    assert local_date(env.now) > due.due                            # 00:30 CST the next day
    assert case_findings(env, case) == [finding(case, "archive_late", period.basis,
                                                ARCHIVE_LATE_MESSAGE, due=due.due.isoformat())]


def test_archiving_in_the_evening_of_the_due_day_is_on_time(env):
    _, due = expected_archive_due(env, QY)
    case, _ = closed_case(env, QY, "沁能立〔2025〕10号")
    archived_at = datetime.combine(due.due, time(23, 30), tzinfo=CST)
    call(env, "archive_case", {"case_id": case["id"], "archived_at": archived_at.isoformat(),
                               "archive_no": "GD-2", "location": "档案室1号柜"}, actor(agency=QY))
    env.now = datetime.combine(env.rules.calendar.next_workday(due.due), time(12, 0),
                               tzinfo=CST)
    assert case_findings(env, case) == []


@pytest.mark.parametrize("credentials", [True, False], ids=["shown", "not_recorded"])
def test_credentials_not_recorded_once_the_case_reaches_decision(env, credentials):
    case = investigated_case(env, LC, "陵应急立〔2025〕41号", credentials=credentials)
    assert case_findings(env, case) == []            # investigation still under way
    advance(env, case, "decision", t("2025-09-12"))
    expected = [] if credentials else [finding(case, *credentials_missing(LC))]
    assert case_findings(env, case) == expected


# --- rights_notice_missing (004 第三十五条) and service_not_recorded (000 第二十七条) --------

def decided_case(env, agency, case_no, *, rights_notice=True, act_type="penalty"):
    """A non-major decision (a 1,000 CNY fine, under 陵川's 50,000 threshold) issued."""
    case = investigated_case(env, agency, case_no, rights_notice=rights_notice,
                             act_type=act_type)
    advance(env, case, "decision", t("2025-09-12"))
    proposal = call(env, "propose_decision", {
        "case_id": case["id"], "occurred_at": t("2025-09-12", "11:00"),
        "decision": demo_decision(act_type=act_type,
                         fine_amount="1000" if act_type == "penalty" else None,
                         conclusion="罚款人民币壹仟元整")}, actor(agency=agency))
    assert proposal["classification"]["major"] is False
    issued = call(env, "issue_decision", {
        "case_id": case["id"], "proposal_seq": proposal["seq"],
        "decision_no": f"{case_no}决", "issued_at": t("2025-09-15"), "signed_by": "王建军"},
        actor("head", agency))
    return case, issued["seq"]


@pytest.mark.parametrize("act_type, rights_notice, expected", [
    ("penalty", True, False), ("penalty", False, True),
    ("inspection", False, False)])   # 第三十五条 concerns penalties only
def test_rights_notice_missing_when_a_penalty_is_issued_without_it(env, act_type,
                                                                   rights_notice, expected):
    case, issued_seq = decided_case(env, LC, "陵应急立〔2025〕42号", act_type=act_type,
                                    rights_notice=rights_notice)
    assert case_findings(env, case) == (
        [finding(case, *RIGHTS_MISSING, seq=issued_seq)] if expected else [])


@pytest.mark.parametrize("served", [True, False], ids=["served", "not_recorded"])
def test_service_not_recorded_when_a_decided_case_closes_without_it(env, served):
    case, issued_seq = decided_case(env, LC, "陵应急立〔2025〕43号")
    advance(env, case, "service_execution", t("2025-09-16", "09:00"))
    if served:
        record(env, case, "service", t("2025-09-16"), SERVICE)
    assert case_findings(env, case) == []            # open: service may still follow
    call(env, "close_case", {"case_id": case["id"], "closed_at": t("2025-09-20"),
                             "reason": "罚款已缴纳，执行完毕"}, actor(agency=LC))
    expected = [] if served else [finding(case, *SERVICE_MISSING, seq=issued_seq)]
    assert case_findings(env, case) == expected


# --- record_altered (000 第三十五条; 004 第五十七条(六)) ---------------------------------

ALTERED_ARTICLE = "国办发〔2018〕118号（执法全过程记录制度）"  # 陵川: base's


def intrude(env, sql: str, **params) -> None:
    """An intruder with DDL rights: the append-only triggers off, then `sql`."""
    with env.db.transaction() as s:
        if s.bind.dialect.name == "postgresql":
            s.execute(text("ALTER TABLE entries DISABLE TRIGGER entries_append_only"))
        else:
            s.execute(text("DROP TRIGGER entries_no_update"))
            s.execute(text("DROP TRIGGER entries_no_delete"))
        s.execute(text(sql), params)


@pytest.mark.parametrize("tampering, seq, problem", [
    ("UPDATE entries SET body = replace(body, '14052100017', '14052100099') "
     "WHERE case_id = :c AND seq = 3", 3, "content does not match its hash"),
    ("DELETE FROM entries WHERE case_id = :c AND seq = 2", 2, "missing entry"),
], ids=["edited", "deleted"])
def test_record_altered_names_the_first_bad_entry(env, tampering, seq, problem):
    case = investigated_case(env, LC, "陵应急立〔2025〕44号", rights_notice=False)
    assert case_findings(env, case) == []
    intrude(env, tampering, c=case["id"])
    assert case_findings(env, case) == [finding(
        case, "record_altered", ALTERED_ARTICLE, f"chain broken at seq {seq}: {problem}",
        seq=seq)]


def test_a_correction_entry_is_not_an_alteration(env):
    case = investigated_case(env, LC, "陵应急立〔2025〕45号", rights_notice=False)
    fixed = call(env, "correct_entry", {
        "case_id": case["id"], "seq": 3, "reason": "执法证件号记载错误",
        "content": {"officers": [dict(OFFICERS[0], certificate_no="14052100099"),
                                 OFFICERS[1]]}}, actor(agency=LC))
    entries = call(env, "get_entries", {"case_id": case["id"]}, actor("head", LC))
    assert [(e["seq"], e["kind"], e["corrects_seq"]) for e in entries[2:]] == [
        (3, "record", None), (fixed["seq"], "correction", 3)]
    assert entries[2]["content"]["officers"][0]["certificate_no"] == "14052100017"  # kept
    assert case_findings(env, case) == []


# --- a long chain is read a chunk at a time ---------------------------------------------------

def entry_reads(env) -> list[str]:
    """The statements that read the chain's entries from here on (the engine's own record
    of what it sends)."""
    sent: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM entries" in statement and "prev_hash" in statement:
            sent.append(statement)
    event.listen(env.db.engine, "before_cursor_execute", seen)
    return sent


@pytest.mark.parametrize("tampering", [
    None,
    "UPDATE entries SET body = replace(body, '第9份', '第8份') WHERE case_id = :c AND seq = 13",
    "DELETE FROM entries WHERE case_id = :c AND seq = 10"], ids=["intact", "edited", "deleted"])
def test_the_findings_read_a_long_chain_a_chunk_at_a_time(env, monkeypatch, tampering):
    case = investigated_case(env, LC, "陵应急立〔2025〕46号", rights_notice=False)
    for n in range(20):
        record(env, case, "note", t("2025-09-11"), {"summary": f"第{n}份"})
    if tampering:
        intrude(env, tampering, c=case["id"])
    whole = case_findings(env, case)
    monkeypatch.setattr(reads, "ENTRY_CHUNK", 4)
    sent = entry_reads(env)
    assert case_findings(env, case) == whole
    with env.db.read() as s:
        stored = s.execute(text("SELECT count(*) FROM entries WHERE case_id = :c"),
                           {"c": case["id"]}).scalar_one()
    assert stored >= 22
    assert len(sent) == -(-stored // 4)  # one read per chunk of at most 4 entries
    assert all("LIMIT" in statement for statement in sent)
    assert [f["code"] for f in whole] == (["record_altered"] if tampering else [])
