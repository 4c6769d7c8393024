"""Every service's migrations build exactly the tables its models declare — columns, types,
nullability, indexes (the partial ones included) and constraints — on SQLite and on
PostgreSQL, so a model changed without its migration (or the reverse) fails here rather than
in a deployment that migrated."""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.persistence.db import make_engine, migrate
from tests.suite import NAMES

ROOT = Path(__file__).resolve().parents[2]


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


def test_instances_starting_together_on_a_new_sqlite_file_all_migrate_it(tmp_path):
    """Three processes migrating one new SQLite file at once (instances of a service starting
    together): each waits its turn and starts. Without the turns one met another's migration
    as "database is locked" and never started."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    code = ("from shared.persistence.db import make_engine, migrate; "
            f"migrate(make_engine({url!r}), 'services.disclosure:migrations'); print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [(p.returncode, out.strip()) for p, (out, _) in zip(procs, results, strict=True)] == \
        [(0, "ok")] * 3, [err[-500:] for _, err in results]
