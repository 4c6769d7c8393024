"""Which database errors are faults of the moment (shared/persistence/transient.py), told from
real errors of PostgreSQL and SQLite: the SQLSTATEs a server raises while restarting, full or
resolving a conflict; a refused connection; SQLite's locked file — and, against them, errors no
retry mends."""
from __future__ import annotations

import sqlite3

import psycopg2
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from shared.errors import ValidationFailed
from shared.persistence.transient import is_transient


def _pg_error(url: str, sql: str) -> DBAPIError:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError(f"{sql!r} did not fail")


def _raise(sqlstate: str) -> str:
    return (f"DO $$ BEGIN RAISE EXCEPTION 'raised for the test' USING ERRCODE = '{sqlstate}'; "
            f"END $$")


@pytest.mark.postgres
@pytest.mark.parametrize("sqlstate, transient", [
    ("40001", True),    # serialization_failure
    ("40P01", True),    # deadlock_detected
    ("53300", True),    # too_many_connections
    ("57P01", True),    # admin_shutdown
    ("57P03", True),    # cannot_connect_now
    ("08006", True),    # connection_failure
    ("23505", False),   # unique_violation
    ("42501", False),   # insufficient_privilege
    ("22003", False),   # numeric_value_out_of_range
])
def test_postgresql_errors_by_sqlstate(fresh_database, sqlstate, transient):
    exc = _pg_error(fresh_database, _raise(sqlstate))
    assert isinstance(exc.orig, psycopg2.Error)
    assert exc.orig.pgcode == sqlstate
    assert is_transient(exc) is transient


@pytest.mark.postgres
def test_a_missing_table_is_permanent(fresh_database):
    assert not is_transient(_pg_error(fresh_database, "SELECT * FROM no_such_table"))


def test_a_refused_connection_is_transient():
    from tests.brokers import free_port
    engine = create_engine(f"postgresql://nobody@127.0.0.1:{free_port()}/nothing")
    with pytest.raises(DBAPIError) as err:
        engine.connect()
    assert is_transient(err.value)


@pytest.mark.postgres
def test_a_wrong_database_name_is_permanent(pg_url):
    from sqlalchemy.engine import make_url
    engine = create_engine(make_url(pg_url).set(database="sanxiang_no_such_database"))
    with pytest.raises(DBAPIError) as err:
        engine.connect()
    assert "does not exist" in str(err.value)
    assert not is_transient(err.value)


def test_a_locked_sqlite_file_is_transient_a_missing_table_is_not(tmp_path):
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(DBAPIError) as locked:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
        assert "database is locked" in str(locked.value)
        assert is_transient(locked.value)
        with pytest.raises(DBAPIError) as missing:
            with engine.connect() as conn:
                conn.execute(text("SELECT * FROM no_such_table"))
        assert not is_transient(missing.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_rule_of_ours_raised_from_a_transient_error_is_permanent(fresh_database):
    """A handler that turned the database's error into its own answer has decided."""
    cause = _pg_error(fresh_database, _raise("40001"))
    try:
        raise ValidationFailed("refused") from cause
    except ValidationFailed as exc:
        assert not is_transient(exc)
    try:
        raise RuntimeError("while handling") from cause
    except RuntimeError as exc:
        assert is_transient(exc)   # anything else: what it came from decides
