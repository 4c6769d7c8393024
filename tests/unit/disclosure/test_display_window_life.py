"""Public display windows on SQLite and PostgreSQL: a penalty decided from 2026-04-01 is
published with its class and window (轻微 refused, withheld on ground minor_penalty instead),
taken down by the watch the day after its window ends — once across runs and instances, a leaf
of the agency's log and publication_expired.v1 — and taken down early by a 信用修复 only once the
class's minimum has passed."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.disclosure import models, queries, usecases
from shared.errors import DomainRuleViolated, ValidationFailed
from tests.unit.disclosure.support import HEAD, PUBLISHER, Env, draft_request, rpc

DECIDED = "2026-05-29"        # a Friday; the 7 working days' deadline falls in June


def at(env: Env, y: int, m: int, d: int) -> None:
    env.now = datetime(y, m, d, 1, 0, tzinfo=UTC)      # 09:00 CST that day


def published(env: Env, display_class: str = "general") -> dict:
    at(env, 2026, 6, 1)
    pub = env.call(usecases.create_draft, "create_draft",
                   draft_request(decision_date=DECIDED), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication", {
        "publication_id": pub["id"], "outcome": "publish", "display_class": display_class},
        PUBLISHER)


def tick(env: Env) -> dict:
    return usecases.check_windows(db=env.db, outbox=env.outbox, log_keys=env.log_keys,
                                  now=env.now)


def repair(env: Env, pub: dict, decided_on: str, who=PUBLISHER) -> dict:
    return rpc(env, usecases.record_credit_repair, "record_credit_repair", {
        "publication_id": pub["id"], "reason": "当事人已履行行政处罚决定并作出信用承诺",
        "basis": "信用修复管理办法", "decided_on": decided_on,
        "document": "沁能信修〔2026〕1号"}, who)


def test_a_penalty_is_published_with_its_window(env_db: Env):
    pub = published(env_db, "serious")
    assert pub["display_window"]["class"] == "serious"
    assert (pub["display_window"]["ends"], pub["display_window"]["repairable_from"]) == (
        "2029-05-29", "2027-05-30")
    [row] = env_db.rows(models.publications)
    assert str(row["display_until"]) == "2029-05-29"


def test_a_penalty_without_its_class_is_refused_and_the_refusal_recorded(env_db: Env):
    at(env_db, 2026, 6, 1)
    pub = env_db.call(usecases.create_draft, "create_draft",
                      draft_request(decision_date=DECIDED), PUBLISHER)
    with pytest.raises(ValidationFailed) as refused:
        rpc(env_db, usecases.review_publication, "review_publication",
            {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)
    assert refused.value.details["field"] == "display_class"
    [row] = env_db.rows(models.publications)
    assert row["state"] == "draft" and env_db.events("decision_published.v1") == []
    assert env_db.log("refused")


def test_a_minor_penalty_is_not_published_but_withheld_on_its_ground(env_db: Env):
    at(env_db, 2026, 6, 1)
    pub = env_db.call(usecases.create_draft, "create_draft",
                      draft_request(decision_date=DECIDED), PUBLISHER)
    with pytest.raises(DomainRuleViolated) as refused:
        rpc(env_db, usecases.review_publication, "review_publication",
            {"publication_id": pub["id"], "outcome": "publish", "display_class": "minor"},
            PUBLISHER)
    assert "轻微" in refused.value.message_zh
    assert env_db.rows(models.merkle_leaves) == []
    done = env_db.call(usecases.review_publication, "review_publication", {
        "publication_id": pub["id"], "outcome": "withhold", "grounds": ["minor_penalty"],
        "reason": "适用简易程序作出的警告，属轻微失信信息"}, PUBLISHER)
    assert done["state"] == "withheld"
    assert done["review"]["grounds"][0]["basis"].startswith("信用修复管理办法")


def test_the_watch_takes_a_publication_down_once_the_day_after_its_window(env_db: Env):
    pub = published(env_db)                              # general: through 2027-05-29
    at(env_db, 2027, 5, 29)
    assert tick(env_db) == {"expired": 0, "failed": 0}
    at(env_db, 2027, 5, 30)
    assert tick(env_db) == {"expired": 1, "failed": 0}
    assert tick(env_db) == {"expired": 0, "failed": 0}  # a second run finds it done
    done = env_db.call(queries.get_publication, "get_publication",
                       {"publication_id": pub["id"]}, PUBLISHER)
    assert done["state"] == "expired"
    assert [(h["action"], h["leaf_index"]) for h in done["history"]] == [
        ("drafted", None), ("published", 0), ("expired", 1)]
    [event] = env_db.events("publication_expired.v1")
    assert (event["data"]["ends"], event["data"]["leaf_index"]) == ("2027-05-29", 1)
    assert len(env_db.rows(models.merkle_leaves)) == 2


def test_a_credit_repair_before_the_minimum_is_refused_and_after_it_accepted(env_db: Env):
    pub = published(env_db)                              # repairable from 2026-08-30
    at(env_db, 2026, 9, 1)
    with pytest.raises(DomainRuleViolated) as refused:
        repair(env_db, pub, "2026-08-29")
    assert "2026-08-30" in refused.value.message_zh
    assert env_db.log("refused") and env_db.events("publication_repaired.v1") == []
    done = repair(env_db, pub, "2026-08-30", who=HEAD)
    assert done["state"] == "repaired"
    assert done["credit_repair"]["document"] == "沁能信修〔2026〕1号"
    assert [h["action"] for h in done["history"]] == ["drafted", "published", "credit_repaired"]
    [event] = env_db.events("publication_repaired.v1")
    assert event["data"]["leaf_index"] == 1
    with pytest.raises(DomainRuleViolated):              # down already: nothing twice
        repair(env_db, pub, "2026-08-31")
    at(env_db, 2027, 6, 1)
    assert tick(env_db) == {"expired": 0, "failed": 0}  # a repaired one never expires


def test_a_repair_dated_after_today_is_refused(env_db: Env):
    pub = published(env_db)
    at(env_db, 2026, 9, 1)
    with pytest.raises(ValidationFailed):
        repair(env_db, pub, "2026-09-02")


@pytest.mark.postgres
def test_a_publication_another_instance_holds_is_passed_by_then_taken_down_once(
        fresh_database):
    from services.disclosure.usecases.windows import WINDOW_WATCH
    from shared.persistence import timers
    from shared.persistence.db import make_engine, migrate, open_db

    engine = make_engine(fresh_database)
    migrate(engine, "services.disclosure:migrations")
    env = Env(open_db(engine))
    try:
        pub = published(env)
        at(env, 2027, 6, 1)
        with env.db.transaction() as other:             # another instance, mid-tick
            assert timers.claim(other, WINDOW_WATCH, pub["id"])
            assert tick(env) == {"expired": 0, "failed": 0}
        assert tick(env) == {"expired": 1, "failed": 0}
        assert tick(env) == {"expired": 0, "failed": 0}
        assert len(env.events("publication_expired.v1")) == 1
    finally:
        engine.dispose()
