"""Database provider: one SQLAlchemy engine per service container (SQLite file by default,
PostgreSQL by URI), schema kept by the service's Alembic migrations, and a `Db` handle that
speaks transactions — writes are serialised per process on SQLite so greenlets never spin on its
file lock."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eventlet.patcher import original
from greenlet import getcurrent
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from shared import settings
from shared.errors import ConfigurationError
from shared.persistence import locks

# Connections a service instance may hold, unless its config says otherwise (DB_POOL_SIZE,
# DB_MAX_OVERFLOW): one per worker (nameko's max_workers, 10 by default) and one for the outbox
# relay, kept open, plus two for the moment a worker needs a second one — 13 in all. PostgreSQL
# refuses connections beyond max_connections (100 by default, 3 of them kept for superusers),
# so a server shared by N service instances needs max_connections ≥ 13·N + the operators'
# own; README "Database connections".
POOL_OVERFLOW = 2
POOL_TIMEOUT_SECONDS = 10


def pool_size_for(max_workers: int) -> int:
    return max_workers + 1


# One dialect's settings each: kept whole (C901).
def make_engine(url: str, *, pool_size: int | None = None,  # noqa: C901
                max_overflow: int | None = None) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            # WAL lets readers run beside the single writer; we issue BEGIN ourselves
            # (pysqlite's implicit transactions would start them too late to serialise).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # IMMEDIATE takes the write lock up front, so a second process fails fast
            # instead of deadlocking on a read-then-write upgrade.
            write = conn.get_execution_options().get("sanxiang_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if url.startswith("postgresql"):
        if pool_size is None:
            pool_size = int(os.environ.get("DB_POOL_SIZE", pool_size_for(10)))
        if max_overflow is None:
            max_overflow = int(os.environ.get("DB_MAX_OVERFLOW", POOL_OVERFLOW))
        engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                               pool_timeout=POOL_TIMEOUT_SECONDS, pool_recycle=1800)
        event.listen(engine, "checkout", _refuse_stale_connection)

        @event.listens_for(engine, "before_cursor_execute", retval=True)
        def _begin_with_first_statement(conn, cursor, statement, parameters, context,
                                        executemany):
            prefix = _pending_begin(conn.info)
            if prefix:
                if executemany:
                    cursor.execute(prefix)
                else:
                    statement = prefix + statement
            return statement, parameters

        return engine
    raise ConfigurationError(f"DATABASE_URL {url!r}: only sqlite:/// and postgresql:// are "
                             "supported", message_zh=f"DATABASE_URL {url!r}：只支持 sqlite:/// "
                                                     "和 postgresql://")


def _refuse_stale_connection(dbapi_conn, record, proxy) -> None:
    """Hand out no pooled connection the server has already closed (a restart, an admin's
    pg_terminate_backend, an idle timeout): an idle PostgreSQL connection has nothing to read,
    so a socket that is readable — the server's last words, or the end of the stream — or
    already closed is dead, and DisconnectionError makes the pool replace it (SQLAlchemy's
    "pessimistic" disconnect handling). A poll with no timeout costs a system call, not the
    round trip of pool_pre_ping's `SELECT 1` on every checkout of the hot path. A connection
    that dies unnoticed (a network that drops packets silently) fails its statement instead,
    which the caller's retry of transient faults covers (shared/persistence/transient.py); one
    the server sent a stray notice to is replaced needlessly, at the cost of a reconnect."""
    if dbapi_conn.closed:
        raise DisconnectionError("connection closed")
    poller = _os_poll()
    poller.register(dbapi_conn.fileno(), _POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection while it was idle")


# the operating system's poll, not eventlet's green one: a zero timeout never blocks, and the
# green version would go through the hub for nothing
_os_poll = original("select").poll
_POLLIN = 0x001 | 0x002 | 0x008 | 0x010  # POLLIN, POLLPRI, POLLERR, POLLHUP


def migrate(engine: Engine, migrations: str) -> None:
    """Bring the schema to head with the service's Alembic scripts (package path `migrations`)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", migrations)
    with _migrating_alone(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # instances starting together on a new database take turns
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                 (f"sanxiang-migrate:{migrations}",))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _migrating_alone(engine: Engine) -> contextlib.AbstractContextManager:
    """Instances starting together on one SQLite file take turns (a flock beside it): the
    second would otherwise meet the first's migration as "database is locked" and not start.
    PostgreSQL's turns are the advisory lock in migrate's transaction."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return contextlib.nullcontext()
    return locks.file_lock(f"{database}.migrate.lock")


def migrations_module(migrations: str):
    """The Python package of Alembic scripts named as Alembic names it ("pkg:migrations")."""
    import importlib
    return importlib.import_module(migrations.replace(":", "."))


def service_role_updates(migrations: str) -> tuple[str, ...]:
    """Tables the service's role may UPDATE: its migrations package says so (SERVICE_ROLE_UPDATES),
    next to the schema it describes; every other table is SELECT and INSERT only."""
    return tuple(getattr(migrations_module(migrations), "SERVICE_ROLE_UPDATES", ()))


def service_role_deletes(migrations: str) -> tuple[str, ...]:
    """Tables the service's role may DELETE from: its migrations package says so
    (SERVICE_ROLE_DELETES) — the outbox and the inbox, which retention prunes
    (shared.messaging.retention), and nothing else."""
    return tuple(getattr(migrations_module(migrations), "SERVICE_ROLE_DELETES", ()))


def grant_service_role(engine: Engine, role: str, updates: tuple[str, ...],
                       deletes: tuple[str, ...] = ()) -> None:
    """As the owner, after migrating: what the service's own role may do in the database.

    SELECT and INSERT on every table, UPDATE only on the tables listed (projections such as a
    case's head; `SELECT ... FOR UPDATE` needs it too), DELETE only on the tables `deletes`
    lists (the outbox and inbox that retention prunes), USAGE on sequences — and no other
    DELETE, no TRUNCATE, REFERENCES or TRIGGER, no ownership, no CREATE in the schema: the
    service cannot empty, rewrite or unprotect the append-only tables, whose triggers only an
    owner could drop or disable. Re-applied on every migration, so a table added later is
    covered and a right no longer listed is taken back. PostgreSQL only (SQLite has no
    roles)."""
    if engine.dialect.name != "postgresql":
        return
    quote = engine.dialect.identifier_preparer.quote
    r = quote(role)
    with engine.begin() as conn:
        tables = [row[0] for row in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for key, listed in (("SERVICE_ROLE_UPDATES", updates), ("SERVICE_ROLE_DELETES", deletes)):
            unknown = sorted(set(listed) - set(tables))
            if unknown:
                raise ConfigurationError(f"{key} names tables that do not exist: "
                                         f"{', '.join(unknown)}",
                                         message_zh=f"{key} 列出了不存在的表："
                                                    f"{'、'.join(unknown)}")
        for statement in (
                f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}",
                f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {r}",
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                f"REVOKE CREATE ON SCHEMA public FROM {r}",
                f"GRANT USAGE ON SCHEMA public TO {r}",
                f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {r}",
                f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {r}",
                # the schema version is the owner's to write
                f"REVOKE INSERT ON alembic_version FROM {r}",
                *(f"GRANT UPDATE ON {quote(t)} TO {r}" for t in updates),
                *(f"GRANT DELETE ON {quote(t)} TO {r}" for t in deletes)):
            conn.exec_driver_sql(statement)


def upgrade(owner_url: str, migrations: str, service_role: str | None = None) -> None:
    """Migrate as the database's owner and, given the service's role, grant it what
    grant_service_role says (`sanxiang db upgrade`, and a service whose config names
    DATABASE_OWNER_URL)."""
    engine = make_engine(owner_url)
    try:
        migrate(engine, migrations)
        if service_role and service_role != engine.url.username:
            grant_service_role(engine, service_role, service_role_updates(migrations),
                               service_role_deletes(migrations))
    finally:
        engine.dispose()


class Db:
    """What a worker sees: transactions, not a raw engine.

    A call that must happen once (shared.persistence.idempotency.Scope) is registered for its
    greenthread while it runs (`scoped`): its transaction(), read() and autocommit() then go
    through the scope, so the use case's own transaction becomes the scope's — reentrant for
    that greenthread only; every other worker's transactions are untouched."""

    def __init__(self, engine: Engine, write_lock):
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._write_lock = write_lock
        self.dialect = engine.dialect.name
        self._scopes: dict = {}

    @contextlib.contextmanager
    def scoped(self, scope) -> Iterator[None]:
        """Route this greenthread's transactions through `scope` while the block runs."""
        me = getcurrent()
        self._scopes[me] = scope
        try:
            yield
        finally:
            self._scopes.pop(me, None)

    def _scope(self):
        """The scoped call this greenthread is running, if any."""
        return self._scopes.get(getcurrent()) if self._scopes else None

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        """A write transaction: committed on success, rolled back on any error (within a
        scoped call: the call's transaction, committed with its answer)."""
        scope = self._scope()
        return scope.transaction() if scope is not None else self.plain_transaction()

    @contextlib.contextmanager
    def plain_transaction(self) -> Iterator[Session]:
        with self._write_lock, self._session(write=True) as session:
            yield session

    def read(self) -> contextlib.AbstractContextManager[Session]:
        scope = self._scope()
        if scope is not None and scope.session is not None:
            return scope.joined()  # a scoped call reads what it has written
        return self.plain_read()

    @contextlib.contextmanager
    def plain_read(self) -> Iterator[Session]:
        with self._session(write=False) as session:
            yield session

    def autocommit(self) -> contextlib.AbstractContextManager[Session]:
        """Statements that each commit on their own: a read and the access-log row it leaves,
        which no transaction needs to tie together. On PostgreSQL that saves the BEGIN and
        COMMIT round trips (a read and its log row: 2 round trips instead of 3); on SQLite,
        which has no round trips to save, it is a write transaction as `transaction()`.
        Within a scoped call it is the call's transaction."""
        scope = self._scope()
        if scope is not None:
            return scope.transaction()
        if self.dialect != "postgresql":
            return self.plain_transaction()
        return self._autocommit()

    @contextlib.contextmanager
    def _autocommit(self) -> Iterator[Session]:
        session = self._sessions()
        dbapi: Any = session.connection().connection.driver_connection
        dbapi.autocommit = True  # as _FoldedBegin: psycopg2 sends no BEGIN, COMMIT is a no-op
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            if not dbapi.closed:
                dbapi.autocommit = False
            session.close()

    @contextlib.contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        session = self._sessions()
        folded = None
        try:
            if write and self.dialect == "postgresql":
                folded = _FoldedBegin(session)
            elif write:
                session.connection(execution_options={"sanxiang_write": True})
            yield session
            if folded is not None:
                session.flush()  # whatever the ORM holds goes before COMMIT
                folded.end("COMMIT")
            session.commit()
        except BaseException:
            if folded is not None:
                folded.end("ROLLBACK")
            session.rollback()
            raise
        finally:
            if folded is not None:
                folded.release()
            session.close()


# Set on a PostgreSQL connection (its pool record's info) while a write transaction's BEGIN
# is still to be sent: the first statement then carries it ("BEGIN;<statement>"). True, or
# the text of statements to run first in the transaction (begin_with).
BEGIN_PENDING = "sanxiang_begin_pending"
# Set on a PostgreSQL connection by commit_with: a statement that is sent with the COMMIT.
COMMIT_WITH = "sanxiang_commit_with"


def _pending_begin(info: dict) -> str:
    pending = info.pop(BEGIN_PENDING, False)
    if not pending:
        return ""
    return "BEGIN;" if pending is True else f"BEGIN;{pending};"


def begin_prefix(session: Session) -> str:
    """For code that executes on the DBAPI cursor itself: "BEGIN;" (and what begin_with
    added) to put before its statement when it is the first of a write transaction, else ""."""
    return _pending_begin(session.connection().info)


def begin_with(session: Session, statement: str) -> None:
    """PostgreSQL: run `statement` first in the write transaction, sent with its BEGIN and
    its first statement (no round trip of its own); its errors are that statement's. It must
    carry no parameters and no "%" (it is put before a statement whose parameters the driver
    interpolates). If the transaction has begun already, it runs at once."""
    info = session.connection().info
    pending = info.get(BEGIN_PENDING)
    if pending:
        info[BEGIN_PENDING] = statement if pending is True else f"{pending};{statement}"
        return
    cur = session.connection().connection.cursor()
    try:
        cur.execute(statement)
    finally:
        cur.close()


def driver_fetch(session: Session, statement: str, params=()):
    """Run a pre-built PostgreSQL statement on the driver's own cursor — no SQLAlchemy
    statement handling on the hot paths — with a pending BEGIN put in front; returns the
    first row, or None when the statement returns none."""
    cur = session.connection().connection.cursor()
    try:
        cur.execute(begin_prefix(session) + statement, params)
        return cur.fetchone() if cur.description is not None else None
    finally:
        cur.close()


def commit_with(session: Session, statement: str, params=()) -> None:
    """PostgreSQL: run `statement` as the last of the write transaction, sent with its COMMIT
    (one round trip for both); dropped if the transaction rolls back. Its errors are the
    COMMIT's. Outside a write transaction (nothing to fold it into) it runs at once."""
    conn = session.connection()
    cur = conn.connection.cursor()
    try:
        driver: Any = conn.connection.driver_connection
        if BEGIN_PENDING in conn.info or not driver.autocommit:
            cur.execute(begin_prefix(session) + statement, params)
            return
        conn.info[COMMIT_WITH] = cur.mogrify(statement, params)
    finally:
        cur.close()


class _FoldedBegin:
    """A PostgreSQL write transaction whose BEGIN travels with its first statement, so it
    costs no round trip of its own (psycopg2 sends BEGIN alone before the first statement).
    The driver connection is in autocommit mode meanwhile, and the transaction is ended
    here with an explicit COMMIT or ROLLBACK; back to normal before it returns to the pool."""

    def __init__(self, session: Session):
        conn = session.connection()
        self.info = conn.info
        driver = conn.connection.driver_connection
        assert driver is not None, "a checked-out connection holds its driver's connection"
        self.dbapi: Any = driver
        self.dbapi.autocommit = True
        self.info[BEGIN_PENDING] = True

    def end(self, command: str) -> None:
        if self.info.pop(BEGIN_PENDING, False):
            return  # no statement ran: no transaction was begun
        if command == "ROLLBACK" and self.dbapi.closed:
            return
        pending = self.info.pop(COMMIT_WITH, None)
        cur = self.dbapi.cursor()
        try:
            cur.execute(pending + b";COMMIT" if pending is not None and command == "COMMIT"
                        else command)
        except Exception:
            if command == "COMMIT":
                raise
            # a rollback on a broken connection: SQLAlchemy invalidates it
        finally:
            cur.close()

    def release(self) -> None:
        self.info.pop(BEGIN_PENDING, None)
        self.info.pop(COMMIT_WITH, None)
        if not self.dbapi.closed:
            self.dbapi.autocommit = False


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Database(DependencyProvider):
    """Inject a `Db` for the service's own database; migrate it to head on start.

    With DATABASE_OWNER_URL set (PostgreSQL), the migration runs as that owner role and the
    service's role (the user of DATABASE_URL) is granted only what grant_service_role allows;
    compose instead migrates in a one-shot container (`sanxiang db upgrade`) so the service
    never holds the owner's password. Without it the service migrates with its own URL, as
    the embedded SQLite default does."""

    def __init__(self, migrations: str, url_key: str = "DATABASE_URL",
                 owner_url_key: str = "DATABASE_OWNER_URL"):
        self.migrations = migrations
        self.url_key = url_key
        self.owner_url_key = owner_url_key
        self.db: Db | None = None

    def setup(self):
        url = self.container.config.get(self.url_key)
        if not url:
            raise ConfigurationError(f"{self.url_key} is not set in the service config",
                                     message_zh=f"服务配置中未设置 {self.url_key}")
        config = self.container.config
        owner_url = config.get(self.owner_url_key)
        engine = make_engine(
            # a pool size of 0 would be SQLAlchemy's "no limit"
            url, pool_size=_config_int(config, "DB_POOL_SIZE",
                                       pool_size_for(self.container.max_workers), 1),
            max_overflow=_config_int(config, "DB_MAX_OVERFLOW", POOL_OVERFLOW, 0))
        if self.container.config.get("AUTO_MIGRATE", True) not in (False, "false", "0"):
            if owner_url:
                upgrade(owner_url, self.migrations, service_role=engine.url.username)
            else:
                migrate(engine, self.migrations)
        self.db = open_db(engine)

    def stop(self):
        if self.db is not None:
            self.db.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.db


def _config_int(config: dict, key: str, default: int, least: int) -> int:
    """The setting from the config, else from the environment."""
    given = config.get(key)
    return settings.whole_number({key: os.environ.get(key) if given in (None, "") else given},
                                 key, default, least=least)


def open_db(engine: Engine) -> Db:
    if engine.dialect.name == "sqlite":
        from eventlet.semaphore import Semaphore
        return Db(engine, Semaphore(1))
    return Db(engine, _NoLock())
