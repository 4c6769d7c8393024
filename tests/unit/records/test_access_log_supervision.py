"""调阅监督 (002 第十九条 实时调阅; 003 二(二) 记录信息调阅监督): a supervisor reads the access
log — who read or was refused which case, when, by which call and why — filtered by case,
reader, time range and outcome, a page at a time, newest first; the look at the log is
logged too. SQLite and PostgreSQL both."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.records import queries
from shared.errors import Forbidden, SanxiangError, ValidationFailed
from tests.unit.records.support import actor, as_service, call, demo_until

LC = "lingchuan-emergency"


def supervise(env, who=None, **request):
    return as_service(env, "access_log", {"agency": LC, **request},
                      who or actor("supervisor", agency="shanxi-supervision"),
                      queries.access_log)


def reads_of_a_day(env) -> str:
    """The demo case read by an officer on 10-10, by its party and the head on 10-11, and
    refused to another agency's officer on 10-11."""
    case_id = demo_until(env, "record_av")
    env.now = datetime(2025, 10, 10, 2, 0, tzinfo=UTC)
    call(env, "get_case", {"case_id": case_id}, actor("officer", id="officer-lc-017"))
    env.now = datetime(2025, 10, 11, 2, 0, tzinfo=UTC)
    call(env, "get_entries", {"case_id": case_id},
         actor("party", id="citizen-9", party_id="party-1", case_id=case_id))
    call(env, "get_case", {"case_id": case_id}, actor("head", id="head-lc-001"))
    with pytest.raises(SanxiangError):
        as_service(env, "get_case", {"case_id": case_id},
                   actor("officer", agency="qinyuan-energy", id="officer-qy-3"),
                   queries.get_case, missing=queries.missing_case)
    return case_id


def who_did_what(page):
    return [(r["actor_id"], r["action"], r["outcome"]) for r in page["items"]]


def test_a_supervisor_reads_who_read_a_case_when_and_what_was_refused(env_db):
    case_id = reads_of_a_day(env_db)
    page = supervise(env_db, case_id=case_id)
    assert who_did_what(page) == [
        ("officer-qy-3", "get_case", "refused"), ("head-lc-001", "get_case", "granted"),
        ("citizen-9", "get_entries", "granted"), ("officer-lc-017", "get_case", "granted")]
    refused, granted = page["items"][0], page["items"][1]
    assert refused["reason"] and refused["actor_agency"] == "qinyuan-energy"
    assert (granted["at"], granted["case_id"], granted["agency"], granted["actor_role"]) == (
        "2025-10-11T02:00:00+00:00", case_id, LC, "head")
    assert page["next"] is None


def test_the_log_is_filtered_by_reader_time_and_outcome(env_db):
    case_id = reads_of_a_day(env_db)
    assert who_did_what(supervise(env_db, reader="citizen-9")) == [
        ("citizen-9", "get_entries", "granted")]
    assert who_did_what(supervise(env_db, case_id=case_id,
                                  until="2025-10-11T00:00:00+00:00")) == [
        ("officer-lc-017", "get_case", "granted")]
    since = supervise(env_db, case_id=case_id, since="2025-10-11T00:00:00+00:00",
                      outcome="granted")
    # the supervisor's own look at this case's reads (just before) is among them
    assert who_did_what(since) == [("supervisor-1", "access_log", "granted"),
                                   ("head-lc-001", "get_case", "granted"),
                                   ("citizen-9", "get_entries", "granted")]
    with pytest.raises(ValidationFailed) as err:
        supervise(env_db, since="2025-10-11T00:00:00+00:00", until="2025-10-10T00:00:00+00:00")
    assert err.value.details == {"until": ["must be after since"]}


def test_pages_follow_the_cursor_newest_first_and_each_look_is_logged(env_db):
    case_id = reads_of_a_day(env_db)
    as_service(env_db, "list_cases_v2", {"agency": LC}, actor("head"), queries.list_cases_page)
    env_db.now = datetime(2025, 10, 13, 2, 0, tzinfo=UTC)  # the looks below: after `until`
    everything = supervise(env_db, limit=500, until="2025-10-12T00:00:00+00:00")["items"]
    seen, cursor = [], None
    while True:
        page = supervise(env_db, limit=3, cursor=cursor, until="2025-10-12T00:00:00+00:00")
        seen += [r["id"] for r in page["items"]]
        if (cursor := page["next"]) is None:
            break
    assert seen == [r["id"] for r in everything] and seen == sorted(seen, reverse=True)
    # the listings of the agency are in its log, and so is each look at the log
    latest = supervise(env_db, limit=2)["items"]
    assert latest[0]["action"] == "access_log" and latest[0]["outcome"] == "granted"
    assert latest[0]["actor_id"] == "supervisor-1" and "agency=" in latest[0]["reason"]
    assert any(r["case_id"] == case_id for r in everything)
    assert [(r["action"], r["case_id"], r["agency"], r["reason"]) for r in everything][0] == (
        "list_cases_v2", None, LC, f"agency={LC}")
    with pytest.raises(ValidationFailed) as err:
        supervise(env_db, cursor="WyJ4Il0")  # ["x"]: not an id
    assert err.value.details == {"cursor": ["not a cursor this listing returned"]}


def test_officers_and_other_agencies_do_not_read_the_log(env_db):
    reads_of_a_day(env_db)
    with pytest.raises(Forbidden):
        supervise(env_db, who=actor("officer"))
    with pytest.raises(Forbidden):
        supervise(env_db, who=actor("legal_unit", agency="qinyuan-energy"))
    assert supervise(env_db, who=actor("legal_unit"))["items"]
