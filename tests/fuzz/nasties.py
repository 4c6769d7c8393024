"""Hand-written hostile values: each replaces one field of a valid request (the contract's
example, aimed at a real case and review), chosen by what the field holds; plus requests
hostile as a whole (10 MB, wrong argument shapes, unknown fields)."""
from __future__ import annotations

import re
from collections.abc import Iterator

NAN, INF = float("nan"), float("inf")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def nested(depth: int, leaf=1, key: str | None = "a"):
    value = leaf
    for _ in range(depth):
        value = {key: value} if key is not None else [value]
    return value


# any field may get these: the wrong type, null
EVERYWHERE: list[object] = [None, True, [], {"x": 1}]
TEXTS = ["", "x" * 5000, "长" * 100_000, "a\x00b", "\ud800", "x\udfffy", "\x07\x1b[31m\x7f",
         "\u202e\u200b\ufeff", "'; DROP TABLE cases; --", "𠮷" * 50, " ", 12345, 1.5]
WHOLE = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 1e308, NAN, INF,
         -INF, 1.5, "1", 2 ** 53 + 1]
MOMENTS = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00",
           "2025-10-10T10:00:00+15:59", "2025-10-10T10:00:00-23:59",
           "2025-10-10T10:00:00+14:00", "2025-10-10T10:00:00+14:01", "2025-10-10T10:00:00",
           "2025-02-30T10:00:00+08:00", "1969-12-31T23:59:59Z", "2099-12-31T23:59:59-12:00",
           "2025-10-10T10:00:00.123456789+08:00", "2025-10-10 10:00:00+08:00",
           "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "+275760-09-13T00:00:00Z"]
DAYS = ["0001-01-01", "9999-12-31", "2025-02-29", "1969-12-31", "2099-12-31", "2025-13-01",
        "20251010"]
FLAGS = ["yes", 2, "true", 0.0]
LISTS = [[None], [NAN], nested(100, key=None)]
OBJECTS = [{}, nested(500), nested(40), {"\x00": 1}, {"k": NAN}, {"k": "\ud800"},
           {f"k{i}": i for i in range(10_000)}, {"k": 2 ** 70}]


def for_value(value: object) -> list[object]:
    """Hostile replacements for a field that holds `value` in a valid request."""
    kind: list[object]
    if isinstance(value, bool):
        kind = FLAGS
    elif isinstance(value, int):
        kind = WHOLE
    elif isinstance(value, str) and MOMENT.match(value):
        kind = [*MOMENTS, "x\x00"]
    elif isinstance(value, str) and DAY.match(value):
        kind = [*DAYS, "x\x00"]
    elif isinstance(value, str):
        kind = TEXTS
    elif isinstance(value, list):
        kind = LISTS + [[value[0]] * 10_000 if value else ["x"] * 10_000]
    elif isinstance(value, dict):
        kind = OBJECTS
    else:
        kind = TEXTS
    return kind + EVERYWHERE


def leaves(payload: dict, depth: int = 2, prefix: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """(path, value) of every field down to `depth` levels (a list's first item stands for
    all), the containers themselves included."""
    for key, value in payload.items():
        path = (*prefix, key)
        yield path, value
        if depth > 1 and isinstance(value, dict):
            yield from leaves(value, depth - 1, path)
        elif depth > 1 and isinstance(value, list) and value and isinstance(value[0], dict):
            yield from leaves(value[0], depth - 1, (*path, 0))


def replaced(payload, path: tuple, value):
    """A copy of `payload` with the field at `path` set to `value`."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(payload, list):
        copy = list(payload)
        copy[head] = replaced(payload[head], rest, value)
        return copy
    return {**payload, head: replaced(payload[head], rest, value)}


def whole(payload: dict) -> list[tuple[str, object, object]]:
    """(label, args, kwargs) of requests hostile as a whole."""
    return [
        ("10 MB of text in an unknown field", [], {**payload, "padding": "x" * 10_000_000}),
        ("an unknown field", [], {**payload, "unknown_field": 1}),
        ("no fields", [], {}),
        ("positional arguments", [payload], {}),
        ("args not a list", "x", payload),
        ("kwargs not an object", [], [payload]),
        ("kwargs null", [], None),
    ]
