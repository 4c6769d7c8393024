"""The vault under its own PostgreSQL role: migrated by the owner (`sanxiang db upgrade`'s path),
run as a role that may INSERT and SELECT, UPDATE only what its migrations name (objects,
uploads, disposals, the outbox) — never its log or its fixity events — and everything it does
(ingest, hold, disposal, audit) still works under that role."""
from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from services.vault import usecases
from shared.persistence.db import make_engine, open_db, upgrade
from tests.databases import admin_sql, connect
from tests.unit.vault.support import HEAD, LEGAL, RULES, SUPERVISOR, Env, local_stores

pytestmark = pytest.mark.postgres

FOOTAGE = b"footage under least privilege " * 100


@pytest.fixture
def vault_role_db(pg_url):
    tag = uuid.uuid4().hex[:10]
    db = role = f"sanxiang_lp_vault_{tag}"
    password = secrets.token_hex(12)
    admin_sql(pg_url, f'CREATE DATABASE "{db}"')
    admin_sql(pg_url, f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    admin_sql(pg_url, f'GRANT "{role}" TO CURRENT_USER')
    owner = make_url(pg_url).set(database=db)
    service = owner.set(username=role, password=password)
    try:
        yield (owner.render_as_string(hide_password=False),
               service.render_as_string(hide_password=False), role)
    finally:
        admin_sql(pg_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin_sql(pg_url, f'DROP ROLE IF EXISTS "{role}"')


def test_the_vault_works_under_its_role_and_cannot_rewrite_its_history(vault_role_db, tmp_path):
    owner_url, service_url, role = vault_role_db
    upgrade(owner_url, "services.vault:migrations", service_role=role)
    engine = make_engine(service_url)
    env = Env(open_db(engine), RULES, local_stores(tmp_path))
    try:
        stored = env.ingest(FOOTAGE)
        env.call(usecases.set_legal_hold, "set_legal_hold",
                 {"object_id": stored["id"], "on": True, "reason": "复议"}, LEGAL)
        env.call(usecases.set_legal_hold, "set_legal_hold",
                 {"object_id": stored["id"], "on": False, "reason": "复议终结"}, LEGAL)
        env.call(usecases.audit_fixity, "audit_fixity", {"agency": "qinyuan-energy"}, HEAD)
        env.now = datetime(2027, 10, 21, 1, 0, tzinfo=UTC)
        asked = env.call(usecases.request_disposal, "request_disposal",
                         {"object_id": stored["id"], "reason": "期满"}, HEAD)
        env.call(usecases.approve_disposal, "approve_disposal",
                 {"disposal_id": asked["id"], "note": None}, SUPERVISOR)
    finally:
        engine.dispose()
    conn = connect(service_url)
    try:
        for statement in ("UPDATE vault_log SET action = 'nothing'",
                          "UPDATE fixity_events SET outcome = 'pass'",
                          "DELETE FROM objects", "DELETE FROM disposals",
                          "TRUNCATE vault_log"):
            with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(statement)
    finally:
        conn.close()
