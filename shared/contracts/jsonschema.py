"""marshmallow schemas → JSON Schema (draft 2020-12, keywords kept draft-07 compatible so the
same dict embeds in AsyncAPI). Covers the field types and validators our contracts use; any
other field type is refused loudly rather than exported as "anything goes"."""
from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import FormatChecker
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.utils import missing

from shared.contracts.bounds import Bound, PlainText, Plausible

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DATETIME_FORMATS = (None, "iso", "iso8601", "rfc", "rfc822")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Requires:
    """A cross-field rule of a request, stated once for the schema's validation and its JSON
    Schema: the value of `selector` requires one field (present and not null) — and, when
    `exclusive`, forbids the other fields named — e.g. a case's start_mode requires its
    approval, application, emergency or source block. A schema declares it as its
    `json_requires` and calls `check` from a `validates_schema` method; the export writes it as
    one `if`/`then` per value."""

    selector: str
    needs: Mapping[str, str]  # selector value -> the field it requires
    exclusive: bool = True
    message: str | None = None  # the rule in the contract's own words, where it has some

    def check(self, data: Mapping) -> None:
        """ValidationError at the field, as the contract's rule words it."""
        value = data.get(self.selector)
        field = self.needs.get(value) if isinstance(value, str) else None
        if field is None:
            return
        if not data.get(field):
            raise ValidationError(self.message or f"{self.selector} {value} requires {field}",
                                  field)
        for other in self._others(field):
            if data.get(other):
                raise ValidationError(f"not allowed with {self.selector} {value}", other)

    def _others(self, field: str) -> list[str]:
        return sorted(set(self.needs.values()) - {field}) if self.exclusive else []

    def json(self) -> list[dict]:
        return [{"if": {"properties": {self.selector: {"const": value}},
                        "required": [self.selector]},
                 "then": {"required": [field], "properties": {
                     field: {"not": {"type": "null"}},
                     **{other: {"type": "null"} for other in self._others(field)}}}}
                for value, field in sorted(self.needs.items())]


def schema_to_json(schema: Schema | type[Schema], *, mode: str = "load") -> dict:
    """The JSON Schema of one marshmallow schema (no ``$schema`` key: callers add it at top level).

    ``mode="load"`` describes what the schema accepts (dump_only fields left out); ``"dump"``
    describes what it produces (load_only fields left out)."""
    return _object(schema() if isinstance(schema, type) else schema, mode, ())


def field_to_json(field: fields.Field, *, mode: str = "load") -> dict:
    return _field(field, mode, ())


def _object(schema: Schema, mode: str, stack: tuple) -> dict:
    if type(schema) in stack:
        # Inlining keeps each document self-contained (no $defs to resolve inside AsyncAPI);
        # the price is that recursive schemas cannot be expressed.
        raise TypeError(f"recursive schema {type(schema).__name__} cannot be inlined")
    stack = (*stack, type(schema))
    chosen = schema.load_fields if mode == "load" else schema.dump_fields
    properties, required = {}, []
    for name, field in chosen.items():
        key = field.data_key or name
        properties[key] = _field(field, mode, stack)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "title": type(schema).__name__}
    doc = type(schema).__dict__.get("__doc__")
    if doc:
        out["description"] = " ".join(doc.split())
    out["properties"] = properties
    if required:
        out["required"] = sorted(required)
    if schema.unknown == RAISE:
        out["additionalProperties"] = False
    variants = getattr(type(schema), "json_variants", None)
    if variants:
        # One field's schema chosen by another's value (record_type → content): if/then per value.
        selector, target, choices = variants
        out["allOf"] = [
            {"if": {"properties": {selector: {"const": value}}, "required": [selector]},
             "then": {"properties": {target: _object(variant(), mode, stack)}}}
            for value, variant in sorted(choices.items())]
    requires = getattr(type(schema), "json_requires", None)
    if isinstance(requires, Requires) and mode == "load":
        out.setdefault("allOf", []).extend(requires.json())
    return out


def _field(field: fields.Field, mode: str, stack: tuple) -> dict:
    override = field.metadata.get("jsonschema")
    out = dict(override) if override is not None else _base(field, mode, stack)
    for validator in _validators(field.validators):
        if mode == "dump" and isinstance(validator, Bound):
            continue  # the kernel's bounds limit what callers send, not what services answer
        _merge(out, _constraint(validator, out))
    description = field.metadata.get("description")
    if description:
        out["description"] = description
    default = field.load_default if mode == "load" else field.dump_default
    if default is not missing and not callable(default):
        out["default"] = _jsonable(field, default)
    if field.allow_none:
        _allow_null(out)
    return out


# One branch per field kind: kept whole (C901).
def _base(field: fields.Field, mode: str, stack: tuple) -> dict:  # noqa: C901
    if isinstance(field, fields.Pluck):
        raise TypeError("fields.Pluck is not supported by the contract export")
    if isinstance(field, fields.Nested):
        inner = _object(field.schema, mode, stack)
        return {"type": "array", "items": inner} if field.many else inner
    if isinstance(field, fields.List):
        return {"type": "array", "items": _field(field.inner, mode, stack)}
    if isinstance(field, fields.Mapping):
        out: dict[str, Any] = {"type": "object"}
        if field.value_field is not None:
            out["additionalProperties"] = _field(field.value_field, mode, stack)
        if field.key_field is not None:
            out["propertyNames"] = _field(field.key_field, mode, stack)
        return out
    if isinstance(field, fields.Email):
        return {"type": "string", "format": "email"}
    if isinstance(field, fields.UUID):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, fields.Url):
        return {"type": "string", "format": "uri"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    if isinstance(field, fields.Date):
        return _dated(field, "date")
    if isinstance(field, fields.Time):
        return {"type": "string", "format": "time"}
    if isinstance(field, fields.NaiveDateTime):
        return {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}
    if isinstance(field, fields.DateTime):
        return _dated(field, "date-time")
    if isinstance(field, fields.Decimal):
        return _money(field)
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, fields.Number):
        return {"type": "number"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Enum):
        names = [m.value if field.by_value else m.name for m in field.enum]
        return {"enum": names}
    if isinstance(field, fields.Constant):
        return {"const": field.constant}
    if type(field) is fields.Raw:
        return {}
    raise TypeError(f"{type(field).__name__} has no JSON Schema mapping: "
                    "give it metadata={'jsonschema': {...}} or use a supported field")


def _dated(field: fields.DateTime, fmt: str) -> dict:
    # A custom strftime format is not RFC 3339, so it gets no format to be checked against.
    return {"type": "string",
            "format": fmt} if field.format in _DATETIME_FORMATS else {"type": "string"}


def _money(field: fields.Decimal) -> dict:
    # Amounts travel as strings so no JSON parser turns 0.1 into 0.1000000000000000055.
    # marshmallow keeps places as a quantum (Decimal("0.01")), not a digit count.
    digits = None if field.places is None else -int(field.places.as_tuple().exponent)
    fraction = {None: r"(\.[0-9]+)?", 0: ""}.get(digits, rf"(\.[0-9]{{1,{digits}}})?")
    signed = not any(isinstance(v, validate.Range) and v.min is not None and v.min >= 0
                     for v in _validators(field.validators))
    return {"type": "string", "pattern": f"^{'-?' if signed else ''}[0-9]+{fraction}$"}


def _validators(validators) -> list:
    flat = []
    for validator in validators:
        if isinstance(validator, validate.And):
            flat.extend(_validators(validator.validators))
        else:
            flat.append(validator)
    return flat


# One branch per validator kind: kept whole (C901).
def _constraint(validator: Any, base: dict) -> dict:  # noqa: C901
    kind = base.get("type")
    if isinstance(validator, validate.Length):
        low, high = validator.min, validator.max
        if validator.equal is not None:
            low = high = validator.equal
        names = {"array": ("minItems", "maxItems"), "object": ("minProperties", "maxProperties")}
        lo_key, hi_key = names.get(str(kind), ("minLength", "maxLength"))
        return {k: v for k, v in ((lo_key, low), (hi_key, high)) if v is not None}
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.NoneOf):
        return {"not": {"enum": list(validator.iterable)}}
    if isinstance(validator, validate.Equal):
        return {"const": validator.comparable}
    if isinstance(validator, validate.Regexp):
        pattern = str(validator.regex.pattern)
        # marshmallow uses re.match (anchored at the start); JSON Schema searches anywhere.
        return {"pattern": pattern if pattern.startswith("^") else f"^(?:{pattern})"}
    if isinstance(validator, (PlainText, Plausible)):
        return {"pattern": validator.pattern}
    if isinstance(validator, validate.Range):
        if kind == "string":  # money: the sign rule lives in the pattern
            return {}
        out = {}
        if validator.min is not None:
            out["minimum" if validator.min_inclusive else "exclusiveMinimum"] = validator.min
        if validator.max is not None:
            out["maximum" if validator.max_inclusive else "exclusiveMaximum"] = validator.max
        return out
    return {}  # arbitrary Python predicates have no JSON Schema form


def _merge(out: dict, extra: dict) -> None:
    clashes = {k: v for k, v in extra.items() if k in out and out[k] != v}
    out.update({k: v for k, v in extra.items() if k not in clashes})
    if clashes:
        out.setdefault("allOf", []).append(clashes)


def _allow_null(out: dict) -> None:
    if not out or out == {"type": "null"}:
        return
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if "const" in out:
        out["enum"] = [out.pop("const"), None]
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]


def _jsonable(field: fields.Field, value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    return field._serialize(value, "default", None)


def format_checker() -> FormatChecker:
    """jsonschema's FormatChecker, plus RFC 3339 date-time (it only checks that one when an
    optional package is installed, and our envelopes promise timezone-aware times)."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _RFC3339.match(value):
            return False
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True

    return checker
