"""The record keeper over real RabbitMQ (a vhost per test) against SQLite and PostgreSQL:
the demo case through RPC, events through the outbox, refusals, and a raw AMQP call made
the way a non-Python system would, from the AsyncAPI document alone."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import create_engine, text

from demo.case import store_footage
from services.records.service import RecordsService
from shared.errors import NotFound, Unauthenticated, ValidationFailed
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.builders import demo_plan, open_case_request, remember, request_of
from tests.plans import start_vault

AGENCIES = agencies(LINGCHUAN, QINYUAN)


@pytest.fixture
def records(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    config = dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir,
                  AGENCIES=AGENCIES)
    container = container_factory(RecordsService, config)
    container.start()
    start_vault(container_factory, dict(config), tmp_path)  # AV records name its objects
    signer = token_issuer

    def proxy(role="officer", agency="lingchuan-emergency", service="records", **kw):
        token = signer.issue(actor_id=kw.pop("actor_id", f"{role}-1"), role=role,
                             agency=agency, **kw)
        return ServiceRpcProxy(service, config, context_data={"actor_token": token},
                               timeout=20)

    yield config, proxy, db_url


def tap(config) -> tuple[Connection, Queue]:
    conn = Connection(config["AMQP_URI"])
    queue = Queue(f"tap-{uuid.uuid4().hex[:8]}", Exchange("records.events", type="topic",
                                                          durable=True), routing_key="#")
    queue(conn.default_channel).declare()
    return conn, queue


def drain(conn, queue, want: int, seconds: float = 10) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + seconds
    bound = queue(conn.default_channel)
    while len(got) < want and time.monotonic() < deadline:
        msg = bound.get(no_ack=True)
        if msg is None:
            time.sleep(0.05)
            continue
        got.append(json.loads(msg.body))
    return got


def test_health_is_open_to_any_caller(records):
    config, _, _ = records
    with ServiceRpcProxy("records", config, timeout=10) as rpc:
        health = rpc.health()
    assert health["service"] == "records"
    assert health["rulesets"] == ["lingchuan-emergency@1", "qinyuan-energy@1"]
    assert "case_opened.v1" in health["contracts"]["events"]
    assert health["missing_peers"] == ["review"]  # major decisions need the review board


def test_demo_case_over_rpc_publishes_its_events(records):
    config, proxy, _ = records
    conn, queue = tap(config)
    ctx = {"decision_no": "陵应急罚〔2025〕77号"}
    plan = demo_plan("陵应急立〔2025〕77号", with_review=False)
    proxies = {role: proxy(role) for role in {s.role for s in plan}}
    proxies["vault"] = proxy(service="vault")
    rpcs = {role: p.start() for role, p in proxies.items()}
    try:
        for step in plan:
            store_footage(rpcs["vault"], step, ctx)
            method = getattr(rpcs[step.role], step.method)
            if step.expect_error:
                with pytest.raises(Exception) as err:
                    method(**request_of(step, ctx))
                assert step.expect_error in str(err.value)
                continue
            remember(ctx, step, method(**request_of(step, ctx)))
        case = rpcs["head"].get_case(case_id=ctx["case_id"])
        verdict = rpcs["head"].verify_case(case_id=ctx["case_id"])
    finally:
        for p in proxies.values():
            p.stop()
    assert case["status"] == "archived" and verdict["ok"]
    # one entry_appended per entry, plus case_opened, 3 stage_changed, decision_proposed,
    # decision_issued, case_closed and archive_due
    events = drain(conn, queue, want=case["head_seq"] + 8)
    types = [e["event_type"] for e in events]
    assert len(events) == case["head_seq"] + 8
    assert types.count("entry_appended.v1") == case["head_seq"]
    assert types[0] == "case_opened.v1"
    issued = [e for e in events if e["event_type"] == "decision_issued.v1"][0]
    assert issued["ruleset"] == "lingchuan-emergency@1" and issued["agency"] == \
        "lingchuan-emergency"
    assert issued["actor"]["role"] == "head"
    assert issued["data"]["decision"]["fine_amount"] == "60000"
    assert {"archive_due.v1", "case_closed.v1", "decision_proposed.v1"} <= set(types)
    conn.release()


def test_bad_input_gets_a_clear_error_and_writes_nothing(records):
    config, proxy, db_url = records
    payload = open_case_request("X-2")
    with proxy() as rpc:
        with pytest.raises(ValidationFailed) as err:
            rpc.open_case(**dict(payload, act_type="fine"))
        assert err.value.details == {"act_type": [
            "Must be one of: inspection, penalty, coercion, licence, confirmation, "
            "registration, levy, requisition, charge, benefit, adjudication."]}
        with pytest.raises(ValidationFailed) as err:  # keyword arguments only, as the contract says
            rpc.open_case(payload)
        assert err.value.details == {"args": [
            "must be an empty list: methods take keyword arguments only"]}
        with pytest.raises(ValidationFailed) as err:  # health takes no arguments at all
            rpc.health(agency="x")
        assert err.value.details == {"kwargs.agency": ["Unknown field."]}
    with ServiceRpcProxy("records", config, timeout=10) as anonymous:
        with pytest.raises(Unauthenticated):
            anonymous.get_case(case_id="x")
    engine = create_engine(db_url)
    with engine.connect() as c:
        assert c.execute(text("select count(*) from cases")).scalar() == 0
    engine.dispose()


def test_refusal_is_recorded_and_becomes_a_finding(records):
    _, proxy, _ = records
    with proxy() as rpc:
        case = rpc.open_case(**open_case_request("陵应急立〔2025〕78号"))
    with proxy(agency="qinyuan-energy", actor_id="outsider") as rpc:
        # another agency's case is answered as a missing one (nothing about it leaks)
        with pytest.raises(NotFound):
            rpc.get_case(case_id=case["id"])
    with proxy("supervisor") as rpc:
        found = rpc.case_findings(case_id=case["id"])
    assert [(f["code"], f["message"].split(" was ")[0]) for f in found] == [
        ("access_refused", "officer outsider (qinyuan-energy)")]


def test_event_nobody_listens_for_is_kept_and_can_be_replayed(records):
    config, proxy, db_url = records
    with proxy() as rpc:
        rpc.open_case(**open_case_request("陵应急立〔2025〕79号"))
    engine = create_engine(db_url)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as c:
            states = dict(c.execute(text(
                "select event_type, state from outbox order by id")).tuples().all())
        if states and all(s != "pending" for s in states.values()):
            break
        time.sleep(0.1)
    assert states == {"case_opened.v1": "unrouted", "entry_appended.v1": "unrouted"}
    # a consumer arrives; the supervisor replays what it missed
    conn, queue = tap(config)
    with proxy("supervisor") as rpc:
        assert rpc.replay_events(event_types=["case_opened.v1"]) == {"requeued": 1}
    replayed = drain(conn, queue, want=1)
    assert [e["event_type"] for e in replayed] == ["case_opened.v1"]
    conn.release()
    engine.dispose()


def test_raw_amqp_call_as_the_asyncapi_document_describes(records, token_issuer, raw_rpc):
    """What a Java or Go system does: publish JSON to nameko-rpc, read the reply queue."""
    config, _, _ = records
    token = token_issuer.issue(
        actor_id="java-client", role="officer", agency="lingchuan-emergency")
    answer = raw_rpc(config["AMQP_URI"], "records", "open_case",
                     open_case_request("陵应急立〔2025〕80号"), token)
    assert answer["error"] is None
    assert answer["result"]["stage"] == "initiation" and answer["result"]["head_seq"] == 1
