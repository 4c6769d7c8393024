"""The field schema of a template manifest: checking the schema itself, validating render data
against it (every problem named by field path and rule), and exporting it as JSON Schema.

A schema maps field name → spec: {type: string|text|integer|money|date|boolean|list|object|
image, label, required (default true), max_length, pattern, enum, fields (object), items
(list), width_mm and max_bytes (image)}. Undeclared fields are an error; an optional field left
out is rendered as None.

An image is given as {"png_base64": the PNG's bytes in standard base64, "alt": its text
alternative}: the bytes must decode strictly, be a PNG (signature and IHDR), at most max_bytes
(default IMAGE_MAX_BYTES) and IMAGE_MAX_PIXELS on a side; the alt text one line of at most
IMAGE_ALT_MAX characters. Validated, it is marked (IMAGE_MARK) for the renderer, which places it
inline width_mm wide (default IMAGE_WIDTH_MM) with its alt text as the drawing's description."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import struct
from collections.abc import Callable
from typing import Any

from shared.errors import ValidationFailed

TYPES = ("string", "text", "integer", "money", "date", "boolean", "list", "object", "image")
SPEC_KEYS = {"type", "label", "required", "max_length", "pattern", "enum", "fields", "items",
             "description", "min_items", "max_items", "minimum", "maximum", "width_mm",
             "max_bytes"}
IMAGE_MARK = "$image"          # not a field name (NAME): only a validated image carries it
IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_PIXELS = 4000
IMAGE_ALT_MAX = 300
IMAGE_WIDTH_MM = 150
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONEY = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def schema_problems(fields: Any, path: str = "fields") -> list[str]:
    """What is wrong with a manifest's field schema, as 'path: problem' lines ([] when sound)."""
    if not isinstance(fields, dict) or not fields:
        return [f"{path}: must be a non-empty mapping of field name to spec"]
    problems = []
    for name, spec in fields.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not NAME.match(name):
            problems.append(f"{where}: field names must be identifiers (letters, digits, _)")
        if not isinstance(spec, dict):
            problems.append(f"{where}: spec must be a mapping")
            continue
        problems += _spec_problems(spec, where)
    return problems


def _spec_problems(spec: dict, where: str) -> list[str]:
    problems = []
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    kind = spec.get("type")
    if kind not in TYPES:
        return problems + [f"{where}.type: must be one of {', '.join(TYPES)}"]
    if not spec.get("label"):
        problems.append(f"{where}.label: the Chinese label is required")
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])
        except (re.error, TypeError) as exc:
            problems.append(f"{where}.pattern: not a regular expression ({exc})")
    if "enum" in spec and not isinstance(spec["enum"], list):
        problems.append(f"{where}.enum: must be a list")
    return problems + _inner_problems(spec, where)


def _inner_problems(spec: dict, where: str) -> list[str]:
    """What is wrong inside an object's fields or a list's items."""
    if spec["type"] == "object":
        return schema_problems(spec.get("fields"), f"{where}.fields")
    if spec["type"] != "list":
        return []
    items = spec.get("items")
    if not isinstance(items, dict) or items.get("type") not in TYPES:
        return [f"{where}.items: must be a spec with a type"]
    if items["type"] == "object":
        return schema_problems(items.get("fields"), f"{where}.items.fields")
    return []


def validate(fields: dict, data: Any) -> dict:
    """Validated data (optional fields filled with None), or ValidationFailed naming each
    field path and the rule it broke."""
    errors: dict[str, list[str]] = {}
    cleaned = _object(fields, data, "data", errors)
    if errors or cleaned is None:  # None only with its error recorded
        raise ValidationFailed.from_messages(errors, what="render data")
    return cleaned


def _add(errors: dict, path: str, rule: str) -> None:
    errors.setdefault(path, []).append(rule)


def _object(fields: dict, data: Any, path: str, errors: dict) -> dict | None:
    if not isinstance(data, dict):
        _add(errors, path, "must be an object")
        return None
    out: dict[str, Any] = {}
    for name in sorted(set(data) - set(fields)):
        _add(errors, f"{path}.{name}", "unknown field: not declared in the template's schema")
    for name, spec in fields.items():
        where = f"{path}.{name}"
        if data.get(name) is None:
            if spec.get("required", True):
                _add(errors, where, "required field is missing" if name not in data
                     else "required field may not be null")
            out[name] = [] if spec["type"] == "list" and not spec.get("required", True) \
                and name not in data else None
            continue
        out[name] = _value(spec, data[name], where, errors)
    return out


def _value(spec: dict, value: Any, path: str, errors: dict) -> Any:
    kind = spec["type"]
    if kind == "object":
        return _object(spec["fields"], value, path, errors)
    if kind == "list":
        return _list(spec, value, path, errors)
    if kind == "image":
        return _image(spec, value, path, errors)
    if not _SCALAR.get(kind, _any)(spec, value, path, errors):
        return None  # not even of its type: no further rule applies
    if "enum" in spec and value not in spec["enum"]:
        _add(errors, path, f"must be one of: {', '.join(map(str, spec['enum']))}")
    return value


# scalar checks: each notes what `value` breaks, and says whether it is of the field's type


def _string(spec: dict, value: Any, path: str, errors: dict) -> bool:
    if not isinstance(value, str):
        _add(errors, path, "must be a string")
        return False
    if spec["type"] == "string" and "\n" in value:
        _add(errors, path, "must be a single line (use a text field for paragraphs)")
    if "max_length" in spec and len(value) > spec["max_length"]:
        _add(errors, path, f"longer than {spec['max_length']} characters")
    if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
        _add(errors, path, f"does not match pattern {spec['pattern']}")
    return True


def _integer(spec: dict, value: Any, path: str, errors: dict) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        _add(errors, path, "must be an integer")
        return False
    if "minimum" in spec and value < spec["minimum"]:
        _add(errors, path, f"less than {spec['minimum']}")
    if "maximum" in spec and value > spec["maximum"]:
        _add(errors, path, f"greater than {spec['maximum']}")
    return True


def _money(spec: dict, value: Any, path: str, errors: dict) -> bool:
    if not isinstance(value, str) or not MONEY.match(value):
        _add(errors, path, "must be a CNY amount as a decimal string, e.g. \"60000.00\"")
        return False
    return True


def _date(spec: dict, value: Any, path: str, errors: dict) -> bool:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        _add(errors, path, "must be an ISO date, e.g. \"2025-10-09\"")
        return False
    return True


def _boolean(spec: dict, value: Any, path: str, errors: dict) -> bool:
    if not isinstance(value, bool):
        _add(errors, path, "must be true or false")
        return False
    return True


def _any(spec: dict, value: Any, path: str, errors: dict) -> bool:
    return True


_SCALAR: dict[str, Callable[[dict, Any, str, dict], bool]] = {
    "string": _string, "text": _string, "integer": _integer, "money": _money, "date": _date,
    "boolean": _boolean}


def _list(spec: dict, value: Any, path: str, errors: dict) -> list | None:
    if not isinstance(value, list):
        _add(errors, path, "must be a list")
        return None
    if len(value) < spec.get("min_items", 0):
        _add(errors, path, f"needs at least {spec['min_items']} item(s)")
    if "max_items" in spec and len(value) > spec["max_items"]:
        _add(errors, path, f"more than {spec['max_items']} items")
    return [_value(spec["items"], item, f"{path}.{i}", errors) for i, item in enumerate(value)]


def _image(spec: dict, value: Any, path: str, errors: dict) -> dict | None:
    """A PNG given as base64 with its alt text, checked (module docstring), marked for the
    renderer; None with each problem noted."""
    if not isinstance(value, dict) or set(value) != {"png_base64", "alt"}:
        _add(errors, path, "must be an object with exactly png_base64 and alt")
        return None
    alt = value["alt"]
    if not isinstance(alt, str) or not alt.strip() or "\n" in alt or len(alt) > IMAGE_ALT_MAX:
        _add(errors, f"{path}.alt", f"must be one line of 1 to {IMAGE_ALT_MAX} characters: "
                                    "the image's text alternative")
    png = _png(value["png_base64"], spec, f"{path}.png_base64", errors)
    if png is None or f"{path}.alt" in errors:
        return None
    return {IMAGE_MARK: "png", "png_base64": value["png_base64"], "alt": alt,
            "width_mm": spec.get("width_mm", IMAGE_WIDTH_MM)}


def _png(text: Any, spec: dict, path: str, errors: dict) -> bytes | None:
    limit = spec.get("max_bytes", IMAGE_MAX_BYTES)
    if not isinstance(text, str) or len(text) > (limit + 2) // 3 * 4:
        _add(errors, path, f"must be a string of base64 of at most {limit} bytes")
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        _add(errors, path, "must be standard base64 (A–Z a–z 0–9 + /, = padding)")
        return None
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 33:
        _add(errors, path, "must be a PNG image (signature and IHDR)")
        return None
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= IMAGE_MAX_PIXELS and 0 < height <= IMAGE_MAX_PIXELS):
        _add(errors, path, f"must be 1 to {IMAGE_MAX_PIXELS} pixels on each side; "
                           f"it is {width}×{height}")
        return None
    return data


def to_json_schema(fields: dict) -> dict:
    """The field schema as a JSON Schema (draft 2020-12) object, for callers in any language."""
    return {"type": "object", "additionalProperties": False,
            "required": [n for n, s in fields.items() if s.get("required", True)],
            "properties": {n: _json(s) for n, s in fields.items()}}


def _json(spec: dict) -> dict:
    out: dict[str, Any] = {"title": spec.get("label", "")}
    if spec.get("description"):
        out["description"] = spec["description"]
    out.update(_JSON.get(spec["type"], lambda spec: {})(spec))
    if "enum" in spec:
        out["enum"] = spec["enum"]
    if not spec.get("required", True):
        out["type"] = [out["type"], "null"] if "type" in out else out.get("type")
    return out


def _renamed(spec: dict, names: dict[str, str]) -> dict:
    return {json_key: spec[key] for key, json_key in names.items() if key in spec}


def _json_string(spec: dict) -> dict:
    out = dict(type="string", **_renamed(spec, {"max_length": "maxLength"}))
    if "pattern" in spec:
        out["pattern"] = f"^(?:{spec['pattern']})$"
    return out


def _json_list(spec: dict) -> dict:
    return dict(type="array", items=_json(spec["items"]),
                **_renamed(spec, {"min_items": "minItems", "max_items": "maxItems"}))


_JSON: dict[str, Callable[[dict], dict]] = {
    "string": _json_string, "text": _json_string,
    "integer": lambda spec: dict(type="integer",
                                 **_renamed(spec, {"minimum": "minimum", "maximum": "maximum"})),
    "money": lambda spec: {"type": "string", "pattern": MONEY.pattern},
    "date": lambda spec: {"type": "string", "format": "date"},
    "boolean": lambda spec: {"type": "boolean"},
    "object": lambda spec: to_json_schema(spec["fields"]),
    "list": _json_list,
    "image": lambda spec: {"type": "object", "additionalProperties": False,
                           "required": ["png_base64", "alt"], "properties": {
                               "png_base64": {"type": "string", "contentEncoding": "base64",
                                              "contentMediaType": "image/png"},
                               "alt": {"type": "string", "minLength": 1,
                                       "maxLength": IMAGE_ALT_MAX}}},
}
