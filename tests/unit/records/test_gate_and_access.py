"""The major-decision gate under 周村's collective discussion (004 第五十五条) when the review
is entered by RPC, a party's reads limited to the one case its token is bound to (000
第三十四条), and the replay of unrouted events limited to the replaying actor's agency."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from services.records import chain, models, queries, usecases
from shared.errors import DomainRuleViolated, Forbidden, NotFound, SanxiangError
from tests.builders import demo_decision, open_case_request
from tests.unit.records.conftest import access_log_rows, actor, as_service, call, outbox_states
from tests.unit.records.test_usecases import run_demo

ZHOUCUN = "zhoucun-district"
LC = "lingchuan-emergency"


def zc(role):
    return actor(role, agency=ZHOUCUN)


def case_at_decision(env, agency: str, case_no: str) -> dict:
    """A case of `agency` in stage decision with a major proposal (heard: 004 第五十一条
    第二款（四）; 陵川's 60,000 CNY on a company: 001 附件3 第二条)."""
    who = lambda role: actor(role, agency=agency)  # noqa: E731
    opening = open_case_request(case_no)
    opening["agency"] = agency
    ctx = {"case_id": call(env, "open_case", opening, who("officer"))["id"]}
    for stage, at in (("investigation", "2025-10-10T08:30:00+08:00"),
                      ("decision", "2025-10-17T09:00:00+08:00")):
        call(env, "advance_stage", {"case_id": ctx["case_id"], "to_stage": stage,
                                    "occurred_at": at, "reason": None}, who("officer"))
    proposed = call(env, "propose_decision", {
        "case_id": ctx["case_id"], "occurred_at": "2025-10-20T09:00:00+08:00",
        "decision": demo_decision(hearing_held=True)}, who("officer"))
    assert proposed["classification"]["major"] is True
    ctx["proposal_seq"] = proposed["seq"]
    return ctx


def enter_approval(env, ctx, agency):
    return call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "opinion": "approve",
        "reasons": "主体合法，事实清楚，证据确凿，适用依据正确，程序合法，裁量适当",
        "reviewers": ["陈静", "刘洋"], "reviewed_at": "2025-10-24T15:00:00+08:00"},
        actor("legal_unit", agency=agency))


def issue(env, ctx, agency, decision_no="周罚〔2025〕7号"):
    return call(env, "issue_decision", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
        "decision_no": decision_no, "issued_at": "2025-10-27T10:00:00+08:00",
        "signed_by": "王建军"}, actor("head", agency=agency))


def discuss(env, ctx, agency, at="2025-10-25T09:00:00+08:00"):
    return call(env, "append_record", {
        "case_id": ctx["case_id"], "record_type": "collective_discussion", "occurred_at": at,
        "situations": [], "content": {
            "participants": ["王建军", "孙丽", "陈静"], "minutes": "局务会议讨论拟处罚决定",
            "conclusion": "同意作出罚款人民币陆万元的决定"}}, actor("head", agency=agency))


def test_zhoucun_rpc_review_needs_a_later_collective_discussion_lingchuan_does_not(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕7号")
    review = enter_approval(env, ctx, ZHOUCUN)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_required"
    assert err.value.details == {"review_seq": review["seq"], "ruleset": "zhoucun-district@1",
                                 "record_type": "collective_discussion"}
    assert "004 第五十五条" in err.value.message
    assert env.events("decision_issued.v1") == []
    held = discuss(env, ctx, ZHOUCUN)
    issued = issue(env, ctx, ZHOUCUN)
    assert issued["seq"] == held["seq"] + 1
    data = env.events("decision_issued.v1")[-1]["data"]
    assert data["legal_review_seq"] == review["seq"]
    with env.db.read() as s:
        body = s.execute(select(models.entries.c.body)
                         .where(models.entries.c.case_id == ctx["case_id"])
                         .where(models.entries.c.seq == issued["seq"])).scalar_one()
    assert json.loads(body)["content"]["collective_discussion_seq"] == held["seq"]
    # 陵川 (collective discussion only where the law requires it): the review alone suffices
    lc = case_at_decision(env, "lingchuan-emergency", "陵应急立〔2025〕7号")
    lc_review = enter_approval(env, lc, "lingchuan-emergency")
    lc_issued = issue(env, lc, "lingchuan-emergency", "陵应急罚〔2025〕7号")
    assert lc_issued["seq"] == lc_review["seq"] + 1


def test_zhoucun_discussion_before_the_review_does_not_count(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕8号")
    discuss(env, ctx, ZHOUCUN, at="2025-10-23T09:00:00+08:00")
    enter_approval(env, ctx, ZHOUCUN)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_required"


def test_zhoucun_rpc_entry_without_final_flag_is_not_final(env):
    """An entry written before RPC reviews carried `final` is read by the rule set."""
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕9号")
    with env.db.transaction() as session:
        case = chain.load_case(session, ctx["case_id"], lock=True)
        chain.append(session, case, kind="legal_review", actor=zc("legal_unit"), now=env.now,
                     occurred_at=env.now, content={
                         "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
                         "opinion": "approve", "reasons": "同意", "reviewers": ["陈静"],
                         "reviewed_at": "2025-10-24T15:00:00+08:00", "approving": True})
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_required"
    discuss(env, ctx, ZHOUCUN)
    assert issue(env, ctx, ZHOUCUN)["stage"] == "decision"


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
    other = open_case_request("陵应急立〔2025〕88号")
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
                 message=f"no case with id {other_id!r}")
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


@pytest.fixture
def env_on(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


def test_a_legal_unit_replays_only_its_own_agencys_events(env_on):
    env = env_on
    for agency, case_no in (("lingchuan-emergency", "陵应急立〔2025〕90号"),
                            ("qinyuan-energy", "沁能立〔2025〕90号")):
        opening = open_case_request(case_no, agency=agency)
        call(env, "open_case", opening, actor("officer", agency=agency))
    with env.db.transaction() as s:  # no queue was bound for any of them
        s.execute(update(models.outbox).values(state="unrouted"))
    replay = lambda who, **p: usecases.replay_events(  # noqa: E731
        dict({"event_types": None, "since": None}, **p), actor=who, db=env.db, now=env.now,
        table=models.outbox)
    assert replay(actor("legal_unit", agency="qinyuan-energy"),
                  event_types=["case_opened.v1"]) == {"requeued": 1}
    assert outbox_states(env) == {
        ("lingchuan-emergency", "case_opened.v1"): {"unrouted"},
        ("lingchuan-emergency", "entry_appended.v1"): {"unrouted"},
        ("qinyuan-energy", "case_opened.v1"): {"pending"},
        ("qinyuan-energy", "entry_appended.v1"): {"unrouted"}}
    with pytest.raises(Forbidden):
        replay(actor("officer", agency="lingchuan-emergency"))
    assert replay(actor("legal_unit", agency="lingchuan-emergency")) == {"requeued": 2}
    assert outbox_states(env)[("qinyuan-energy", "entry_appended.v1")] == {"unrouted"}
    # the supervisor oversees every agency (Actor.require)
    assert replay(actor("supervisor", agency="changzhi-energy")) == {"requeued": 1}
    assert {s for states in outbox_states(env).values() for s in states} == {"pending"}
