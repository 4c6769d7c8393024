"""Writes each service contract as JSON Schemas, examples and an AsyncAPI 3.0.0 document under
contracts/<service>/. Output is byte-for-byte reproducible, so `check()` can tell committed
exports that no longer match their contract; `discover()` finds contracts/*/__init__.py."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import yaml

from shared.contracts import asyncapi as contract_asyncapi
from shared.contracts import messages as m
from shared.contracts.jsonschema import field_to_json, format_checker, schema_to_json
from shared.contracts.registry import Contract

__all__ = ["check", "discover", "export", "field_to_json", "format_checker", "render",
           "schema_to_json", "to_json", "to_yaml"]

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "contracts"
# Only these belong to the export; anything else under contracts/<service>/ (the contract
# module itself) is never written, listed or deleted.
GENERATED_DIRS = ("schemas", "examples")
ASYNCAPI_FILE = "asyncapi.yaml"


def to_json(obj) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        # Shared sub-dicts must be written out in full, not as &id001 anchors.
        return True


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(obj) -> bytes:
    text = yaml.dump(obj, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)
    return text.encode("utf-8")


def render(contract: Contract) -> dict[str, bytes]:
    """Relative path (under contracts/<service>/) → file content, for every exported file."""
    files: dict[str, bytes] = {}
    for rpc in contract.rpcs:
        files[f"schemas/rpc.{rpc.name}.request.json"] = to_json(m.request_schema(contract, rpc))
        files[f"schemas/rpc.{rpc.name}.response.json"] = to_json(m.response_schema(contract, rpc))
        files[f"examples/rpc.{rpc.name}.request.json"] = to_json(rpc.example_request)
        files[f"examples/rpc.{rpc.name}.response.json"] = to_json(rpc.example_response)
    for event in contract.events:
        files[f"schemas/event.{event.type}.json"] = to_json(m.event_schema(contract, event))
        files[f"examples/event.{event.type}.json"] = to_json(m.event_example(contract, event))
    if contract.events:
        files[m.EXAMPLE_EVENT_KEY_FILE] = m.EXAMPLE_EVENT_KEY_PEM.encode()
    for name, schema in contract.components:
        files[f"schemas/component.{name}.json"] = to_json(m.component_schema(contract, name,
                                                                             schema))
    files[ASYNCAPI_FILE] = to_yaml(contract_asyncapi.build(contract))
    return dict(sorted(files.items()))


def _existing(service_dir: Path) -> set[str]:
    found = {ASYNCAPI_FILE} if (service_dir / ASYNCAPI_FILE).is_file() else set()
    for sub in GENERATED_DIRS:
        if (service_dir / sub).is_dir():
            found |= {p.relative_to(service_dir).as_posix()
                      for p in (service_dir / sub).rglob("*") if p.is_file()}
    return found


def check(contract: Contract, out_dir: Path = CONTRACTS_DIR) -> list[str]:
    """What an export would change, as 'stale|missing|extra: <service>/<path>'; [] when current."""
    changes = _diff(contract, out_dir, render(contract))
    return [f"{kind}: {contract.service}/{rel}" for kind, rel in changes]


def _diff(contract: Contract, out_dir: Path, wanted: dict[str, bytes]) -> list[tuple[str, str]]:
    service_dir = Path(out_dir) / contract.service
    problems = []
    for rel in sorted(set(wanted) | _existing(service_dir)):
        path = service_dir / rel
        if rel not in wanted:
            problems.append(("extra", rel))
        elif not path.is_file():
            problems.append(("missing", rel))
        elif path.read_bytes() != wanted[rel]:
            problems.append(("stale", rel))
    return problems


def export(contract: Contract, out_dir: Path = CONTRACTS_DIR) -> list[str]:
    """Bring contracts/<service>/ up to date; returns what changed, in check()'s wording."""
    service_dir = Path(out_dir) / contract.service
    wanted = render(contract)
    changes = _diff(contract, out_dir, wanted)
    for kind, rel in changes:
        path = service_dir / rel
        if kind == "extra":
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(wanted[rel])
    for sub in GENERATED_DIRS:
        folder = service_dir / sub
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return [f"{kind}: {contract.service}/{rel}" for kind, rel in changes]


def discover(root: Path = CONTRACTS_DIR, package: str = "contracts") -> dict[str, Contract]:
    """Import ``<package>.<name>`` for every <root>/<name>/__init__.py and take its CONTRACT."""
    found = {}
    for init in sorted(Path(root).glob("*/__init__.py")):
        name = init.parent.name
        if name.startswith(("_", ".")):
            continue
        module = importlib.import_module(f"{package}.{name}")
        contract = getattr(module, "CONTRACT", None)
        if not isinstance(contract, Contract):
            raise TypeError(f"{package}.{name} has no CONTRACT "
                            "(a shared.contracts.registry.Contract)")
        found[name] = contract
    return found
