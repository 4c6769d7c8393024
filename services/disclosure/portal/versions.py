"""A whole site swapped in at once: a rebuild writes into a fresh folder beside the live one and
then makes the portal's path name it, in one atomic step, so a web server serving the path
sees the old site or the new one, never half of either.

The portal's path (DISCLOSURE_PORTAL_DIR; the folder nginx serves) becomes a symbolic link to
`.<name>.versions/<version>` beside it; the flip renames a new link over it (rename(2) is
atomic). A path that is still a plain folder (a site only ever written incrementally) is
exchanged with the link in one `renameat2(RENAME_EXCHANGE)` (Linux), the old folder then
kept as a version. The version before the new one is kept for the requests still reading it;
older ones are deleted. Writers keep writing through the path, which follows the link."""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def versions_of(path: Path) -> Path:
    return path.parent / f".{path.name}.versions"


def fresh(path: str | Path) -> Path:
    """An empty folder for the next version of the site at `path`."""
    path = Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = versions_of(path) / f"{stamp}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    return folder


def swap_in(path: str | Path, built: Path) -> None:
    """Make `path` the site in `built` (a folder from `fresh`) in one atomic step, keeping the
    version it replaces and deleting those before it."""
    path = Path(path)
    link = path.parent / f".{path.name}.next-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(built, path.parent), link)
    previous = path.resolve() if path.is_symlink() else None
    if path.exists() and not path.is_symlink():
        _exchange(link, path)  # `link` now names the old folder
        previous = versions_of(path) / f"{built.name}-before"
        os.rename(link, previous)
    else:
        os.replace(link, path)
    _prune(path, keep={built.resolve(), *([previous.resolve()] if previous else [])})


def _exchange(a: Path, b: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    done = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                          _RENAME_EXCHANGE)
    if done != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot exchange {b} with the rebuilt site: {os.strerror(err)}")


def _prune(path: Path, keep: set[Path]) -> None:
    for old in versions_of(path).iterdir():
        if old.resolve() not in keep:
            shutil.rmtree(old, ignore_errors=True)
