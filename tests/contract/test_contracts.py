"""Every contract in contracts/*/ proven: AsyncAPI documents valid against the official schema,
every example valid against its exported JSON Schema and loadable by marshmallow, exports current.
A test-local contract (written into tmp_path) exercises the same checks when no contract exists."""
from __future__ import annotations

import copy
import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from marshmallow import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from shared.cli import main as cli
from shared.contracts import export as contract_export
from shared.contracts.jsonschema import format_checker
from shared.contracts.registry import EVENT_TYPE, Contract, Envelope

META = contract_export.CONTRACTS_DIR / "_meta"
ASYNCAPI_SCHEMA = json.loads((META / "asyncapi-3.0.0-without-id.json").read_text("utf-8"))
CONTRACTS = contract_export.discover()
NONE = pytest.mark.skip(reason="no contract in contracts/*/__init__.py yet")


def messages(contract: Contract):
    """(file stem, marshmallow loader) of every exported example; the loader raises on reject."""
    for rpc in contract.rpcs:
        yield f"rpc.{rpc.name}.request", lambda ex, rpc=rpc: rpc.request().load(ex)
        if rpc.response is not None:
            yield f"rpc.{rpc.name}.response", lambda ex, rpc=rpc: rpc.response().load(ex,
                                                                                      many=rpc.many)
    for event in contract.events:
        def load_event(ex, event=event):
            Envelope().load(ex)
            event.schema().load(ex["data"])
        yield f"event.{event.type}", load_event


def cases(per_message: bool):
    out = [pytest.param(name, stem, id=f"{name}:{stem}") for name, c in CONTRACTS.items()
           for stem, _ in messages(c)] if per_message else [pytest.param(n,
                                                                         id=n) for n in CONTRACTS]
    return out or [pytest.param(*((None, None) if per_message else (None,)), marks=NONE)]


def read(out_dir: Path, service: str, rel: str):
    path = out_dir / service / rel
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `sanxiang contracts export`", pytrace=False)
    return json.loads(path.read_text("utf-8"))


def check_example(contract: Contract, out_dir: Path, stem: str) -> None:
    schema, example = read(out_dir, contract.service, f"schemas/{stem}.json"), \
        read(out_dir, contract.service, f"examples/{stem}.json")
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema, format_checker=format_checker()).validate(example)
    dict(messages(contract))[stem](example)


def check_unknown_field_rejected(contract: Contract, out_dir: Path, stem: str) -> None:
    schema, example = read(out_dir, contract.service, f"schemas/{stem}.json"), \
        read(out_dir, contract.service, f"examples/{stem}.json")
    for path in (("data",), ()) if stem.startswith("event.") else ((),):
        bad = copy.deepcopy(example)
        target = bad["data"] if path else bad
        if isinstance(target, list):
            if not target:
                pytest.skip("empty list example: no object to add a field to")
            target = target[0]
        target["not_in_contract"] = 1
        assert not Draft202012Validator(schema).is_valid(bad), path
        with pytest.raises(ValidationError, match="not_in_contract"):
            dict(messages(contract))[stem](bad)


def check_asyncapi(contract: Contract, out_dir: Path) -> dict:
    doc = yaml.safe_load((out_dir / contract.service / "asyncapi.yaml").read_text("utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in Draft7Validator(ASYNCAPI_SCHEMA).iter_errors(doc)]
    assert not errors, "\n".join(errors[:20])
    for ref in refs(doc):
        assert resolve(doc, ref) is not None, f"dangling $ref {ref}"
    registry = Registry().with_resource("urn:doc",
                                        Resource.from_contents(doc, default_specification=DRAFT7))
    for name, message in doc["components"]["messages"].items():
        for example in message["examples"]:
            for part in ("payload", "headers"):
                pointer = f"urn:doc#/components/messages/{name}/{part}"
                Draft7Validator({"$ref": pointer}, registry=registry,
                                format_checker=format_checker()).validate(example[part])
    for rpc in contract.rpcs:
        op = doc["operations"][f"rpc.{rpc.name}"]
        assert op["action"] == "receive"
        assert op["reply"]["address"]["location"] == "$message.header#/reply_to"
        channel = doc["channels"][f"rpc.{rpc.name}"]
        assert channel["address"] == f"{contract.service}.{rpc.name}"
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "nameko-rpc"
    for event in contract.events:
        assert doc["operations"][f"event.{event.type}"]["action"] == "send"
        channel = doc["channels"][f"event.{event.type}"]
        assert channel["address"] == event.type
        assert channel["bindings"]["amqp"]["exchange"] == {
            "name": f"{contract.service}.events", "type": "topic", "durable": True,
            "autoDelete": False, "vhost": "/"}
    return doc


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(doc: dict, ref: str):
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        node = node.get(key) if isinstance(node, dict) else None
    return node


def check_contract_shape(contract: Contract) -> None:
    for rpc in contract.rpcs:
        assert isinstance(rpc.example_request, dict), f"{rpc.name}: no example request"
        if rpc.response is not None:
            kind = list if rpc.many else dict
            assert isinstance(rpc.example_response, kind), f"{rpc.name}: no example response"
    types = [e.type for e in contract.events]
    assert len(types) == len(set(types)), "duplicate event type"
    for event in contract.events:
        assert EVENT_TYPE.match(event.type), f"{event.type} is not name.vN"
        assert isinstance(event.example, dict) and event.example, f"{event.type}: no example"


# ---- the committed contracts ---------------------------------------------------------------

@pytest.mark.parametrize("name", cases(per_message=False))
def test_contract_module_matches_its_folder(name):
    assert CONTRACTS[name].service == name
    check_contract_shape(CONTRACTS[name])


@pytest.mark.parametrize("name", cases(per_message=False))
def test_asyncapi_document_is_valid(name):
    check_asyncapi(CONTRACTS[name], contract_export.CONTRACTS_DIR)


@pytest.mark.parametrize("name", cases(per_message=False))
def test_committed_exports_are_current(name):
    problems = contract_export.check(CONTRACTS[name])
    assert not problems, "run `sanxiang contracts export`:\n" + "\n".join(problems)


@pytest.mark.parametrize("name, stem", cases(per_message=True))
def test_example_valid_against_json_schema_and_marshmallow(name, stem):
    check_example(CONTRACTS[name], contract_export.CONTRACTS_DIR, stem)


@pytest.mark.parametrize("name, stem", cases(per_message=True))
def test_unknown_field_rejected_by_both(name, stem):
    check_unknown_field_rejected(CONTRACTS[name], contract_export.CONTRACTS_DIR, stem)


def test_vendored_asyncapi_schema_is_the_documented_file():
    digest = hashlib.sha256((META / "asyncapi-3.0.0-without-id.json").read_bytes()).hexdigest()
    assert f"sha256: {digest}" in (META / "README.md").read_text("utf-8")


# ---- a test-local contract exercising every feature ------------------------------------------

LOCAL_SOURCE = '''
from marshmallow import fields, validate
from shared.contracts.registry import Contract, Event, Rpc, StrictSchema

class Party(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    id_number = fields.String(load_default=None, allow_none=True)

class OpenCase(StrictSchema):
    case_no = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}-[0-9]{4}$"))
    kind = fields.String(required=True, validate=validate.OneOf(["simple", "general"]))
    parties = fields.List(fields.Nested(Party), required=True, validate=validate.Length(min=1))
    fine = fields.Decimal(as_string=True, places=2, load_default=None, allow_none=True,
                          validate=validate.Range(min=0))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    due = fields.Date(load_default=None, allow_none=True)
    contact = fields.Email(load_default=None, allow_none=True)%(extra)s

class CaseView(StrictSchema):
    case_no = fields.String(required=True)
    parties = fields.Nested(Party, many=True, required=True)
    opened_at = fields.AwareDateTime(required=True, format="iso")

class Empty(StrictSchema):
    pass

class Note(StrictSchema):
    summary = fields.String(required=True)

class OpenedV1(StrictSchema):
    case_no = fields.String(required=True)

class OpenedV2(StrictSchema):
    case_no = fields.String(required=True)
    parties = fields.Nested(Party, many=True, required=True)

VIEW = {"case_no": "AB-0001", "parties": [{"name": "某某公司", "id_number": None}],
        "opened_at": "2025-01-06T09:30:00+08:00"}
CONTRACT = Contract("demo", "1.0.0", "演示服务", "Exercises every export feature.", rpcs=(
    Rpc("open_case", OpenCase, CaseView, "Open a case.", ("officer",),
        {"case_no": "AB-0001", "kind": "simple", "parties": [{"name": "某某公司"}],
         "fine": "100.50",
         "occurred_at": "2025-01-06T09:30:00+08:00", "due": "2025-02-01"}, VIEW,
        ("validation_failed", "conflict")),
    Rpc("list_cases", Empty, CaseView, "List cases.", ("officer", "head"), {}, [VIEW], many=True),
    Rpc("ping", Empty, None, "Liveness, open to anyone.", ("any",), {}, None)),
  events=(Event("case_opened.v1", OpenedV1, "A case was opened.", {"case_no": "AB-0001"}),
          Event("case_opened.v2", OpenedV2, "A case was opened, with parties.",
                {"case_no": "AB-0001", "parties": [{"name": "某某公司"}]}, schema_version="2.0")),
  components=(("content.note", Note),))
'''


def write_package(root: Path, package: str, extra: str = "") -> Path:
    (root / package / "demo").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "demo" / "__init__.py").write_text(
        textwrap.dedent(LOCAL_SOURCE % {"extra": extra}))
    return root / package


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = tmp_path_factory.mktemp("local_contract")
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(root))
        found = contract_export.discover(write_package(root, "sx_local_contracts"),
                                         "sx_local_contracts")
        changed = contract_export.discover(
            write_package(root, "sx_changed_contracts",
                          "\n    note = fields.String(load_default=None)"),
            "sx_changed_contracts")
    out = root / "out"
    contract_export.export(found["demo"], out)
    return found["demo"], out, changed["demo"]


def test_local_contract_passes_every_check(local):
    contract, out, _ = local
    check_contract_shape(contract)
    doc = check_asyncapi(contract, out)
    for stem, _ in messages(contract):
        check_example(contract, out, stem)
        check_unknown_field_rejected(contract, out, stem)
    assert contract_export.check(contract, out) == []
    assert doc["components"]["messages"]["rpc.ping.request"]["headers"] == {
        "$ref": "#/components/schemas/OpenRpcRequestHeaders"}
    assert "content.note" in doc["components"]["schemas"]
    assert (out / "demo" / "schemas" / "component.content.note.json").is_file()


def test_v1_and_v2_of_an_event_coexist(local):
    contract, out, _ = local
    doc = check_asyncapi(contract, out)
    v1, v2 = (doc["channels"][f"event.case_opened.v{n}"] for n in (1, 2))
    assert (v1["address"], v2["address"]) == ("case_opened.v1", "case_opened.v2")
    v2_schema = read(out, "demo", "schemas/event.case_opened.v2.json")
    v1_example = read(out, "demo", "examples/event.case_opened.v1.json")
    assert not Draft202012Validator(v2_schema).is_valid(v1_example)  # a breaking change indeed
    assert read(out, "demo", "examples/event.case_opened.v2.json")["schema_version"] == "2.0"


def test_export_is_byte_for_byte_deterministic(local, tmp_path):
    contract, out, _ = local
    contract_export.export(contract, tmp_path)
    for path in sorted((out / "demo").rglob("*")):
        if path.is_file():
            assert (tmp_path / path.relative_to(out)).read_bytes() == path.read_bytes(), path
    text = (out / "demo" / "asyncapi.yaml").read_text("utf-8")
    assert "演示服务" in text and "&id" not in text and "\\u" not in text


def test_check_reports_stale_missing_and_extra_and_export_repairs(local, tmp_path):
    contract, _, changed = local
    contract_export.export(contract, tmp_path)
    assert contract_export.check(contract, tmp_path) == []
    # Someone changed a schema and did not re-export:
    assert contract_export.check(changed, tmp_path) == [
        "stale: demo/asyncapi.yaml", "stale: demo/schemas/rpc.open_case.request.json"]
    (tmp_path / "demo/examples/rpc.ping.request.json").unlink()
    (tmp_path / "demo/schemas/rpc.gone.request.json").write_text("{}")
    assert contract_export.check(contract, tmp_path) == [
        "missing: demo/examples/rpc.ping.request.json", "extra: demo/schemas/rpc.gone.request.json"]
    contract_export.export(contract, tmp_path)
    assert contract_export.check(contract, tmp_path) == []


def test_cli_export_and_check(local, tmp_path, monkeypatch, capsys):
    contract, _, changed = local
    monkeypatch.setattr(contract_export, "discover", lambda: {"demo": contract})
    out = ["--out", str(tmp_path)]
    assert cli(["contracts", "export", "--check", *out]) == 1
    assert "missing: demo/asyncapi.yaml" in capsys.readouterr().out
    assert cli(["contracts", "export", "demo", *out]) == 0
    assert cli(["contracts", "export", "--check", "demo", *out]) == 0
    assert cli(["contracts", "export", "--check", "nosuch", *out]) == 2
    monkeypatch.setattr(contract_export, "discover", lambda: {"demo": changed})
    assert cli(["contracts", "export", "--check", *out]) == 1
    assert "stale: demo/schemas/rpc.open_case.request.json" in capsys.readouterr().out
