"""Reading a message body as JSON text here rather than through kombu's serializers (pickle
among them, which runs code when loaded): the encoding a message declares, UTF-8, JSON, how
deep it nests and whether it may hold NaN or Infinity. The RPC requests (shared.messaging.rpc)
and the events (shared.messaging.consumer) both read their bodies this way; each says in its
own words what is wrong."""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

UTF8 = ("utf-8", "utf8")


def is_utf8(encoding: str | None) -> bool:
    """A declared content encoding that is UTF-8 (none declared counts as UTF-8)."""
    return (encoding or "utf-8").lower() in UTF8


class Unreadable(ValueError):
    """Why a body is no JSON: `problem` is "utf8" (`cause` the UnicodeDecodeError), "json"
    (`cause` the decoder's error, NaN/Infinity among them where refused) or "depth" (nested
    deeper than asked, or than the decoder allows)."""

    def __init__(self, problem: str, cause: Exception | None = None):
        super().__init__(problem)
        self.problem = problem
        self.cause = cause


def read_json(raw: bytes | bytearray | memoryview | str, *, max_depth: int | None = None,
              constants: bool = True) -> Any:
    """The JSON value `raw` holds, or Unreadable. `constants=False` refuses NaN, Infinity and
    -Infinity, which are no JSON numbers."""
    try:
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable("utf8", exc) from None
    try:
        value = json.loads(text) if constants else json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise Unreadable("depth") from None
    except ValueError as exc:  # json.JSONDecodeError, and a refused constant
        raise Unreadable("json", exc) from None
    if max_depth is not None and depth_exceeds(value, max_depth):
        raise Unreadable("depth")
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep (iteratively: no recursion on
    what the check is there to refuse)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
