"""The vault's stores: the local directory store, and the S3 store against moto in server mode
(one server per test session, a fresh pair of buckets per test)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.vault.storage.local import LocalStore
from shared.persistence.db import make_engine, migrate, open_db
from tests.unit.vault.support import RULES, Env, local_stores, make_s3_store, moto_server


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path):
    """Each contract test runs against both backends."""
    if request.param == "local":
        return LocalStore(tmp_path / "vault")
    return make_s3_store(request.getfixturevalue("s3_endpoint"), part_size=5 * 1024 * 1024)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    engine = make_engine(f"sqlite:///{tmp_path / 'vault.sqlite3'}")
    migrate(engine, "services.vault:migrations")
    yield Env(open_db(engine), RULES, local_stores(tmp_path))
    engine.dispose()


@pytest.fixture
def env_db(db_url: str, tmp_path: Path) -> Iterator[Env]:
    """The use cases on SQLite and on PostgreSQL (the db_url fixture)."""
    engine = make_engine(db_url)
    migrate(engine, "services.vault:migrations")
    yield Env(open_db(engine), RULES, local_stores(tmp_path))
    engine.dispose()
