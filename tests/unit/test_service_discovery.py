"""How the `sanxiang` command finds the services (shared.cli.services): through the entry points
"sanxiang.services" each service declares in pyproject.toml, never by a name in the kernel."""
from __future__ import annotations

from shared.cli import main, services
from shared.cli.run import SERVICES


def test_the_installed_services_are_those_the_entry_points_declare():
    assert services.installed() == SERVICES == {
        "records": "services.records.service:RecordsService",
        "renderer": "services.renderer.service:RendererService",
        "review": "services.review.service:ReviewService",
        "vault": "services.vault.service:VaultService",
        "disclosure": "services.disclosure.service:DisclosureService"}
    assert all(services.service_class(name).name == name for name in SERVICES)


def test_a_services_migrations_are_its_database_providers():
    assert {name: services.migrations(name) for name in SERVICES} == {
        name: f"services.{name}:migrations" for name in SERVICES}


def test_records_and_disclosure_sign_their_logs_and_absent_services_are_skipped():
    assert services.checkpoint_signers(["records", "review", "renderer", "vault"]) == ["records"]
    assert services.checkpoint_signers(["records", "disclosure", "absent"]) == [
        "records", "disclosure"]


def test_the_record_keeper_is_told_whether_its_peers_run_beside_it():
    assert services.run_environment("records", ["records", "review"]) == {
        "REVIEW_BOARD": "required", "VAULT": "absent", "DISCLOSURE": "absent"}
    assert services.run_environment("records", ["records", "vault"]) == {
        "REVIEW_BOARD": "absent", "VAULT": "required", "DISCLOSURE": "absent"}
    assert services.run_environment("records", ["records", "disclosure"]) == {
        "REVIEW_BOARD": "absent", "VAULT": "absent", "DISCLOSURE": "required"}
    assert services.run_environment("records", ["records"]) == {
        "REVIEW_BOARD": "absent", "VAULT": "absent", "DISCLOSURE": "absent"}
    assert services.run_environment("review", ["records", "review"]) == {}


def test_the_renderer_is_told_whether_the_vault_runs_beside_it():
    assert services.run_environment("renderer", ["renderer", "vault"]) == {
        "DOCUMENT_VAULT": "required"}
    assert services.run_environment("renderer", ["renderer"]) == {"DOCUMENT_VAULT": "absent"}


def test_the_vault_is_told_whether_the_renderer_runs_beside_it():
    assert services.run_environment("vault", ["records", "renderer", "vault"]) == {
        "INDEX_RENDERER": "required"}
    assert services.run_environment("vault", ["records", "vault"]) == {
        "INDEX_RENDERER": "absent"}


def test_the_disclosure_publisher_is_told_which_of_its_peers_run_beside_it():
    # the vault (a correction's attachments, the annual report's PDF), the renderer (the
    # written answers, the report), the record keeper (the report's figures)
    assert services.run_environment("disclosure", ["disclosure", "vault", "renderer"]) == {
        "VAULT": "required", "RENDERER": "required", "RECORD_KEEPER": "absent"}
    assert services.run_environment("disclosure", ["records", "disclosure"]) == {
        "VAULT": "absent", "RENDERER": "absent", "RECORD_KEEPER": "required"}


def test_the_services_that_call_a_peer_as_themselves_get_a_caller_key():
    # disclosure: the vault (attachments, the report's PDF), the renderer (answers, the report),
    # the record keeper (the report's figures)
    assert services.service_callers(["records", "review", "renderer", "vault", "disclosure"]) == [
        "records", "renderer", "vault", "disclosure"]


def test_db_upgrade_refuses_a_service_that_is_not_installed(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_OWNER_URL", "sqlite://")
    assert main(["db", "upgrade", "inspection"]) == 2
    assert "service 'inspection' has no migrations" in capsys.readouterr().err
