"""Jinja filters every template may use: Chinese dates, amounts in capital numerals (人民币大写),
grouped amounts and small counts in Chinese numerals. Pure functions, no I/O."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CAPITAL = "零壹贰叁肆伍陆柒捌玖"
CAPITAL_UNITS = ("", "拾", "佰", "仟")
LOWER = "零一二三四五六七八九"
LOWER_UNITS = ("", "十", "百", "千")
GROUPS = ("", "万", "亿", "万亿")
CENT = Decimal("0.01")
LIMIT = Decimal(10) ** 16


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount >= LIMIT:
        raise ValueError(f"not an amount from 0 to 9999万亿: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _group(n: int, digits: str, units: tuple) -> str:
    """0 < n < 10000 → numerals with 拾佰仟; inner zeros collapse into one 零, trailing dropped."""
    out: list[str] = []
    zero = False
    for power in (3, 2, 1, 0):
        d = n // 10 ** power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append(digits[0])
            zero = False
        out.append(digits[d] + units[power])
    return "".join(out)


def _integer(n: int, digits: str, units: tuple) -> str:
    if n == 0:
        return digits[0]
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(GROUPS):
        raise ValueError("number too large")
    out: list[str] = []
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            need_zero = bool(out)
            continue
        # a gap (a zero group, or a group below 1000 after a higher one) reads as one 零
        if out and (need_zero or g < 1000):
            out.append(digits[0])
        out.append(_group(g, digits, units) + GROUPS[index])
        need_zero = False
    return "".join(out)


def cny_upper(value: Any) -> str:
    """"60000" → 陆万元整, "1234.56" → 壹仟贰佰叁拾肆元伍角陆分, "1000.05" → 壹仟元零伍分."""
    amount = _amount(value)
    yuan = int(amount)
    cents = int((amount - yuan) * 100)
    jiao, fen = divmod(cents, 10)
    out = _integer(yuan, CAPITAL, CAPITAL_UNITS) + "元" if yuan else ""
    if not cents:
        return (out or "零元") + "整"
    if jiao:
        out += CAPITAL[jiao] + "角"
    elif out:
        out += CAPITAL[0]  # 壹仟元零伍分
    if fen:
        out += CAPITAL[fen] + "分"
    return out


def cny(value: Any) -> str:
    """"60000" → 60,000.00"""
    return f"{_amount(value):,.2f}"


def cn_number(value: Any) -> str:
    """Counts in Chinese numerals: 3 → 三, 12 → 十二, 105 → 一百零五, 20000 → 二万."""
    if isinstance(value, bool) or int(value) != value or int(value) < 0:
        raise ValueError(f"not a count: {value!r}")
    text = _integer(int(value), LOWER, LOWER_UNITS)
    return text[1:] if text.startswith("一十") else text  # 十二, not 一十二


def cn_date(value: Any) -> str:
    """"2025-10-09" → 2025年10月9日 (GB/T 9704: Arabic numerals, no leading zeros)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        value = dt.date.fromisoformat(str(value)[:10])
    return f"{value.year}年{value.month}月{value.day}日"


FILTERS = {"cn_date": cn_date, "cny_upper": cny_upper, "cny": cny, "cn_number": cn_number}
