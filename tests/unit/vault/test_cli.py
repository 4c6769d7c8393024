"""`sanxiang vault show` and `sanxiang vault audit` against the vault's database and stores as
the environment sets them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.cli import main
from shared.persistence.db import make_engine, migrate, open_db
from tests.unit.vault.support import RULES, Env, local_stores


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch, keys_dir) -> Env:
    url = f"sqlite:///{tmp_path / 'vault.sqlite3'}"
    engine = make_engine(url)
    migrate(engine, "services.vault:migrations")
    for key, value in {"DATABASE_URL": url, "KEYS_DIR": keys_dir,
                       "VAULT_DIR": str(tmp_path / "primary"),
                       "VAULT_REPLICA_DIR": str(tmp_path / "replica")}.items():
        monkeypatch.setenv(key, value)
    return Env(open_db(engine), RULES, local_stores(tmp_path))


def test_show_prints_the_class_the_rule_and_the_rule_set(deployed, capsys):
    stored = deployed.ingest(b"footage" * 100, facts=["obstruction"])
    assert main(["vault", "show", stored["id"]]) == 0
    out = capsys.readouterr().out
    assert "应当永久保存的执法音像资料 [av_permanent] — 永久 permanent" in out
    assert "第三十六条" in out and "qinyuan-energy@1" in out and "not audited yet" in out
    assert main(["vault", "show", stored["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["retention"]["class"] == "av_permanent"


def test_audit_now_reads_the_objects_back(deployed, capsys):
    deployed.ingest(b"footage" * 100)
    assert main(["vault", "audit", "--agency", "qinyuan-energy"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "agency": "qinyuan-energy", "audited": 1, "outcomes": {"pass": 1}}


def test_an_unknown_object_is_said_plainly(deployed, capsys):
    assert main(["vault", "show", "2d7c8b40-5a9c-4f3e-9b1d-4c0e9a573f1e"]) == 1
    assert "not_found" in capsys.readouterr().err
