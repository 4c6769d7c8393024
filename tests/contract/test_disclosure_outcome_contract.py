"""Contract 1.2 (withdrawal from an outcome): record_outcome is a write for those who may
withdraw, its outcome one of the withdrawal grounds and its procedure 复议 or 诉讼; nothing of
1.1 changes."""
from __future__ import annotations

import pytest

from contracts.disclosure import CONTRACT, WITHDRAW_ROLES
from shared.contracts.registry import load
from shared.errors import Forbidden, ValidationFailed
from shared.service import entrypoint
from shared.trust.actor import Actor


def test_record_outcome_is_a_write_of_those_who_may_withdraw():
    assert tuple(map(int, CONTRACT.version.split("."))) >= (1, 2, 0)
    spec = CONTRACT.rpc("record_outcome")
    assert spec.writes and spec.response is CONTRACT.rpc("withdraw_publication").response
    assert tuple(spec.roles) == tuple(WITHDRAW_ROLES)


@pytest.mark.parametrize("change,field", [({"outcome": "annulled"}, "outcome"),
                                          ({"procedure": "appeal"}, "procedure"),
                                          ({"document_no": ""}, "document_no")])
def test_an_outcome_of_no_known_kind_is_refused_by_the_contract(change, field):
    spec = CONTRACT.rpc("record_outcome")
    with pytest.raises(ValidationFailed) as refused:
        load(spec.request, dict(spec.example_request, **change), what="record_outcome")
    assert field in refused.value.details


@pytest.mark.parametrize("role", ["reviewer", "officer", "supervisor", "party", "public"])
def test_only_publishers_heads_and_legal_units_record_an_outcome(role):
    refusals: list = []
    with pytest.raises(Forbidden):
        entrypoint.handle(CONTRACT, "record_outcome",
                          dict(CONTRACT.rpc("record_outcome").example_request),
                          lambda *a, **k: pytest.fail("the use case must not run"),
                          actor=Actor(id="x", role=role, agency="qinyuan-energy"),
                          refused=lambda *args: refusals.append(args))
    assert len(refusals) == 1
