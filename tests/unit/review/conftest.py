"""The review board's use cases against a real SQLite database (PostgreSQL too for `env_db`)
and the shipped rule sets, with no broker (the builders are in support.py)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.persistence.db import make_engine, migrate, open_db
from shared.rulesets.provider import Rules
from tests.unit.review.support import AGENCIES, Env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    migrate(engine, "services.review:migrations")
    rules = Rules.from_config({"AGENCIES": AGENCIES})
    yield Env(open_db(engine), rules)
    engine.dispose()


@pytest.fixture
def env_db(db_url: str) -> Iterator[Env]:
    """The use cases on SQLite and on PostgreSQL (the db_url fixture)."""
    engine = make_engine(db_url)
    migrate(engine, "services.review:migrations")
    yield Env(open_db(engine), Rules.from_config({"AGENCIES": AGENCIES}))
    engine.dispose()
