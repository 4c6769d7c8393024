"""Fuzzing every RPC of every service over real RPC (raw AMQP JSON, as a system in any
language calls), on SQLite and on PostgreSQL: hand-written hostile values in every field of
a valid request, hostile requests as a whole, and requests derived from the exported JSON
Schemas (hypothesis-jsonschema) as every role. Each call must end within its time limit in
a result or a Sanxiang error — validation_failed naming each field with its rules, never a
driver's or Python's text, never internal_error — and a refused call writes no row
(tests/fuzz/harness.py judges). Before the kernel's bounds and handle()'s fault wrapper,
44 of 2,438 such calls ended in raw database errors, Python exceptions or
IncorrectSignature."""
from __future__ import annotations

import copy
import json
import warnings
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from shared.contracts.bounds import TEXT_PATTERN
from shared.contracts.registry import ROLES
from tests.fuzz.harness import BIG_CALL_SECONDS, CONTRACTS, encode
from tests.fuzz.nasties import for_value, leaves, replaced, whole

SCHEMAS = Path(__file__).resolve().parents[2] / "contracts"
# ids a valid request aims at: the deployment's real case, review and vault object
AIMED = ("case_id", "review_id", "agency", "object_id")


def valid_request(deployment, rpc) -> dict:
    """The contract's example request, aimed at the deployment's own case, review and vault
    object."""
    def aim(value):
        if isinstance(value, dict):
            return {k: deployment.ids[k] if k in AIMED and isinstance(v, str) else aim(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [aim(v) for v in value]
        return value
    return aim(copy.deepcopy(rpc.example_request))


def caller(rpc) -> str:
    return next((r for r in rpc.roles if r in ROLES), "officer")


def test_hostile_values_in_every_field_of_every_rpc(deployment):
    for service, contract in CONTRACTS.items():
        big_sent = False
        for rpc in contract.rpcs:
            base, role = valid_request(deployment, rpc), caller(rpc)
            for path, value in leaves(base):
                for nasty in for_value(value):
                    deployment.call(service, rpc.name, encode(replaced(base, path, nasty)), role,
                                    what=f"{'.'.join(map(str, path))}={_short(nasty)}")
            for label, args, kwargs in whole(base):
                if label.startswith("10 MB"):
                    if big_sent:
                        continue
                    big_sent = True
                deployment.call(service, rpc.name, encode(kwargs, args), role, what=label,
                                limit=BIG_CALL_SECONDS)
    judge = deployment.judge
    print(f"\nhostile values: {judge.summary()}")
    assert set(judge.services) == set(CONTRACTS), judge.services   # every service was fuzzed
    assert not judge.problems, "\n".join(judge.problems[:40])


def _strategies():
    out = []
    for service, contract in CONTRACTS.items():
        for rpc in contract.rpcs:
            path = SCHEMAS / service / "schemas" / f"rpc.{rpc.name}.request.json"
            schema = json.loads(path.read_text("utf-8"))
            schema.pop("$schema", None)
            for variant in _variants(schema):
                with warnings.catch_warnings():  # our own date-time and date strategies
                    warnings.simplefilter("ignore")
                    drawn = from_schema(_generating(variant), custom_formats=FORMATS)
                out.append(st.tuples(st.just(service), st.just(rpc.name), drawn))
    return st.one_of(out)


def _variants(schema: dict) -> list[dict]:
    """One schema per record type where `content` follows `record_type` (if/then): the
    generator cannot search 21 conditional branches at once."""
    parts = schema.get("allOf") or []
    if not parts or not all("if" in part and "then" in part for part in parts):
        return [schema]
    base = {k: v for k, v in schema.items() if k != "allOf"}
    out = []
    for part in parts:
        variant = copy.deepcopy(base)
        variant["properties"].update(part["if"]["properties"])
        variant["properties"].update(part["then"]["properties"])
        out.append(variant)
    return out


def _generating(node):
    """What the generator draws from: the schema with texts short (at most 64 characters),
    lists of at most 3 items and the text rule dropped — so drawn strings carry any
    character, NUL included; long texts and lists, control characters and lone surrogates
    are the hand-written cases' part."""
    if isinstance(node, list):
        return [_generating(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _generating(value) for key, value in node.items()}
    if "allOf" in node:
        node["allOf"] = [part for part in node["allOf"] if part != {"pattern": TEXT_PATTERN}]
        if not node["allOf"]:
            del node["allOf"]
    if node.get("pattern") == TEXT_PATTERN or node.get("format") in ("date-time", "date"):
        node.pop("pattern", None)
    if "maxLength" in node:
        node["maxLength"] = min(node["maxLength"], 64)
    kind = node.get("type")
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        node["maxItems"] = min(node.get("maxItems", 3), 3)
    return node


# moments and days mostly within the kernel's window, some just outside, odd offsets
_OFFSETS = st.sampled_from(["Z", "+08:00", "+00:00", "-05:00", "+14:00", "-12:00", "+05:45",
                            "+15:59", "-14:01"])
FORMATS = {
    "date-time": st.builds(lambda moment, offset: moment.strftime("%Y-%m-%dT%H:%M:%S") + offset,
                           st.datetimes(datetime(1965, 1, 1), datetime(2105, 1, 1)), _OFFSETS),
    "date": st.dates(date(1965, 1, 1), date(2105, 1, 1)).map(str),
}
REQUESTS = st.deferred(_strategies)
SCHEMA_EXAMPLES = 600  # per database


def test_schema_derived_requests_as_every_role(deployment):
    @settings(max_examples=SCHEMA_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(request=REQUESTS, role=st.sampled_from([*ROLES, None]), allowed=st.booleans())
    def one(request, role, allowed):
        service, method, kwargs = request
        if allowed:  # half the calls as a role the method admits, to reach its use case
            role = caller(CONTRACTS[service].rpc(method))
        if isinstance(kwargs, dict):
            kwargs = {k: deployment.ids.get(k, v) if k in AIMED and _coin(v) else v
                      for k, v in kwargs.items()}
        deployment.call(service, method, encode(kwargs), role,
                        what=_short(json.dumps(kwargs, ensure_ascii=False)))

    one()
    judge = deployment.judge
    print(f"\nschema-derived: {judge.summary()}")
    assert judge.calls >= SCHEMA_EXAMPLES
    assert not judge.problems, "\n".join(judge.problems[:40])


def _coin(value) -> bool:
    """Aim about half of the generated ids at the real case, review and object."""
    return isinstance(value, str) and len(value) % 2 == 0


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text)} chars)"


@pytest.mark.parametrize("kwargs", [{"x": 1}, {"agency": "lingchuan-emergency"}])
def test_health_with_arguments_is_a_validation_error(deployment, kwargs):
    for service in CONTRACTS:
        reply = deployment.call(service, "health", encode(kwargs), None)
        assert reply["error"]["exc_type"] == "ValidationFailed"
        assert reply["error"]["exc_args"][0]["details"] == {
            f"kwargs.{name}": ["Unknown field."] for name in kwargs}
    assert not deployment.judge.problems
