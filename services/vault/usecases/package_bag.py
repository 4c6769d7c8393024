"""The bag itself (RFC 8493), written straight into one POSIX tar and checked from that tar.

The bag is the one `bagit.make_bag` makes of the same payload with SHA-256 (BagIt 0.97: bagit.txt,
bag-info.txt with Payload-Oxum, manifest-sha256.txt in bagit's order and file-name encoding,
tagmanifest-sha256.txt), only never laid out in a working directory: each payload file is read
once — from memory, or in chunks from the store — into the tar while it is hashed for the
manifest, and the tar is hashed as it is written (its key in the store). Members go in name
order with a fixed time and no owners, so the same bag serialises to the same bytes.

The check (authenticity, integrity, usability; security is the store's) reads the finished tar
again as a stream, independently of how it was written: every payload file hashed and opened in
its format, the manifest parsed from the tar, the chain, verification and checkpoint checked by
domain.package. The same scan serves a check again of the stored package (verify_package), read
from the store without unpacking it."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from services.vault.domain import package as rules
from services.vault.storage import ObjectStore
from services.vault.storage.hashing import CHUNK, chunks

ALGORITHM = "sha256"
WHOLE_LIMIT = 64 * 1024 * 1024     # files read whole for the usability check (JSON, docx)
WHOLE_KINDS = (".json", ".jsonl", ".csv", ".docx")
HEAD_BYTES = 64 * 1024
PAYLOAD = "data"
CASE = "case.json"                 # the archive_due.v1 data the package answers
BAGIT_TXT = b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = f"manifest-{ALGORITHM}.txt"
TAGMANIFEST = f"tagmanifest-{ALGORITHM}.txt"
AGENT = "sanxiang vault"
SPOOL = 32 * 1024 * 1024           # a tar this large spills from memory to a temporary file


# ---- writing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class File:
    """One payload file: its path under data/, its size, and its bytes (`data`) or where to
    read them in chunks (`source`, a store object's key)."""
    path: str
    size: int
    data: bytes | None = None
    source: tuple[ObjectStore, str] | None = None

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.data is not None:
            yield io.BytesIO(self.data)
            return
        assert self.source is not None
        store, key = self.source
        with store.open(key) as stream:
            yield stream


class _Hashing(io.RawIOBase):
    """A write-only file that hashes what passes through it into `target`."""

    def __init__(self, target: IO[bytes]):
        self.target, self.hash, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, b: Any) -> int:
        self.hash.update(b)
        self.size += len(b)
        self.target.write(b)
        return len(b)


class _Copying:
    """A read-only view of `stream` for tarfile.addfile, hashing what it reads."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.hash = stream, hashlib.new(ALGORITHM)

    def read(self, n: int = -1) -> bytes:
        block = self.stream.read(n if n >= 0 else CHUNK)
        self.hash.update(block)
        return block


def tag_file(values: Mapping[str, str]) -> bytes:
    """A tag file as bagit writes one: labels in sorted order, CR and LF taken out of values."""
    return "".join(f"{label}: {_one_line(values[label])}\n"
                   for label in sorted(values)).encode("utf-8")


def _one_line(value: object) -> str:
    return re.sub(r"\n|\r", "", str(value))


def encode_name(path: str) -> str:
    """A manifest's file name, as bagit encodes it (CR and LF percent-encoded)."""
    return path.replace("\r", "%0D").replace("\n", "%0A")


def manifest_order(paths: Sequence[str]) -> list[str]:
    """The payload paths (relative to data/) in the order bagit's make_manifests lists them:
    a directory's files (sorted) before its subdirectories (sorted), depth first."""
    def walk(prefix: tuple[str, ...], rel: list[tuple[str, ...]]) -> Iterator[str]:
        here = sorted(p[-1] for p in rel if len(p) == len(prefix) + 1)
        yield from ("/".join((*prefix, name)) for name in here)
        for sub in sorted({p[len(prefix)] for p in rel if len(p) > len(prefix) + 1}):
            yield from walk((*prefix, sub), [p for p in rel if p[len(prefix)] == sub])
    return list(walk((), [tuple(p.split("/")) for p in paths]))


def _info(name: str, size: int | None, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
    if size is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = size, 0o644
    return info


def _dirs(paths: Sequence[str]) -> list[str]:
    return sorted({"/".join(p.split("/")[:n]) for p in paths
                   for n in range(1, p.count("/") + 1)})


def write_bag(out: IO[bytes], root: str, info: Mapping[str, str], files: Sequence[File],
              mtime: int) -> str:
    """The bag named `root` as a tar into `out`; the tar's SHA-256. The payload files are read
    in chunks (constant memory for an AV file included), each hashed into the manifest as it
    is copied; the manifests follow the payload in name order, as they are computed from it."""
    bag_info = dict(info, **{"Bag-Software-Agent": AGENT,
                             "Payload-Oxum": f"{sum(f.size for f in files)}.{len(files)}"})
    tags = {"bag-info.txt": tag_file(bag_info), "bagit.txt": BAGIT_TXT}
    sink = _Hashing(out)
    with tarfile.open(fileobj=sink, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        tar.copybufsize = CHUNK            # files copied in the store's chunks, not 16 KiB
        tar.addfile(_info(root, None, mtime))
        for name in sorted(tags):
            _add(tar, f"{root}/{name}", tags[name], mtime)
        digests = _payload(tar, root, files, mtime)
        tags[MANIFEST] = "".join(f"{digests[p]}  {encode_name(PAYLOAD + '/' + p)}\n"
                                 for p in manifest_order(list(digests))).encode("utf-8")
        _add(tar, f"{root}/{MANIFEST}", tags[MANIFEST], mtime)
        _add(tar, f"{root}/{TAGMANIFEST}", "".join(
            f"{hashlib.new(ALGORITHM, tags[n]).hexdigest()} {n}\n" for n in sorted(tags)
        ).encode("utf-8"), mtime)
    return sink.hash.hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    tar.addfile(_info(name, len(data), mtime), io.BytesIO(data))


def _payload(tar: tarfile.TarFile, root: str, files: Sequence[File],
             mtime: int) -> dict[str, str]:
    """The payload's members (directories, then files, interleaved in name order); the
    SHA-256 of each file as it was copied in."""
    by_path = {f.path: f for f in files}
    members = sorted([(d, None) for d in [PAYLOAD, *(f"{PAYLOAD}/{d}" for d in _dirs(
        list(by_path)))]] + [(f"{PAYLOAD}/{p}", by_path[p]) for p in by_path],
        key=lambda m: m[0].split("/"))
    digests: dict[str, str] = {}
    for name, file in members:
        if file is None:
            tar.addfile(_info(f"{root}/{name}", None, mtime))
            continue
        with file.open() as stream:
            copying = _Copying(stream)
            # tarfile copies exactly `size` bytes, and refuses a source holding fewer
            tar.addfile(_info(f"{root}/{name}", file.size, mtime), copying)  # type: ignore[arg-type]
            if stream.read(1):
                raise ValueError(f"{file.path}: the source holds more than the {file.size} "
                                 "bytes it was listed with")
        digests[file.path] = copying.hash.hexdigest()
    return digests


def to_tar(bag_dir: Path, target: Path, mtime: int) -> None:
    """A bag laid out in a directory, as one tar with the same conventions (name order, fixed
    time, no owners)."""
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in [bag_dir, *sorted(bag_dir.rglob("*"))]:
            name = (Path(bag_dir.name) / path.relative_to(bag_dir)).as_posix()
            if path.is_file():
                with open(path, "rb") as f:
                    tar.addfile(_info(name, path.stat().st_size, mtime), f)
            else:
                tar.addfile(_info(name, None, mtime))


# ---- checking ---------------------------------------------------------------------------------

@dataclass
class Scan:
    """What a pass over a bag's tar found: the manifest it holds (data/<path> → SHA-256), each
    payload file's digest as read, whether it opens in its format, and the texts of the
    payload's JSON files (the case, the index, the chain) for a check again."""
    manifest: dict[str, str] = field(default_factory=dict)
    found: dict[str, str | None] = field(default_factory=dict)
    usability: list[rules.Check] = field(default_factory=list)
    texts: dict[str, bytes] = field(default_factory=dict)
    root: str = ""

    def json(self, path: str) -> Any:
        return json.loads(self.texts[f"{PAYLOAD}/{path}"].decode("utf-8"))

    def entries(self) -> list[dict]:
        return [json.loads(line) for line in self.texts[f"{PAYLOAD}/{rules.ENTRIES}"]
                .decode("utf-8").splitlines() if line.strip()]


def scan(stream: IO[bytes]) -> Scan:
    """One pass over the tar in `stream` (read in order; a stream that cannot seek, as an S3
    object's, read as a pipe): raises tarfile.TarError or ValueError when it is not one bag's
    tar."""
    found = Scan()
    with tarfile.open(fileobj=stream, mode="r:" if stream.seekable() else "r|") as tar:
        for member in tar:
            root, _, rel = member.name.partition("/")
            if found.root and root != found.root or not root or member.issym() \
                    or member.islnk():
                raise ValueError("the stored package holds no single bag directory")
            found.root = root
            if member.isfile():
                _scan_file(found, rel, member, tar.extractfile(member))
    for path in found.manifest:
        found.found.setdefault(path, None)
    return found


def _scan_file(found: Scan, rel: str, member: tarfile.TarInfo, f: IO[bytes] | None) -> None:
    assert f is not None
    if rel == MANIFEST:
        for line in f.read().decode("utf-8").splitlines():
            digest, _, path = line.partition("  ")
            if path:
                found.manifest[_decode_name(path.strip())] = digest.strip()
        return
    if not rel.startswith(f"{PAYLOAD}/"):
        return
    whole = member.size <= WHOLE_LIMIT and Path(rel).suffix.lower() in WHOLE_KINDS
    h, head, kept = hashlib.new(ALGORITHM), b"", []
    for block in chunks(f):    # type: ignore[arg-type]
        h.update(block)
        if len(head) < HEAD_BYTES:
            head += block[:HEAD_BYTES - len(head)]
        if whole:
            kept.append(block)
    content = b"".join(kept) if whole else None
    found.found[rel] = h.hexdigest()
    found.usability.append(rules.opens(rel, head, content))
    if content is not None and rel.endswith((".json", ".jsonl")):
        found.texts[rel] = content


def _decode_name(path: str) -> str:
    return re.sub("%0A", "\n", re.sub("%0D", "\r", path, flags=re.I), flags=re.I)


def check(found: Scan, case: Mapping[str, Any], entries: Sequence[Mapping[str, Any]],
          verification: Mapping[str, Any], checkpoint: Mapping[str, Any] | None,
          keys: Mapping[str, Any], held: Mapping[str, bool], index_count: int) -> rules.Report:
    """Authenticity, integrity and usability of the scanned bag (security is the store's)."""
    report = rules.Report()
    report.add("authenticity", rules.chain_checks(entries, case["head_seq"], case["head_hash"]))
    report.add("authenticity", [rules.verification_check(verification),
                                rules.checkpoint_check(checkpoint, keys, case["case_id"],
                                                       case["head_seq"], case["head_hash"])])
    report.add("authenticity", rules.digest_checks(found.manifest, found.found))
    report.add("integrity", rules.presence_checks(found.manifest, found.found))
    report.add("integrity", rules.count_checks(entries, case["entries"], index_count,
                                               len(found.manifest)))
    report.add("integrity", rules.av_checks(case["av_objects"], held))
    report.add("usability", found.usability)
    return report


def scan_stored(source: ObjectStore, key: str) -> Scan:
    with source.open(key) as stream:
        return scan(stream)


# ---- reading back (the tests, the bench, an operator) -------------------------------------------

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

