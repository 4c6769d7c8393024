"""`sanxiang vault verify-package` against the vault's database and stores as the environment
sets them, the record keeper's checkpoint keys as published under KEYS_DIR: a package passes,
and once its stored bag is rewritten the command names what failed and exits 1."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.vault import store
from shared.cli import main
from shared.persistence.db import make_engine, migrate, open_db
from shared.trust.keys import KeyStore
from tests.unit.vault.package_support import (
    Records,
    archive,
    archive_due,
    hold_documents,
    stored_packages,
)
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


def test_verify_package_reports_each_aspect_and_fails_on_a_rewritten_bag(deployed, keys_dir,
                                                                         capsys):
    records = Records(key=KeyStore(keys_dir).checkpoint_key("records").key)
    av = hold_documents(deployed)
    package_id = str(archive(deployed, records, archive_due(deployed, records, av["sha256"])))
    assert main(["vault", "verify-package", package_id]) == 0
    out = capsys.readouterr().out
    assert "通过 passed" in out and "真实性 authenticity  pass" in out
    [package] = stored_packages(deployed)
    with deployed.db.read() as s:
        key = store.load_object(s, package["object_id"])["key"]
    path = Path(deployed.stores.primary.where) / "objects" / key
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    assert main(["vault", "verify-package", package_id]) == 1
    out = capsys.readouterr().out
    assert "未通过 failed" in out and "package_digest" in out and "bag_readable" in out
