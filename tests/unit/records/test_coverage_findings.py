"""Findings the audit found untested (004 第五十七条 as far as it concerns records): archive_late,
the agency's findings, credentials_not_recorded, rights_notice_missing, service_not_recorded
and record_altered — each beside the compliant variant of the same case, which has none.
Every test runs on SQLite and on PostgreSQL (the `db_url` fixture of tests/conftest.py)."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest
from sqlalchemy import select, text

from contracts.records import CONTRACT
from services.records import findings, queries
from services.records.models import access_log, cases
from shared.calendar.clock import CST, iso, local_date
from shared.errors import Forbidden, ValidationFailed
from shared.service.entrypoint import handle
from tests.builders import OFFICERS, demo_decision, open_case_request
from tests.unit.records.conftest import actor, call

LC, QY, ZC = "lingchuan-emergency", "qinyuan-energy", "zhoucun-district"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db




def t(day: str, hm: str = "10:00") -> str:
    return f"{day}T{hm}:00+08:00"


def open_case(env, agency, case_no, opened=t("2025-09-01"), **changes) -> dict:
    payload = open_case_request(case_no)
    payload.update(agency=agency, occurred_at=opened, **changes)
    return call(env, "open_case", payload, actor(agency=agency))


def advance(env, case, to_stage, at):
    return call(env, "advance_stage", {"case_id": case["id"], "to_stage": to_stage,
                                       "occurred_at": at}, actor(agency=case["agency"]))


def record(env, case, record_type, at, content):
    return call(env, "append_record", {"case_id": case["id"], "record_type": record_type,
                                       "occurred_at": at, "content": content},
                actor(agency=case["agency"]))


def case_findings(env, case):
    return findings.for_case({"case_id": case["id"]}, actor=actor("head", case["agency"]),
                             db=env.db, rules=env.rules, now=env.now)


def finding(case, code, article, message, *, seq=None, due=None, at=None) -> dict:
    return {"code": code, "article": article, "case_id": case["id"], "case_no": case["case_no"],
            "seq": seq, "message": message, "due": due, "at": at}


CREDENTIALS = {"officers": OFFICERS}
RIGHTS_NOTICE = {"rights": ["statement", "defence"], "notified_on": "2025-09-10",
                 "document_no": "告〔2025〕1号"}
SERVICE = {"document": "行政处罚决定书", "method": "direct", "recipient": "赵建国",
           "signed_by": "赵建国", "served_at": t("2025-09-16"), "document_no": "送〔2025〕1号"}

CREDENTIALS_MISSING = ("credentials_not_recorded", "沁源 第十四条; 周村 第三十一条",
                       "调查取证未记录执法人员姓名、证件编号及出示情况")
RIGHTS_MISSING = ("rights_notice_missing", "周村 第三十五条",
                  "作出处罚决定前未记录告知当事人陈述、申辩权利")
SERVICE_MISSING = ("service_not_recorded", "沁源 第二十七条; 周村 第三十九条", "执法决定未记录送达过程")
ARCHIVE_LATE_MESSAGE = "案卷未在行政执法行为终结之日起规定期限内立卷归档"


# --- archive_late (000《全过程记录办法》第三十二条第一款; 004 第四十三条第二款) -------------

CLOSED_AT = t("2025-09-05")


def closed_case(env, agency, case_no):
    case = open_case(env, agency, case_no)
    result = call(env, "close_case", {"case_id": case["id"], "closed_at": CLOSED_AT,
                                      "reason": "撤销立案"}, actor(agency=agency))
    return case, result


def expected_archive_due(env, agency):
    """What the seed sets — 30 natural days from the act's end — counted by the shared
    calendar: from 2025-09-05 they end on 2025-10-05, inside the National Day holiday, so the
    period rolls on to the next working day."""
    period = env.rules.agency(agency).ruleset.period("case_archive")
    assert (period.amount, period.unit) == (30, "natural_days")
    due = env.rules.calendar.due(local_date(datetime.fromisoformat(CLOSED_AT)), period.amount,
                                 period.unit, rule=period.name, basis=period.basis,
                                 agency=agency)
    assert due.rolled_from is not None and due.rolled_from < due.due  # the roll is exercised
    return period, due


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
    archived_at = datetime.combine(day, time(2, 0), tzinfo=timezone.utc)
    call(env, "archive_case", {"case_id": case["id"], "archived_at": archived_at.isoformat(),
                               "archive_no": "GD-1", "location": "档案室1号柜"},
         actor(agency=agency))
    env.now = datetime.combine(day, time(12, 0), tzinfo=timezone.utc)
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
    env.now = datetime.combine(due.due, time(15, 59), tzinfo=timezone.utc)
    assert local_date(env.now) == due.due                           # 23:59 CST: still on time
    assert case_findings(env, case) == []
    env.now = datetime.combine(due.due, time(16, 30), tzinfo=timezone.utc)
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


# --- credentials_not_recorded (000 第十四条; 004 第三十一条) ------------------------------

def investigated_case(env, agency, case_no, *, credentials=True, rights_notice=True,
                      act_type="penalty", opened=t("2025-09-01")):
    case = open_case(env, agency, case_no, act_type=act_type, opened=opened)
    advance(env, case, "investigation", t("2025-09-08"))
    if credentials:
        record(env, case, "credentials_shown", t("2025-09-08", "10:30"), CREDENTIALS)
    if rights_notice:
        record(env, case, "rights_notice", t("2025-09-10"), RIGHTS_NOTICE)
    return case


@pytest.mark.parametrize("credentials", [True, False], ids=["shown", "not_recorded"])
def test_credentials_not_recorded_once_the_case_reaches_decision(env, credentials):
    case = investigated_case(env, LC, "陵应急立〔2025〕41号", credentials=credentials)
    assert case_findings(env, case) == []            # investigation still under way
    advance(env, case, "decision", t("2025-09-12"))
    expected = [] if credentials else [finding(case, *CREDENTIALS_MISSING)]
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

ALTERED_ARTICLE = "周村 第五十七条(六); 沁源 第三十五条"


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


# --- findings.for_agency / for_agency_page (agency_findings, agency_findings_v2) ----------

def _as_service(env, method, request, fn, who):
    """The RPC as RecordsService runs it: contract in and out, a refusal recorded before it
    reaches the caller."""
    def refused(a, method, request, exc):
        queries.record_refusal(env.db, a, method, request.get("case_id"), exc, env.now)
    return handle(CONTRACT, method, request, fn, actor=who, refused=refused, db=env.db,
                  rules=env.rules, now=env.now)


def agency_findings_page(env, agency, who, **paging):
    return _as_service(env, "agency_findings_v2", {"agency": agency, **paging},
                       findings.for_agency_page, who)


def agency_findings(env, agency, who):
    """agency_findings (v1): every finding in one list."""
    return _as_service(env, "agency_findings", {"agency": agency}, findings.for_agency, who)


def every_page(env, agency, who):
    """agency_findings_v2's pages, followed to the last."""
    out, cursor = [], None
    while True:
        page = agency_findings_page(env, agency, who, cursor=cursor)
        out.extend(page["items"])
        cursor = page["next"]
        if cursor is None:
            return out


def test_agency_findings_cover_every_case_of_the_agency_and_no_other(env):
    clean = open_case(env, LC, "陵应急立〔2025〕51号", opened=t("2025-09-01", "09:00"))
    no_credentials = investigated_case(env, LC, "陵应急立〔2025〕52号", credentials=False,
                                       opened=t("2025-09-01", "10:00"))
    advance(env, no_credentials, "decision", t("2025-09-12"))
    unarchived = open_case(env, LC, "陵应急立〔2025〕53号", opened=t("2025-09-01", "11:00"))
    call(env, "close_case", {"case_id": unarchived["id"], "closed_at": CLOSED_AT,
                             "reason": "撤销立案"}, actor(agency=LC))
    other = investigated_case(env, QY, "沁能立〔2025〕52号", credentials=False,
                              opened=t("2025-09-01", "08:00"))
    advance(env, other, "decision", t("2025-09-12"))
    _, due = expected_archive_due(env, LC)
    env.now = datetime.combine(env.rules.calendar.next_workday(due.due), time(12, 0),
                               tzinfo=CST)

    expected = [finding(no_credentials, *CREDENTIALS_MISSING),
                finding(unarchived, "archive_late", due.basis, ARCHIVE_LATE_MESSAGE,
                        due=due.due.isoformat())]
    for role in ("head", "legal_unit", "supervisor"):
        assert agency_findings(env, LC, actor(role, LC)) == expected
    assert case_findings(env, clean) == []
    assert agency_findings(env, QY, actor("head", QY)) == [finding(other, *CREDENTIALS_MISSING)]


@pytest.mark.parametrize("who", [actor("officer", LC), actor("reviewer", LC),
                                 actor("party", LC, party_id="party-1"), actor("head", QY),
                                 actor("legal_unit", QY)],
                         ids=["officer", "reviewer", "party", "head_of_another_agency",
                              "legal_unit_of_another_agency"])
def test_agency_findings_refuse_other_roles_and_agencies_and_record_it(env, who):
    investigated_case(env, LC, "陵应急立〔2025〕54号", credentials=False)
    with pytest.raises(Forbidden) as err:
        agency_findings(env, LC, who)
    if who.role in ("head", "legal_unit"):
        assert err.value.details == {"actor_agency": QY, "agency": LC}
    else:
        assert err.value.details == {"role": who.role,
                                     "allowed": ["head", "legal_unit", "supervisor"]}
    with env.db.read() as s:
        rows = s.execute(select(access_log.c.actor_id, access_log.c.actor_agency,
                                access_log.c.action, access_log.c.outcome)
                         .where(access_log.c.outcome == "refused")).all()
    assert rows == [(who.id, who.agency, "agency_findings", "refused")]


def test_agency_findings_of_an_agency_with_clean_cases_are_empty(env):
    open_case(env, ZC, "周村立〔2025〕51号")
    investigated_case(env, LC, "陵应急立〔2025〕55号", credentials=False)
    assert agency_findings(env, ZC, actor("head", ZC)) == []
    with env.db.read() as s:
        assert s.execute(select(cases.c.agency)).scalars().all().count(ZC) == 1


def test_a_granted_agency_findings_read_is_logged(env):
    # every read is recorded (002《全过程记录办法》第十九条), the agency-wide one too
    investigated_case(env, LC, "陵应急立〔2025〕56号", credentials=False)
    who = actor("supervisor", LC, id="supervisor-7")
    agency_findings(env, LC, who)
    with env.db.read() as s:
        rows = s.execute(select(access_log.c.actor_id, access_log.c.action,
                                access_log.c.outcome)
                         .where(access_log.c.actor_id == who.id)).all()
    assert ("supervisor-7", "agency_findings", "granted") in rows


def test_agency_findings_come_a_bounded_page_of_cases_at_a_time(env):
    """Each call examines at most `limit` cases (opening order, ties by id) and hands back
    the cursor after the last; following the cursors gives every finding once, and a page
    never exceeds the contract's maximum."""
    opened = [investigated_case(env, LC, f"陵应急立〔2025〕6{n}号", credentials=False,
                                opened=t("2025-09-01", f"0{n}:00")) for n in range(1, 6)]
    for case in opened:
        advance(env, case, "decision", t("2025-09-12"))
    who = actor("supervisor", LC)
    pages, cursor = [], None
    while True:
        page = agency_findings_page(env, LC, who, limit=2, cursor=cursor)
        pages.append(([f["case_no"] for f in page["items"]], page["cases"]))
        cursor = page["next"]
        if cursor is None:
            break
    names = [case["case_no"] for case in opened]
    assert pages == [(names[0:2], 2), (names[2:4], 2), (names[4:5], 1)]
    assert agency_findings(env, LC, who) == [finding(c, *CREDENTIALS_MISSING) for c in opened]
    assert every_page(env, LC, who) == agency_findings(env, LC, who)
    with pytest.raises(ValidationFailed) as err:
        agency_findings_page(env, LC, who, limit=51)
    assert err.value.details == {"limit": ["Must be greater than or equal to 1 and less "
                                           "than or equal to 50."]}
    with pytest.raises(ValidationFailed) as err:
        agency_findings_page(env, LC, who, cursor="bm90LWEtY3Vyc29y")
    assert err.value.details == {"cursor": ["not a cursor this listing returned"]}


def test_agency_findings_v1_answers_one_list_up_to_its_bound_and_refuses_beyond(env):
    """v1 keeps its signature (a list of every finding) but never walks a whole history: an
    agency of more cases than one page is refused, naming agency_findings_v2, and recorded."""
    from contracts.records.messages import MAX_FINDINGS_PAGE
    from shared.errors import DomainRuleViolated

    who = actor("supervisor", LC)
    for n in range(MAX_FINDINGS_PAGE):
        open_case(env, LC, f"陵应急立〔2026〕{n + 1}号", opened=t("2025-09-01", "09:00"))
    assert isinstance(agency_findings(env, LC, who), list)
    open_case(env, LC, "陵应急立〔2026〕999号", opened=t("2025-09-02", "09:00"))
    with pytest.raises(DomainRuleViolated) as exc:
        agency_findings(env, LC, who)
    assert exc.value.code == "too_many_cases" and "agency_findings_v2" in exc.value.message
    first = agency_findings_page(env, LC, who, limit=MAX_FINDINGS_PAGE)  # v2 pages on
    rest = agency_findings_page(env, LC, who, limit=MAX_FINDINGS_PAGE, cursor=first["next"])
    assert (first["cases"], rest["cases"], rest["next"]) == (MAX_FINDINGS_PAGE, 1, None)
