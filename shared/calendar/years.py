"""Periods counted in years (a retention of 2 or 30 years): the same day of the same month
that many years later, or the last day of that month where it has no such day (29 February
into a common year ends on the 28th) — 民法典 第二百零二条 (期间按照年、月计算，到期月的对应日为
期间的最后一日；没有对应日的，月末日为期间的最后一日). Calendar arithmetic on the date's own
fields, never a number of days."""
from __future__ import annotations

import calendar as _months
from datetime import date, datetime

__all__ = ["months_after", "years_after"]


def years_after(start: date | datetime, years: int) -> date:
    """The last day of a period of `years` years from `start` (a date, or a moment whose own
    date counts): the corresponding day `years` later, or that month's last day."""
    if years < 0:
        raise ValueError(f"a period of years cannot be negative (got {years})")
    day = start.date() if isinstance(start, datetime) else start
    year = day.year + years
    last = _months.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def months_after(start: date | datetime, months: int) -> date:
    """The last day of a period of `months` calendar months from `start` (a public display
    window of 3 or 12 months): the corresponding day `months` later, or that month's last day
    — 2026-01-31 + 1 month is 2026-02-28, 2028-02-29 + 12 months is 2029-02-28."""
    if months < 0:
        raise ValueError(f"a period of months cannot be negative (got {months})")
    day = start.date() if isinstance(start, datetime) else start
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = _months.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
