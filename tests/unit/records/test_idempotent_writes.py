"""Every write of the record keeper happens once per idempotency key
(shared.persistence.idempotency), on SQLite and PostgreSQL: a repeated request — a redelivery
after a crash, a caller's retry after a timeout — gets the first answer and appends nothing; a
caller key reused for another request is refused and recorded; two callers never share a key;
a failed call stores nothing; a concurrent duplicate waits for the first and answers as it
did."""
from __future__ import annotations

import eventlet
import psycopg2
import pytest
from sqlalchemy import func, select

from contracts.records import CONTRACT
from services.records import models
from services.records.usecases import records
from shared.errors import IdempotencyKeyReused, InternalError
from shared.persistence.idempotency import CallKeys
from shared.service.entrypoint import handle
from tests.unit.records.support import (
    access_log_rows,
    actor,
    call,
    open_env,
    recorded_refusal,
    use_case,
)

OPEN_CASE = CONTRACT.rpc("open_case").example_request


OFFICERS = CONTRACT.rpc("append_record").example_request["content"]["officers"]


APPEND = {"record_type": "note", "occurred_at": "2025-10-10T10:30:00+08:00", "situations": [],
          "content": {"title": "询问情况记录", "document_no": "陵应急询〔2025〕12号",
                      "officers": OFFICERS, "summary": "安全科长承认未组织特种作业人员参加培训"}}


def write(env, method, payload, who, keys, fn=None):
    """A write as the service's entrypoint runs it: shared.service.entrypoint.handle with the
    call's keys."""
    return handle(CONTRACT, method, payload, fn or use_case(method), actor=who,
                  keys=keys, refused=recorded_refusal(env), **env.deps())


def count(env, table) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(table)).scalar()


def opened(env, case_no="陵应急立〔2025〕77号") -> str:
    return call(env, "open_case", dict(OPEN_CASE, case_no=case_no), actor())["id"]


def test_a_repeated_request_appends_once_and_gets_the_first_answer(env_db):
    case_id = opened(env_db)
    entries, events = count(env_db, models.entries), count(env_db, models.outbox)
    redelivered = CallKeys(request_id="corr-1")  # the same AMQP message, delivered twice
    first = write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(), redelivered)
    again = write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(), redelivered)
    assert again == first and first["seq"] == 2
    assert count(env_db, models.entries) == entries + 1
    assert count(env_db, models.outbox) == events + 1
    # the caller's own key: a retry after a timeout learns the outcome, and writes nothing
    mine = CallKeys(given="append 'interview' 7 %s 100%", request_id="corr-2")
    second = write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(), mine)
    retry = write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(),
                  CallKeys(given="append 'interview' 7 %s 100%", request_id="corr-3"))
    assert retry == second and second["seq"] == 3
    assert count(env_db, models.entries) == entries + 2
    # a correlation id is not the caller's promise: with another request it is another call
    other = write(env_db, "append_record",
                  dict(APPEND, case_id=case_id, situations=["interview"]), actor(), redelivered)
    assert other["seq"] == 4


def test_a_caller_key_reused_for_another_request_is_refused_writes_nothing_and_is_recorded(
        env_db):
    case_id = opened(env_db)
    key = CallKeys(given="k-1", request_id="corr-1")
    write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(), key)
    entries = count(env_db, models.entries)
    with pytest.raises(IdempotencyKeyReused) as refused:
        write(env_db, "append_record", dict(APPEND, case_id=case_id, situations=["interview"]),
              actor(),
              CallKeys(given="k-1", request_id="corr-2"))
    assert refused.value.code == "idempotency_key_reused"
    assert refused.value.details == {"header": "nameko.idempotency_key",
                                     "method": "append_record"}
    assert count(env_db, models.entries) == entries
    assert access_log_rows(env_db, "action", "outcome")[-1] == ("append_record", "refused")
    # the key is the caller's and the method's: another method may use it
    write(env_db, "close_case", {"case_id": case_id, "closed_at": "2025-10-20T10:00:00+08:00",
                                 "reason": "不予处罚"}, actor(), key)
    assert count(env_db, models.entries) == entries + 1


def test_two_actors_with_the_same_key_each_write(env_db):
    case_id = opened(env_db)
    entries = count(env_db, models.entries)
    for who in (actor(id="officer-1"), actor(id="officer-2")):
        write(env_db, "append_record", dict(APPEND, case_id=case_id), who,
              CallKeys(given="same-key", request_id="corr-1"))
    assert count(env_db, models.entries) == entries + 2


def test_a_failed_call_stores_nothing_and_its_retry_runs(env_db):
    """The use case's own transaction is the call's: an error after it (even after its own
    `with db.transaction()` block ended) rolls its writes back with the claim."""
    case_id = opened(env_db)
    entries = count(env_db, models.entries)

    def appended_then_failed(request, **deps):
        records.append_record(request, **deps)
        raise RuntimeError("the worker died before answering")

    key = CallKeys(given="k-2", request_id="corr-1")
    with pytest.raises(InternalError):  # what the caller is told (shared.service.faults)
        write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(), key,
              fn=appended_then_failed)
    assert count(env_db, models.entries) == entries
    assert count(env_db, models.idempotency) == 0
    answer = write(env_db, "append_record", dict(APPEND, case_id=case_id), actor(), key)
    assert answer["seq"] == 2 and count(env_db, models.entries) == entries + 1


@pytest.mark.postgres
def test_concurrent_duplicates_write_once_on_postgresql(make_pg_database, tmp_path):
    """A second instance gets the redelivery while the first waits (frozen, or on a lock):
    the second blocks on the first's claim and answers what the first committed."""
    gen = open_env(make_pg_database(), tmp_path)
    env = next(gen)
    try:
        case_id = opened(env)
        entries = count(env, models.entries)
        locker = psycopg2.connect(env.db.engine.url.render_as_string(hide_password=False)
                                  .replace("postgresql+psycopg2", "postgresql"))
        cur = locker.cursor()
        cur.execute("SELECT id FROM cases WHERE id = %s FOR UPDATE", (case_id,))
        keys = CallKeys(request_id="corr-dup")
        calls = [eventlet.spawn(write, env, "append_record", dict(APPEND, case_id=case_id),
                                actor(), keys) for _ in range(3)]
        eventlet.sleep(0.5)  # all three under way: the first on the case lock, the rest on it
        assert count(env, models.entries) == entries
        locker.rollback()
        locker.close()
        answers = [c.wait() for c in calls]
        assert answers[0] == answers[1] == answers[2]
        assert count(env, models.entries) == entries + 1
        assert count(env, models.idempotency) == 1
    finally:
        next(gen, None)
