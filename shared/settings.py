"""Numbers read from a service's config: one reading and one error for every setting that is
a count or a duration, so a wrong value is refused at start naming the key and the rule."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from shared.errors import ConfigurationError

_UNITS_ZH = {"days": "天数", "seconds": "秒数"}


def _raw(config: Mapping[str, Any], key: str) -> Any:
    raw = config.get(key)
    return None if raw is None or raw == "" else raw


def whole_number(config: Mapping[str, Any], key: str, default: int, *, least: int = 1) -> int:
    """config[key] as a whole number ≥ `least`; `default` when it is absent or empty."""
    raw = _raw(config, key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = least - 1
    if value < least:
        raise ConfigurationError(f"{key} must be a whole number ≥ {least}, not {raw!r}",
                                 message_zh=f"{key} 应为不小于 {least} 的整数，而不是 {raw!r}")
    return value


def positive_number(config: Mapping[str, Any], key: str, default: float | None, *,
                    unit: str) -> float | None:
    """config[key] as a finite number > 0 (fractions allowed) of `unit` ("days" or
    "seconds"); `default` when it is absent or empty."""
    raw = _raw(config, key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 < value < math.inf:
        raise ConfigurationError(f"{key} must be a number of {unit} > 0, not {raw!r}",
                                 message_zh=f"{key} 应为大于 0 的{_UNITS_ZH[unit]}，而不是 {raw!r}")
    return value
