"""Every service's metrics endpoint, scraped for real: the five services in containers on the
test's broker, each with METRICS_ADDRESS on a free loopback port; calls answered and refused,
an event handled and one dead-lettered; then GET /metrics, parsed by prometheus_client's own
text parser, shows the counters and the latency histogram moved under the method, error code,
event type and reason, and each service's gauges read from its database. A stopped container
frees its port. With LOG_FORMAT=json every line is one JSON object; the access line of each
call carries its call id, method, outcome, duration, role and agency — and no actor id and no
value of the payload."""
from __future__ import annotations

import io
import json
import logging
import socket
import time
import uuid

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client.parser import text_string_to_metric_families

from shared.errors import SanxiangError
from shared.observability import logs
from tests import suite
from tests.agencies import LINGCHUAN, agencies
from tests.brokers import free_port
from tests.events import dead_letters, proposed, publish_event, publish_raw
from tests.unit.test_observability import exported

AGENCIES = agencies(LINGCHUAN)


@pytest.fixture
def services(request, container_factory, rabbit_config, keys_dir, tmp_path, db_url):
    """All five services started, each serving metrics, each on its own database (SQLite
    files, or PostgreSQL databases); name -> (container, base URL)."""
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  METRICS_REFRESH_SECONDS=0.2)
    started = {}

    def url(name: str) -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.sqlite3"
        return request.getfixturevalue("make_pg_database")()

    for name, cls in suite.classes().items():
        port = free_port()
        container = container_factory(cls, dict(
            config, DATABASE_URL=url(name),
            METRICS_ADDRESS=f"127.0.0.1:{port}", **suite.settings(name, tmp_path)))
        container.start()
        started[name] = (container, f"http://127.0.0.1:{port}/metrics")
    return config, started


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """The endpoint's samples, as prometheus_client's parser reads them: (sample name, sorted
    labels) -> value."""
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples}


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def until(url: str, check, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(url)
        if check(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.1)


def issued(keys_dir: str) -> dict:
    """A decision_issued.v1 of October 2025 signed with records' own key."""
    from contracts.records import CONTRACT as RECORDS
    from shared.contracts.registry import envelope
    from shared.trust.keys import KeyStore
    from shared.trust.signatures import sign
    data = dict(RECORDS.event("decision_issued.v1").example, decision_no="陵应急罚〔2025〕77号")
    body = envelope(RECORDS, "decision_issued.v1", data, agency=LINGCHUAN,
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, KeyStore(keys_dir).event_signing_key("records"))
    return body


def call(config, token, method, **payload):
    context = {"actor_token": token} if token else {}
    with ServiceRpcProxy("review", config, context_data=context, timeout=30) as proxy:
        try:
            getattr(proxy, method)(**payload)
        except SanxiangError as exc:
            return exc.code
    return "ok"


def test_the_endpoint_counts_calls_events_and_reads_gauges(services, token_issuer, keys_dir):
    config, started = services
    officer = token_issuer.issue(actor_id="officer-metrics-1", role="officer", agency=LINGCHUAN)
    assert call(config, officer, "list_reviews", agency=LINGCHUAN) == "ok"
    assert call(config, officer, "list_reviews", agency=LINGCHUAN) == "ok"
    assert call(config, officer, "get_review", review_id=str(uuid.uuid4())) == "not_found"
    assert call(config, None, "get_review", review_id=str(uuid.uuid4())) == "unauthenticated"
    assert call(config, officer, "get_review", review_id=123) == "validation_failed"
    uri = config["AMQP_URI"]
    publish_raw(uri, b'{"not json', message_id="bad-1")
    publish_event(uri, proposed(keys_dir, str(uuid.uuid4())))
    assert len(dead_letters(uri, "dlq.review", 1)) == 1

    url = started["review"][1]
    handled = ("sanxiang_events_consumed_total", (("event_type", "decision_proposed.v1"),
                                                  ("outcome", "handled"), ("service", "review")))
    samples = until(url, lambda s: s.get(handled) == 1)
    review = {"service": "review"}
    assert value(samples, "sanxiang_rpc_calls_total", method="list_reviews", **review) == 2
    assert value(samples, "sanxiang_rpc_calls_total", method="get_review", **review) == 3
    for code in ("not_found", "unauthenticated", "validation_failed"):
        assert value(samples, "sanxiang_rpc_errors_total", method="get_review", code=code,
                     **review) == 1, code
    assert value(samples, "sanxiang_rpc_errors_total", method="list_reviews", code="not_found",
                 **review) is None
    assert value(samples, "sanxiang_rpc_duration_seconds_count", method="get_review",
                 **review) == 3
    assert value(samples, "sanxiang_rpc_duration_seconds_bucket", method="list_reviews",
                 le="+Inf", **review) == 2
    assert (value(samples, "sanxiang_rpc_duration_seconds_sum", method="list_reviews",
                  **review) or 0) > 0
    assert samples[handled] == 1
    assert value(samples, "sanxiang_events_consumed_total", event_type="decision_proposed.v1",
                 outcome="dead_lettered", **review) == 1
    assert value(samples, "sanxiang_events_dead_lettered_total",
                 event_type="decision_proposed.v1", reason="event_undecodable", **review) == 1
    # the review the good event made: its review_requested.v1 published by the relay
    samples = until(url, lambda s: value(s, "sanxiang_outbox_pending", **review) == 0)
    assert value(samples, "sanxiang_outbox_pending", **review) == 0
    assert value(samples, "sanxiang_outbox_oldest_pending_age_seconds", **review) == 0
    assert value(samples, "sanxiang_review_clocks", agency=LINGCHUAN, state="overdue",
                 **review) == 0
    assert value(samples, "sanxiang_review_clocks", agency=LINGCHUAN, state="due_soon",
                 **review) == 0

    for name, (_, endpoint) in started.items():
        samples = scrape(endpoint)
        days = value(samples, "sanxiang_calendar_days_left", service=name)
        assert days is not None and days > 0, name
        assert value(samples, "sanxiang_service_info", service=name,
                     version=suite.classes()[name].version) == 1
        assert value(samples, "sanxiang_outbox_unrouted", service=name) is not None, name
    # a decision issued in October 2025 is a draft long past its publication deadline
    overdue = ("sanxiang_publications_overdue", (("agency", LINGCHUAN),
                                                 ("service", "disclosure")))
    assert scrape(started["disclosure"][1])[overdue] == 0
    publish_event(uri, issued(keys_dir), routing_key="decision_issued.v1")
    assert until(started["disclosure"][1], lambda s: s.get(overdue) == 1)[overdue] == 1
    vault = scrape(started["vault"][1])
    for outcome in ("fail", "missing"):
        assert value(vault, "sanxiang_fixity_failures", service="vault", agency=LINGCHUAN,
                     outcome=outcome) == 0
    # every metric the dashboard and the alerts ask for is served by one of the five
    served = {name for _, endpoint in started.values()
              for name in families(requests.get(endpoint, timeout=10).text)}
    assert sorted(exported() - served) == []
    # a service's endpoint counts that service alone
    assert value(scrape(started["records"][1]), "sanxiang_rpc_calls_total",
                 method="list_reviews", service="review") is None


def test_a_stopped_container_frees_its_port(container_factory, rabbit_config, keys_dir,
                                             tmp_path):
    port = free_port()
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  DATABASE_URL=f"sqlite:///{tmp_path / 'renderer.sqlite3'}",
                  METRICS_ADDRESS=f"127.0.0.1:{port}", **suite.settings("renderer", tmp_path))
    for _ in range(2):  # the same port, twice in one process
        container = container_factory(suite.classes()["renderer"], config)
        container.start()
        assert scrape(f"http://127.0.0.1:{port}/metrics")
        container.stop()
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


def test_json_logs_one_object_a_line_with_the_call_and_no_personal_data(
        services, token_issuer):
    config, _ = services
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    before = root.level
    root.setLevel(logging.INFO)
    officer_id, review_id = "officer-json-77", str(uuid.uuid4())
    officer = token_issuer.issue(actor_id=officer_id, role="officer", agency=LINGCHUAN)
    try:
        assert call(config, officer, "list_reviews", agency=LINGCHUAN,
                    state="under_review") == "ok"
        assert call(config, officer, "get_review", review_id=review_id) == "not_found"
        assert call(config, None, "get_review", review_id=review_id) == "unauthenticated"
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
    text = out.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # each line one JSON object
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line for line in lines if line["logger"] == logs.ACCESS_LOGGER
              and line.get("kind") == "rpc"]
    assert [(a["method"], a["outcome"]) for a in access] == [
        ("list_reviews", "ok"), ("get_review", "not_found"), ("get_review", "unauthenticated")]
    for line in access:
        assert line["service"] == "review" and line["call_id"].startswith("review.")
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert (access[0]["role"], access[0]["agency"]) == ("officer", LINGCHUAN)
    assert (access[1]["role"], access[1]["agency"]) == ("officer", LINGCHUAN)
    assert "role" not in access[2]  # a refused token: no role is known
    # lines written inside a call carry it too (the refusal nameko logs for the call)
    inside = [line for line in lines if line.get("call_id") == access[1]["call_id"]]
    assert len(inside) >= 2, inside
    # no personal data in any line: never the officer's id; no payload value in an access
    # line (the refusal's own line says what nameko logged before: its error's message, whose
    # not_found names the record id asked for — a record's id, no person's)
    assert officer_id not in text and "under_review" not in text
    assert not [a for a in access if review_id in json.dumps(a)]
