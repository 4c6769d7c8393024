"""The disclosure publisher's use cases against a real SQLite database (PostgreSQL too for
`env_db`) and the shipped rule sets, with no broker (the builders are in support.py)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.persistence.db import make_engine, migrate, open_db
from tests.unit.disclosure.support import Env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    engine = make_engine(f"sqlite:///{tmp_path / 'disclosure.sqlite3'}")
    migrate(engine, "services.disclosure:migrations")
    yield Env(open_db(engine))
    engine.dispose()


@pytest.fixture
def env_db(db_url: str) -> Iterator[Env]:
    """The use cases on SQLite and on PostgreSQL (the db_url fixture)."""
    engine = make_engine(db_url)
    migrate(engine, "services.disclosure:migrations")
    yield Env(open_db(engine))
    engine.dispose()
