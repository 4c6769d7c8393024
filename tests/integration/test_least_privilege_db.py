"""Least privilege in PostgreSQL: the services migrate as the database's owner
(DATABASE_OWNER_URL / `sanxiang db upgrade`) and run as their own role, which may SELECT and
INSERT, UPDATE only the projections its migrations name, DELETE only from the outbox and the
inbox (which retention prunes), and nothing else — no TRUNCATE, no trigger changes, no DDL, no
rewriting of entries or the access log. Each service still works under its role."""
from __future__ import annotations

import secrets
import uuid

import psycopg2
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy.engine import make_url

from contracts.review import CONTRACT as REVIEW
from services.records.service import RecordsService
from services.renderer.service import RendererService
from services.review.service import ReviewService
from shared.cli import main as cli_main
from shared.errors import IdempotencyKeyReused
from tests import suite
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, demo_plan
from tests.databases import admin_sql
from tests.plans import run_case, start_vault
from tests.unit.renderer.fixtures import SAMPLE, write_template

pytestmark = pytest.mark.postgres

AGENCIES = agencies(LINGCHUAN)


@pytest.fixture
def restricted_db(pg_url):
    """make(service) -> (owner_url, service_url): a new database owned by the test's login role
    and a new login role for the service (roles are cluster-wide: unique names; both dropped
    afterwards, the database first)."""
    made: list[tuple[str, str]] = []

    def make(service: str) -> tuple[str, str]:
        tag = uuid.uuid4().hex[:10]
        db, role, password = f"sanxiang_lp_{service}_{tag}", f"sanxiang_lp_{service}_{tag}", \
            secrets.token_hex(12)
        admin_sql(pg_url, f'CREATE DATABASE "{db}"')
        made.append((db, role))
        admin_sql(pg_url, f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        # membership lets the teardown's DROP DATABASE … (FORCE) end the role's connections
        admin_sql(pg_url, f'GRANT "{role}" TO CURRENT_USER')
        owner = make_url(pg_url).set(database=db)
        service_url = owner.set(username=role, password=password)
        return (owner.render_as_string(hide_password=False),
                service_url.render_as_string(hide_password=False))

    yield make
    for db, role in made:
        admin_sql(pg_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin_sql(pg_url, f'DROP ROLE IF EXISTS "{role}"')




def _run_as(url: str, statement: str) -> str | None:
    """Run one statement as the URL's role; the SQLSTATE it failed with, None on success."""
    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                            dbname=u.database, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
        conn.rollback()
        return None
    except psycopg2.Error as exc:
        return exc.pgcode
    finally:
        conn.close()


REFUSED = [
    "TRUNCATE entries", "TRUNCATE access_log", "TRUNCATE checkpoints", "TRUNCATE cases",
    "ALTER TABLE entries DISABLE TRIGGER entries_append_only",
    "ALTER TABLE entries DISABLE TRIGGER ALL",
    "DROP TRIGGER entries_append_only ON entries",
    "DROP TRIGGER access_log_append_only ON access_log",
    "UPDATE entries SET actor_id = 'someone else'",
    "DELETE FROM entries",
    "UPDATE access_log SET outcome = 'allowed'",
    "DELETE FROM access_log",
    "DELETE FROM cases",
    "TRUNCATE inbox", "TRUNCATE outbox",
    "DELETE FROM idempotency",
    "UPDATE idempotency SET result = '{}'",
    "ALTER TABLE entries ADD COLUMN note text",
    "ALTER TABLE entries OWNER TO CURRENT_USER",
    "DROP TABLE access_log",
    "CREATE TABLE shadow (id int)",
    "INSERT INTO alembic_version VALUES ('9999')",
    "CREATE TRIGGER t BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION "
    "sanxiang_append_only()",
]


def test_records_runs_under_its_role_and_the_role_is_refused_the_rest(
        restricted_db, container_factory, rabbit_config, tmp_path, keys_dir,
        token_issuer):
    owner_url, service_url = restricted_db("records")
    keys = keys_dir
    container_factory(RecordsService, dict(
        rabbit_config, DATABASE_URL=service_url, DATABASE_OWNER_URL=owner_url, KEYS_DIR=keys,
        AGENCIES=AGENCIES)).start()
    # the vault beside it (its own database): the case's AV records name its objects
    start_vault(container_factory, dict(rabbit_config, KEYS_DIR=keys, AGENCIES=AGENCIES),
                tmp_path)
    signer = token_issuer

    def rpc(role="officer"):
        from nameko.standalone.rpc import ClusterRpcProxy
        token = signer.issue(actor_id=ACTORS[role], role=role,
                             agency=AGENCY, name=ACTORS[role])
        return ClusterRpcProxy(rabbit_config, context_data={"actor_token": token}, timeout=20)

    # the case up to its proposal: opening, appends (the case row locked FOR UPDATE and its
    # head updated), stage changes, the outbox relayed, reads logged
    ctx = run_case(rpc, demo_plan("陵应急立〔2025〕601号", with_review=False),
                   through="decision_proposed")
    with rpc("head") as head:
        assert head.records.get_case(case_id=ctx["case_id"])["head_seq"] > 3
        verdict = head.records.checkpoint_case(case_id=ctx["case_id"])
        assert head.records.verify_case(case_id=ctx["case_id"])["ok"], verdict

    # the owner can still see what the service wrote; the service's role cannot undo it
    assert _run_as(service_url, "SELECT count(*) FROM entries") is None
    refused = {stmt: _run_as(service_url, stmt) for stmt in REFUSED}
    # 42501 insufficient_privilege (and "must be owner"): refused for want of the right,
    # not by a trigger the role could have disabled
    assert {s: code for s, code in refused.items() if code != "42501"} == {}


def test_sanxiang_db_upgrade_migrates_as_the_owner_and_grants_the_service_role(
        restricted_db, monkeypatch):
    owner_url, service_url = restricted_db("review")
    role = make_url(service_url).username
    assert role is not None
    monkeypatch.setenv("DATABASE_OWNER_URL", owner_url)
    assert cli_main(["db", "upgrade", "review", "--grant-to", role]) == 0
    assert _run_as(service_url, "SELECT count(*) FROM reviews") is None
    assert _run_as(service_url, "UPDATE staff SET active = active") is None
    assert _run_as(service_url, "UPDATE reviews SET state = state") is None
    assert _run_as(service_url, "TRUNCATE review_log") == "42501"
    assert _run_as(service_url, "DELETE FROM reviews") == "42501"
    assert _run_as(service_url, "UPDATE review_log SET action = 'x'") == "42501"
    # a service started on its own role alone (compose: after its migrate container) finds
    # the schema at head and needs no right it lacks
    from shared.persistence.db import make_engine, migrate
    engine = make_engine(service_url)
    try:
        migrate(engine, "services.review:migrations")
    finally:
        engine.dispose()


def test_review_and_renderer_work_under_their_roles(
        restricted_db, container_factory, rabbit_config, tmp_path, keys_dir,
        token_issuer):
    from nameko.standalone.rpc import ClusterRpcProxy

    keys = keys_dir
    base = dict(rabbit_config, KEYS_DIR=keys, AGENCIES=AGENCIES)
    for name, cls in (("records", RecordsService), ("review", ReviewService)):
        owner_url, service_url = restricted_db(name)
        container_factory(cls, dict(base, DATABASE_URL=service_url,
                                    DATABASE_OWNER_URL=owner_url)).start()
    write_template(tmp_path / "templates")
    owner_url, service_url = restricted_db("renderer")
    container_factory(RendererService, dict(
        base, DATABASE_URL=service_url, DATABASE_OWNER_URL=owner_url, PDF="off",
        TEMPLATES_DIR=str(tmp_path / "templates"), TEMPLATES_POLL_SECONDS=0)).start()
    start_vault(container_factory, base, tmp_path)  # the case's AV records name its objects
    signer = token_issuer

    def rpc(role="officer"):
        token = signer.issue(actor_id=ACTORS[role], role=role,
                             agency=AGENCY, name=ACTORS[role])
        return ClusterRpcProxy(rabbit_config, context_data={"actor_token": token}, timeout=30)

    # the whole loop: review requested from the event, reviewers assigned, findings, the
    # opinion (the review row locked FOR UPDATE and updated), back into records' chain
    ctx = run_case(rpc, demo_plan("陵应急立〔2025〕602号", with_review=True))
    with rpc("head") as head:
        assert head.review.get_review(review_id=ctx["review_id"])["state"] == "opinion_issued"
        kinds = [e["kind"] for e in head.records.get_entries(case_id=ctx["case_id"])]
    assert "legal_review" in kinds and "decision_issued" in kinds
    # the review board's writes run once per key too
    token = signer.issue(actor_id=ACTORS["head"], role="head", agency=AGENCY)
    staff = dict(REVIEW.rpc("register_staff").example_request, person_id="reviewer-lp-9")
    with ClusterRpcProxy(rabbit_config, context_data={
            "actor_token": token, "idempotency_key": "staff-9"}, timeout=30) as head:
        assert head.review.register_staff(**staff) == head.review.register_staff(**staff)
        with pytest.raises(IdempotencyKeyReused):
            head.review.register_staff(**dict(staff, position="副股长"))
    token = signer.issue(actor_id="officer-1", role="officer", agency="lingchuan-emergency")
    # a caller's retry with its idempotency key gets the first render, nothing rendered again
    with ServiceRpcProxy("renderer", base, context_data={
            "actor_token": token, "idempotency_key": "render-601"}, timeout=60) as renderer:
        result = renderer.render(template_id="fixture_penalty", data=SAMPLE, formats=["docx"])
        again = renderer.render(template_id="fixture_penalty", data=SAMPLE, formats=["docx"])
    assert result["outputs"][0]["format"] == "docx"
    assert again == result
    assert _run_as(service_url, "DELETE FROM renders") == "42501"
    assert _run_as(service_url, "DELETE FROM idempotency") == "42501"
    assert _run_as(service_url, "TRUNCATE template_versions") == "42501"


@pytest.mark.parametrize("service", suite.NAMES)
def test_every_service_migrated_by_its_owner_runs_on_its_role_and_cannot_erase(
        service, restricted_db, monkeypatch, container_factory, rabbit_config, tmp_path,
        keys_dir):
    """Compose's path for each installed service (the vault among them): `sanxiang db upgrade
    <service> --grant-to <role>` as the owner, then the service started on its role alone takes
    calls — and the role can truncate or drop none of its tables, nor create one, and delete
    from none but the outbox and the inbox (retention's)."""
    from sqlalchemy import create_engine, inspect

    owner_url, service_url = restricted_db(service)
    role = make_url(service_url).username
    assert role is not None
    monkeypatch.setenv("DATABASE_OWNER_URL", owner_url)
    assert cli_main(["db", "upgrade", service, "--grant-to", role]) == 0
    engine = create_engine(owner_url)
    try:
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    finally:
        engine.dispose()
    assert tables
    prunable = {"outbox", "inbox"} & set(tables)
    assert "outbox" in prunable
    attempts = [f"{verb} {table}" for table in tables
                for verb in ("DELETE FROM", "TRUNCATE", "DROP TABLE")
                if not (verb == "DELETE FROM" and table in prunable)]
    refused = {s: _run_as(service_url, s) for s in [*attempts, "CREATE TABLE shadow (id int)"]}
    assert {s: code for s, code in refused.items() if code != "42501"} == {}
    # the outbox and the inbox alone: what retention prunes (shared.messaging.retention)
    assert {t: _run_as(service_url, f"DELETE FROM {t} WHERE false") for t in prunable} == \
        dict.fromkeys(prunable)
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES, DATABASE_URL=service_url,
                  **suite.settings(service, tmp_path))
    container_factory(suite.classes()[service], config).start()
    with ServiceRpcProxy(service, rabbit_config, timeout=20) as rpc:
        assert rpc.health()["service"] == service
