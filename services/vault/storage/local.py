"""The embedded store: a directory, with the refusals of the S3 store kept by the vault itself.

    <root>/objects/<key>        the bytes, read-only (0444), never written twice
    <root>/meta/<key>.json      the object's fixity record and lock: size, digests, mode,
                                until, legal hold, when written — replaced atomically
    <root>/staging/<upload_id>  uploads not yet committed

A new object is written beside its place and linked into it (os.link fails on an existing
key, so two writers never both win), then made read-only."""
from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from services.vault.storage import (
    Lock,
    Written,
    check_retention_change,
    no_object,
    not_as_declared,
    not_deletable,
    not_recorded_content,
    stored_once,
)
from services.vault.storage.hashing import chunks, digest_stream, mismatched
from shared.errors import ValidationFailed

READ_ONLY = 0o444


class LocalStore:
    kind = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.where = str(self.root)
        for part in ("objects", "meta", "staging"):
            (self.root / part).mkdir(parents=True, exist_ok=True)

    # ---- paths ---------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts) or "\\" in key:
            raise ValidationFailed(f"bad object key {key!r}",
                                   message_zh=f"对象键 {key!r} 无效：key：不是合法的路径",
                                   details={"key": ["bad path"]})
        return self.root / "objects" / key

    def _meta(self, key: str) -> Path:
        return self.root / "meta" / (key + ".json")

    def _staged(self, upload_id: str) -> Path:
        return self.root / "staging" / uuid.UUID(upload_id).hex

    # ---- writing -------------------------------------------------------------------------
    def put(self, key: str, stream: BinaryIO, *, lock: Lock, algorithms: Sequence[str],
            expect: dict[str, str] | None = None) -> Written:
        path = self._path(key)
        if path.exists():
            raise stored_once(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.part"
        try:
            with open(tmp, "wb") as out:
                size, digests = digest_stream(stream, algorithms, sink=out.write)
                out.flush()
                os.fsync(out.fileno())
            return self._place(key, tmp, size, digests, lock, expect)
        finally:
            tmp.unlink(missing_ok=True)

    def commit_staged(self, upload_id: str, key: str, *, lock: Lock,
                      algorithms: Sequence[str], expect: dict[str, str],
                      verified: dict[str, str] | None = None) -> Written:
        staged = self._staged(upload_id)
        if not staged.exists():
            raise no_object(f"staging/{upload_id}")
        if self._path(key).exists():
            raise stored_once(key)
        if verified is not None and set(algorithms) <= set(verified):
            # the file stays where it was read (linked into place): its digests are known
            size, digests = staged.stat().st_size, {a: verified[a] for a in algorithms}
        else:
            with open(staged, "rb") as stream:
                size, digests = digest_stream(stream, algorithms)
        self._path(key).parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._place(key, staged, size, digests, lock, expect)
        finally:
            staged.unlink(missing_ok=True)

    def _place(self, key: str, tmp: Path, size: int, digests: dict[str, str], lock: Lock,
               expect: dict[str, str] | None) -> Written:
        wrong = mismatched(digests, expect)
        if wrong:
            raise not_as_declared(key, wrong)
        os.chmod(tmp, READ_ONLY)
        try:
            os.link(tmp, self._path(key))
        except FileExistsError:
            raise stored_once(key) from None
        written = Written(key=key, size=size, digests=digests, lock=lock)
        self._save(written, written_at=datetime.now(UTC))
        return written

    # ---- reading -------------------------------------------------------------------------
    def stat(self, key: str) -> Written:
        try:
            meta = json.loads(self._meta(key).read_text())
        except FileNotFoundError:
            raise no_object(key) from None
        until = meta["until"]
        return Written(key=key, size=meta["size"], digests=meta["digests"],
                       lock=Lock(meta["mode"], datetime.fromisoformat(until) if until else None,
                                 meta["legal_hold"]),
                       extra={"written_at": meta["written_at"]})

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        if not path.exists():
            raise no_object(key)
        with open(path, "rb") as stream:
            yield stream

    def digest(self, key: str, algorithms: Sequence[str]) -> dict[str, str]:
        with self.open(key) as stream:
            return digest_stream(stream, algorithms)[1]

    # ---- locks ---------------------------------------------------------------------------
    def retain(self, key: str, lock: Lock, *, bypass: bool = False) -> Written:
        now = self.stat(key)
        check_retention_change(key, now.lock, lock, bypass=bypass)
        changed = Written(key, now.size, now.digests,
                          Lock(lock.mode, lock.until, now.lock.legal_hold))
        self._save(changed, written_at=now.extra["written_at"])
        return changed

    def hold(self, key: str, on: bool) -> Written:
        now = self.stat(key)
        changed = Written(key, now.size, now.digests, Lock(now.lock.mode, now.lock.until, on))
        self._save(changed, written_at=now.extra["written_at"])
        return changed

    def delete(self, key: str, *, at: datetime) -> None:
        why = self.stat(key).lock.holds_at(at)
        if why:
            raise not_deletable(key, why)
        path = self._path(key)
        os.chmod(path, 0o644)
        path.unlink()
        self._meta(key).unlink()

    def restore(self, key: str, stream: BinaryIO, *, algorithms: Sequence[str],
                expect: dict[str, str], lock: Lock) -> Written:
        recorded = self.stat(key)
        path = self._path(key)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.part"
        try:
            with open(tmp, "wb") as out:
                size, digests = digest_stream(stream, algorithms, sink=out.write)
                out.flush()
                os.fsync(out.fileno())
            wrong = mismatched(digests, expect)
            if wrong:
                raise not_recorded_content(key, wrong)
            os.chmod(tmp, READ_ONLY)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return recorded

    def _save(self, written: Written, *, written_at: datetime | str) -> None:
        meta = {"size": written.size, "digests": written.digests, "mode": written.lock.mode,
                "until": written.lock.until.isoformat() if written.lock.until else None,
                "legal_hold": written.lock.legal_hold,
                "written_at": written_at if isinstance(written_at, str)
                else written_at.isoformat()}
        path = self._meta(written.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(meta, sort_keys=True))
        os.replace(tmp, path)

    # ---- staging -------------------------------------------------------------------------
    def upload_target(self, upload_id: str, size: int, *, expires_seconds: int,
                      base_url: str | None = None) -> dict:
        return {"method": "PUT", "url": f"{(base_url or '').rstrip('/')}/vault/uploads/"
                f"{upload_id}", "headers": {}, "parts": []}

    def stage(self, upload_id: str, stream: BinaryIO, *, limit: int) -> int:
        path = self._staged(upload_id)
        tmp = path.with_suffix(".part")
        size = 0
        try:
            with open(tmp, "wb") as out:
                for block in chunks(stream):
                    size += len(block)
                    if size > limit:
                        raise ValidationFailed(
                            f"upload {upload_id} is larger than the {limit} bytes declared",
                            message_zh=f"上传 {upload_id} 超过声明的 {limit} 字节：size："
                            f"至多 {limit} 字节（按声明）",
                            details={"size": [f"at most {limit} bytes, as declared"]})
                    out.write(block)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return size

    @contextlib.contextmanager
    def open_staged(self, upload_id: str) -> Iterator[BinaryIO]:
        path = self._staged(upload_id)
        if not path.exists():
            raise no_object(f"staging/{upload_id}")
        with open(path, "rb") as stream:
            yield stream

    def staged_size(self, upload_id: str) -> int | None:
        path = self._staged(upload_id)
        return path.stat().st_size if path.exists() else None

    def discard_staged(self, upload_id: str) -> None:
        self._staged(upload_id).unlink(missing_ok=True)


