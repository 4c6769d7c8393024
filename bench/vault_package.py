"""A case archive package against building the same bag with `bagit` directly, in the same run.

    .venv/bin/python bench/vault_package.py [--quick] [--runs 5]

The vault packages a closed case of 30 entries with 3 rendered documents (a docx and two PDFs
of ~300 KiB each) and one AV object referenced by hash, through its use case
(services.vault.usecases.package.on_archive_due) on SQLite with the local store and its replica:
the entries, verification and signed checkpoint taken from a record keeper answering in process
(no broker: its RPC time is not the vault's), the 卷内目录 written, the bag (RFC 8493, SHA-256
manifests as bagit writes them) written straight into its tar with the documents read out of
the store, its 四性检测 run on that tar (every file hashed again and opened in its format, the
chain recomputed, the checkpoint's signature verified), the write announced, the tar written
into the store and the replica with fsync, the report announced and stored beside it, records
told, the rows committed. One vault serves every run, as a running service keeps its engine
(its statements compiled once) and its store; each run packages a fresh case with its own
documents, after one untimed package. Beside it: the same payload files written into a directory and
`bagit.make_bag` on them (SHA-256). Each is timed --runs times; the medians compared.
No target is set by the issue: the ratio is reported."""
from __future__ import annotations

import io
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from common import main, parser, row

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOC_BYTES = 300 * 1024


def _documents(n: int) -> list[tuple[str, bytes, str]]:
    """The case's three documents; `n` makes their bytes (hence their objects) the run's own."""
    filler = n.to_bytes(4, "big") + bytes(range(256)) * (DOC_BYTES // 256)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>行政处罚决定书</w:document>")
        z.writestr("word/media/image1.bin", filler)
    return [("行政处罚决定书.docx", out.getvalue(), "application/vnd.openxmlformats-"
             "officedocument.wordprocessingml.document"),
            ("行政处罚决定书.pdf", b"%PDF-1.7\n" + filler, "application/pdf"),
            ("现场检查笔录.pdf", b"%PDF-1.7\n" + filler[::-1], "application/pdf")]


def _vault(root: Path):
    """One vault for every run, as a running service keeps its engine: SQLite, the local store
    and its replica."""
    from shared.persistence.db import make_engine, migrate, open_db
    from tests.unit.vault.support import RULES, Env, local_stores
    engine = make_engine(f"sqlite:///{root / 'vault.sqlite3'}")
    migrate(engine, "services.vault:migrations")
    return engine, Env(open_db(engine), RULES, local_stores(root))


def _vault_run(env, n: int, root: Path) -> tuple[float, Path]:
    """One package of a fresh case (its own documents and AV), timed; the directory its bag
    was unpacked into (the payload to copy)."""
    from services.vault import store
    from tests.unit.vault.package_support import (
        MP4,
        Records,
        archive,
        archive_due,
        stored_packages,
        unpack_bag,
    )
    case_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-case-{n}"))
    records = Records(entries=30)
    for name, content, media in _documents(n):
        env.ingest(content, subject="case_file", name=name, media_type=media, case_id=case_id)
    av = env.ingest(MP4 + n.to_bytes(4, "big"), subject="av", name="执法记录仪.mp4",
                    case_id=case_id)
    event = archive_due(env, records, av["sha256"], case_id=case_id,
                        case_no=f"沁能立〔2025〕{n}号")
    t0 = time.perf_counter()
    archive(env, records, event)
    took = time.perf_counter() - t0
    [package] = [p for p in stored_packages(env) if p["case_id"] == case_id]
    if not package["report"]["passed"]:
        raise RuntimeError(f"the package failed its checks: {package['report']}")
    with env.db.read() as s:
        obj = store.load_object(s, package["object_id"])
    bag_dir = unpack_bag(env, obj, root / f"unpacked-{n}")
    return took, bag_dir / "data"


def _bagit_run(payload: Path, root: Path) -> float:
    """The same payload files written out and bagged by bagit directly, timed."""
    import bagit
    files = [(p.relative_to(payload), p.read_bytes()) for p in sorted(payload.rglob("*"))
             if p.is_file()]
    target = root / "bag"
    t0 = time.perf_counter()
    for rel, data in files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    bagit.make_bag(str(target), {"Source-Organization": "qinyuan-energy"}, processes=1,
                   checksums=["sha256"])
    return time.perf_counter() - t0


def run(args) -> tuple[list[dict], list[str]]:
    import warnings
    warnings.filterwarnings("ignore")
    runs = 2 if args.quick else args.runs
    vault, direct = [], []
    payload_size = 0
    with tempfile.TemporaryDirectory(prefix="vault-package-bench-") as tmp:
        engine, env = _vault(Path(tmp))
        _vault_run(env, 0, Path(tmp))          # the first package after start: not timed
        for n in range(1, runs + 1):
            took, payload = _vault_run(env, n, Path(tmp))
            vault.append(took)
            payload_size = sum(p.stat().st_size for p in payload.rglob("*") if p.is_file())
            direct.append(_bagit_run(payload, Path(tmp) / f"bagit-{n}"))
            shutil.rmtree(Path(tmp) / f"bagit-{n}")
        engine.dispose()
    v, d = statistics.median(vault), statistics.median(direct)
    notes = [f"case of 30 entries, 3 documents, 1 AV referenced by hash: payload "
             f"{payload_size / 1024:.0f} KiB; medians of {runs} runs (one vault, a fresh case "
             f"each, after one untimed package): vault package {v * 1000:.1f} ms (bag, 四性检测, "
             f"tar into store and replica, rows), bagit make_bag of the same files "
             f"{d * 1000:.1f} ms"]
    return [row("vault", "package (30 entries, 3 documents)", f"{v * 1000:.1f} ms"),
            row("vault", "bagit make_bag, same payload", f"{d * 1000:.1f} ms"),
            row("vault", "package vs bagit directly", f"{v / d:.1f}× the time")], notes


if __name__ == "__main__":
    p = parser("a case archive package against building the same bag with bagit directly")
    p.add_argument("--runs", type=int, default=5, help="packages timed (medians compared)")
    sys.exit(main(run, p))
