"""The deadline watch on SQLite and PostgreSQL: a draft not reviewed is reminded of once before
it falls due and called overdue once after, however often the watch ticks and however many
instances tick (a draft another instance has claimed is passed by); a reviewed one is left
alone."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.disclosure import models, usecases
from tests.unit.disclosure.support import PUBLISHER, Env, draft_request


def tick(env: Env, day: int, month: int = 11) -> dict:
    env.now = datetime(2025, month, day, 1, 0, tzinfo=UTC)
    return usecases.check_deadlines(db=env.db, outbox=env.outbox, rules=env.rules, now=env.now,
                                    remind_workdays=2)


def test_a_draft_is_reminded_once_and_called_overdue_once(env_db: Env):
    pub = env_db.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    other = env_db.call(usecases.create_draft, "create_draft",
                        draft_request(decision_no="沁能罚〔2025〕13号"), PUBLISHER)
    env_db.call(usecases.review_publication, "review_publication",
                {"publication_id": other["id"], "outcome": "publish"}, PUBLISHER)
    assert tick(env_db, 30, 10) == {"due_soon": 0, "overdue": 0, "failed": 0}
    assert tick(env_db, 3) == {"due_soon": 1, "overdue": 0, "failed": 0}
    assert tick(env_db, 4) == {"due_soon": 0, "overdue": 0, "failed": 0}
    assert tick(env_db, 6) == {"due_soon": 0, "overdue": 1, "failed": 0}
    assert tick(env_db, 7) == {"due_soon": 0, "overdue": 0, "failed": 0}
    [soon] = env_db.events("publication_due_soon.v1")
    assert soon["data"] == {"publication_id": pub["id"], "decision_no": "沁能罚〔2025〕12号",
                            "act_type": "penalty", "due": "2025-11-05", "workdays": 2}
    assert soon["actor"]["id"] == "disclosure"
    [late] = env_db.events("publication_overdue.v1")
    assert (late["data"]["publication_id"], late["data"]["workdays"]) == (pub["id"], 1)
    [row] = [r for r in env_db.rows(models.publications) if r["id"] == pub["id"]]
    assert (str(row["reminded_for"]), str(row["overdue_for"])) == ("2025-11-05", "2025-11-05")
    assert [r["action"] for r in env_db.log() if r["publication_id"] == pub["id"]] == [
        "reminded", "overdue_noticed"]


@pytest.mark.postgres
def test_a_draft_another_instance_holds_is_passed_by_then_reminded_once(tmp_path,
                                                                        fresh_database):
    from services.disclosure.usecases.clock import CLOCK_WATCH
    from shared.persistence import timers
    from shared.persistence.db import make_engine, migrate, open_db

    engine = make_engine(fresh_database)
    migrate(engine, "services.disclosure:migrations")
    env = Env(open_db(engine))
    try:
        pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
        with env.db.transaction() as other:             # another instance, mid-tick
            assert timers.claim(other, CLOCK_WATCH, pub["id"])
            assert tick(env, 3) == {"due_soon": 0, "overdue": 0, "failed": 0}
        assert tick(env, 3) == {"due_soon": 1, "overdue": 0, "failed": 0}
        assert tick(env, 3) == {"due_soon": 0, "overdue": 0, "failed": 0}
        assert len(env.events("publication_due_soon.v1")) == 1
    finally:
        engine.dispose()
