"""SM3 recorded and checked beside SHA-256 where an agency's rule set asks for it; the retention
mode the deployment configures (COMPLIANCE by default, GOVERNANCE where set); the S3 bucket
made with object lock and versioning."""
from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest

from services.vault import usecases
from services.vault.storage import Refused
from services.vault.storage.config import open_stores
from shared.errors import ConfigurationError, ValidationFailed
from shared.persistence.db import make_engine, migrate, open_db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import default_directory
from tests.unit.vault.support import Env, actor, make_s3_store, upload_request

FOOTAGE = b"footage kept under SM3 " * 300
SM3_AGENCY = """\
id: sm3-county
version: 1
effective: 2025-01-01
title: 某县（国密）
extends: qinyuan-energy@1
source: {document: 某县执法全过程记录办法}
retention:
  digests: {value: [sha256, sm3], basis: 某县密码应用要求（GB/T 32905 SM3）}
"""


@pytest.fixture
def sm3_env(tmp_path: Path):
    folder = tmp_path / "rulesets"
    shutil.copytree(default_directory(), folder)
    (folder / "sm3-county.yaml").write_text(SM3_AGENCY, encoding="utf-8")
    rules = Rules.from_config({"AGENCIES": {"sm3-county": {"name": "某县", "ruleset":
                                                          "sm3-county"}},
                               "RULESETS_DIR": str(folder)})
    engine = make_engine(f"sqlite:///{tmp_path / 'vault.sqlite3'}")
    migrate(engine, "services.vault:migrations")
    yield Env(open_db(engine), rules, open_stores({"VAULT_DIR": str(tmp_path / "primary")}))
    engine.dispose()


def _sm3(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def test_sm3_is_asked_for_recorded_and_checked_where_the_rule_set_wants_it(sm3_env):
    who = actor("officer", agency="sm3-county")
    with pytest.raises(ValidationFailed) as refused:
        sm3_env.call(usecases.begin_upload, "begin_upload",
                     upload_request(FOOTAGE, agency="sm3-county"), who)
    assert "sm3" in refused.value.details
    stored = sm3_env.ingest(FOOTAGE, who, agency="sm3-county", sm3=_sm3(FOOTAGE))
    assert stored["digests"] == {"sha256": hashlib.sha256(FOOTAGE).hexdigest(),
                                 "sm3": _sm3(FOOTAGE)}
    other = FOOTAGE + b"!"
    target = sm3_env.call(usecases.begin_upload, "begin_upload", upload_request(
        other, agency="sm3-county", sm3=_sm3(FOOTAGE)), who)   # the wrong file's SM3
    usecases.receive_upload(target["upload_id"], io.BytesIO(other), db=sm3_env.db,
                            stores=sm3_env.stores, now=sm3_env.now)
    with pytest.raises(Refused) as mismatch:
        sm3_env.call(usecases.complete_upload, "complete_upload",
                     {"upload_id": target["upload_id"]}, who)
    assert set(mismatch.value.details["digests"]) == {"sm3"}


def test_the_deployment_chooses_governance_or_compliance(tmp_path, env):
    assert open_stores({"VAULT_DIR": str(tmp_path / "a")}).mode == "COMPLIANCE"
    env.stores = open_stores({"VAULT_DIR": str(tmp_path / "b"),
                              "VAULT_RETENTION_MODE": "governance"})
    assert env.ingest(FOOTAGE)["lock_mode"] == "GOVERNANCE"
    with pytest.raises(ConfigurationError):
        open_stores({"VAULT_DIR": str(tmp_path / "c"), "VAULT_RETENTION_MODE": "lenient"})


def test_the_s3_bucket_is_made_with_object_lock_and_versioning(s3_endpoint):
    store = make_s3_store(s3_endpoint)
    assert store.client.get_bucket_versioning(store.bucket).status == "Enabled"
    assert store.client.get_object_lock_config(store.bucket) is not None
