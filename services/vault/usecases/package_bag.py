"""The bag itself (RFC 8493, through the `bagit` library): the payload written into a working
directory, bagged with SHA-256 manifests, checked (domain.package: authenticity, integrity,
usability), serialised as one tar with fixed times and owners, and read back from the store for
a check again."""
from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import bagit

from services.vault.domain import package as rules
from services.vault.storage import ObjectStore
from services.vault.storage.hashing import CHUNK, digest_stream

CHECKSUMS = ["sha256"]
WHOLE_LIMIT = 64 * 1024 * 1024     # files read whole for the usability check (JSON, docx)
HEAD_BYTES = 64 * 1024
PAYLOAD = "data"
CASE = "case.json"                 # the archive_due.v1 data the package answers


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def copy_object(source: ObjectStore, key: str, target: Path) -> None:
    """An object of the store into the bag, in chunks."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open(key) as stream, open(target, "wb") as out:
        shutil.copyfileobj(stream, out, CHUNK)


def make_bag(bag_dir: Path, info: Mapping[str, str]) -> bagit.Bag:
    return bagit.make_bag(str(bag_dir), dict(info), processes=1, checksums=list(CHECKSUMS))


def _files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return digest_stream(f, ("sha256",))[1]["sha256"]


def _head_and_whole(path: Path) -> tuple[bytes, bytes | None]:
    size = path.stat().st_size
    if size <= WHOLE_LIMIT and path.suffix.lower() in (".json", ".jsonl", ".csv", ".docx"):
        whole = path.read_bytes()
        return whole[:HEAD_BYTES], whole
    with open(path, "rb") as f:
        return f.read(HEAD_BYTES), None


def listed(bag_dir: Path) -> dict[str, str]:
    """The payload manifest: data/<path> → SHA-256 (what the bag says it holds)."""
    bag = bagit.Bag(str(bag_dir))
    return {path: digests["sha256"] for path, digests in bag.payload_entries().items()}


def check(bag_dir: Path, case: Mapping[str, Any], entries: Sequence[Mapping[str, Any]],
          verification: Mapping[str, Any], checkpoint: Mapping[str, Any] | None,
          keys: Mapping[str, Any], held: Mapping[str, bool], index_count: int) -> rules.Report:
    """Authenticity, integrity and usability of the bag in `bag_dir` (security is the store's)."""
    manifest = listed(bag_dir)
    found: dict[str, str | None] = {p: None for p in manifest}
    report = rules.Report()
    usability = []
    for path in _files(bag_dir / PAYLOAD):
        rel = path.relative_to(bag_dir).as_posix()
        found[rel] = _sha256(path)
        head, whole = _head_and_whole(path)
        usability.append(rules.opens(rel, head, whole))
    report.add("authenticity", rules.chain_checks(entries, case["head_seq"], case["head_hash"]))
    report.add("authenticity", [rules.verification_check(verification),
                                rules.checkpoint_check(checkpoint, keys, case["case_id"],
                                                       case["head_seq"], case["head_hash"])])
    report.add("authenticity", rules.digest_checks(manifest, found))
    report.add("integrity", rules.presence_checks(manifest, found))
    report.add("integrity", rules.count_checks(entries, case["entries"], index_count,
                                               len(manifest)))
    report.add("integrity", rules.av_checks(case["av_objects"], held))
    report.add("usability", usability)
    return report


def to_tar(bag_dir: Path, target: Path, mtime: int) -> None:
    """The bag as one POSIX tar: members in name order, fixed time, no owner names, so the same
    bag serialises to the same bytes."""
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in [bag_dir, *sorted(bag_dir.rglob("*"))]:
            info = tar.gettarinfo(str(path), arcname=(Path(bag_dir.name) / path.relative_to(
                bag_dir)).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
            info.mode = 0o755 if info.isdir() else 0o644
            if info.isfile():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)


def from_tar(source: ObjectStore, key: str, into: Path) -> Path:
    """The stored bag unpacked into `into` (nothing outside it, no links); its directory."""
    with source.open(key) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        tar.extractall(into, filter="data")
    dirs = [p for p in into.iterdir() if p.is_dir()]
    if len(dirs) != 1:
        raise ValueError("the stored package holds no single bag directory")
    return dirs[0]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
