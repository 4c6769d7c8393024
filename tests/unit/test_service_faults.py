"""Only Sanxiang errors leave shared.service.entrypoint.handle (shared.service.faults): a real
database's
passing fault — PostgreSQL's lock_not_available, SQLite's "database is locked" — is answered
`unavailable` (retry), any other exception `internal_error`; neither carries the fault's
text (SQL, table names, values), and each names an incident id the service logged with the
traceback. Before, the driver's error reached the caller as it was."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, text

from contracts.records import CONTRACT
from shared.errors import InternalError, NotFound, Unavailable
from shared.persistence.transient import is_transient as transient
from shared.service.entrypoint import handle
from shared.trust.actor import Actor

OFFICER = Actor(id="officer-1", role="officer", agency="lingchuan-emergency")
CASE = {"case_id": "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"}


def run(fn):
    return handle(CONTRACT, "get_case", CASE, fn, actor=OFFICER)


@pytest.fixture
def engine(db_url):
    engine = create_engine(db_url, connect_args={"timeout": 0.05}
                           if db_url.startswith("sqlite") else {})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE secret_cases (id VARCHAR(36) PRIMARY KEY)"))
    yield engine
    engine.dispose()


def test_a_programming_fault_is_an_internal_error_without_its_text(engine, caplog):
    def use_case(p, *, actor):
        with engine.connect() as conn:
            conn.execute(text("SELECT id FROM no_such_table WHERE id = :id"), {"id": p["case_id"]})

    with caplog.at_level(logging.ERROR, logger="shared.service.faults"):
        with pytest.raises(InternalError) as err:
            run(use_case)
    answer = err.value
    assert answer.code == "internal_error" and set(answer.details) == {"incident"}
    shown = str(answer.payload())
    assert "no_such_table" not in shown and "SELECT" not in shown
    # the operator finds the incident, with the statement and traceback, in the log
    logged = [r for r in caplog.records if answer.details["incident"] in r.getMessage()]
    assert logged and "records.get_case" in logged[0].getMessage()
    assert "no_such_table" in caplog.text and "Traceback" in caplog.text


def test_python_exceptions_are_internal_errors_too():
    def use_case(p, *, actor):
        nothing: dict[str, int] = {}
        return nothing["missing key"]

    with pytest.raises(InternalError) as err:
        run(use_case)
    assert "missing key" not in str(err.value.payload())


def test_a_lock_the_database_cannot_get_in_time_is_unavailable_to_retry(engine, db_url):
    holder = engine.connect()
    if db_url.startswith("sqlite"):
        holder.exec_driver_sql("BEGIN EXCLUSIVE")
        blocked = "INSERT INTO secret_cases (id) VALUES ('x')"
    else:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE secret_cases IN ACCESS EXCLUSIVE MODE")
        blocked = "SELECT id FROM secret_cases"

    def use_case(p, *, actor):
        with engine.begin() as conn:
            if db_url.startswith("postgresql"):
                conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            conn.exec_driver_sql(blocked)

    try:
        with pytest.raises(Unavailable) as err:
            run(use_case)
    finally:
        holder.rollback()
        holder.close()
    assert err.value.code == "unavailable"
    assert err.value.details["retry"] is True and err.value.details["incident"]
    assert "secret_cases" not in str(err.value.payload())
    run(lambda p, *, actor: {"id": "x"})  # the lock gone, the same request goes through


def test_sanxiang_errors_pass_unchanged():
    def use_case(p, *, actor):
        raise NotFound("no case", details=CASE)

    with pytest.raises(NotFound) as err:
        run(use_case)
    assert err.value.details == CASE


def test_only_passing_database_faults_count_as_transient():
    assert not transient(KeyError("x")) and not transient(ValueError("NUL"))
