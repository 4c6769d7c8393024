"""Time in one place: instants are stored in UTC; legal days are China Standard Time days
(UTC+8 all year, no daylight saving since 1991), so a date is always taken in CST.

`now()` is the one reading of the wall clock the services make, so a test can set what
"today" is (`frozen(at)`) — the day a reminder falls due, the day the calendar runs out —
and run the real timers and entrypoints on that day."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import overload

CST = timezone(timedelta(hours=8), "CST")

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


def set_now(value: datetime | None) -> None:
    """Fix what now() answers (aware datetime), or None to follow the wall clock again."""
    global _fixed
    if value is not None and value.tzinfo is None:
        raise ValueError("set_now needs an aware datetime (a legal day depends on the zone)")
    _fixed = None if value is None else value.astimezone(UTC)


@contextlib.contextmanager
def frozen(value: datetime) -> Iterator[None]:
    before = _fixed
    set_now(value)
    try:
        yield
    finally:
        set_now(before)


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive value (SQLite drops offsets) is taken as already UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    return utc(value).astimezone(CST)


def local_date(value: datetime) -> date:
    return local(value).date()


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
def iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat()
