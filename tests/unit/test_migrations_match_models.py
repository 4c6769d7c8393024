"""Every service's migrations build exactly the tables its models declare — columns, types,
nullability, indexes (the partial ones included) and constraints — on SQLite and on
PostgreSQL, so a model changed without its migration (or the reverse) fails here rather than
in a deployment that migrated."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.persistence.db import make_engine, migrate
from tests.suite import NAMES


@pytest.mark.parametrize("service", NAMES)
def test_the_migrated_schema_is_the_models(service, db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine, f"services.{service}:migrations")
        metadata = importlib.import_module(f"services.{service}.models").metadata
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert differences == []
