"""What a caller learns when a request fails for a reason that is not its own: never the
fault's text. A driver error says which table, constraint or value broke, a Python
exception names files and lines; neither is the caller's business, and both tell an
attacker how the service is built.

- a passing database fault (connection lost, too many connections, the database starting
  or shutting down, a serialisation failure, a deadlock, a pool timeout, SQLite busy) is
  answered `unavailable` (details.retry true): the transaction was rolled back, the same
  request may be sent again;
- any other exception that is not a Sanxiang error is answered `internal_error`;

each with details.incident, a fresh id under which the service logs the method and the
full traceback, so an operator can find what a caller reports."""
from __future__ import annotations

import functools
import logging
import uuid
from typing import Callable

from sqlalchemy import exc as sa

from shared.errors import InternalError, SanxiangError, Unavailable

log = logging.getLogger(__name__)

# SQLSTATE classes and codes that pass: 08 connection exception, 40001 serialization_failure,
# 40P01 deadlock_detected, 53300 too_many_connections, 55P03 lock_not_available,
# 57P01–57P03 admin/crash shutdown, cannot connect now
_TRANSIENT_CLASSES = ("08",)
_TRANSIENT_CODES = {"40001", "40P01", "53300", "55P03", "57P01", "57P02", "57P03"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def transient(exc: BaseException) -> bool:
    """Whether `exc` is a database fault that passes by itself (retrying makes sense)."""
    if isinstance(exc, sa.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(exc, sa.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    code = getattr(orig, "pgcode", None) or getattr(getattr(orig, "diag", None),
                                                     "sqlstate", None)
    if code:
        return code in _TRANSIENT_CODES or code.startswith(_TRANSIENT_CLASSES)
    text = str(orig).lower()
    if any(busy in text for busy in _SQLITE_BUSY):
        return True
    # psycopg2 raises OperationalError without an SQLSTATE when the connection itself
    # fails (server closed the connection, could not connect)
    return isinstance(exc, sa.OperationalError) and type(orig).__module__.startswith("psycopg")


def contained(entry: Callable) -> Callable:
    """Wrap an RPC's handling so that only Sanxiang errors leave it (see the module)."""

    @functools.wraps(entry)
    def run(contract, method, *args, **kwargs):
        try:
            return entry(contract, method, *args, **kwargs)
        except SanxiangError:
            raise
        except Exception as exc:
            raise answer(exc, f"{contract.service}.{method}") from None

    return run


def answer(exc: Exception, where: str) -> SanxiangError:
    """The error a caller gets for `exc`, logged with its traceback under a new incident id."""
    incident = uuid.uuid4().hex
    if transient(exc):
        log.warning("%s: unavailable, incident %s", where, incident, exc_info=exc)
        return Unavailable("the service could not reach its database; nothing was written, "
                           "send the request again", details={"retry": True, "incident": incident})
    log.error("%s: internal error, incident %s", where, incident, exc_info=exc)
    return InternalError("the service failed; quote the incident id to its operator",
                         details={"incident": incident})
