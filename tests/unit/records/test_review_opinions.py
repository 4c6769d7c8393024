"""The review board's opinions reach the record keeper as opinion_issued.v1: each becomes a
legal_review entry once (a redelivery changes nothing), a non-final approval (集体讨论 still
owed) does not open the gate, the final one does, and an invalid event is refused whole."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.records.models import entries, inbox
from services.records.usecases import events
from shared.errors import DomainRuleViolated, ValidationFailed
from tests.unit.records.support import actor, call, review_opinion, run_demo

opinion = review_opinion


def issue(env, ctx):
    return call(env, "issue_decision", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
        "decision_no": "陵应急罚〔2025〕31号", "issued_at": "2025-10-27T10:00:00+08:00",
        "signed_by": "王建军"}, actor("head"))


def count(env, table, **where):
    with env.db.read() as s:
        query = select(func.count()).select_from(table)
        for key, value in where.items():
            query = query.where(table.c[key] == value)
        return s.execute(query).scalar_one()


def test_an_opinion_becomes_one_entry_however_often_it_arrives(env):
    ctx = run_demo(env, until="enter_legal_review")
    body = opinion(ctx)
    seq = events.record_review_opinion(body, db=env.db, outbox=env.outbox, rules=env.rules,
                                       now=env.now)
    assert seq is not None
    again = events.record_review_opinion(body, db=env.db, outbox=env.outbox,
                                            rules=env.rules, now=env.now)
    assert again is None and count(env, entries, kind="legal_review") == 1
    assert count(env, inbox) == 1
    assert issue(env, ctx)["seq"] == seq + 1
    issued = env.events("decision_issued.v1")[-1]["data"]
    assert issued["legal_review_seq"] == seq


def test_an_approval_awaiting_collective_discussion_does_not_open_the_gate(env):
    ctx = run_demo(env, until="enter_legal_review")
    events.record_review_opinion(opinion(ctx, final=False), db=env.db, outbox=env.outbox,
                                    rules=env.rules, now=env.now)
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx)
    assert err.value.code == "collective_discussion_required"
    events.record_review_opinion(opinion(ctx, final=True, stage="collective_discussion"),
                                    db=env.db, outbox=env.outbox, rules=env.rules, now=env.now)
    assert issue(env, ctx)["stage"] == "decision"


def test_an_invalid_opinion_is_refused_whole(env):
    ctx = run_demo(env, until="enter_legal_review")
    body = opinion(ctx)
    del body["data"]["approving"]
    with pytest.raises(ValidationFailed) as err:
        events.record_review_opinion(body, db=env.db, outbox=env.outbox, rules=env.rules,
                                        now=env.now)
    assert err.value.details == {"data.approving": ["Missing data for required field."]}
    assert count(env, inbox) == 0 and count(env, entries, kind="legal_review") == 0
