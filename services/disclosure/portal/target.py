"""Where the portal's files go: a `Target` is a flat store of public paths to bytes.

The portal reads back only what it wrote itself (a list page's JSON, a publication's JSON) and
writes whole files, so any store with read / write / exists can serve: the local directory
below (what nginx serves in compose), or a bucket writer with the same four methods. A reader
of the site sees each file either old or new, never half written."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path, PurePosixPath
from typing import Any, Protocol


class Target(Protocol):
    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when there is none."""

    def write(self, path: str, data: bytes) -> None:
        """Replace the file whole (readers see the old or the new bytes, nothing between)."""

    def exists(self, path: str) -> bool: ...

    def delete(self, path: str) -> None:
        """Remove the file if it is there."""


def write_if_changed(target: Target, path: str, data: bytes, written: list[str]) -> None:
    """Write `data` at `path` unless the file already holds exactly it; note what was written."""
    if target.read(path) != data:
        target.write(path, data)
        written.append(path)


def readable_json(data: Any) -> bytes:
    """JSON for the pages a reader downloads whole (registers, annual reports): keys sorted and
    indented, so one change shows as one changed line."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()


def checked(path: str) -> str:
    """A relative POSIX path inside the site: no absolute path, no '..', no empty part."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(p in ("..", ".", "") for p in parts) \
            or "\\" in path:
        raise ValueError(f"not a path inside the site: {path!r}")
    return path


class LocalDirectory:
    """The site as a directory: each file written to a temporary file beside it, flushed and
    renamed over the old one (atomic on POSIX). `written` counts the files written, for the
    tests and the benchmark."""

    def __init__(self, root: str | Path, *, fsync: bool = False):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.written: list[str] = []

    def _file(self, path: str) -> Path:
        return self.root / checked(path)

    def read(self, path: str) -> bytes | None:
        try:
            return self._file(path).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, path: str) -> bool:
        return self._file(path).is_file()

    def write(self, path: str, data: bytes) -> None:
        final = self._file(path)
        if not final.parent.is_dir():
            final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".tmp-{secrets.token_hex(8)}-{final.name}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                if self.fsync:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.written.append(path)

    def delete(self, path: str) -> None:
        self._file(path).unlink(missing_ok=True)
