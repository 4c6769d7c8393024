"""A publication's life on SQLite and PostgreSQL: drafted by RPC or from the record keeper's
decision_issued.v1 (once per message and per decision), reviewed before anything is public,
published or withheld wholly or in part as a recorded decision, withdrawn with its reason —
each public act a leaf of the agency's Merkle log under a signed tree head, the whole history
returned by get_publication."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.disclosure import models, queries, usecases
from services.disclosure.domain import log
from shared.errors import DomainRuleViolated, Forbidden, NotFound, ValidationFailed
from shared.trust import merkle
from tests import agencies
from tests.unit.disclosure.support import (
    HEAD,
    PUBLISHER,
    Env,
    actor,
    draft_request,
    issued,
    rpc,
)

pytestmark = pytest.mark.usefixtures()


def draft(env: Env, **changes) -> dict:
    return env.call(usecases.create_draft, "create_draft", draft_request(**changes), PUBLISHER)


def review(env: Env, pub: dict, outcome: str = "publish", **changes) -> dict:
    payload = {"publication_id": pub["id"], "outcome": outcome, **changes}
    return env.call(usecases.review_publication, "review_publication", payload, PUBLISHER)


def get(env: Env, pub: dict, who=PUBLISHER) -> dict:
    return env.call(queries.get_publication, "get_publication", {"publication_id": pub["id"]},
                    who)


def test_a_draft_is_not_public_until_reviewed(env_db: Env):
    pub = draft(env_db)
    assert (pub["state"], pub["published"], pub["deadline"]["due"]) == ("draft", None,
                                                                        "2025-11-05")
    assert [h["action"] for h in pub["history"]] == ["drafted"]
    assert env_db.events() == [] and env_db.rows(models.merkle_leaves) == []
    with pytest.raises(NotFound):
        env_db.call(queries.tree_head, "tree_head", {"agency": agencies.QINYUAN}, PUBLISHER)


def test_publishing_appends_a_leaf_and_signs_the_tree_head(env_db: Env):
    pub = review(env_db, draft(env_db))
    assert pub["state"] == "published"
    assert pub["published"]["summary"]["document_number"] == "沁能罚〔2025〕12号"
    assert [(h["action"], h["leaf_index"]) for h in pub["history"]] == [
        ("drafted", None), ("published", 0)]
    [event] = env_db.events("decision_published.v1")
    assert event["data"]["leaf_index"] == 0 and event["data"]["tree_size"] == 1
    assert event["data"]["late"] is False
    head = env_db.call(queries.tree_head, "tree_head", {"agency": agencies.QINYUAN},
                       actor("supervisor"))
    [leaf] = env_db.rows(models.merkle_leaves)
    assert head["root"] == merkle.root_of([merkle.leaf_hash(leaf["leaf"].encode())]).hex()
    assert log.statement_holds(head["statement"], head["signature"], head["key_id"],
                               env_db.log_keys.verifying)


def test_withdrawing_publishes_the_reason_as_the_next_leaf(env_db: Env):
    pub = review(env_db, draft(env_db))
    env_db.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    done = env_db.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": pub["id"], "ground": "revoked", "reason": "经行政复议，原决定被撤销",
        "decided_on": "2025-12-01", "by": "沁源县人民政府"}, HEAD)
    assert done["state"] == "withdrawn"
    assert done["withdrawal"]["due"] == "2025-12-04" and done["withdrawal"]["late"] is False
    assert [(h["action"], h["leaf_index"]) for h in get(env_db, pub)["history"]] == [
        ("drafted", None), ("published", 0), ("withdrawn", 1)]
    [event] = env_db.events("publication_withdrawn.v1")
    assert (event["data"]["reason"], event["data"]["tree_size"]) == ("经行政复议，原决定被撤销", 2)
    leaves = env_db.rows(models.merkle_leaves)
    root = merkle.root_of([merkle.leaf_hash(r["leaf"].encode())
                           for r in sorted(leaves, key=lambda r: r["idx"])]).hex()
    assert env_db.call(queries.tree_head, "tree_head", {"agency": agencies.QINYUAN},
                       PUBLISHER)["root"] == root


def test_a_late_withdrawal_says_so_and_a_draft_cannot_be_withdrawn(env: Env):
    pub = draft(env)
    request = {"publication_id": pub["id"], "ground": "void", "reason": "确认无效",
               "decided_on": "2025-10-27", "by": "人民法院"}
    with pytest.raises(DomainRuleViolated):
        env.call(usecases.withdraw_publication, "withdraw_publication", request, HEAD)
    review(env, pub)
    env.now = datetime(2025, 11, 10, 2, 0, tzinfo=UTC)
    done = env.call(usecases.withdraw_publication, "withdraw_publication", request, HEAD)
    assert done["withdrawal"]["late"] is True


def test_withholding_is_recorded_and_leaves_nothing_public(env_db: Env):
    pub = review(env_db, draft(env_db), "withhold", grounds=["state_secret"],
                 reason="经保密审查，涉及国家秘密")
    assert (pub["state"], pub["published"]) == ("withheld", None)
    assert pub["review"]["grounds"][0]["basis"] == "000《公示办法》第十三条第一款"
    assert [h["action"] for h in pub["history"]] == ["drafted", "withheld"]
    # nothing public: only the notice a supervisor's system follows (publication_withheld.v1)
    assert [e["event_type"] for e in env_db.events()] == ["publication_withheld.v1"]
    assert env_db.rows(models.merkle_leaves) == []


def test_withholding_in_part_publishes_the_rest(env: Env):
    pub = review(env, draft(env), "partial", grounds=["trade_secret"],
                 reason="处罚内容涉及商业秘密", withheld_fields=["facts"])
    assert "facts" not in pub["published"]["summary"]
    assert "facts" not in pub["published"]["credit"]
    assert pub["review"]["withheld_fields"] == ["facts"]
    [event] = env.events("decision_published.v1")
    assert event["data"]["withheld_fields"] == ["facts"]


def test_a_decision_from_the_record_keeper_is_drafted_once(env_db: Env):
    body = issued(decision_no="沁能罚〔2025〕20号")
    first = usecases.on_decision_issued(body, db=env_db.db, rules=env_db.rules,
                                        outbox=env_db.outbox, now=env_db.now)
    assert usecases.on_decision_issued(body, db=env_db.db, rules=env_db.rules,
                                       outbox=env_db.outbox, now=env_db.now) is None
    again = issued(decision_no="沁能罚〔2025〕20号")     # another message, the same decision
    assert usecases.on_decision_issued(again, db=env_db.db, rules=env_db.rules,
                                       outbox=env_db.outbox, now=env_db.now) == first
    [row] = env_db.rows(models.publications)
    assert (row["source"], row["missing"]) == ("records", ["case_name"])
    assert row["deadline"]["start"] == "2025-10-27"
    assert row["credit"]["credit_code"]["value"] == "91140524MA0XXXXX1X"
    assert len(env_db.log("decision_seen_again")) == 1
    pub = get(env_db, {"id": first})
    with pytest.raises(DomainRuleViolated):
        review(env_db, pub)
    done = review(env_db, pub, completions={"case_name": "陵川县某某煤业有限公司未如实记录培训案"})
    assert done["published"]["summary"]["case_name"] == "陵川县某某煤业有限公司未如实记录培训案"


def test_a_second_draft_of_a_decision_is_refused(env: Env):
    draft(env)
    with pytest.raises(DomainRuleViolated) as refused:
        draft(env)
    assert refused.value.details["rule"] == "decision_drafted"


def test_refusals_are_recorded_and_another_agencys_publication_reads_as_missing(env_db: Env):
    pub = rpc(env_db, usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    anze = actor("publisher", agencies.ANZE)
    with pytest.raises(NotFound):
        rpc(env_db, queries.get_publication, "get_publication", {"publication_id": pub["id"]},
            anze)
    with pytest.raises(Forbidden):       # the role first: a reviewer may not publish
        rpc(env_db, usecases.review_publication, "review_publication",
            {"publication_id": pub["id"], "outcome": "publish"}, actor("reviewer"))
    with pytest.raises(Forbidden):       # another agency's draft is not this publisher's to make
        rpc(env_db, usecases.create_draft, "create_draft",
            draft_request(agency=agencies.ANZE, decision_no="安司罚〔2025〕1号"), PUBLISHER)
    with pytest.raises(DomainRuleViolated):    # the rules refuse: recorded with the rule
        rpc(env_db, usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    with pytest.raises(ValidationFailed):      # a ground the rule set does not have
        rpc(env_db, usecases.review_publication, "review_publication",
            {"publication_id": pub["id"], "outcome": "withhold", "grounds": ["whim"],
             "reason": "不想公开"}, PUBLISHER)
    refused = env_db.log("refused")
    assert [r["body"]["method"] for r in refused] == [
        "get_publication", "review_publication", "create_draft", "create_draft",
        "review_publication"]
    assert refused[3]["body"]["rule"] == "decision_drafted"
    assert refused[4]["publication_id"] == pub["id"]
    assert get(env_db, pub)["state"] == "draft"
    assert refused[0]["publication_id"] == pub["id"]
    assert refused[1]["body"]["code"] == "forbidden"


def test_a_repeated_write_answers_the_first_and_writes_nothing(env_db: Env):
    first = rpc(env_db, usecases.create_draft, "create_draft", draft_request(), PUBLISHER,
                key="draft-12")
    assert rpc(env_db, usecases.create_draft, "create_draft", draft_request(), PUBLISHER,
               key="draft-12") == first
    request = {"publication_id": first["id"], "outcome": "publish"}
    published = rpc(env_db, usecases.review_publication, "review_publication", request,
                    PUBLISHER, key="review-12")
    assert rpc(env_db, usecases.review_publication, "review_publication", request,
               PUBLISHER, key="review-12") == published
    assert len(env_db.rows(models.publications)) == 1
    assert len(env_db.rows(models.merkle_leaves)) == 1
    assert len(env_db.events("decision_published.v1")) == 1


def test_a_reader_checks_inclusion_and_that_the_log_only_grew(env_db: Env):
    first = review(env_db, draft(env_db))
    head1 = env_db.call(queries.tree_head, "tree_head", {"agency": agencies.QINYUAN}, PUBLISHER)
    for n in (13, 14, 15):
        review(env_db, draft(env_db, decision_no=f"沁能罚〔2025〕{n}号"))
    head4 = env_db.call(queries.tree_head, "tree_head", {"agency": agencies.QINYUAN}, PUBLISHER)
    assert (head1["size"], head4["size"]) == (1, 4)
    got = env_db.call(queries.inclusion_proof, "inclusion_proof",
                      {"agency": agencies.QINYUAN, "leaf_index": 0, "size": 4}, PUBLISHER)
    assert json.loads(got["leaf"])["publication_id"] == first["id"]
    assert merkle.verify_inclusion(merkle.leaf_hash(got["leaf"].encode()), 0, 4,
                                   [bytes.fromhex(h) for h in got["proof"]],
                                   bytes.fromhex(head4["root"]))
    grew = env_db.call(queries.consistency_proof, "consistency_proof",
                       {"agency": agencies.QINYUAN, "first": 1, "second": 4}, PUBLISHER)
    assert merkle.verify_consistency(1, 4, bytes.fromhex(head1["root"]),
                                     bytes.fromhex(head4["root"]),
                                     [bytes.fromhex(h) for h in grew["proof"]])
    with pytest.raises(DomainRuleViolated) as refused:
        env_db.call(queries.inclusion_proof, "inclusion_proof",
                    {"agency": agencies.QINYUAN, "leaf_index": 0, "size": 5}, PUBLISHER)
    assert refused.value.code == "log_shorter" and refused.value.details["held"] == 4
    with pytest.raises(ValidationFailed) as wrong:
        env_db.call(queries.consistency_proof, "consistency_proof",
                    {"agency": agencies.QINYUAN, "first": 4, "second": 2}, PUBLISHER)
    assert "first" in wrong.value.details


def test_a_publishers_queue_lists_the_drafts_earliest_due_first_page_by_page(env_db: Env):
    other = draft(env_db, decision_no="沁能查〔2025〕1号", act_type="inspection")   # 20 days
    first = draft(env_db)                                                      # 7 days
    second = draft(env_db, decision_no="沁能罚〔2025〕13号")
    review(env_db, second)
    anze = actor("publisher", agencies.ANZE)
    env_db.call(usecases.create_draft, "create_draft",
                draft_request(agency=agencies.ANZE, decision_no="安司罚〔2025〕1号"), anze)
    page = env_db.call(queries.list_publications, "list_publications",
                       {"agency": agencies.QINYUAN, "state": "draft", "limit": 1}, PUBLISHER)
    assert [i["id"] for i in page["items"]] == [first["id"]] and page["next"]
    page = env_db.call(queries.list_publications, "list_publications",
                       {"agency": agencies.QINYUAN, "state": "draft", "limit": 1,
                        "cursor": page["next"]}, PUBLISHER)
    assert [(i["id"], i["due"]) for i in page["items"]] == [(other["id"], "2025-11-24")]
    assert page["next"] is None
    every = env_db.call(queries.list_publications, "list_publications",
                        {"agency": agencies.QINYUAN}, PUBLISHER)
    assert len(every["items"]) == 3
    with pytest.raises(ValidationFailed):
        env_db.call(queries.list_publications, "list_publications",
                    {"agency": agencies.QINYUAN, "cursor": "bm90LWEtY3Vyc29y"}, PUBLISHER)


def test_a_decision_published_after_its_due_date_is_marked_late(env: Env):
    pub = draft(env)
    env.now = datetime(2025, 11, 6, 1, 0, tzinfo=UTC)    # the day after it fell due
    review(env, pub)
    [event] = env.events("decision_published.v1")
    assert event["data"]["late"] is True


@pytest.mark.parametrize("ruleset,why", [
    ("qinyuan-energy@99", "has no version 99"),
    ("anze-county@1", "is not the agency's"),
    ("anze-justice@1", "no rule set"),
])
def test_a_case_rule_set_not_held_gives_way_to_the_agency_s_and_says_so(env: Env, ruleset: str,
                                                                        why: str):
    current = env.rules.agency(agencies.QINYUAN).ruleset.ref
    held = issued(decision_no="沁能罚〔2025〕30号")
    usecases.on_decision_issued(held, db=env.db, rules=env.rules, outbox=env.outbox,
                                now=env.now)
    assert env.log("ruleset_not_held") == []
    odd = issued(decision_no="沁能罚〔2025〕31号", ruleset=ruleset)
    pub_id = usecases.on_decision_issued(odd, db=env.db, rules=env.rules, outbox=env.outbox,
                                         now=env.now)
    rows = {r["id"]: r for r in env.rows(models.publications)}
    assert rows[pub_id]["ruleset"] == current       # drafted all the same, on time
    [note] = env.log("ruleset_not_held")
    assert note["body"]["case_ruleset"] == ruleset and note["body"]["used"] == current
    assert why in note["body"]["reason"]
