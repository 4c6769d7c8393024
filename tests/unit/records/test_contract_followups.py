"""Contract follow-ups of the record keeper: a collective discussion's fixed-choice outcome and
the proposal it discussed (004 第五十五条, 第三十七条), the legal unit's flag that the law
requires 集体讨论 (行政处罚法 第五十七条第二款) under 陵川 and 安泽, replay narrowed to one
agency, and the storage labels of each AV object in the archive manifest (001 附件2 第七条)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from services.records import chain, models, queries, usecases
from shared.errors import DomainRuleViolated, Forbidden, NotFound, ValidationFailed
from tests.builders import PARTY, SHA, demo_decision, demo_step, open_case_request
from tests.unit.records.conftest import access_log_rows, actor, as_service, call, outbox_states
from tests.unit.records.test_gate_and_access import case_at_decision, enter_approval, issue

ZHOUCUN, LINGCHUAN, ANZE = "zhoucun-district", "lingchuan-emergency", "anze-county"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


def discuss(env, ctx, agency, at="2025-10-25T09:00:00+08:00", **extra):
    return call(env, "append_record", {
        "case_id": ctx["case_id"], "record_type": "collective_discussion", "occurred_at": at,
        "situations": [], "content": dict({
            "participants": ["王建军", "孙丽", "陈静"], "minutes": "局务会议讨论拟处罚决定",
            "conclusion": "讨论结论见纪要"}, **extra)}, actor("head", agency=agency))


def head(env, case_id) -> int:
    with env.db.read() as s:
        return s.execute(select(models.cases.c.head_seq)
                         .where(models.cases.c.id == case_id)).scalar_one()


def outbox_count(env) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(models.outbox)).scalar_one()


def entry_content(env, case_id, seq) -> dict:
    with env.db.read() as s:
        body = s.execute(select(models.entries.c.body).where(models.entries.c.case_id == case_id)
                         .where(models.entries.c.seq == seq)).scalar_one()
    return json.loads(body)["content"]


# ---- 1. the collective discussion's outcome and proposal ---------------------------------

@pytest.mark.parametrize("outcome", ["do_not_decide", "revise", "refer"])
def test_zhoucun_discussion_that_decided_against_refuses_the_decision(env, outcome):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕21号")
    review = enter_approval(env, ctx, ZHOUCUN)
    held = discuss(env, ctx, ZHOUCUN, outcome=outcome, proposal_seq=ctx["proposal_seq"])
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, ZHOUCUN)
    assert err.value.code == "collective_discussion_not_deciding"
    assert err.value.details == {"discussion_seq": held["seq"], "outcome": outcome,
                                 "review_seq": review["seq"],
                                 "proposal_seq": ctx["proposal_seq"]}
    assert err.value.message_zh.startswith("集体讨论决定")
    assert env.events("decision_issued.v1") == []
    # the leaders' later word on the same proposal is the one that counts
    decided = discuss(env, ctx, ZHOUCUN, at="2025-10-26T09:00:00+08:00", outcome="decide",
                      proposal_seq=ctx["proposal_seq"])
    issued = issue(env, ctx, ZHOUCUN)
    assert entry_content(env, ctx["case_id"], issued["seq"])["collective_discussion_seq"] == \
        decided["seq"]


def test_a_contrary_discussion_stands_where_the_review_alone_would_do(env):
    """陵川 sends a passed review to 集体讨论 only where the law requires it; a discussion
    that was held on the proposal after the review and decided against it still stands."""
    ctx = case_at_decision(env, LINGCHUAN, "陵应急立〔2025〕21号")
    enter_approval(env, ctx, LINGCHUAN)
    discuss(env, ctx, LINGCHUAN, outcome="do_not_decide", proposal_seq=ctx["proposal_seq"])
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, LINGCHUAN, "陵应急罚〔2025〕21号")
    assert err.value.code == "collective_discussion_not_deciding"


def test_zhoucun_discussion_of_one_proposal_does_not_count_for_the_other(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕22号")
    second = call(env, "propose_decision", {
        "case_id": ctx["case_id"], "occurred_at": "2025-10-21T09:00:00+08:00",
        "decision": demo_decision(hearing_held=True, fine_amount="80000")},
        actor("officer", agency=ZHOUCUN))
    other = dict(ctx, proposal_seq=second["seq"])
    enter_approval(env, ctx, ZHOUCUN)
    enter_approval(env, other, ZHOUCUN)
    held = discuss(env, ctx, ZHOUCUN, outcome="decide", proposal_seq=ctx["proposal_seq"])
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, other, ZHOUCUN, "周罚〔2025〕22号")
    assert err.value.code == "collective_discussion_required"
    issued = issue(env, ctx, ZHOUCUN, "周罚〔2025〕21号")
    assert entry_content(env, ctx["case_id"], issued["seq"])["collective_discussion_seq"] == \
        held["seq"]


def test_discussion_naming_no_proposal_or_outcome_still_counts(env):
    """Discussions recorded before outcome and proposal_seq existed (or without them) keep
    counting for the proposal whose review they follow."""
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕23号")
    enter_approval(env, ctx, ZHOUCUN)
    held = discuss(env, ctx, ZHOUCUN)
    assert entry_content(env, ctx["case_id"], held["seq"])["outcome"] is None
    assert issue(env, ctx, ZHOUCUN)["seq"] == held["seq"] + 1


@pytest.mark.parametrize("extra, field, rule", [
    ({"outcome": "approve"}, "content.outcome",
     "Must be one of: decide, revise, do_not_decide, refer."),
    ({"proposal_seq": 0}, "content.proposal_seq", "Must be greater than or equal to 1."),
])
def test_discussion_with_a_bad_outcome_or_seq_is_refused(env, extra, field, rule):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕24号")
    before, events = head(env, ctx["case_id"]), outbox_count(env)
    with pytest.raises(ValidationFailed) as err:
        discuss(env, ctx, ZHOUCUN, **extra)
    assert err.value.details == {field: [rule]}
    assert (head(env, ctx["case_id"]), outbox_count(env)) == (before, events)


def test_discussion_must_name_a_proposal_of_the_case(env):
    ctx = case_at_decision(env, ZHOUCUN, "周村立〔2025〕25号")
    before, events = head(env, ctx["case_id"]), outbox_count(env)
    for seq, found in ((1, "seq 1 is a case_opened entry"), (99, "it has no entry at seq 99")):
        with pytest.raises(ValidationFailed) as err:
            discuss(env, ctx, ZHOUCUN, outcome="decide", proposal_seq=seq)
        assert err.value.details == {"content.proposal_seq": [
            "must be the seq of a decision_proposed entry of case 周村立〔2025〕25号; " + found]}
    assert (head(env, ctx["case_id"]), outbox_count(env)) == (before, events)


# ---- 2. the legal unit flags 集体讨论 required by law ---------------------------------------

@pytest.mark.parametrize("agency", [LINGCHUAN, ANZE])
def test_flagged_rpc_review_waits_for_the_collective_discussion(env, agency):
    ctx = case_at_decision(env, agency, "案〔2025〕31号")
    review = call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "opinion": "approve",
        "reasons": "情节复杂，依法应当集体讨论决定", "reviewers": ["陈静", "刘洋"],
        "reviewed_at": "2025-10-24T15:00:00+08:00", "collective_discussion_required": True},
        actor("legal_unit", agency=agency))
    stored = entry_content(env, ctx["case_id"], review["seq"])
    assert (stored["collective_discussion_required"], stored["final"],
            stored["collective_discussion_owed"]) == (True, False, True)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx, agency)
    assert err.value.code == "collective_discussion_required"
    assert "行政处罚法 第五十七条第二款" in err.value.message
    assert err.value.details["review_seq"] == review["seq"]
    assert env.events("decision_issued.v1") == []
    held = discuss(env, ctx, agency, outcome="decide", proposal_seq=ctx["proposal_seq"])
    issued = issue(env, ctx, agency)
    assert entry_content(env, ctx["case_id"], issued["seq"])["collective_discussion_seq"] == \
        held["seq"]


def test_unflagged_rpc_review_is_final_where_the_law_decides(env):
    ctx = case_at_decision(env, ANZE, "安〔2025〕32号")
    review = enter_approval(env, ctx, ANZE)
    stored = entry_content(env, ctx["case_id"], review["seq"])
    assert (stored["collective_discussion_required"], stored["final"]) == (False, True)
    assert issue(env, ctx, ANZE)["seq"] == review["seq"] + 1


# ---- 3. replay narrowed to one agency ------------------------------------------------------

def replay(env, who, rules=None, **payload):
    return as_service(env, "replay_events", payload, who, usecases.replay_events,
                      table=models.outbox, rules=rules)


def refusals(env):
    return access_log_rows(env, "actor_id", "actor_agency", "action", "outcome", "reason")


def test_replay_narrowed_to_one_agency(env):
    for agency, case_no in ((LINGCHUAN, "陵应急立〔2025〕91号"), ("qinyuan-energy", "沁能立〔2025〕91号"),
                            (ZHOUCUN, "周村立〔2025〕91号")):
        opening = open_case_request(case_no, agency=agency)
        call(env, "open_case", opening, actor("officer", agency=agency))
    with env.db.transaction() as s:  # no queue was bound for any of them
        s.execute(update(models.outbox).values(state="unrouted"))
    # a supervisor narrows its replay to one agency
    assert replay(env, actor("supervisor", agency="changzhi-energy"),
                  agency="qinyuan-energy") == {"requeued": 2}
    states = outbox_states(env)
    assert {k: v for k, v in states.items() if v != {"unrouted"}} == {
        ("qinyuan-energy", "case_opened.v1"): {"pending"},
        ("qinyuan-energy", "entry_appended.v1"): {"pending"}}
    # a legal unit naming another agency is refused, the refusal recorded, nothing requeued
    with pytest.raises(Forbidden) as err:
        replay(env, actor("legal_unit", agency=LINGCHUAN), agency=ZHOUCUN)
    assert err.value.details == {"actor_agency": LINGCHUAN, "agency": ZHOUCUN}
    assert refusals(env)[-1] == (
        "legal_unit-1", LINGCHUAN, "replay_events", "refused",
        f"actor of agency {LINGCHUAN!r} may not act for agency {ZHOUCUN!r}")
    assert outbox_states(env) == states
    # naming its own agency is as not naming one
    assert replay(env, actor("legal_unit", agency=LINGCHUAN), agency=LINGCHUAN,
                  event_types=["case_opened.v1"]) == {"requeued": 1}
    assert outbox_states(env)[(ZHOUCUN, "case_opened.v1")] == {"unrouted"}
    # an agency this deployment does not serve is not found (not "0 requeued")
    with pytest.raises(NotFound) as err:
        replay(env, actor("supervisor", agency="changzhi-energy"), agency="no-such-agency",
               rules=env.rules)
    assert err.value.details == {"agency": "no-such-agency"}
    assert outbox_states(env)[(ZHOUCUN, "case_opened.v1")] == {"unrouted"}


@pytest.mark.parametrize("agency, rule", [
    ("", "Length must be between 1 and 64."), ("x" * 65, "Length must be between 1 and 64.")])
def test_replay_with_a_malformed_agency_is_refused(env, agency, rule):
    with pytest.raises(ValidationFailed) as err:
        replay(env, actor("supervisor"), agency=agency)
    assert err.value.details == {"agency": [rule]}


# ---- 4. the AV objects of the archive manifest carry their labels -------------------------

def test_archive_manifest_carries_each_av_objects_labels(env):
    opening = open_case_request("陵应急立〔2025〕41号")
    ctx = {"case_id": call(env, "open_case", opening, actor("officer"))["id"]}
    av = demo_step("onsite_video", "陵应急立〔2025〕41号")
    labelled = dict(av.payload(ctx), unit="执法监察股")
    unlabelled = dict(av.payload(ctx), device_no="ZFJLY-0032", place="陵川县礼义镇宏泰煤矿调度室",
                      media=dict(labelled["media"], object_ref="vault://av/2025/b.mp4"))
    first = call(env, "record_av", labelled, actor("officer"))
    second = call(env, "record_av", unlabelled, actor("officer"))
    call(env, "close_case", {"case_id": ctx["case_id"], "closed_at": "2025-10-20T10:00:00+08:00",
                             "reason": "经调查不构成违法"}, actor("officer"))
    event = env.events("archive_due.v1")[-1]
    assert event["schema_version"] == "1.1"
    assert event["data"]["av_objects"] == [
        {"seq": first["seq"], "object_ref": labelled["media"]["object_ref"],
         "sha256": SHA, "party": PARTY["name"], "handler": "李明",
         "unit": "执法监察股", "device_no": "ZFJLY-0031",
         "started_at": "2025-10-09T14:00:00+08:00", "ended_at": "2025-10-09T15:10:00+08:00",
         "place": "陵川县礼义镇宏泰煤矿井口"},
        {"seq": second["seq"], "object_ref": "vault://av/2025/b.mp4",
         "sha256": SHA, "party": PARTY["name"], "handler": "李明",
         "device_no": "ZFJLY-0032", "started_at": "2025-10-09T14:00:00+08:00",
         "ended_at": "2025-10-09T15:10:00+08:00", "place": "陵川县礼义镇宏泰煤矿调度室"}]


def test_archive_manifest_copies_only_the_labels_an_av_record_has(env):
    """An AV record registered without a unit (null) gives no unit label, not a null one."""
    opening = open_case_request("陵应急立〔2025〕42号")
    ctx = {"case_id": call(env, "open_case", opening, actor("officer"))["id"]}
    av = demo_step("onsite_video", "陵应急立〔2025〕42号")
    done = call(env, "record_av", av.payload(ctx), actor("officer"))
    with env.db.read() as s:
        case = chain.load_case(s, ctx["case_id"])
        content = json.loads(s.execute(select(models.entries.c.body).where(
            models.entries.c.case_id == ctx["case_id"])
            .where(models.entries.c.seq == done["seq"])).scalar_one())["content"]
        assert "unit" in content and content["unit"] is None
        manifest = queries.archive_manifest(s, case, {}, env.rules)
    assert "unit" not in manifest["av_objects"][0]
    assert manifest["av_objects"][0]["device_no"] == "ZFJLY-0031"
