import pytest
from jsonschema import Draft202012Validator

from services.renderer.fields import schema_problems, to_json_schema, validate
from shared.contracts.jsonschema import format_checker
from shared.errors import ValidationFailed
from tests.unit.renderer.fixtures import FIELDS, SAMPLE


def details(data):
    with pytest.raises(ValidationFailed) as err:
        validate(FIELDS, data)
    return err.value.details


def test_sample_validates_and_optional_fields_become_none():
    assert validate(FIELDS, SAMPLE) == dict(SAMPLE, witnesses=None)


def test_every_problem_is_named_by_path_and_rule():
    data = dict(SAMPLE, decision_no="12号", issued_on="2025-13-01", kind="拘留", extra=1,
                hearing_held="no", fine_amount="60,000", rows=[{"item": "x", "amount": 5}])
    del data["party_name"]
    assert details(data) == {
        "data.decision_no": [r"does not match pattern \S+〔\d{4}〕\d+号"],
        "data.extra": ["unknown field: not declared in the template's schema"],
        "data.fine_amount": ["must be a CNY amount as a decimal string, e.g. \"60000.00\""],
        "data.hearing_held": ["must be true or false"],
        "data.issued_on": ["must be an ISO date, e.g. \"2025-10-09\""],
        "data.kind": ["must be one of: 警告, 罚款"],
        "data.party_name": ["required field is missing"],
        "data.rows.0.amount": ["must be a CNY amount as a decimal string, e.g. \"60000.00\""],
    }


def test_strings_are_single_lines_and_bounded():
    assert details(dict(SAMPLE, agency_name="陵川县\n应急管理局")) == {
        "data.agency_name": ["must be a single line (use a text field for paragraphs)"]}
    assert details(dict(SAMPLE, agency_name="局" * 61)) == {
        "data.agency_name": ["longer than 60 characters"]}
    assert details(dict(SAMPLE, witnesses=True)) == {"data.witnesses": ["must be an integer"]}


def test_schema_problems_point_at_the_spec():
    assert schema_problems({"a": {"type": "str", "label": "甲"},
                            "b": {"type": "list", "label": "乙"},
                            "c": {"type": "string", "pattern": "(", "label": "丙", "maxlen": 3},
                            "d e": {"type": "object", "label": "丁", "fields": {}}}) == [
        "fields.a.type: must be one of string, text, integer, money, date, boolean, list, "
        "object, image",
        "fields.b.items: must be a spec with a type",
        "fields.c: unknown key(s) maxlen",
        "fields.c.pattern: not a regular expression "
        "(missing ), unterminated subpattern at position 0)",
        "fields.d e: field names must be identifiers (letters, digits, _)",
        "fields.d e.fields: must be a non-empty mapping of field name to spec",
    ]


def test_json_schema_accepts_the_sample_and_rejects_what_validate_rejects():
    validator = Draft202012Validator(to_json_schema(FIELDS), format_checker=format_checker())
    Draft202012Validator.check_schema(validator.schema)
    assert not list(validator.iter_errors(SAMPLE))
    assert not list(validator.iter_errors(dict(SAMPLE, witnesses=None)))
    bad = dict(SAMPLE, extra=1, fine_amount="6万", issued_on="2025-10-9")
    assert {e.json_path for e in validator.iter_errors(bad)} == {
        "$", "$.fine_amount", "$.issued_on"}
