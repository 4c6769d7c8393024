"""Time in one place: instants are stored in UTC; legal days are China Standard Time days
(UTC+8 all year, no daylight saving since 1991), so a date is always taken in CST."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(timezone.utc)


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive value (SQLite drops offsets) is taken as already UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def local(value: datetime) -> datetime:
    return utc(value).astimezone(CST)


def local_date(value: datetime) -> date:
    return local(value).date()


def iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat()
