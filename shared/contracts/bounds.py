"""What any contract field admits at most, whatever its schema says: one rule per kind of
value, bound to every field of every strict schema when it loads
(shared.contracts.registry.StrictSchema), so that no payload reaches a use case with a value the
database cannot store or no real case can hold — and the refusal is a `validation_failed` naming the
field and the rule, never a driver error from deep inside a write.

- text: no NUL, no other C0 control character but tab, line feed and carriage return, no
  lone UTF-16 surrogate (PostgreSQL refuses NUL in text; a lone surrogate cannot be encoded
  as UTF-8); at most TEXT_MAX characters where the field declares no length of its own;
- moments and days: the year within YEARS (1970–2099), an offset within ±14:00 (the widest
  any time zone uses; PostgreSQL stores up to ±15:59, Python up to ±23:59);
- whole numbers: within a 32-bit signed integer (PostgreSQL INTEGER) where the field
  declares no range of its own;
- lists: at most LIST_MAX items where the field declares no length of its own;
- free-form objects (fields.Dict): at most DICT_BYTES as JSON, nesting at most DICT_DEPTH
  deep, every key and string under the text rule, every number finite.

A field that needs more declares it (e.g. a size in bytes up to 2^53 − 1). The limits are
part of the exported JSON Schema of every request (pattern, maxLength, maxItems, minimum,
maximum), and of no response: they bound what a caller sends, not what a service answers."""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timedelta

from marshmallow import ValidationError, fields, validate

TEXT_MAX = 4000
YEARS = (1970, 2099)
OFFSET_MAX = timedelta(hours=14)
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
LIST_MAX = 1000
DICT_BYTES = 1024 * 1024
DICT_DEPTH = 32

# the characters refused; the JSON Schema pattern below states the same rule for what JSON
# can carry (a lone surrogate only as an escape, which ECMA-262 patterns cannot single out)
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# year 1970–2099 and an offset within ±14:00, as text (RFC 3339 date-time / full-date)
DATETIME_PATTERN = ("^(19[7-9][0-9]|20[0-9][0-9])-.*([Zz]|[+-](0[0-9]|1[0-3]):[0-5][0-9]"
                    "|[+-]14:00)$")
DATE_PATTERN = "^(19[7-9][0-9]|20[0-9][0-9])-"


def printable(text: str, limit: int) -> str:
    """`text` as a refusal log may keep it from a payload or token nobody validated: every
    refused character replaced by U+FFFD, cut to `limit` characters."""
    return _REFUSED.sub("\ufffd", text[:limit])


class Bound:
    """Marks a validator as one of these kernel rules (the export leaves them out of
    response schemas)."""


class PlainText(Bound, validate.Validator):
    """No NUL, other control character or lone surrogate."""

    pattern = TEXT_PATTERN

    def __call__(self, value):
        if isinstance(value, str):
            bad = _REFUSED.search(value)
            if bad:
                raise ValidationError(
                    f"must not contain control characters or lone surrogates "
                    f"(U+{ord(bad.group()):04X} at {bad.start()})")
        return value


class Plausible(Bound, validate.Validator):
    """A moment or a day within YEARS, a moment's offset within ±14:00."""

    def __init__(self, kind: str):
        self.kind = kind
        self.pattern = DATETIME_PATTERN if kind == "date-time" else DATE_PATTERN

    def __call__(self, value):
        if not isinstance(value, (date, datetime)):
            return value
        low, high = YEARS
        if not low <= value.year <= high:
            raise ValidationError(f"year must be within {low}–{high}")
        offset = value.utcoffset() if isinstance(value, datetime) else None
        if offset is not None and abs(offset) > OFFSET_MAX:
            raise ValidationError("UTC offset must be within ±14:00")
        return value


class Within(Bound, validate.Range):
    """The default range of a whole number."""


class AtMost(Bound, validate.Length):
    """The default length of a text or a list."""


class JsonObject(Bound, validate.Validator):
    """A free-form object: size, depth, keys and strings, finite numbers."""

    def __call__(self, value):
        _walk(value, 1)
        try:
            size = len(json.dumps(value, ensure_ascii=False, allow_nan=False)
                       .encode("utf-8", "surrogatepass"))
        except (TypeError, ValueError):
            raise ValidationError("must be JSON") from None
        if size > DICT_BYTES:
            raise ValidationError(f"must be at most {DICT_BYTES} bytes as JSON")
        return value


def _walk(value, depth: int) -> None:
    if depth > DICT_DEPTH:
        raise ValidationError(f"must be nested at most {DICT_DEPTH} deep")
    if isinstance(value, str):
        PlainText()(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("numbers must be finite (no NaN or Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            PlainText()(key)
            _walk(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, depth + 1)


# One rule per field kind, a table in code: kept whole (C901).
def bind(field: fields.Field) -> None:  # noqa: C901
    """Add the kernel rules for `field`'s kind to its validators (and to a list's items,
    a mapping's keys and values) — once; a rule the field declares itself stands."""
    if getattr(field, "_bounded", False):
        return
    field._bounded = True  # type: ignore[attr-defined]
    own = list(field.validators)
    add: list[validate.Validator] = []
    if isinstance(field, fields.List):
        bind(field.inner)
        if not _declares(own, validate.Length, "max"):
            add.append(AtMost(max=LIST_MAX))
    elif isinstance(field, fields.Mapping):
        for part in (field.key_field, field.value_field):
            if part is not None:
                bind(part)
        add.append(JsonObject())
    elif isinstance(field, fields.String):
        add.append(PlainText())
        if not _declares(own, validate.Length, "max"):
            add.append(AtMost(max=TEXT_MAX))
    elif isinstance(field, fields.Date):  # before DateTime: marshmallow's Date is one
        add.append(Plausible("date"))
    elif isinstance(field, fields.DateTime):
        add.append(Plausible("date-time"))
    elif isinstance(field, fields.Integer):
        if not _declares(own, validate.Range, "max"):
            add.append(Within(max=INT_MAX))
        if not _declares(own, validate.Range, "min"):
            add.append(Within(min=INT_MIN))
    field.validators = [*own, *add]


def _declares(validators, kind, bound: str) -> bool:
    return any(isinstance(v, kind) and getattr(v, bound) is not None for v in validators)
