"""What a Chinese user types on the command line, read once for every `sanxiang` command:
amounts (`5万`, `3.5万元`, `1,200`, `60000元`), dates (`2025年9月28日`, `2025-09-28`,
`2025/9/28`, `2025.9.28`) and codes given by their rule-set label (`责令停产停业整顿` for
`suspend_production_rectify`). Each reader raises ValueError naming what it expected; the
`arg_*` forms are argparse `type=` functions."""
from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

# 万 and 亿 multiply; 元 (and 人民币, RMB, CNY) only name the currency
_UNITS = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_AMOUNT = re.compile(r"^(?:人民币|RMB|CNY|¥|￥)?\s*(?P<number>[0-9][0-9,，]*(?:\.[0-9]+)?)\s*"
                     r"(?P<unit>万|亿)?\s*(?:元|元整|CNY|RMB)?$", re.IGNORECASE)
_DATE = re.compile(r"^(?P<y>\d{4})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*"
                   r"(?P<d>\d{1,2})\s*日?$")
_DIGITS = str.maketrans("０１２３４５６７８９．，－／", "0123456789.,-/")


def parse_amount(text: str) -> str:
    """A sum of money in yuan as the contracts take it (a decimal string, at most two places):
    `5万` → "50000", `3.5万元` → "35000", `1,200` → "1200", `60000.50` → "60000.5"."""
    raw = str(text).strip().translate(_DIGITS)
    match = _AMOUNT.match(raw)
    if not match:
        raise ValueError(f"not an amount of yuan: {text!r} (e.g. 50000, 5万, 3.5万元, 1,200)")
    try:
        value = Decimal(match["number"].replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise ValueError(f"not an amount of yuan: {text!r}") from None
    value *= _UNITS[match["unit"] or ""]
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} is finer than a fen (0.01 yuan)")
    return _plain(value)


def _plain(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_date(text: str) -> date:
    """A calendar day: `2025年9月28日`, `2025-09-28`, `2025/9/28`, `2025.9.28`."""
    raw = str(text).strip().translate(_DIGITS)
    match = _DATE.match(raw)
    if not match:
        raise ValueError(f"not a date: {text!r} (e.g. 2025-09-28 or 2025年9月28日)")
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r} ({exc})") from None


def resolve_code(text: str, vocabulary: Mapping[str, str | set[str]] | Iterable[Mapping], *,
                 what: str) -> str:
    """The code `text` names: the code itself, or its label (exactly, or as the only label
    containing it). `vocabulary` is code → label, or rule-set entries with code and label."""
    labels = _labels(vocabulary)
    wanted = str(text).strip()
    if wanted in labels:
        return wanted
    exact = sorted({code for code, names in labels.items() if wanted in names})
    if len(exact) == 1:
        return exact[0]
    partial = sorted({code for code, names in labels.items()
                      if wanted and any(wanted in name for name in names)})
    if len(partial) == 1:
        return partial[0]
    known = "; ".join(f"{code} ({'/'.join(sorted(names))})" for code, names in labels.items())
    if len(partial) > 1:
        raise ValueError(f"{what} {text!r} fits more than one: "
                         + ", ".join(f"{code} ({'/'.join(sorted(labels[code]))})"
                                     for code in partial))
    raise ValueError(f"unknown {what} {text!r}; one of: {known}")


def _labels(vocabulary: Mapping[str, str | set[str]] | Iterable[Mapping]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    if isinstance(vocabulary, Mapping):
        for code, label in vocabulary.items():
            names = label if isinstance(label, (set, frozenset)) else {label}
            out.setdefault(str(code), set()).update(str(name) for name in names)
        return out
    for entry in vocabulary:
        out.setdefault(str(entry["code"]), set()).add(str(entry.get("label") or entry["code"]))
    return out


def merged(*vocabularies: Mapping[str, str | set[str]] | Iterable[Mapping]) -> dict[str, set[str]]:
    """Several vocabularies as one (a rule set's own labels beside the canonical ones)."""
    out: dict[str, set[str]] = {}
    for vocabulary in vocabularies:
        for code, names in _labels(vocabulary).items():
            out.setdefault(code, set()).update(names)
    return out


def arg_amount(text: str) -> str:
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def arg_date(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
