"""A writer's lock that holds across instances of a service, for work outside any database
transaction (files written to a folder several instances share).

`exclusive(engine, name, lock_file)` holds, until the block ends:
- on PostgreSQL, the session advisory lock `pg_advisory_lock(hashtext(name))` on a connection
  of its own (taken by `pg_try_advisory_lock` in a polling loop, so a waiting eventlet worker
  yields instead of blocking its hub; released by `pg_advisory_unlock`, and by the server when
  the connection drops with a crashed instance);
- otherwise (SQLite: instances on one machine or on a shared filesystem), an exclusive
  `flock` on `lock_file`, taken the same way (a lock per open file, so two workers of one
  process exclude each other as two processes do; released by the kernel on a crash).

The lock only orders the writers: what each writes must still be safe to redo (a writer
killed midway leaves its work to be finished by the next)."""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

POLL_SECONDS = 0.02

_TRY = text("SELECT pg_try_advisory_lock(hashtext(:name))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext(:name))")


@contextlib.contextmanager
def exclusive(engine: Engine, name: str, lock_file: str | Path, *,
              sleep: Callable[[float], object] = time.sleep) -> Iterator[None]:
    """Hold the lock `name` across instances while the block runs (see the module)."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, sleep):
            yield
    else:
        with _flock(Path(lock_file), sleep):
            yield


def file_lock(path: str | Path, *,
              sleep: Callable[[float], object] = time.sleep) -> contextlib.AbstractContextManager:
    """An exclusive flock on `path` while the block runs, across processes and workers."""
    return _flock(Path(path), sleep)


@contextlib.contextmanager
def _advisory(engine: Engine, name: str, sleep: Callable[[float], object]) -> Iterator[None]:
    with engine.connect() as conn:
        while not conn.execute(_TRY, {"name": name}).scalar():
            conn.rollback()  # no transaction left open while waiting
            sleep(POLL_SECONDS)
        conn.commit()  # the session lock outlives the transaction that took it
        try:
            yield
        finally:
            conn.execute(_UNLOCK, {"name": name})
            conn.commit()


@contextlib.contextmanager
def _flock(path: Path, sleep: Callable[[float], object]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_TRY_XACT = text("SELECT pg_try_advisory_xact_lock(hashtext(:name), hashtext(:subject))")


def hold(session: Session, name: str, subject: str, *,
         sleep: Callable[[float], object] = time.sleep) -> None:
    """Make the session's transaction hold (name, subject) until it ends, waiting while
    another transaction holds it — by polling, so a waiting eventlet worker yields instead of
    blocking its hub while the holder commits. Once it returns, a read sees what the holder
    committed (READ COMMITTED): two handlers of one subject act one after the other, the
    second finding the first's work done. On SQLite the transaction itself is the lock
    (writers are serialised), so nothing is taken."""
    if session.get_bind().dialect.name != "postgresql":
        return
    while not session.execute(_TRY_XACT, {"name": name, "subject": subject}).scalar():
        sleep(POLL_SECONDS)
