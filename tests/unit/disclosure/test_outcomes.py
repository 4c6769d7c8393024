"""Withdrawal from a 行政复议 or 诉讼 outcome (行政处罚法 第四十八条) by record_outcome: the
publication withdrawn as withdraw_publication withdraws (the rule set's 3 working days from the
outcome's date), the reason naming the procedure, authority and document, once per key; a draft
or an unknown outcome refused and recorded."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.disclosure import models, queries, usecases
from services.disclosure.usecases.outcomes import record_outcome
from shared.errors import DomainRuleViolated, ValidationFailed
from tests.unit.disclosure.support import HEAD, PUBLISHER, Env, draft_request, rpc


def published(env: Env) -> dict:
    pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def outcome(pub: dict, **changes) -> dict:
    return {"publication_id": pub["id"], "outcome": "revoked", "procedure": "reconsideration",
            "authority": "沁源县人民政府", "document_no": "沁政复决〔2025〕3号",
            "decided_on": "2025-12-01", **changes}


def test_an_outcome_withdraws_the_publication_within_the_rule_sets_period(env_db: Env):
    pub = published(env_db)
    env_db.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    done = rpc(env_db, record_outcome, "record_outcome", outcome(pub), HEAD, key="outcome-1")
    assert done["state"] == "withdrawn"
    assert done["withdrawal"] == {
        "ground": "revoked",
        "reason": "经行政复议（沁源县人民政府 沁政复决〔2025〕3号），原决定被撤销",
        "decided_on": "2025-12-01", "by": "沁源县人民政府", "due": "2025-12-04", "late": False,
        "at": "2025-12-02T02:00:00+00:00"}
    assert rpc(env_db, record_outcome, "record_outcome", outcome(pub), HEAD,
               key="outcome-1") == done
    assert len(env_db.rows(models.merkle_leaves)) == 2
    [event] = env_db.events("publication_withdrawn.v1")
    assert event["data"]["ground"] == "revoked" and event["data"]["leaf_index"] == 1
    history = env_db.call(queries.get_publication, "get_publication",
                          {"publication_id": pub["id"]}, PUBLISHER)["history"]
    assert [(h["action"], h["leaf_index"]) for h in history][-1] == ("withdrawn", 1)


def test_a_court_declaring_the_decision_void_late_says_so_with_the_agencys_words(env: Env):
    pub = published(env)
    env.now = datetime(2025, 12, 10, 2, 0, tzinfo=UTC)
    done = env.call(record_outcome, "record_outcome", outcome(
        pub, outcome="void", procedure="litigation", authority="沁源县人民法院",
        document_no="（2025）晋0431行初5号", reason="本机关将重新调查处理。"), HEAD)
    assert done["withdrawal"]["reason"] == (
        "经行政诉讼（沁源县人民法院 （2025）晋0431行初5号），原决定被确认无效。"
        "本机关将重新调查处理。")
    assert (done["withdrawal"]["due"], done["withdrawal"]["late"]) == ("2025-12-04", True)


def test_an_outcome_on_a_draft_or_of_no_known_kind_is_refused_and_recorded(env_db: Env):
    pub = env_db.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    env_db.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    with pytest.raises(DomainRuleViolated):
        rpc(env_db, record_outcome, "record_outcome", outcome(pub), HEAD)
    with pytest.raises(ValidationFailed) as refused:
        rpc(env_db, record_outcome, "record_outcome", outcome(pub, procedure="appeal"), HEAD)
    assert "procedure" in refused.value.details
    pub = env_db.call(usecases.review_publication, "review_publication",
                      {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)
    with pytest.raises(ValidationFailed) as refused:   # an outcome dated before the decision
        rpc(env_db, record_outcome, "record_outcome", outcome(pub, decided_on="2020-01-01"),
            HEAD)
    assert "decided_on" in refused.value.details
    # every refusal is recorded with its rule: the use case's, and the payload the contract
    # refused (procedure "appeal", answered by the kernel's entrypoint before any use case ran)
    assert [(r["body"]["method"], r["body"]["code"]) for r in env_db.log("refused")] == [
        ("record_outcome", "domain_rule_violated"), ("record_outcome", "validation_failed"),
        ("record_outcome", "validation_failed")]
    assert env_db.events("publication_withdrawn.v1") == []
