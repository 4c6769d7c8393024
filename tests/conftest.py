"""Fixtures shared by every test level.

Servers come from ./scripts/bootstrap; run the suite with ./scripts/test.

- ``pg_url`` (session): URL of the PostgreSQL server's maintenance database,
  from ``SANXIANG_TEST_PG`` (default below).  Fails, never skips, when the
  server does not answer.
- ``make_pg_database`` (function): ``make_pg_database(prefix="sanxiang_test")
  -> str`` creates an empty, uniquely named database and returns its URL; every
  database made during the test is dropped afterwards.
- ``fresh_database`` (function): URL of one such database.
- ``db_url`` (function, parametrised ``sqlite`` / ``postgresql``): URL of an
  empty database of each kind, so one test body runs against both.  The
  PostgreSQL case carries the ``postgres`` marker.
- ``rabbit_api`` (session): ``requests.Session`` rooted at the RabbitMQ
  management API (``--rabbit-api-uri``), e.g. ``rabbit_api.get("overview")``,
  plus ``rabbit_api.queues(vhost)``.

- ``rabbit_node`` (function): a RabbitMQ node of the test's own (tests/brokers.py) to
  stop, restart, kill or freeze; ``.amqp_uri``, ``.queues()``.
- ``pg_node`` (function): a PostgreSQL server of the test's own (tests/databases.py), 20
  connections at most, to stop, restart or fill; ``.create_database(name)`` -> URL for the
  login role ``sanxiang``, ``.admin(sql)``, ``.exhausted()``.

nameko's own plugin adds ``rabbit_config`` (a vhost per test), ``container_factory``,
``runner_factory`` and friends.

URLs are SQLAlchemy URLs (``postgresql://`` means psycopg2).
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests

from tests.databases import admin_sql, connect

# the shared test helpers' own asserts report their values, as a test module's do
pytest.register_assert_rewrite("tests.plans")

DEFAULT_TEST_PG = "postgresql://sanxiang:sanxiang@127.0.0.1:5432/postgres"
HOW_TO_START = (
    "Run ./scripts/bootstrap (it installs and starts PostgreSQL and RabbitMQ and "
    "creates the test role), or point SANXIANG_TEST_PG at a server where the "
    "role may CREATE DATABASE."
)


def pytest_configure(config):
    # Tests run unpatched would pass or hang for reasons that vanish under
    # nameko, so refuse them (see tests/eventlet_plugin.py).
    from eventlet import patcher

    if not patcher.is_monkey_patched("socket"):
        raise pytest.UsageError(
            "eventlet is not monkey patched: run ./scripts/test, or add "
            "'-p tests.eventlet_plugin' to the pytest command line"
        )


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("SANXIANG_TEST_PG", DEFAULT_TEST_PG)
    try:
        connect(url).close()
    except Exception as exc:  # psycopg2.OperationalError and bad URLs alike
        from sqlalchemy.engine import make_url

        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(f"PostgreSQL unreachable at {shown}: {exc}\n{HOW_TO_START}",
                    pytrace=False)
    return url


@pytest.fixture
def make_pg_database(pg_url):
    from sqlalchemy.engine import make_url

    created: list[str] = []

    def make(prefix: str = "sanxiang_test") -> str:
        # Other test runs may share the server: names must never collide.
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        admin_sql(pg_url, f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(pg_url).set(database=name).render_as_string(hide_password=False)

    yield make

    errors = []
    for name in created:
        try:
            # FORCE ends connections a test's pool left open.
            admin_sql(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as exc:
            errors.append(f"{name}: {exc}")
    if errors:
        pytest.fail("could not drop test databases: " + "; ".join(errors), pytrace=False)


@pytest.fixture
def fresh_database(make_pg_database) -> str:
    return make_pg_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    # Looked up lazily so the SQLite case never needs the server.
    return request.getfixturevalue("fresh_database")


class RabbitAPI(requests.Session):
    """A requests.Session whose relative paths resolve under ``/api/``."""

    def __init__(self, base_uri: str):
        super().__init__()
        parts = urlsplit(base_uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api/"
        self.auth = (parts.username or "guest", parts.password or "guest")

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, urljoin(self.base, url.lstrip("/")), *args, **kwargs)

    def queues(self, vhost: str) -> dict[str, dict]:
        """Queues of ``vhost`` by name.  A freshly declared queue lacks the
        ``messages_*`` keys for a few seconds: use ``.get(key, 0)`` or poll."""
        resp = self.get(
            f"queues/{quote(vhost, safe='')}",
            params={"columns": "name,type,messages_ready,messages_unacknowledged,consumers"},
        )
        resp.raise_for_status()
        return {q["name"]: q for q in resp.json()}


@pytest.fixture(scope="session")
def rabbit_api(request):
    api = RabbitAPI(request.config.getoption("RABBIT_API_URI"))
    try:
        api.get("overview").raise_for_status()
    except Exception as exc:
        pytest.fail(f"RabbitMQ management API unreachable at {api.base}: {exc}\n{HOW_TO_START}",
                    pytrace=False)
    yield api
    api.close()


# The deployment's keys as `sanxiang keys init` makes them (shared.trust.keys): every service's
# event key, the checkpoint keys (the record keeper's, the disclosure publisher's log key), the
# caller keys of the services that call a peer as themselves, and the token issuer's key.
KEY_SIGNERS = ("records", "review", "renderer", "vault", "disclosure")


def service_callers() -> list[str]:
    """The installed services that call a peer as themselves, as `sanxiang keys init` finds
    them (shared.cli.services.service_callers)."""
    from shared.cli.services import installed
    from shared.cli.services import service_callers as callers
    return callers(list(installed()))


def checkpoint_signers() -> list[str]:
    """The installed services that sign their own logs' heads (the record keeper's
    checkpoints, the disclosure publisher's tree heads), as `sanxiang keys init` finds them."""
    from shared.cli.services import checkpoint_signers as signers
    from shared.cli.services import installed
    return signers(list(installed()))


@pytest.fixture
def keys_dir(tmp_path) -> str:
    from shared.trust.keys import init_deployment

    root = tmp_path / "keys"
    init_deployment(root, KEY_SIGNERS, checkpoint_signers=checkpoint_signers(),
                    callers=service_callers())
    return str(root)


@pytest.fixture
def token_issuer(keys_dir):
    """Mints actor tokens the services of this test verify (TokenIssuer.issue)."""
    from shared.trust.actor import TokenIssuer
    from shared.trust.keys import KeyStore

    return TokenIssuer(KeyStore(keys_dir).token_issuer_key())


def _raw_rpc(amqp_uri: str, service: str, method: str, kwargs: dict, token: str | None, *,
             reply_prefix: str = "reply-", timeout: float = 20.0) -> dict:
    """One RPC the way a system in any language makes it (README "Calling the RPC API"):
    JSON to exchange nameko-rpc, a reply queue bound by its own name, the actor token in
    header nameko.actor_token. Returns the reply's body, {"result": ..., "error": ...}."""
    import json
    import time

    from kombu import Connection, Exchange, Queue

    with Connection(amqp_uri) as conn:
        # declared by the services; a caller with least rights may not declare it
        exchange = Exchange("nameko-rpc", type="topic", no_declare=True)
        reply_name = f"{reply_prefix}{uuid.uuid4()}"
        reply = Queue(reply_name, exchange, routing_key=reply_name, exclusive=True,
                      auto_delete=True)
        reply(conn.default_channel).declare()
        correlation = str(uuid.uuid4())
        conn.Producer().publish(
            json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False), exchange=exchange,
            routing_key=f"{service}.{method}", reply_to=reply_name, correlation_id=correlation,
            content_type="application/json",
            headers={"nameko.actor_token": token} if token is not None else {})
        bound, msg, deadline = reply(conn.default_channel), None, time.monotonic() + timeout
        while msg is None and time.monotonic() < deadline:
            msg = bound.get(no_ack=True)
            if msg is None:
                time.sleep(0.05)
        assert msg is not None, f"no reply to {service}.{method}"
        assert msg.properties["correlation_id"] == correlation
        return json.loads(msg.body)


@pytest.fixture
def raw_rpc():
    """raw_rpc(amqp_uri, service, method, kwargs, token, reply_prefix="reply-") -> reply body:
    an RPC over plain AMQP, as a non-Python caller makes it."""
    return _raw_rpc


@pytest.fixture
def rabbit_node():
    """A RabbitMQ node of this test's own (tests/brokers.py), booted: stop, restart, kill or
    freeze it to cause a broker fault; killed at the end of the test."""
    from tests.brokers import RabbitNode

    node = RabbitNode()
    node.start()
    try:
        yield node
    finally:
        node.close()


@pytest.fixture
def pg_node():
    """A PostgreSQL server of this test's own (tests/databases.py), started: stop, restart or
    fill it to cause a database fault; stopped and removed at the end of the test."""
    from tests.databases import PgNode

    node = PgNode(max_connections=20)
    try:
        node.start()
        yield node
    finally:
        node.close()
