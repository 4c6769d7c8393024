"""What a service's `health` tells an operator beyond its rules and contracts (shared.service.base):
each peer it needs and whether it is deployed, the outbox relay's backlog, and how many dead
letters wait in its `dlq.<service>`. A part that cannot be read (the database or the broker
down) is reported with its error, never fails the whole answer."""
from __future__ import annotations

import logging
from typing import Any

from shared.messaging import dead_letters
from shared.messaging.outbox import backlog

log = logging.getLogger(__name__)


def operations_health(service: str, peers: dict[str, bool], db: Any, outbox_table: Any,
                      amqp_uri: str) -> dict[str, Any]:
    """{"peers": {peer: deployed}, "outbox": backlog, "dead_letters": {"queue", "count"}}."""
    return {"peers": peers, "outbox": _outbox(service, db, outbox_table),
            "dead_letters": _dead_letters(service, amqp_uri)}


def _outbox(service: str, db: Any, table: Any) -> dict[str, Any]:
    if db is None:
        return {"pending": None, "unrouted": None, "oldest_pending_at": None,
                "oldest_pending_seconds": None, "error": "no database"}
    try:
        return dict(backlog(db, table), error=None)
    except Exception as exc:  # the database down: said, not raised
        log.warning("%s health: outbox backlog unreadable: %s", service, exc)
        return {"pending": None, "unrouted": None, "oldest_pending_at": None,
                "oldest_pending_seconds": None, "error": _first_line(exc)}


def _dead_letters(service: str, amqp_uri: str) -> dict[str, Any]:
    queue = dead_letters.queue_name(service)
    try:
        return {"queue": queue, "count": dead_letters.count(amqp_uri, queue), "error": None}
    except Exception as exc:  # the broker unreachable from here: said, not raised
        log.warning("%s health: %s unreadable: %s", service, queue, exc)
        return {"queue": queue, "count": None, "error": _first_line(exc)}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
