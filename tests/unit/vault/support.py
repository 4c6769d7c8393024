"""What the vault's tests build with. An S3 peer: moto in server mode, a separate process over HTTP on a free
port (it enforces object lock and the checksum header of a locked PUT, not the COMPLIANCE
shortening rule), started and stopped within bounded times."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from minio import Minio

from services.vault.storage.s3 import S3Store
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
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
                    raise RuntimeError(f"moto server not answering within {START_SECONDS} s")
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
