"""Strict marshmallow fields for rule-set files. marshmallow's stock fields coerce (True is an
int, "yes" is a bool, 2.0 an int); a rule file that says something loosely should be told so,
not silently reinterpreted."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

class StrictInt(fields.Field):
    def __init__(self, minimum: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"must be a whole number, got {type(value).__name__} {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"must be >= {self.minimum}, got {value}")
        return value


class StrictBool(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if not isinstance(value, bool):
            raise ValidationError(f"must be true or false, got {value!r}")
        return value


class Text(fields.String):
    """A non-blank string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(f"must be text, got {type(value).__name__} {value!r}")
        if not value.strip():
            raise ValidationError("must not be blank")
        return value


class DecimalString(fields.Field):
    """Money and ratios: quoted decimal strings, because a YAML float cannot hold cents exactly."""

    def __init__(self, minimum: str | None = None, maximum: str | None = None,
                 exclusive_minimum: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum = Decimal(minimum) if minimum is not None else None
        self.maximum = Decimal(maximum) if maximum is not None else None
        self.exclusive_minimum = exclusive_minimum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(
                f"must be a quoted decimal string such as \"50000\", got {value!r}")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationError(f"not a decimal number: {value!r}") from None
        if not amount.is_finite():
            raise ValidationError(f"not a finite number: {value!r}")
        if self.minimum is not None and (amount < self.minimum or (
                self.exclusive_minimum and amount == self.minimum)):
            op = ">" if self.exclusive_minimum else ">="
            raise ValidationError(f"must be {op} {self.minimum}, got {value}")
        if self.maximum is not None and amount > self.maximum:
            raise ValidationError(f"must be <= {self.maximum}, got {value}")
        return value


# The codes a rule set declares beyond the shared vocabularies (its `vocabulary` section), by
# vocabulary name, while that rule set is validated (schema.validate sets them).
DECLARED_CODES: ContextVar[Mapping[str, frozenset[str]]] = ContextVar("declared_codes")


class Code(fields.Field):
    def __init__(self, vocabulary: dict | None = None, vocabulary_name: str = "",
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.vocabulary = vocabulary
        self.vocabulary_name = vocabulary_name

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if not isinstance(value, str) or not CODE_RE.match(value):
            raise ValidationError(f"must be a snake_case code, got {value!r}")
        if self.vocabulary is not None and value not in self.vocabulary \
                and value not in DECLARED_CODES.get({}).get(self.vocabulary_name, ()):
            raise ValidationError(
                f"unknown code {value!r}: not in the {self.vocabulary_name} vocabulary "
                f"({', '.join(self.vocabulary)})")
        return value


class OneOf(fields.Field):
    def __init__(self, choices: Iterable[Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.choices = tuple(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> Any:
        if value not in self.choices or isinstance(value, bool):
            raise ValidationError(f"must be one of {', '.join(map(str, self.choices))}; "
                                  f"got {value!r}")
        return value


class ListOf(fields.Field):
    """A list whose items are checked by ``inner``; with ``unique_code`` items are entries
    whose ``code`` must be unique (or plain codes that must be unique)."""

    def __init__(self, inner: fields.Field | type[Schema], unique_code: bool = True,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.inner = inner
        self.unique_code = unique_code

    def _deserialize(self, value: Any, attr: str | None, data: Any, partial: Any = None,
                     **kw: Any) -> Any:
        if not isinstance(value, list):
            raise ValidationError(f"must be a list, got {type(value).__name__}")
        errors: dict[int, Any] = {}
        seen: dict[Any, int] = {}
        for i, item in enumerate(value):
            try:
                if isinstance(self.inner, type) and issubclass(self.inner, Schema):
                    self.inner().load(item, partial=partial)
                else:
                    self.inner.deserialize(item)
            except ValidationError as exc:
                errors[i] = exc.messages
                continue
            if self.unique_code:
                code = item.get("code") if isinstance(item, dict) else item
                if code is not None and code in seen:
                    errors[i] = ({"code": [f"duplicate code {code!r} (also item {seen[code]})"]}
                                 if isinstance(item, dict)
                                 else [f"duplicate {code!r} (also item {seen[code]})"])
                seen.setdefault(code, i)
        if errors:
            raise ValidationError(errors)
        return value


class MapOf(fields.Field):
    """A mapping of code → entry; keys from ``keys`` vocabulary or any snake_case code."""

    def __init__(self, inner: type[Schema], keys: dict | None = None, keys_name: str = "",
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.inner = inner
        self.key_field = Code(keys, keys_name)

    def _deserialize(self, value: Any, attr: str | None, data: Any, partial: Any = None,
                     **kw: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(f"must be a mapping, got {type(value).__name__}")
        errors: dict[str, Any] = {}
        for key, item in value.items():
            try:
                self.key_field.deserialize(key)
            except ValidationError as exc:
                errors[str(key)] = exc.messages
                continue
            try:
                self.inner().load(item, partial=partial)
            except ValidationError as exc:
                errors[key] = exc.messages
        if errors:
            raise ValidationError(errors)
        return value


def nested(schema: type[Schema], **kw: Any) -> fields.Nested:
    return fields.Nested(schema, **kw)
