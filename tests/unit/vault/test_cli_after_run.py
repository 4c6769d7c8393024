"""`sanxiang vault` finds what `sanxiang run` keeps in its data folder — the vault's database,
store and replica, the keys — from SANXIANG_DATA alone, as the running service does."""
from __future__ import annotations

import json
from pathlib import Path

from services.vault.storage.config import Stores
from services.vault.storage.local import LocalStore
from shared.cli import main
from shared.persistence.db import make_engine, migrate, open_db
from tests.unit.vault.support import RULES, Env


def test_show_and_audit_read_the_data_folder_of_sanxiang_run(tmp_path: Path, monkeypatch,
                                                            keys_dir, capsys):
    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'vault'}.sqlite3")
    migrate(engine, "services.vault:migrations")
    env = Env(open_db(engine), RULES,
              Stores(LocalStore(data / "vault-store"), LocalStore(data / "vault-replica")))
    stored = env.ingest(b"footage kept by sanxiang run " * 50, facts=["obstruction"])
    engine.dispose()
    for key in ("DATABASE_URL", "KEYS_DIR", "VAULT_DIR", "VAULT_REPLICA_DIR",
                "VAULT_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SANXIANG_DATA", str(data))
    monkeypatch.setenv("SANXIANG_KEYS", keys_dir)
    monkeypatch.chdir(tmp_path)
    assert main(["vault", "show", stored["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == stored["id"]
    assert main(["vault", "audit", "--agency", "qinyuan-energy"]) == 0
    assert json.loads(capsys.readouterr().out)["outcomes"] == {"pass": 1}
    assert not (tmp_path / "var").exists()
