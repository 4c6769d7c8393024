"""The vault over real RabbitMQ (a vhost per test): a file announced by RPC, its bytes streamed
to the upload endpoint (local store) or a presigned PUT (S3, moto in server mode), stored by
complete_upload with object_stored.v1 published, read back; a role the contract does not
declare refused."""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import pytest
import requests
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.vault.service import VaultService
from shared.errors import Forbidden
from tests.agencies import AGENCIES
from tests.unit.vault.support import bucket_name, free_port, moto_server

FOOTAGE = bytes(range(256)) * 4096 * 3   # 3 MiB


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


def _start(container_factory, rabbit_config, tmp_path, keys_dir, token_issuer, **extra):
    port = free_port()
    config = dict(rabbit_config, DATABASE_URL=f"sqlite:///{tmp_path / 'vault.sqlite3'}",
                  KEYS_DIR=keys_dir, AGENCIES=AGENCIES, VAULT_DIR=str(tmp_path / "vault"),
                  VAULT_REPLICA_DIR=str(tmp_path / "replica"),
                  WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                  VAULT_UPLOAD_URL=f"http://127.0.0.1:{port}", **extra)
    container_factory(VaultService, config).start()

    def proxy(role="officer", agency="qinyuan-energy"):
        token = token_issuer.issue(actor_id=f"{role}-1", role=role, agency=agency)
        return ServiceRpcProxy("vault", config, context_data={"actor_token": token},
                               timeout=60)
    return config, proxy


def _tap(config) -> tuple[Connection, Queue]:
    conn = Connection(config["AMQP_URI"])
    tap = Queue(f"tap-{uuid.uuid4().hex[:8]}",
                Exchange("vault.events", type="topic", durable=True), routing_key="#")
    tap(conn.default_channel).declare()
    return conn, tap


def _first_event(conn: Connection, tap: Queue) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = tap(conn.default_channel).get(no_ack=True)
        if msg:
            return json.loads(msg.body)
        time.sleep(0.1)
    raise AssertionError("no event within 10 s")


def _announce(rpc) -> dict:
    return rpc.begin_upload(agency="qinyuan-energy", subject="av",
                            sha256=hashlib.sha256(FOOTAGE).hexdigest(), size=len(FOOTAGE),
                            name="执法记录仪.mp4", media_type="video/mp4",
                            facts=["penalty_evidence"])


def _chunks(data: bytes, size: int = 256 * 1024):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_a_file_streams_in_and_is_stored_once_with_its_event(container_factory, rabbit_config,
                                                            tmp_path, keys_dir, token_issuer):
    config, proxy = _start(container_factory, rabbit_config, tmp_path, keys_dir, token_issuer)
    conn, tap = _tap(config)
    with proxy() as rpc:
        target = _announce(rpc)
        assert target["retention"]["class"] == "av_permanent"
        sent = requests.put(target["url"], data=_chunks(FOOTAGE), timeout=30)
        assert sent.status_code == 200 and sent.json()["size"] == len(FOOTAGE)
        stored = rpc.complete_upload(upload_id=target["upload_id"])
        assert stored["retain_until"] is None and stored["replica"] == "ok"
        assert rpc.get_object(object_id=stored["id"])["sha256"] == \
            hashlib.sha256(FOOTAGE).hexdigest()
    event = _first_event(conn, tap)
    conn.release()
    assert event["event_type"] == "object_stored.v1"
    assert event["data"]["object_id"] == stored["id"] and event["signature"]
    with proxy(role="officer") as rpc, pytest.raises(Forbidden):
        rpc.audit_fixity(agency="qinyuan-energy")
    with proxy(role="supervisor") as rpc:
        report = rpc.audit_fixity(agency="qinyuan-energy")
    assert report["outcomes"] == {"pass": 1}


def test_the_s3_store_takes_a_presigned_put(container_factory, rabbit_config, tmp_path,
                                            keys_dir, token_issuer, s3_endpoint):
    config, proxy = _start(container_factory, rabbit_config, tmp_path, keys_dir, token_issuer,
                           VAULT_STORE="s3", VAULT_S3_ENDPOINT=s3_endpoint,
                           VAULT_S3_ACCESS_KEY="testing", VAULT_S3_SECRET_KEY="testing",
                           VAULT_S3_SECURE="false", VAULT_S3_REGION="us-east-1",
                           VAULT_S3_BUCKET=bucket_name(),
                           VAULT_S3_REPLICA_BUCKET=bucket_name("replica"))
    with proxy() as rpc:
        target = _announce(rpc)
        assert target["url"].startswith(f"http://{s3_endpoint}/")
        sent = requests.put(target["url"], data=FOOTAGE, timeout=30)
        assert sent.status_code == 200, sent.text
        stored = rpc.complete_upload(upload_id=target["upload_id"])
    assert stored["store"].startswith("s3://") and stored["replica"] == "ok"
    assert stored["lock_mode"] == "COMPLIANCE" and stored["retain_until"] is None
