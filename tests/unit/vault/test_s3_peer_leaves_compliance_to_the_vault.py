"""moto (the S3 peer of these tests) lets a COMPLIANCE retention be shortened, where AWS and
MinIO refuse it: the vault's S3 store refuses it itself, before the call."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from minio.commonconfig import COMPLIANCE
from minio.retention import Retention

from services.vault.storage import Lock, Refused
from tests.unit.vault.support import make_s3_store


def test_the_peer_shortens_compliance_but_the_vault_refuses(s3_endpoint):
    store = make_s3_store(s3_endpoint)
    until = datetime.now(UTC) + timedelta(days=730)
    written = store.put("qinyuan-energy/x", io.BytesIO(b"footage"),
                        lock=Lock("COMPLIANCE", until), algorithms=("sha256",))
    sooner = datetime.now(UTC) + timedelta(days=1)

    with pytest.raises(Refused) as refused:
        store.retain("qinyuan-energy/x", Lock("COMPLIANCE", sooner))
    assert refused.value.details["rule"] == "retention_shortened"
    assert _seconds_from(store.stat("qinyuan-energy/x").lock.until, until) < 1

    # the same change sent to the peer directly goes through: the refusal above is the vault's
    store.client.set_object_retention(store.bucket, "qinyuan-energy/x",
                                      Retention(COMPLIANCE, sooner), version_id=written.version)
    assert _seconds_from(store.stat("qinyuan-energy/x").lock.until, sooner) < 1


def _seconds_from(found: datetime | None, want: datetime) -> float:
    assert found is not None
    return abs((found - want).total_seconds())
