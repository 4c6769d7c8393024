"""The services' log lines: as text (the default) or, with LOG_FORMAT=json, one JSON object a
line — time, level, logger, message, service, and for a line written inside a call or an event
handled, the nameko call id, the method and the caller's role and agency.

Each config file's LOGGING names `formatter` as its formatter factory (`kind` is
${LOG_FORMAT:text}); nameko applies that dictionary with logging.config.dictConfig, as it does
LOG_LEVEL. What is known of the call in hand (its context) lives in a green-thread local set by
the metrics dependency (shared.observability.metrics) as a worker starts and cleared as it ends,
so a line of any module written in that worker carries it.

No personal data: never an actor's id, never a payload's values — a role, an agency code, a
method, an error code, a duration."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from eventlet.corolocal import local

# the logger of the access lines: one per RPC call and one per event handled
ACCESS_LOGGER = "sanxiang.access"
# what a record carries beyond its message (LogRecord attribute; `extra={FIELDS: {...}}`)
FIELDS = "sanxiang_fields"

_context = local()
# the service of this process, for lines outside any call (set as its container is set up)
_process: dict[str, str] = {}


def set_process_service(name: str) -> None:
    _process.setdefault("service", name)


def bind(**fields: Any) -> None:
    """Add what is known of the call in hand to its context (the current green thread's)."""
    current = getattr(_context, "fields", None)
    if current is None:
        current = _context.fields = {}
    current.update({k: v for k, v in fields.items() if v is not None})


def clear() -> None:
    _context.fields = None


def context() -> dict[str, Any]:
    return dict(getattr(_context, "fields", None) or {})


class JsonFormatter(logging.Formatter):
    """One JSON object a line (module docstring); the time in ISO 8601 with its offset."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        call = context()
        service = call.pop("service", None) or _process.get("service")
        if service:
            line["service"] = service
        line.update(call)
        extra = getattr(record, FIELDS, None)
        if isinstance(extra, dict):
            line.update(extra)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(kind: str = "text", fmt: str | None = None,
              datefmt: str | None = None) -> logging.Formatter:
    """The formatter LOG_FORMAT names: `text` (`fmt`, `datefmt`) or `json`; anything else is
    refused, naming the key."""
    kind = (kind or "text").strip().lower()
    if kind == "json":
        return JsonFormatter()
    if kind == "text":
        return logging.Formatter(fmt, datefmt)
    raise ValueError(f"LOG_FORMAT must be text or json, not {kind!r}")
