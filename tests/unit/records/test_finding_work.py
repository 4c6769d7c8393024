"""Finding work: an agency's cases by handler ("mine"), party, stage, status, opening day
and open deadlines, a page at a time (find_cases); and the deadlines the record keeper holds
— an emergency start's approval, a closed case's archive — due within N working days of the
shared calendar across the agency, overdue ones first (due_deadlines). SQLite and
PostgreSQL both."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.records import queries
from shared.errors import Forbidden, ValidationFailed
from tests.builders import open_case_request
from tests.unit.records.support import actor, as_service, call

LC, QY = "lingchuan-emergency", "qinyuan-energy"
OTHER = {"id": "party-1", "kind": "individual", "name": "李四", "id_number": "140524199001011234",
         "representative": None, "address": "陵川县崇文镇", "phone": None}


def opened(env, case_no, at, agency=LC, **changes):
    payload = open_case_request(case_no)
    payload.update(agency=agency, occurred_at=at, **changes)
    return call(env, "open_case", payload, actor(agency=agency))


def find(env, who=None, **request):
    page = as_service(env, "find_cases", {"agency": LC, **request}, who or actor("head"),
                      queries.find_cases)
    return [c["case_no"] for c in page["items"]], page["next"]


@pytest.fixture
def cases(env_db):
    """Four 陵川 cases: A and B handled by officer-7, C by others, D in another stage."""
    mine = ["officer-7", "officer-8"]
    a = opened(env_db, "A号", "2025-09-01T10:00:00+08:00", handlers=mine)
    opened(env_db, "B号", "2025-09-02T07:30:00+08:00", handlers=mine, parties=[OTHER])
    c = opened(env_db, "C号", "2025-09-03T10:00:00+08:00")
    opened(env_db, "D号", "2025-09-04T10:00:00+08:00")
    call(env_db, "advance_stage", {"case_id": c["id"], "to_stage": "investigation",
                                   "occurred_at": "2025-09-05T10:00:00+08:00"}, actor())
    call(env_db, "close_case", {"case_id": a["id"], "closed_at": "2025-09-05T10:00:00+08:00",
                                "reason": "撤销立案"}, actor())
    return env_db


def test_cases_are_found_by_handler_party_stage_status_and_opening_day(cases):
    env = cases
    assert find(env, handler="officer-7") == (["B号", "A号"], None)
    assert find(env, mine=True, status="open", who=actor("officer", id="officer-7")) \
        == (["B号"], None)
    assert find(env, party="李四") == (["B号"], None)
    assert find(env, party="140524199001011234") == (["B号"], None)
    assert find(env, party="陵川县宏泰煤业有限公司")[0] == ["D号", "C号", "A号"]
    assert find(env, stage="investigation") == (["C号"], None)
    assert find(env, status="closed") == (["A号"], None)
    assert find(env, open_deadlines=True) == (["A号"], None)  # its archive is owed
    # days are China Standard Time: B opened 07:30 on 09-02 CST (09-01 in UTC)
    assert find(env, opened_from="2025-09-02", opened_to="2025-09-03") \
        == (["C号", "B号"], None)
    assert find(env, handler="officer-7", opened_to="2025-09-01") == (["A号"], None)


def test_pages_follow_the_cursor_within_the_filters(cases):
    seen, cursor = [], None
    while True:
        found, cursor = find(cases, party="陵川县宏泰煤业有限公司", limit=2, cursor=cursor)
        seen += found
        if cursor is None:
            break
    assert seen == ["D号", "C号", "A号"]


def test_the_filters_are_checked_and_the_search_is_logged(cases):
    with pytest.raises(ValidationFailed) as err:
        find(cases, mine=True, handler="officer-7")
    assert err.value.details == {"handler": ["give handler or mine, not both"]}
    with pytest.raises(ValidationFailed) as err:
        find(cases, opened_from="2025-09-03", opened_to="2025-09-02")
    assert err.value.details == {"opened_to": ["must not be before opened_from"]}
    with pytest.raises(Forbidden):
        find(cases, who=actor("head", agency=QY))
    with pytest.raises(Forbidden):
        find(cases, who=actor("party", id="citizen-9", party_id="party-1", case_id="x"))
    find(cases, mine=True, who=actor("officer", id="officer-7"))
    page = as_service(cases, "access_log", {"agency": LC, "limit": 1},
                      actor("supervisor"), queries.access_log)
    assert [(r["action"], r["reason"]) for r in page["items"]] == [
        ("find_cases", f"agency={LC} handler=officer-7")]


# ---- deadlines due within N working days -------------------------------------------------

def due(env, who=None, **request):
    return as_service(env, "due_deadlines", {"agency": QY, **request},
                      who or actor("head", agency=QY), queries.due_deadlines, rules=env.rules)


@pytest.fixture
def deadlines(env_db):
    """沁源 on Friday 2025-10-10, 09:00 CST: an emergency start of the night before awaits
    approval (24 hours: due today, 000 第十二条); a case closed 09-05 is a day late for its
    archive (30 natural days, rolled past the National Day holiday to 10-09: 000 第三十二条);
    a case closed 10-09 is due 11-10; an archived case owes nothing."""
    env = env_db
    emergency = opened(env, "沁能立〔2025〕1号", "2025-10-09T22:00:00+08:00", agency=QY,
                       start_mode="emergency", filing_approval=None,
                       emergency={"reason": "现场存在重大安全隐患，需立即处置"},
                       handlers=["officer-qy-1", "officer-qy-2"])
    late, later, done = (opened(env, f"沁能立〔2025〕{n}号", "2025-09-01T10:00:00+08:00",
                                agency=QY) for n in (2, 3, 4))
    for case, closed in ((late, "2025-09-05"), (later, "2025-10-09"), (done, "2025-09-05")):
        call(env, "close_case", {"case_id": case["id"], "closed_at": f"{closed}T10:00:00+08:00",
                                 "reason": "撤销立案"}, actor(agency=QY))
    call(env, "archive_case", {"case_id": done["id"], "archived_at": "2025-09-20T10:00:00+08:00",
                               "archive_no": "QY-2025-4", "location": "档案室"}, actor(agency=QY))
    env.now = datetime(2025, 10, 10, 1, 0, tzinfo=UTC)
    return env, emergency, late, later


def test_deadlines_due_within_working_days_are_listed_overdue_first(deadlines):
    env, emergency, late, later = deadlines
    page = due(env, within=5)
    assert page["until"] == "2025-10-16"  # five working days after Friday 10-10
    assert [(i["case_no"], i["kind"], i["due"], i["overdue"], i["workdays_left"])
            for i in page["items"]] == [
        ("沁能立〔2025〕2号", "case_archive", "2025-10-09", True, -1),
        ("沁能立〔2025〕1号", "emergency_approval", "2025-10-10", False, 0)]
    assert page["items"][1]["deadline"]["basis"] == emergency["emergency_due"]["basis"]
    # one working day after Friday is Saturday 10-11, a make-up working day (调休)
    assert due(env, within=1)["until"] == "2025-10-11"
    assert [i["case_no"] for i in due(env, within=25)["items"]][-1] == "沁能立〔2025〕3号"
    assert [i["case_no"] for i in due(env, within=5, mine=True,
                                      who=actor("officer", agency=QY, id="officer-qy-1"))
            ["items"]] == ["沁能立〔2025〕1号"]


def test_due_deadlines_page_by_cursor(deadlines):
    env = deadlines[0]
    first = due(env, within=25, limit=2)
    rest = due(env, within=25, limit=2, cursor=first["next"])
    assert [i["case_no"] for i in first["items"] + rest["items"]] == [
        "沁能立〔2025〕2号", "沁能立〔2025〕1号", "沁能立〔2025〕3号"]
    assert rest["next"] is None
    with pytest.raises(ValidationFailed) as err:
        due(env, within=61)
    assert list(err.value.details) == ["within"]
