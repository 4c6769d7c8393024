"""What the vault's tests build with: the rule sets, a use-case environment on SQLite with a
local store and its replica (events stay in the outbox table), the people who act, uploads. An
S3 peer: moto in server mode, a separate process over HTTP on a free
port (it enforces object lock and the checksum header of a locked PUT, not the COMPLIANCE
shortening rule), started and stopped within bounded times."""
from __future__ import annotations

import hashlib
import io
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from minio import Minio
from sqlalchemy import select

from contracts.vault import CONTRACT
from services.vault import models, usecases
from services.vault.storage.config import Stores
from services.vault.storage.local import LocalStore
from services.vault.storage.s3 import S3Store
from shared.contracts.registry import dump, load
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor
from shared.trust.keys import SigningKey, key_id
from tests import agencies
from tests.agencies import AGENCIES

START_SECONDS = 30
STOP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """The endpoint (host:port) of a moto server running for the block."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from moto.server import main; main()",
                             "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {proc.returncode}")
            try:
                requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"moto server not answering within {START_SECONDS} s") from None
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_SECONDS)


def client(endpoint: str) -> Minio:
    return Minio(endpoint, access_key="testing", secret_key="testing", secure=False,
                 region="us-east-1")


def bucket_name(prefix: str = "vault") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_s3_store(endpoint: str, part_size: int | None = None) -> S3Store:
    """An S3 store on a fresh locked bucket and staging bucket of the peer at `endpoint`."""
    kw = {"part_size": part_size} if part_size else {}
    store = S3Store(client(endpoint), bucket_name(), bucket_name("staging"), **kw)
    store.ensure_buckets()
    return store


# ---- the rule sets ----------------------------------------------------------------------------

RULES = Rules.from_config({"AGENCIES": AGENCIES})


def with_retention(rs: RuleSet, **keys: object) -> RuleSet:
    """`rs` with its retention section's `keys` replaced (an agency configuring otherwise)."""
    data = rs.data
    data["retention"].update(keys)
    return RuleSet(data, {}, list(rs.extends_chain), rs.file)


# ---- the use cases on SQLite, with a local store and its replica --------------------------------

def event_key(service: str = "vault") -> SigningKey:
    key = Ed25519PrivateKey.generate()
    return SigningKey(key, key_id(key.public_key()), service)


class Env:
    def __init__(self, db: Db, rules: Rules, stores: Stores):
        self.db = db
        self.rules = rules
        self.stores = stores
        self.outbox = OutboxWriter(models.outbox, CONTRACT, signer=event_key())
        self.now = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)   # 09:00 CST, a Monday

    def deps(self) -> dict:
        return dict(db=self.db, outbox=self.outbox, rules=self.rules, stores=self.stores,
                    now=self.now)

    def call(self, fn: Callable[..., Any], method: str, payload: dict, who: Actor) -> Any:
        """Validate the payload with the contract (as the entrypoint does), run the use case,
        answer what the contract dumps."""
        spec = CONTRACT.rpc(method)
        request = load(spec.request, payload, what=method)
        return dump(spec.response, fn(request, actor=who, **self.deps()))

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)
                             .order_by(models.outbox.c.id)).all()
        return [json.loads(b) if isinstance(b, str) else b
                for t, b in rows if event_type in (None, t)]

    def log(self, action: str | None = None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.vault_log).order_by(models.vault_log.c.id)
                             ).mappings().all()
        return [dict(r) for r in rows if action in (None, r["action"])]

    def ingest(self, data: bytes, who: Actor | None = None, **changes: Any) -> dict:
        """begin_upload, the bytes sent to the staging area, complete_upload."""
        who = who or OFFICER
        target = self.call(usecases.begin_upload, "begin_upload",
                           upload_request(data, **changes), who)
        usecases.receive_upload(target["upload_id"], io.BytesIO(data), db=self.db,
                                stores=self.stores, now=self.now)
        return self.call(usecases.complete_upload, "complete_upload",
                         {"upload_id": target["upload_id"]}, who)


def actor(role: str = "officer", agency: str = agencies.QINYUAN,
          id: str | None = None) -> Actor:
    return Actor(id=id or f"{role}-1", role=role, agency=agency, name=role)


OFFICER = actor("officer")
HEAD = actor("head")
SUPERVISOR = actor("supervisor")
LEGAL = actor("legal_unit")


def upload_request(data: bytes, **changes: Any) -> dict:
    request: dict[str, Any] = {"agency": agencies.QINYUAN, "subject": "av",
               "sha256": hashlib.sha256(data).hexdigest(), "sm3": None, "size": len(data),
               "name": "现场检查执法记录仪视频.mp4", "media_type": "video/mp4",
               "case_id": "case-1", "facts": [], "term": None, "legal_hold": False}
    request.update(changes)
    return request


def local_stores(root: Path, replica: bool = True) -> Stores:
    return Stores(LocalStore(root / "primary"),
                  LocalStore(root / "replica") if replica else None)
