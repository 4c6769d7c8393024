"""Every write method of every contract runs once per idempotency key
(shared.persistence.idempotency),
each in its own service's real database (SQLite, migrated): the method list comes from the
contracts, so a method added later is covered — and it is a write until its contract declares
it a read (`writes=False`)."""
from __future__ import annotations

import pytest
from marshmallow import EXCLUDE
from sqlalchemy import func, select, text

from contracts.records import CONTRACT as RECORDS
from contracts.review import CONTRACT as REVIEW
from shared.contracts.registry import dump
from shared.errors import IdempotencyKeyReused, ValidationFailed
from shared.persistence.db import make_engine, migrate, open_db
from shared.persistence.idempotency import _TABLE as IDEMPOTENCY
from shared.persistence.idempotency import CallKeys
from shared.service.entrypoint import handle
from shared.trust.actor import Actor
from tests import suite

# every installed service's contract (the sanxiang.services entry points)
CONTRACTS = tuple(suite.contracts().values())
WRITES = [pytest.param(contract, rpc, id=f"{contract.service}.{rpc.name}")
          for contract in CONTRACTS for rpc in contract.rpcs if rpc.writes]


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    dbs = {}
    for contract in CONTRACTS:
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp(contract.service)}/db.sqlite3")
        migrate(engine, f"services.{contract.service}:migrations")
        dbs[contract.service] = open_db(engine)
    yield dbs
    for db in dbs.values():
        db.engine.dispose()


def test_the_contracts_name_their_writes():
    writes = {c.service: {r.name for r in c.rpcs if r.writes} for c in CONTRACTS}
    assert {"append_record", "open_case", "issue_decision", "checkpoint_case"} <= writes["records"]
    assert {"request_review", "issue_opinion", "register_staff"} <= writes["review"]
    assert writes["renderer"] == {"render"}
    assert not {"get_case", "list_cases", "verify_case", "health"} & writes["records"]


@pytest.mark.parametrize("contract,rpc", WRITES)
def test_every_write_method_runs_once_per_key(databases, contract, rpc):
    db = databases[contract.service]
    ran = []
    # what the use case returns: the example answer as objects (dumped by handle)
    answer = rpc.response(many=rpc.many, unknown=EXCLUDE).load(rpc.example_response)
    who = Actor(id=f"{rpc.name}-caller", role=rpc.roles[0], agency="lingchuan-emergency")

    def use_case(request, *, actor, db):
        with db.transaction() as session:  # the use case's own transaction joins the call's
            session.execute(text("SELECT 1"))
        ran.append(request)
        return answer

    def call(payload, key, request_id):
        return handle(contract, rpc.name, payload, use_case, actor=who, db=db,
                      keys=CallKeys(given=key, request_id=request_id))

    first = call(rpc.example_request, None, "corr-1")
    assert first == dump(rpc.response, answer, many=rpc.many)
    assert call(rpc.example_request, None, "corr-1") == first  # the redelivery
    assert len(ran) == 1
    assert call(rpc.example_request, "retry-me", "corr-2") == first
    assert call(rpc.example_request, "retry-me", "corr-3") == first  # the caller's retry
    assert len(ran) == 2
    with db.read() as s:
        kept = s.execute(select(func.count()).select_from(IDEMPOTENCY)
                         .where(IDEMPOTENCY.c.method == rpc.name)).scalar()
    assert kept == 2


def test_a_caller_key_must_be_a_short_printable_string(databases):
    rpc = RECORDS.rpc("append_record")
    who = Actor(id="officer-1", role="officer", agency="lingchuan-emergency")
    for bad in ("", "x" * 129, "tab\there", 7):
        with pytest.raises(ValidationFailed) as refused:
            handle(RECORDS, rpc.name, rpc.example_request, lambda *a, **k: {}, actor=who,
                   db=databases["records"], keys=CallKeys(given=bad))
        assert list(refused.value.details) == ["nameko.idempotency_key"]


def test_a_reused_key_is_refused_and_recorded(databases):
    rpc = REVIEW.rpc("register_staff")
    who = Actor(id="legal-1", role=rpc.roles[0], agency="lingchuan-emergency")
    refusals = []

    def use_case(request, *, actor, db):
        with db.transaction() as session:
            session.execute(text("SELECT 1"))
        return {}

    def call(payload):
        return handle(REVIEW, rpc.name, payload, use_case, actor=who, db=databases["review"],
                      keys=CallKeys(given="staff-7"), refused=lambda *args: refusals.append(args))

    call(rpc.example_request)
    other = dict(rpc.example_request, name=rpc.example_request["name"] + "甲")
    with pytest.raises(IdempotencyKeyReused):
        call(other)
    assert [(m, type(e).__name__) for _, m, _, e in refusals] == [
        ("register_staff", "IdempotencyKeyReused")]
