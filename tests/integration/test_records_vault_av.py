"""The record keeper and the vault over real RabbitMQ (a vhost per test), each on its own
database: an AV file uploaded through the vault (begin_upload, its upload endpoint,
complete_upload) is recorded by record_av naming it; a record declaring another SHA-256, or
naming an object the vault does not hold, is refused with validation_failed naming the field,
recorded in the access log, nothing written. With the vault not running, or gone while the
record keeper still saw it a moment ago, record_av answers service_not_deployed naming it."""
from __future__ import annotations

import hashlib
import time
import uuid

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.records.service import RecordsService
from shared.errors import ServiceNotDeployed, ValidationFailed
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, av_media, av_request, open_case_request
from tests.plans import start_vault

AGENCIES = agencies(LINGCHUAN)
FOOTAGE = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"onsite footage " * 4096


@pytest.fixture
def deployment(container_factory, rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    """The record keeper running; `vault()` starts the vault beside it (its container)."""
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    container_factory(RecordsService, dict(config, DATABASE_URL=db_url)).start()

    def rpc(role="officer"):
        token = token_issuer.issue(actor_id=ACTORS.get(role, f"{role}-1"), role=role,
                                   agency=AGENCY, name=ACTORS.get(role, role))
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=60)

    return rpc, lambda: start_vault(container_factory, config, tmp_path), db_url


def _upload(officer, case_id: str, data: bytes = FOOTAGE) -> dict:
    """begin_upload, the bytes PUT to the vault's upload endpoint, complete_upload."""
    target = officer.vault.begin_upload(
        agency=AGENCY, subject="av", sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        name="执法记录仪视频.mp4", media_type="video/mp4", case_id=case_id,
        facts=["penalty_evidence"])
    sent = requests.put(target["url"], data=data, timeout=30)
    assert sent.status_code == 200, sent.text
    return officer.vault.complete_upload(upload_id=target["upload_id"])


def _av(case_id: str, stored: dict, **media) -> dict:
    return av_request({"case_id": case_id, "footage": {"ZFJLY-0031-20251009-1400.mp4": stored}},
                      media=av_media(stored, **media))


def _rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _entries(url: str) -> int:
    return _rows(url, "SELECT count(*) FROM entries")[0][0]


def _refusals(url: str) -> list[tuple]:
    return _rows(url, "SELECT action, reason FROM access_log WHERE outcome = 'refused' "
                      "ORDER BY id")


def test_av_recorded_naming_the_uploaded_object_mismatch_and_unknown_refused(deployment):
    rpc, vault, url = deployment
    vault()
    with rpc("officer") as officer:
        case_id = officer.records.open_case(**open_case_request("陵应急立〔2025〕801号"))["id"]
        stored = _upload(officer, case_id)
        done = officer.records.record_av(**_av(case_id, stored))
        [entry] = officer.records.get_entries(case_id=case_id, from_seq=done["seq"])
        assert entry["content"]["media"]["object_ref"] == stored["id"]
        assert entry["content"]["vault_object"]["object_id"] == stored["id"]
        assert entry["content"]["vault_object"]["digests"]["sha256"] == stored["sha256"]
        written = _entries(url)

        with pytest.raises(ValidationFailed) as err:
            officer.records.record_av(**_av(case_id, stored, sha256="ab" * 32))
        assert list(err.value.details) == ["media.sha256"]
        assert stored["id"] in err.value.details["media.sha256"][0]

        with pytest.raises(ValidationFailed) as err:
            officer.records.record_av(**_av(case_id, dict(stored, id=str(uuid.uuid4()))))
        assert list(err.value.details) == ["media.object_ref"]
        assert "the vault holds no object" in err.value.details["media.object_ref"][0]
    assert _entries(url) == written
    refusals = _refusals(url)
    assert [action for action, _ in refusals] == ["record_av", "record_av"]
    assert "media.sha256" in refusals[0][1] and "media.object_ref" in refusals[1][1]


def test_without_the_vault_running_record_av_names_it_and_writes_nothing(deployment):
    rpc, _, url = deployment
    with rpc("officer") as officer:
        case_id = officer.records.open_case(**open_case_request("陵应急立〔2025〕802号"))["id"]
        with pytest.raises(ServiceNotDeployed) as err:
            officer.records.record_av(**_av(case_id, {"id": str(uuid.uuid4()),
                                                      "sha256": "ab" * 32, "size": 10}))
    assert err.value.details["service"] == "vault" and "vault" in str(err.value)
    assert _entries(url) == 1
    assert [action for action, _ in _refusals(url)] == ["record_av"]


def test_a_vault_gone_a_moment_ago_is_answered_as_not_answering_nothing_written(deployment):
    """The record keeper saw the vault's consumer a moment ago (it remembers a yes for a few
    seconds): its call then waits on a queue nobody reads, bounded by the client's timeout."""
    rpc, vault, url = deployment
    container = vault()
    with rpc("officer") as officer:
        case_id = officer.records.open_case(**open_case_request("陵应急立〔2025〕803号"))["id"]
        stored = _upload(officer, case_id)
        officer.records.record_av(**_av(case_id, stored))   # the vault seen: remembered
        written = _entries(url)
        container.stop()
        started = time.monotonic()
        with pytest.raises(ServiceNotDeployed) as err:
            officer.records.record_av(**_av(case_id, stored))
    assert time.monotonic() - started < 30
    assert err.value.details["service"] == "vault"
    assert _entries(url) == written
