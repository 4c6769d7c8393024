"""The limits on the portal's correction form, the one public write path: how large a submission
may be, how many files it may carry, and how often one client and one agency may be written to
— fixed windows counted in the database (services.disclosure.store), so every instance holds
the same count. A client is known by a keyed hash of its address, never the address."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.errors import ConfigurationError, DomainRuleViolated

MiB = 1024 * 1024


@dataclass(frozen=True)
class Rate:
    """At most `count` submissions in each window of `seconds`."""
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str, what: str) -> Rate:
        """"5/3600": five submissions an hour."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
            raise ConfigurationError(f"{what}: {text!r} is not <count>/<seconds> (e.g. 5/3600)",
                                     message_zh=f"配置项 {what} 应为“次数/秒数”（如 5/3600）",
                                     details={what: text})
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class FormLimits:
    max_bytes: int = 10 * MiB        # the whole request body
    max_file_bytes: int = 5 * MiB    # each attachment
    max_files: int = 5
    per_client: Rate = Rate(5, 3600)
    per_agency: Rate = Rate(200, 3600)

    @classmethod
    def from_config(cls, config: dict) -> FormLimits:
        """DISCLOSURE_FORM_MAX_BYTES, _MAX_FILE_BYTES, _MAX_FILES, _CLIENT_RATE, _AGENCY_RATE."""
        d = cls()

        def number(key: str, default: int) -> int:
            value = str(config.get(key) or "")
            if not value:
                return default
            if not value.isdigit() or int(value) < 1:
                raise ConfigurationError(f"{key}: {value!r} is not a positive whole number",
                                         message_zh=f"配置项 {key} 应为正整数",
                                         details={key: value})
            return int(value)

        def rate(key: str, default: Rate) -> Rate:
            value = str(config.get(key) or "")
            return Rate.parse(value, key) if value else default

        return cls(number("DISCLOSURE_FORM_MAX_BYTES", d.max_bytes),
                   number("DISCLOSURE_FORM_MAX_FILE_BYTES", d.max_file_bytes),
                   number("DISCLOSURE_FORM_MAX_FILES", d.max_files),
                   rate("DISCLOSURE_FORM_CLIENT_RATE", d.per_client),
                   rate("DISCLOSURE_FORM_AGENCY_RATE", d.per_agency))


def window(now: datetime, rate: Rate) -> int:
    """The window `now` falls in: its start, in whole seconds since the epoch."""
    epoch = int(now.astimezone(UTC).timestamp())
    return epoch - epoch % rate.seconds


def retry_after(now: datetime, rate: Rate) -> int:
    """Seconds until the window `now` falls in ends (at least 1)."""
    return max(1, window(now, rate) + rate.seconds - int(now.astimezone(UTC).timestamp()))


def client_key(address: str, secret: bytes) -> str:
    """The client as the limits know it: HMAC-SHA256 of its address under the deployment's
    secret (the address itself is never kept; without the secret the hash cannot be reversed
    by trying every address)."""
    return hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()


def admitted(count_before: int, rate: Rate) -> bool:
    """Whether one more submission fits the window that holds `count_before` already."""
    return count_before < rate.count


def rate_limited(scope: str, now: datetime, rate: Rate) -> DomainRuleViolated:
    """The refusal of a submission over `scope`'s limit (client or agency), with when to try
    again."""
    wait = retry_after(now, rate)
    who, who_zh = {"client": ("from this client", "本客户端"),
                   "agency": ("to this agency", "本机关")}[scope]
    return DomainRuleViolated(
        f"rate_limited: at most {rate.count} requests {who} every {rate.seconds} s; "
        f"try again in {wait} s",
        message_zh=f"{who_zh}提交过于频繁（每 {rate.seconds} 秒最多 {rate.count} 次），"
                   f"请 {wait} 秒后再试",
        details={"rule": "rate_limited", "field": scope, "scope": scope,
                 "limit": rate.count, "window_seconds": rate.seconds, "retry_after": wait})


def too_large(field: str, limit: int, what: str, what_zh: str) -> DomainRuleViolated:
    """The refusal of a submission past a size or count limit (`field` names which)."""
    return DomainRuleViolated(
        f"too_large: {field}: {what} (at most {limit})",
        message_zh=f"{field}：{what_zh}（上限 {limit}）",
        details={"rule": "too_large", "field": field, "limit": limit, field: [what]})
