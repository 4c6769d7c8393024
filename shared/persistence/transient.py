"""Which failures are worth trying again: a database that is restarting, refusing connections
for a while (`too many connections`), or that chose this transaction as the loser of a
serialization conflict or deadlock, will very likely let the same work succeed a moment later;
a message that breaks a rule, a missing table or a wrong password will not. A peer that answers
`unavailable`, or does not answer at all (raised as Unavailable by its caller), is such a fault
too.

Consumers retry the transient ones with back-off and dead-letter only the rest (or what is still
failing when the retry budget runs out); see shared/messaging/consumer.py."""
from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

from shared.errors import SanxiangError, Unavailable

# SQLSTATEs of PostgreSQL errors that go away by themselves (class 08: connection exception)
TRANSIENT_SQLSTATES = frozenset({
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "53300",  # too_many_connections
    "57P01",  # admin_shutdown (the server is stopping or restarting; pg_terminate_backend)
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, shutting down, in recovery)
    "55P03",  # lock_not_available (NOWAIT, lock_timeout)
})

# A failed connection attempt carries no SQLSTATE in psycopg2, only libpq's message; these
# are the messages of a server that is away, starting or full — not of a wrong password or
# database name, which no retry mends.
TRANSIENT_CONNECT_MESSAGES = (
    "connection refused",
    "could not connect to server",
    "server closed the connection unexpectedly",
    "terminating connection due to administrator command",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "too many clients already",
    "too many connections",
    "remaining connection slots are reserved",
    "connection timed out",
    "timeout expired",
    "no connection to the server",
    "connection already closed",
    "ssl syscall error",
    "could not receive data from server",
    "could not send data to server",
)

# SQLite: another process holds the write lock for longer than the busy timeout
TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_transient(exc: BaseException | None) -> bool:
    """True if `exc` (or the database error it was raised from) is a fault of the moment."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _transient_here(exc) or isinstance(exc, Unavailable):
            return True  # Unavailable: a peer (or its database) away for the moment
        if isinstance(exc, SanxiangError):
            return False  # a rule of ours said no: the answer will not change
        exc = exc.__cause__ or exc.__context__
    return False


def _transient_here(exc: BaseException) -> bool:
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True  # a dead pooled connection; no connection free within pool_timeout
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    code = getattr(exc, "pgcode", None)
    if isinstance(code, str) and code:
        return code in TRANSIENT_SQLSTATES or code.startswith("08")
    message = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError):
        return any(m in message for m in TRANSIENT_SQLITE_MESSAGES)
    if type(exc).__module__.startswith("psycopg2") and type(exc).__name__ in (
            "OperationalError", "InterfaceError"):
        return any(m in message for m in TRANSIENT_CONNECT_MESSAGES)
    return False
