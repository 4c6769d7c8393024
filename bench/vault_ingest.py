"""The vault's ingest and fixity audit against bare baselines measured in the same run.

    .venv/bin/python bench/vault_ingest.py [--quick] [--size-mib 256 | --gib] [--objects 64]

1. Ingest: a file of --size-mib MiB (256 by default; --gib for 1 GiB; --quick 32) through the
   vault's use cases on SQLite with the local store and its replica — begin_upload, the bytes
   streamed to the staging area (the upload endpoint's path), complete_upload (read back and
   hashed, linked into the store, copied to the replica) — in a child process whose peak RSS
   growth is read from /proc (VmHWM after, reset before, against VmRSS before). Beside it
   `sha256sum` on the same file. Targets: ≥ 0.7× sha256sum (complete_upload alone, and the
   whole ingest for context), peak RSS growth ≤ 64 MiB.
2. Fixity audit: --objects objects of 4 MiB (--quick 8) audited by the vault (every copy read
   back, a fixity event each) against a bare hashlib loop over the same files. Target ≥ 0.7×."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BenchError, main, parser, row

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"/proc/self/status has no {field}")


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with open(path, "wb") as f:
        for i in range(size // MIB):
            f.write(block[i % 251:] + block[:i % 251])


def _env(root: Path):
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from contracts.vault import CONTRACT
    from services.vault import models
    from services.vault.storage.config import Stores
    from services.vault.storage.local import LocalStore
    from shared.messaging.outbox import OutboxWriter
    from shared.persistence.db import make_engine, migrate, open_db
    from shared.rulesets.provider import Rules
    from shared.trust.actor import Actor
    from shared.trust.keys import SigningKey, key_id
    engine = make_engine(f"sqlite:///{root / 'vault.sqlite3'}")
    migrate(engine, "services.vault:migrations")
    key = Ed25519PrivateKey.generate()
    return {"db": open_db(engine),
            "rules": Rules.from_config({"AGENCIES": {
                "qinyuan-energy": {"name": "沁源县能源局", "ruleset": "qinyuan-energy"}}}),
            "stores": Stores(LocalStore(root / "primary"), LocalStore(root / "replica")),
            "outbox": OutboxWriter(models.outbox, CONTRACT,
                                   signer=SigningKey(key, key_id(key.public_key()), "vault")),
            "now": datetime.now(UTC),
            "officer": Actor(id="officer-1", role="officer", agency="qinyuan-energy")}


def worker(path: Path, root: Path, sha256: str) -> dict:
    """In the child: the ingest, timed, with the peak RSS growth it caused."""
    from contracts.vault import CONTRACT
    from services.vault import usecases
    from shared.contracts.registry import load
    env = _env(root)
    deps = {k: env[k] for k in ("db", "rules", "stores", "outbox", "now")}
    request = load(CONTRACT.rpc("begin_upload").request, {
        "agency": "qinyuan-energy", "subject": "av", "sha256": sha256,
        "size": path.stat().st_size, "name": path.name, "media_type": "video/mp4"})
    Path("/proc/self/clear_refs").write_text("5")    # VmHWM := VmRSS
    before = _status("VmRSS")
    t0 = time.perf_counter()
    target = usecases.begin_upload(request, actor=env["officer"], **deps)
    with open(path, "rb") as stream:
        usecases.receive_upload(target["upload_id"], stream, db=env["db"],
                                stores=env["stores"], now=env["now"])
    t1 = time.perf_counter()
    stored = usecases.complete_upload({"upload_id": target["upload_id"]},
                                      actor=env["officer"], **deps)
    t2 = time.perf_counter()
    assert stored["sha256"] == sha256
    return {"upload_s": t1 - t0, "complete_s": t2 - t1, "rss_growth": _status("VmHWM") - before}


def _ingest(args, rows: list[dict], notes: list[str], tmp: Path) -> None:
    size = (32 if args.quick else 1024 if args.gib else args.size_mib) * MIB
    path = tmp / "footage.mp4"
    _write_file(path, size)
    t0 = time.perf_counter()
    out = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True)
    bare = time.perf_counter() - t0
    sha256 = out.stdout.split()[0]
    child = subprocess.run([sys.executable, __file__, "--worker", str(path), str(tmp / "vault"),
                            sha256], capture_output=True, text=True)
    if child.returncode != 0:
        raise BenchError(f"ingest worker failed: {child.stderr[-2000:]}")
    got = json.loads(child.stdout.strip().splitlines()[-1])
    whole = got["upload_s"] + got["complete_s"]
    mib = size / MIB
    notes.append(f"ingest of {mib:.0f} MiB: sha256sum {bare:.2f} s ({mib / bare:.0f} MiB/s); "
                 f"upload to staging {got['upload_s']:.2f} s, complete_upload "
                 f"{got['complete_s']:.2f} s (hash read-back, link, replica copy)")
    ratio = bare / got["complete_s"]
    rows.append(row("vault", f"complete_upload vs sha256sum ({mib:.0f} MiB)", f"{ratio:.2f}×",
                    "≥ 0.7×", ratio >= 0.7))
    rows.append(row("vault", "whole ingest (upload + complete) vs sha256sum",
                    f"{bare / whole:.2f}×", "", None))
    growth = got["rss_growth"] / MIB
    rows.append(row("vault", "peak RSS growth during ingest", f"{growth:.1f} MiB", "≤ 64 MiB",
                    growth <= 64))


def _audit(args, rows: list[dict], notes: list[str], tmp: Path) -> None:
    from services.vault.usecases.fixity import audit_agency
    count = 8 if args.quick else args.objects
    env = _env(tmp / "audit")
    from contracts.vault import CONTRACT
    from services.vault import usecases
    from shared.contracts.registry import load
    deps = {k: env[k] for k in ("db", "rules", "stores", "outbox", "now")}
    for i in range(count):
        data = os.urandom(64) * (4 * MIB // 64) + i.to_bytes(4, "big")
        request = load(CONTRACT.rpc("begin_upload").request, {
            "agency": "qinyuan-energy", "subject": "av",
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "name": f"clip-{i}.mp4", "media_type": "video/mp4"})
        target = usecases.begin_upload(request, actor=env["officer"], **deps)
        import io
        usecases.receive_upload(target["upload_id"], io.BytesIO(data), db=env["db"],
                                stores=env["stores"], now=env["now"])
        usecases.complete_upload({"upload_id": target["upload_id"]}, actor=env["officer"],
                                 **deps)
    files = [p for p in (tmp / "audit").rglob("*") if p.is_file()
             and "/objects/" in str(p) and not p.name.startswith(".")]
    t0 = time.perf_counter()
    for p in files:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while block := f.read(MIB):
                h.update(block)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = audit_agency("qinyuan-energy", count, db=env["db"], stores=env["stores"],
                          outbox=env["outbox"], now=env["now"])
    vault = time.perf_counter() - t0
    if report["outcomes"] != {"pass": count}:
        raise BenchError(f"audit found {report}")
    total = sum(p.stat().st_size for p in files) / MIB
    notes.append(f"fixity audit of {count} objects × 2 copies ({total:.0f} MiB): vault "
                 f"{vault:.2f} s ({total / vault:.0f} MiB/s), bare hashlib loop {bare:.2f} s "
                 f"({total / bare:.0f} MiB/s)")
    ratio = bare / vault
    rows.append(row("vault", "fixity audit vs bare hashlib loop", f"{ratio:.2f}×", "≥ 0.7×",
                    ratio >= 0.7))


def run(args) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vault-bench-") as tmp:
        _ingest(args, rows, notes, Path(tmp))
        _audit(args, rows, notes, Path(tmp))
    return rows, notes


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        import warnings
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        print(json.dumps(worker(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])))
        sys.exit(0)
    p = parser("the vault's ingest and fixity audit against sha256sum and a bare hashlib loop")
    p.add_argument("--size-mib", type=int, default=256, help="the ingested file's size")
    p.add_argument("--gib", action="store_true", help="ingest 1 GiB")
    p.add_argument("--objects", type=int, default=64, help="objects of 4 MiB for the audit")
    sys.exit(main(run, p))
