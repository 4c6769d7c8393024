"""The marshmallow → JSON Schema converter on a small schema, asserted as exact JSON, and the
JSON/YAML writers the exports rely on for byte-for-byte determinism."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from shared.contracts import bounds
from shared.contracts.export import to_json, to_yaml
from shared.contracts.jsonschema import DRAFT, field_to_json, format_checker, schema_to_json
from shared.contracts.registry import StrictSchema


class Strict(Schema):
    """StrictSchema without the kernel's bounds (asserted on their own below)."""

    class Meta:
        unknown = RAISE


class Party(Strict):
    """A party to the case."""
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(load_default=None, validate=validate.OneOf(["organisation", "individual"]))


class Sample(Strict):
    case_no = fields.String(required=True, validate=validate.Regexp(r"[A-Z]{2}-\d{4}"),
                            metadata={"description": "案号"})
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z]+$"))
    parties = fields.Nested(Party, many=True, required=True, validate=validate.Length(min=1))
    agent = fields.Nested(Party, load_default=None, allow_none=True)
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    due = fields.Date(load_default=None)
    fine = fields.Decimal(as_string=True, places=2, required=True, validate=validate.Range(min=0))
    refund = fields.Decimal(as_string=True, places=2, load_default=None)
    contact = fields.Email(load_default=None)
    ref = fields.UUID(data_key="reference", required=True)
    count = fields.Integer(load_default=1, validate=validate.Range(min=0, max=10,
                                                                   max_inclusive=False))
    urgent = fields.Boolean(load_default=False)
    tags = fields.List(fields.String(validate=validate.Length(max=20)), load_default=list)
    extra = fields.Dict(keys=fields.String(), values=fields.Integer())
    blob = fields.Raw(allow_none=True)
    seq = fields.Integer(dump_only=True)
    secret = fields.String(load_only=True)


PARTY = {
    "type": "object", "title": "Party", "description": "A party to the case.",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "kind": {"type": ["string", "null"], "enum": ["organisation", "individual", None],
                 "default": None},
    },
    "required": ["name"],
    "additionalProperties": False,
}

SAMPLE_LOAD = {
    "type": "object", "title": "Sample",
    "properties": {
        "case_no": {"type": "string", "pattern": r"^(?:[A-Z]{2}-\d{4})", "description": "案号"},
        "code": {"type": "string", "pattern": "^[a-z]+$"},
        "parties": {"type": "array", "items": PARTY, "minItems": 1},
        "agent": {**PARTY, "type": ["object", "null"], "default": None},
        "occurred_at": {"type": "string", "format": "date-time"},
        "due": {"type": ["string", "null"], "format": "date", "default": None},
        "fine": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$"},
        "refund": {"type": ["string", "null"], "pattern": r"^-?[0-9]+(\.[0-9]{1,2})?$",
                   "default": None},
        "contact": {"type": ["string", "null"], "format": "email", "default": None},
        "reference": {"type": "string", "format": "uuid"},
        "count": {"type": "integer", "minimum": 0, "exclusiveMaximum": 10, "default": 1},
        "urgent": {"type": "boolean", "default": False},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}},
        "extra": {"type": "object", "additionalProperties": {"type": "integer"},
                  "propertyNames": {"type": "string"}},
        "blob": {},
        "secret": {"type": "string"},
    },
    "required": ["case_no", "code", "fine", "occurred_at", "parties", "reference"],
    "additionalProperties": False,
}


def test_converts_every_supported_field_exactly():
    assert schema_to_json(Sample) == SAMPLE_LOAD


def test_dump_mode_describes_output_fields():
    out = schema_to_json(Sample, mode="dump")
    assert "secret" not in out["properties"]
    assert out["properties"]["seq"] == {"type": "integer"}
    # dump defaults, not load defaults, describe what the service emits
    assert "default" not in out["properties"]["count"]


def test_exact_json_text_is_sorted_utf8_with_readable_chinese():
    text = to_json({"b": "案号", "a": [1, None]}).decode("utf-8")
    assert text == '{\n  "a": [\n    1,\n    null\n  ],\n  "b": "案号"\n}\n'


def test_yaml_keeps_chinese_and_writes_shared_objects_in_full():
    shared = {"x": 1}
    text = to_yaml({"title": "记录保管", "a": shared, "b": shared, "doc": "line 1\nline 2\n"})
    assert text.decode("utf-8") == ("title: 记录保管\na:\n  x: 1\nb:\n  x: 1\ndoc: |\n  line 1\n"
                                    "  line 2\n")


def test_schema_that_ignores_unknown_fields_allows_additional_properties():
    class Loose(Schema):
        class Meta:
            unknown = EXCLUDE
        a = fields.String()

    assert schema_to_json(Loose) == {"type": "object", "title": "Loose",
                                     "properties": {"a": {"type": "string"}}}


def test_one_of_with_allow_none_and_regexp_and_equal():
    field = fields.String(allow_none=True, validate=[validate.OneOf(["a", "b"]),
                                                     validate.Length(max=1)])
    assert field_to_json(field) == {"type": ["string", "null"], "enum": ["a", "b", None],
                                    "maxLength": 1}
    assert field_to_json(fields.String(validate=validate.Equal("x"))) == {"type": "string",
                                                                          "const": "x"}
    two = fields.String(validate=[validate.Regexp("^a"), validate.Regexp("b$")])
    assert field_to_json(two) == {"type": "string", "pattern": "^a",
                                  "allOf": [{"pattern": "^(?:b$)"}]}


def test_money_without_places_and_whole_units():
    assert field_to_json(fields.Decimal(as_string=True)) == {"type": "string",
                                                             "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
    assert field_to_json(fields.Decimal(as_string=True, places=0)) == {"type": "string",
                                                                       "pattern": "^-?[0-9]+$"}


def test_unsupported_field_is_refused_unless_described():
    with pytest.raises(TypeError, match="TimeDelta"):
        field_to_json(fields.TimeDelta())
    described = fields.TimeDelta(metadata={"jsonschema": {"type": "integer", "minimum": 0}})
    assert field_to_json(described) == {"type": "integer", "minimum": 0}


def test_recursive_schema_is_refused():
    class Node(StrictSchema):
        children = fields.List(fields.Nested(lambda: Node()))

    with pytest.raises(TypeError, match="recursive"):
        schema_to_json(Node)


def test_exported_schema_agrees_with_marshmallow_on_a_valid_payload():
    payload = {"case_no": "AB-0001", "code": "x", "parties": [{"name": "某公司"}],
               "occurred_at": "2025-01-06T09:30:00+08:00", "fine": "100.50",
               "reference": "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11", "extra": {"k": 1}}
    Draft202012Validator({"$schema": DRAFT, **SAMPLE_LOAD},
                         format_checker=format_checker()).validate(payload)
    Sample().load(payload)


@pytest.mark.parametrize("value, ok", [
    ("2025-01-06T09:30:00+08:00", True), ("2025-01-06T01:30:00.5Z", True),
    ("2025-01-06T09:30:00", False), ("2025-02-30T09:30:00Z", False), ("2025-01-06", False),
])
def test_date_time_format_is_rfc3339_with_offset(value, ok):
    assert format_checker().conforms(value, "date-time") is ok


def test_negative_money_and_naive_time_rejected_by_schema():
    validator = Draft202012Validator({"$schema": DRAFT, **SAMPLE_LOAD},
                                     format_checker=format_checker())
    bad = {"case_no": "AB-0001", "code": "x", "parties": [{"name": "a"}], "fine": "-1",
           "occurred_at": "2025-01-06T09:30:00", "reference": "not-a-uuid", "zzz": 1}
    messages = sorted(e.message for e in validator.iter_errors(bad))
    assert messages == sorted([
        "'-1' does not match '^[0-9]+(\\\\.[0-9]{1,2})?$'",
        "'2025-01-06T09:30:00' is not a 'date-time'",
        "'not-a-uuid' is not a 'uuid'",
        "Additional properties are not allowed ('zzz' was unexpected)",
    ]), json.dumps(messages, ensure_ascii=False)


class Bounded(StrictSchema):
    name = fields.String(required=True)
    code = fields.String(validate=validate.Regexp(r"^[a-z]+$"))
    at = fields.AwareDateTime(format="iso")
    on = fields.Date()
    seq = fields.Integer(validate=validate.Range(min=1))
    size = fields.Integer(validate=validate.Range(min=1, max=2 ** 53 - 1))
    tags = fields.List(fields.String(validate=validate.Length(max=20)))
    data = fields.Dict()


def test_a_strict_schema_exports_the_kernel_bounds_for_callers_only():
    text = {"pattern": bounds.TEXT_PATTERN, "maxLength": bounds.TEXT_MAX}
    assert schema_to_json(Bounded)["properties"] == {
        "name": {"type": "string", **text},
        "code": {"type": "string", "pattern": "^[a-z]+$", "maxLength": bounds.TEXT_MAX,
                 "allOf": [{"pattern": bounds.TEXT_PATTERN}]},
        "at": {"type": "string", "format": "date-time", "pattern": bounds.DATETIME_PATTERN},
        "on": {"type": "string", "format": "date", "pattern": bounds.DATE_PATTERN},
        "seq": {"type": "integer", "minimum": 1, "maximum": 2 ** 31 - 1},
        "size": {"type": "integer", "minimum": 1, "maximum": 2 ** 53 - 1},
        "tags": {"type": "array", "maxItems": bounds.LIST_MAX,
                 "items": {"type": "string", "maxLength": 20,
                           "pattern": bounds.TEXT_PATTERN}},
        "data": {"type": "object"},
    }
    dumped = schema_to_json(Bounded, mode="dump")["properties"]
    assert dumped["name"] == {"type": "string"} and dumped["seq"] == {"type": "integer",
                                                                       "minimum": 1}


def test_a_case_start_modes_block_is_required_by_the_json_schema_too():
    """The cross-field rule of open_case (each start mode its block, the others absent) is in
    its JSON Schema as if/then, so a caller in another language learns it before calling."""
    import copy

    from jsonschema import Draft202012Validator

    from contracts.records import CONTRACT
    from shared.contracts.jsonschema import schema_to_json
    rpc = CONTRACT.rpc("open_case")
    validator = Draft202012Validator(schema_to_json(rpc.request))
    example = rpc.example_request
    assert example["start_mode"] == "ex_officio" and not list(validator.iter_errors(example))
    missing = dict(copy.deepcopy(example), filing_approval=None)
    assert [e.message for e in validator.iter_errors(missing)] == [
        "None should not be valid under {'type': 'null'}"]
    del missing["filing_approval"]
    messages = [e.message for e in validator.iter_errors(missing)]
    assert messages == ["'filing_approval' is a required property"]
    both = dict(copy.deepcopy(example), emergency={"reason": "x"})
    assert any(list(e.path) == ["emergency"] for e in validator.iter_errors(both))
    # the service's validation says the same, at the same field
    from shared.contracts.registry import load
    from shared.errors import ValidationFailed
    try:
        load(rpc.request, dict(copy.deepcopy(example), filing_approval=None))
    except ValidationFailed as exc:
        assert exc.details == {"filing_approval": ["start_mode ex_officio requires "
                                                   "filing_approval"]}
    else:
        raise AssertionError("accepted")
