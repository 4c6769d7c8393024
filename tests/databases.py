"""A PostgreSQL server of the test's own, for the fault tests: stopped, restarted and filled to
its connection limit without touching the machine's server (which every other test uses).

It is a fresh cluster (initdb) in a temporary directory owned by the `postgres` OS user when
the suite runs as root, listening on 127.0.0.1 on a free port with its socket in that
directory, trusting local logins, with a low max_connections and no fsync. Starting takes
about a second; `restart()` and `stop()`/`start()` keep the data.

    node = PgNode(max_connections=20); node.start()
    node.create_database("review")   # owned by the login role `sanxiang` (no superuser)
    node.url("review")               # postgresql://sanxiang@127.0.0.1:<port>/review
    node.stop(); node.start() / node.restart()
    node.admin("select ...")         # as the superuser, on database postgres
    with node.exhausted(): ...       # every connection slot the role may use is taken

and, for any server by URL: `connect(url)` (psycopg2, autocommit) and `admin_sql(url, sql)`
(one statement, e.g. CREATE DATABASE, which refuses to run inside a transaction).
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.brokers import free_port


def connect(url: str):
    import psycopg2
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = psycopg2.connect(
        host=u.host, port=u.port, user=u.username, password=u.password,
        dbname=u.database, connect_timeout=5,
    )
    # CREATE/DROP DATABASE refuse to run inside a transaction block.
    conn.autocommit = True
    return conn


def admin_sql(url: str, sql: str) -> None:
    """Run one statement on the server of `url` in autocommit (CREATE/DROP DATABASE, roles)."""
    # Not `with conn:`, which opens a transaction even under autocommit.
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _server_bin() -> Path:
    """Where initdb and pg_ctl are: SANXIANG_TEST_PG_BIN, else Debian's newest server."""
    if os.environ.get("SANXIANG_TEST_PG_BIN"):
        return Path(os.environ["SANXIANG_TEST_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if not found:
        raise RuntimeError("no PostgreSQL server binaries (initdb): install the server "
                           "(./scripts/bootstrap does) or set SANXIANG_TEST_PG_BIN")
    return found[-1].parent


BIN = _server_bin()
ROLE = "sanxiang"
HOG = "sanxiang-test-hog"  # application_name of the connections that fill the server


class PgNode:
    def __init__(self, *, max_connections: int = 20, base: Path | None = None):
        self.base = Path(base or tempfile.mkdtemp(prefix="sanxiang-pg-"))
        self._owns_base = base is None
        self.data = self.base / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self._user = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            self._user = owner.pw_name
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self._run(BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self._initialised = False

    def _run(self, *args, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                              timeout=timeout, user=self._user, cwd=self.base)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(str(args[0])).name} failed: {done.stderr or done.stdout}")
        return done

    def _pg_ctl(self, *args, timeout: float = 60) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.base} "
                   f"-c max_connections={self.max_connections} -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB")
        self._run(BIN / "pg_ctl", "-D", self.data, "-l", self.base / "server.log", "-w",
                  "-t", str(int(timeout)), "-o", options, *args, timeout=timeout + 10)

    def start(self) -> None:
        self._pg_ctl("start")
        if not self._initialised:
            self.admin(f"CREATE ROLE {ROLE} LOGIN")
            self._initialised = True

    def stop(self, mode: str = "fast") -> None:
        """fast: every session is ended (admin_shutdown), as a restart or failover does."""
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "-m", mode)

    def url(self, database: str, user: str = ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", user: str = "postgres", **kwargs):
        import psycopg2
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=user, dbname=database,
                                connect_timeout=5, **kwargs)
        conn.autocommit = True
        return conn

    def admin(self, sql: str, params=(), database: str = "postgres") -> list:
        conn = self.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description is not None else []
        finally:
            conn.close()

    def create_database(self, name: str) -> str:
        self.admin(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.url(name)

    @contextlib.contextmanager
    def exhausted(self, database: str = "postgres", timeout: float = 20):
        """Take every connection slot the role may have (max_connections less the superusers'
        reserve): the role's other sessions are ended — as a server restarting under a crowd
        of clients would end them — and the freed slots taken as well, until the role holds
        only these; released on leaving."""
        import psycopg2
        hogs, deadline = [], time.monotonic() + timeout
        try:
            while True:
                while True:
                    try:
                        hogs.append(self.connect(database, ROLE, application_name=HOG))
                    except psycopg2.OperationalError:
                        break
                others = self.admin(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = %s AND application_name <> %s", (ROLE, HOG))
                if not others:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("could not take every connection slot")
                time.sleep(0.05)
            yield len(hogs)
        finally:
            for conn in hogs:
                conn.close()

    def close(self) -> None:
        try:
            self.stop("immediate")
        except Exception:  # not running
            pass
        if self._owns_base:
            shutil.rmtree(self.base, ignore_errors=True)


def table_rows(url: str, sql: str, **params) -> list[dict]:
    """The rows a query of a service's database answers, each as a dict — read the way an
    operator (or an insider) would, around the service."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]
    finally:
        engine.dispose()
