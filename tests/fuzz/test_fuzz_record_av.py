"""record_av fuzzed on its own (the whole suite's fuzz, tests/fuzz/test_fuzz_rpc.py, reaches it
among every RPC): hostile values in every field of a request naming the deployment's real vault
object, whole hostile requests, and requests derived from its exported JSON Schema as every
role. Each call ends in a result or a Sanxiang error naming the field — or, the vault being on a
vhost of its own here, service_not_deployed naming it — and a refused call writes no row
(tests/fuzz/harness.py judges)."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from shared.contracts.registry import ROLES
from tests.fuzz.harness import BIG_CALL_SECONDS, CONTRACTS, encode
from tests.fuzz.nasties import for_value, leaves, replaced, whole
from tests.fuzz.test_fuzz_rpc import FORMATS, _generating, _short, caller, valid_request

SCHEMA = (Path(__file__).resolve().parents[2] / "contracts" / "records" / "schemas"
          / "rpc.record_av.request.json")
EXAMPLES = 150  # per database


def _request(deployment) -> dict:
    rpc = CONTRACTS["records"].rpc("record_av")
    base = valid_request(deployment, rpc)
    base["media"]["object_ref"] = deployment.ids["object_id"]
    return base


def test_hostile_values_in_every_field_of_record_av(deployment):
    rpc = CONTRACTS["records"].rpc("record_av")
    base, role = _request(deployment), caller(rpc)
    for path, value in leaves(base):
        for nasty in for_value(value):
            deployment.call("records", "record_av", encode(replaced(base, path, nasty)), role,
                            what=f"{'.'.join(map(str, path))}={_short(nasty)}")
    for label, args, kwargs in whole(base):
        deployment.call("records", "record_av", encode(kwargs, args), role, what=label,
                        limit=BIG_CALL_SECONDS)
    judge = deployment.judge
    print(f"\nrecord_av hostile values: {judge.summary()}")
    assert judge.calls > 50
    assert not judge.problems, "\n".join(judge.problems[:40])


def test_schema_derived_record_av_requests_as_every_role(deployment):
    schema = json.loads(SCHEMA.read_text("utf-8"))
    schema.pop("$schema", None)
    drawn = from_schema(_generating(schema), custom_formats=FORMATS)
    rpc = CONTRACTS["records"].rpc("record_av")
    aimed = _request(deployment)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(kwargs=drawn, role=st.sampled_from([*ROLES, None]), allowed=st.booleans(),
           aim=st.booleans())
    def one(kwargs, role, allowed, aim):
        if allowed:
            role = caller(rpc)
        if aim and isinstance(kwargs, dict):  # the real case and vault object, half the time
            kwargs = dict(kwargs, case_id=aimed["case_id"])
            if isinstance(kwargs.get("media"), dict):
                kwargs["media"] = dict(kwargs["media"], object_ref=aimed["media"]["object_ref"])
        deployment.call("records", "record_av", encode(kwargs), role,
                        what=_short(json.dumps(kwargs, ensure_ascii=False)))

    one()
    judge = deployment.judge
    print(f"\nrecord_av schema-derived: {judge.summary()}")
    assert judge.calls >= EXAMPLES
    assert not judge.problems, "\n".join(judge.problems[:40])
