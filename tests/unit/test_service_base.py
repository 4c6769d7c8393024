"""shared.service.Service, the base of every service class: nameko finds the entrypoints and
dependencies it declares on each subclass; `_run` hands a use case the service's own
dependencies; `_refused` records through the service's store with the one signature."""
from __future__ import annotations

import pytest
from nameko.containers import ServiceContainer

from services.review.service import ReviewService
from shared.errors import Forbidden
from shared.observability.metrics import CallMetrics, ServiceMetrics
from shared.service import Service
from shared.trust.actor import Actor
from tests import suite

CONFIG = {"AMQP_URI": "memory://", "DATABASE_URL": "sqlite://"}
# every installed service (the sanxiang.services entry points)
SERVICES = list(suite.classes().values())


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.name)
def test_nameko_finds_what_the_base_declares(cls):
    assert issubclass(cls, Service)
    container = ServiceContainer(cls, CONFIG)
    entrypoints = {e.method_name: type(e).__name__ for e in container.entrypoints}
    assert entrypoints["health"] == "Rpc"
    assert entrypoints["watch_calendar"] == "Timer"
    # the subclass's own entrypoints sit beside them
    assert len(entrypoints) > 2
    dependencies = {d.attr_name for d in container.dependencies}
    assert {"actor", "keys", "rules", "peers", "db", "outbox", "metrics"} <= dependencies


class FakeStore:
    def __init__(self):
        self.refusals = []

    def record_refusal(self, db, actor, method, request, exc, now):
        self.refusals.append((db, actor.id, method, request, type(exc).__name__, now))


class Sample(Service):
    name = "sample"
    contract = ReviewService.contract
    store = FakeStore()
    db = "the-db"
    outbox = "the-outbox"
    peers_needed = ("records", "vault")


def sample(role: str) -> Sample:
    service = Sample()
    service.__dict__.update(actor=Actor(id=f"{role}-1", role=role, agency="lingchuan-emergency"),
                            keys=None, rules="the-rules",
                            metrics=CallMetrics(ServiceMetrics("sample"), None))
    Sample.store.refusals.clear()
    return service


def test_run_and_write_hand_the_use_case_the_service_dependencies():
    seen = {}

    def use_case(request, **deps):
        seen.update(deps)
        return {"reviews": [], "next_cursor": None}

    sample("head")._run("list_reviews", {"agency": "lingchuan-emergency"}, use_case, extra=1)
    assert set(seen) == {"actor", "db", "now", "extra"} and seen["db"] == "the-db"
    seen.clear()
    sample("head")._write("list_reviews", {"agency": "lingchuan-emergency"}, use_case)
    assert {"outbox", "rules", "db", "now"} <= set(seen)
    assert seen["outbox"] == "the-outbox" and seen["rules"] == "the-rules"


def test_a_refusal_is_recorded_through_the_store():
    service = sample("party")
    with pytest.raises(Forbidden):
        service._run("list_reviews", {"agency": "x"}, lambda *a, **k: None)
    # and counted, under its method and code
    counted = service.__dict__["metrics"].metrics.registry.get_sample_value
    assert counted("sanxiang_rpc_errors_total", {"service": "sample", "method": "list_reviews",
                                                 "code": "forbidden"}) == 1
    [(db, actor, method, request, error, _)] = Sample.store.refusals
    assert (db, actor, method, request, error) == (
        "the-db", "party-1", "list_reviews", {"agency": "x"}, "Forbidden")


def test_health_names_the_missing_peers_and_what_the_service_adds(monkeypatch):
    class FakePeers:
        amqp_uri = "memory://"

        def deployed(self, service):
            return service == "records"

    service = sample("head")
    service.__dict__["peers"] = FakePeers()
    monkeypatch.setattr("shared.service.base.health_payload",
                        lambda name, version, contract, rules, missing: {
                            "service": name, "version": version, "missing_peers": missing})
    monkeypatch.setattr("shared.service.base.operations_health",
                        lambda name, peers, db, table, uri: {"peers": peers, "db": db})
    monkeypatch.setattr(Sample, "_health", lambda self: {"templates": 3}, raising=False)
    assert service.health() == {"service": "sample", "version": "0.1.0",
                                "missing_peers": ["vault"], "templates": 3,
                                "peers": {"records": True, "vault": False}, "db": "the-db"}
