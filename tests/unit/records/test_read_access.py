"""Who reads a case: a party reads its own case masked (000 第三十四条), with a token bound to
that one case; every read and every refusal is in the access log, and a case out of reach is
answered as one that does not exist."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from services.records import queries
from shared.errors import Forbidden, NotFound, SanxiangError
from tests.builders import open_case_request
from tests.unit.records.support import access_log_rows, actor, as_service, call, run_demo


def test_party_reads_own_case_masked_and_the_read_is_logged(env):
    ctx = run_demo(env, until="advance_stage")
    party = actor("party", id="citizen-9", party_id="party-1", case_id=ctx["case_id"])
    view = call(env, "get_case", {"case_id": ctx["case_id"]}, party)
    assert view["persons"] == [{"id": "person-1", "role": "informant", "name": "［已隐去］"}]
    entries = call(env, "get_entries", {"case_id": ctx["case_id"]}, party)
    assert "王秀英" not in str(entries) and "13903561234" not in str(entries)
    with pytest.raises(Forbidden):
        call(env, "get_case", {"case_id": ctx["case_id"]},
             actor("party", id="citizen-10", party_id="party-2", case_id=ctx["case_id"]))
    with env.db.read() as s:
        rows = s.execute(text("select actor_id, action, outcome from access_log "
                              "order by id")).all()
    assert ("citizen-9", "get_case", "granted") in rows
    assert ("citizen-9", "get_entries", "granted") in rows


LC = "lingchuan-emergency"


def read_as_service(env, method, payload, who):
    return as_service(env, method, payload, who, getattr(queries, method))


def access_rows(env):
    return access_log_rows(env, "actor_id", "actor_agency", "action", "agency", "outcome")


def refused_read(env, method, case_id, who) -> dict:
    """The error payload a refused read answers with."""
    with pytest.raises(NotFound) as err:
        as_service(env, method, {"case_id": case_id}, who,
                   getattr(queries, method), missing=queries.missing_case)
    return err.value.payload()


def test_a_party_token_reads_only_the_case_it_is_bound_to(env):
    ctx = run_demo(env, until="enter_legal_review")  # 陵川; its party is "party-1"
    other = dict(open_case_request("陵应急立〔2025〕88号"))
    other_id = call(env, "open_case", other, actor())["id"]  # party-1 again: ids are labels
    own = actor("party", id="citizen-9", party_id="party-1", case_id=ctx["case_id"])
    view = read_as_service(env, "get_case", {"case_id": ctx["case_id"]}, own)
    assert view["persons"] == [{"id": "person-1", "role": "informant", "name": "［已隐去］"}]
    before = access_rows(env)
    with pytest.raises(SanxiangError):  # not case B's view of party-1
        read_as_service(env, "get_case", {"case_id": other_id}, own)
    missing = "00000000-0000-4000-8000-000000000000"
    # the same party label in another case of the same agency: out of reach, and answered
    # exactly as a case that does not exist
    for method in ("get_case", "get_entries"):
        assert refused_read(env, method, other_id, own) == \
            dict(refused_read(env, method, missing, own), details={"case_id": other_id},
                 message=f"no case with id {other_id!r}", message_zh=f"未找到案件 {other_id!r}")
    # another agency's party token naming the same party id and even the same case
    outsider = actor("party", id="citizen-77", agency="qinyuan-energy", party_id="party-1",
                     case_id=ctx["case_id"])
    for method in ("get_case", "get_entries"):
        assert refused_read(env, method, ctx["case_id"], outsider)["code"] == "not_found"
    # a party token not bound to a case reads nothing
    unbound = actor("party", id="citizen-9", party_id="party-1")
    assert refused_read(env, "get_case", ctx["case_id"], unbound)["code"] == "not_found"
    logged = access_rows(env)[len(before):]
    # the probes of an id that does not exist are on record too, with no case
    assert [r for r in logged if r[3] is None] == [
        ("citizen-9", LC, "get_case", None, "refused"),
        ("citizen-9", LC, "get_entries", None, "refused")]
    assert [r for r in logged if r[3] is not None] == [
        ("citizen-9", LC, "get_case", LC, "refused"),
        ("citizen-9", LC, "get_case", LC, "refused"),
        ("citizen-9", LC, "get_entries", LC, "refused"),
        ("citizen-77", "qinyuan-energy", "get_case", LC, "refused"),
        ("citizen-77", "qinyuan-energy", "get_entries", LC, "refused"),
        ("citizen-9", LC, "get_case", LC, "refused")]
