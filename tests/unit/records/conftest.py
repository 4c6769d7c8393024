"""The record keeper's use cases against a real database (SQLite; PostgreSQL too for `env_db`)
and the shipped rule sets, with no broker (tests.unit.records.support)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.records.support import Env, open_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from open_env(f"sqlite:///{tmp_path / 'records.sqlite3'}", tmp_path)


@pytest.fixture
def env_db(db_url: str, tmp_path: Path) -> Iterator[Env]:
    """The use cases on SQLite and on PostgreSQL (the db_url fixture)."""
    yield from open_env(db_url, tmp_path)
