"""The roles a contract declares for an RPC are enforced, for every RPC of every contract, in one
place (shared.service.entrypoint.handle): a caller of a role outside them is refused — and the
refusal recorded — before the payload is read, so what it learns never depends on the payload."""
from __future__ import annotations

import pytest

from shared.contracts import export as contract_export
from shared.contracts.registry import ROLES, SERVICE_ROLE
from shared.errors import Forbidden, ValidationFailed
from shared.service import entrypoint
from shared.trust.actor import Actor

CONTRACTS = contract_export.discover()
# a payload no request schema admits: were it read, the answer would be validation_failed
UNREADABLE = {"no_such_field": "x", "case_id": 7, "review_id": [], "template_id": {}}


def outsiders():
    for name, contract in sorted(CONTRACTS.items()):
        for rpc in contract.rpcs:
            if "any" in rpc.roles:
                continue
            for role in ROLES:
                if role not in rpc.roles:
                    yield pytest.param(name, rpc.name, role, id=f"{name}.{rpc.name}:{role}")


def test_every_contract_is_covered():
    assert {"records", "review", "renderer"} <= set(CONTRACTS)
    assert sum(1 for _ in outsiders()) > len(CONTRACTS)


@pytest.mark.parametrize("contract, method, role", list(outsiders()))
def test_a_role_outside_the_contract_is_refused_before_the_payload(contract, method, role,
                                                                 monkeypatch):
    def unread(*args, **kwargs):
        raise AssertionError("the payload was read before the role was judged")

    def never(*args, **kwargs):
        raise AssertionError("the use case must not run")

    monkeypatch.setattr(entrypoint, "load", unread)
    spec = CONTRACTS[contract].rpc(method)
    caller = Actor(id=f"{role}-1", role=role, agency="lingchuan-emergency")
    refusals = []
    with pytest.raises(Forbidden) as refused:
        entrypoint.handle(CONTRACTS[contract], method, dict(UNREADABLE), never, actor=caller,
                          refused=lambda *args: refusals.append(args))
    assert refused.value.details == {"role": role, "allowed": list(spec.roles)}
    assert [(a.id, m, type(e)) for a, m, _, e in refusals] == [
        (f"{role}-1", method, Forbidden)]


@pytest.mark.parametrize("contract, method", [
    pytest.param(name, rpc.name, id=f"{name}.{rpc.name}")
    for name, c in sorted(CONTRACTS.items()) for rpc in c.rpcs if "any" not in rpc.roles])
def test_a_declared_role_gets_past_the_role_check(contract, method):
    # the other side of the same check: each declared role reaches the payload's validation
    spec = CONTRACTS[contract].rpc(method)
    callers = [Actor(id=f"{role}-1", role=role, agency="lingchuan-emergency")
               for role in spec.people]
    callers += [Actor(id=name, role=SERVICE_ROLE, agency="lingchuan-emergency")
                for name in spec.services]
    for caller in callers:
        with pytest.raises(ValidationFailed):
            entrypoint.handle(CONTRACTS[contract], method, dict(UNREADABLE),
                              lambda *a, **k: None, actor=caller)


def service_outsiders():
    for name, contract in sorted(CONTRACTS.items()):
        for rpc in contract.rpcs:
            if "any" in rpc.roles:
                continue
            for service in sorted(CONTRACTS):
                if service not in rpc.services:
                    yield pytest.param(name, rpc.name, service,
                                       id=f"{name}.{rpc.name}:service:{service}")


@pytest.mark.parametrize("contract, method, service", list(service_outsiders()))
def test_a_service_the_contract_does_not_grant_is_refused_before_the_payload(
        contract, method, service, monkeypatch):
    # a service is admitted by name only ("service:<name>"), never by a person's role
    def unread(*args, **kwargs):
        raise AssertionError("the payload was read before the caller was judged")

    monkeypatch.setattr(entrypoint, "load", unread)
    caller = Actor(id=service, role=SERVICE_ROLE, agency="lingchuan-emergency")
    refusals = []
    with pytest.raises(Forbidden) as refused:
        entrypoint.handle(CONTRACTS[contract], method, dict(UNREADABLE), lambda *a, **k: None,
                          actor=caller, refused=lambda *args: refusals.append(args))
    assert refused.value.details["role"] == f"service:{service}"
    assert [(a.id, m) for a, m, _, _ in refusals] == [(service, method)]
