"""Inheritance between rule sets: a child over its parent, and the functions that compare the
result (every key path; canonical JSON for the fingerprint)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def merge(parent: Any, child: Any) -> Any:
    """Child over parent: maps deep-merge, lists and scalars replace, None drops the key,
    and a map holding a ``basis`` is one rule, replaced whole."""
    if (isinstance(parent, dict) and isinstance(child, dict)
            and "basis" not in parent and "basis" not in child):
        out = dict(parent)
        for key, value in child.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out
    return child


def walk_paths(data: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk_paths(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk_paths(value, path + (i,))


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

