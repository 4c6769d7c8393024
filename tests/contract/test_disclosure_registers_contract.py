"""The disclosure publisher's contract 1.1: the registers published before enforcement added
beside 1.0's methods and events (a minor version: nothing of 1.0 gone or narrowed), who may
call them (the record keeper asks officer_qualified as itself, no other service does), and the
bounds a workbook in a request is held to before any use case reads it."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from contracts.disclosure import CONTRACT
from contracts.disclosure import messages as m
from shared.contracts.registry import load
from shared.errors import Forbidden, ValidationFailed
from shared.service import entrypoint
from shared.trust.actor import Actor

FOLDER = Path(__file__).resolve().parents[2] / "contracts" / "disclosure"
V1_0_RPCS = {"health", "create_draft", "review_publication", "withdraw_publication",
             "get_publication", "list_publications", "tree_head", "inclusion_proof",
             "consistency_proof"}
V1_0_EVENTS = {"publication_due_soon.v1", "publication_overdue.v1", "decision_published.v1",
               "publication_withdrawn.v1"}
ADDED = {"import_register", "export_register", "get_register", "register_history",
         "officer_qualified"}


def test_1_1_adds_the_registers_and_keeps_everything_of_1_0():
    assert CONTRACT.version.startswith("1.") and int(CONTRACT.version.split(".")[1]) >= 1
    # 1.1 also brought resolve_redactions (the reviewer's decisions on redaction hits)
    assert {r.name for r in CONTRACT.rpcs} == V1_0_RPCS | ADDED | {"resolve_redactions"}
    assert {e.type for e in CONTRACT.events} == V1_0_EVENTS | {"officer_lapsed.v1"}
    assert [r.name for r in CONTRACT.rpcs if r.writes and r.name in ADDED] == [
        "import_register"]


def test_the_exported_examples_are_the_contracts():
    for name in ADDED:
        spec = CONTRACT.rpc(name)
        example = json.loads((FOLDER / "examples" / f"rpc.{name}.request.json").read_text())
        assert example == spec.example_request
        load(spec.request, example, what=name)


def test_officer_qualified_is_granted_to_the_record_keeper_and_no_other_service():
    spec = CONTRACT.rpc("officer_qualified")
    assert spec.services == ("records",)
    assert {"officer", "head", "legal_unit", "publisher", "reviewer", "supervisor"} <= set(
        spec.roles)
    for name in ADDED - {"officer_qualified"}:
        assert CONTRACT.rpc(name).services == ()
    assert set(CONTRACT.rpc("import_register").roles) == {"publisher", "head", "legal_unit"}


@pytest.mark.parametrize("role", ["reviewer", "officer", "supervisor", "party", "public"])
def test_only_publishers_heads_and_legal_units_import(role):
    refusals: list = []
    with pytest.raises(Forbidden):
        entrypoint.handle(CONTRACT, "import_register", {"agency": "qinyuan-energy"},
                          lambda *a, **k: pytest.fail("the use case must not run"),
                          actor=Actor(id="x", role=role, agency="qinyuan-energy"),
                          refused=lambda *args: refusals.append(args))
    assert len(refusals) == 1


def test_a_workbook_beyond_the_bound_or_not_base64_is_refused_by_the_contract():
    spec = CONTRACT.rpc("import_register")
    too_big = base64.b64encode(bytes(m.MAX_WORKBOOK_BYTES + 3)).decode()
    for bad in (too_big, "not base64!", ""):
        with pytest.raises(ValidationFailed) as refused:
            load(spec.request, {"agency": "qinyuan-energy", "workbook_base64": bad},
                 what="import_register")
        assert "workbook_base64" in refused.value.details
    with pytest.raises(ValidationFailed) as unknown:
        load(spec.request, {"agency": "qinyuan-energy", "workbook_base64": "UEsDBA==",
                            "kinds": ["officers", "persons"]}, what="import_register")
    assert list(unknown.value.details) == ["kinds.1"]
    with pytest.raises(ValidationFailed):
        load(CONTRACT.rpc("officer_qualified").request,
             {"agency": "qinyuan-energy", "certificate_no": "1404 3100", "on": "2025-10-31"},
             what="officer_qualified")
