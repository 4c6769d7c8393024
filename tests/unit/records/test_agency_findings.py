"""The findings of an agency (agency_findings, agency_findings_v2): every case of the agency
and no other, a bounded page of cases at a time, v1 bounded too; only its head, legal unit and
supervisors read them, and every read is recorded. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select

from contracts.records import CONTRACT
from services.records import queries
from services.records.models import access_log, cases
from shared.calendar.clock import CST
from shared.errors import Forbidden, ValidationFailed
from shared.service.entrypoint import handle
from tests.unit.records.support import (
    ARCHIVE_LATE_MESSAGE,
    CLOSED_AT,
    actor,
    advance,
    call,
    case_findings,
    credentials_missing,
    expected_archive_due,
    finding,
    investigated_case,
    open_case,
    recorded_refusal,
    t,
)

LC, QY, ZC = "lingchuan-emergency", "qinyuan-energy", "zhoucun-district"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


# --- queries.agency_findings / for_agency_page (agency_findings, agency_findings_v2) ----------

def _as_service(env, method, request, fn, who):
    """The RPC as RecordsService runs it: contract in and out, a refusal recorded before it
    reaches the caller."""
    return handle(CONTRACT, method, request, fn, actor=who, refused=recorded_refusal(env),
                  db=env.db, rules=env.rules, now=env.now)


def agency_findings_page(env, agency, who, **paging):
    return _as_service(env, "agency_findings_v2", {"agency": agency, **paging},
                       queries.agency_findings_page, who)


def agency_findings(env, agency, who):
    """agency_findings (v1): every finding in one list."""
    return _as_service(env, "agency_findings", {"agency": agency}, queries.agency_findings, who)


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

    expected = [finding(no_credentials, *credentials_missing(LC)),
                finding(unarchived, "archive_late", due.basis, ARCHIVE_LATE_MESSAGE,
                        due=due.due.isoformat())]
    for role in ("head", "legal_unit", "supervisor"):
        assert agency_findings(env, LC, actor(role, LC)) == expected
    assert case_findings(env, clean) == []
    assert agency_findings(env, QY, actor("head", QY)) == [finding(other, *credentials_missing(QY))]


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
    assert agency_findings(env, LC, who) == [finding(c, *credentials_missing(LC)) for c in opened]
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


# --- 3. the agency's findings are a recorded read -----------------------------------------

def test_agency_findings_leave_an_access_row(env):
    open_case(env, LC, "陵应急立〔2025〕44号")
    queries.agency_findings({"agency": LC}, actor=actor("supervisor", LC, id="sup-7"), db=env.db,
                        rules=env.rules, now=env.now)
    with env.db.read() as s:
        rows = s.execute(select(access_log.c.actor_id, access_log.c.action,
                                access_log.c.case_id, access_log.c.agency,
                                access_log.c.outcome, access_log.c.reason)
                         .where(access_log.c.action == "agency_findings")).all()
    # the agency read is the row's agency, so that its supervisor finds it (access_log)
    assert rows == [("sup-7", "agency_findings", None, LC, "granted",
                     f"agency={LC}")]
