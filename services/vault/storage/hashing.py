"""Digests of a stream read in chunks: constant memory whatever the size, and a yield to the
eventlet hub after every chunk so a worker hashing gigabytes never starves nameko's heartbeats
(hashlib releases the GIL on chunks this large, and the hub runs between them)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

import eventlet

from shared.errors import ConfigurationError

# hashlib releases the GIL above 2 KiB; 1 MiB keeps the hub's turns frequent (≈ 0.5 ms each at
# SHA-256's speed) and the read calls few
CHUNK = 1024 * 1024


def hashers(algorithms: Sequence[str]) -> dict[str, hashlib._Hash]:
    out = {}
    for name in algorithms:
        try:
            out[name] = hashlib.new(name)
        except ValueError:
            raise ConfigurationError(
                f"digest algorithm {name!r} is not available in this Python's OpenSSL; a rule "
                f"set asks for it (retention.digests)",
                message_zh=f"本机 Python 的 OpenSSL 不支持摘要算法 {name!r}，而规则集要求使用该算法"
                "（retention.digests）") from None
    return out


def chunks(stream: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    while True:
        block = stream.read(size)
        if not block:
            return
        yield block
        eventlet.sleep(0)


def digest_stream(stream: BinaryIO, algorithms: Sequence[str], *,
                  sink: Callable[[bytes], object] | None = None) -> tuple[int, dict[str, str]]:
    """(size, {algorithm: hex}) of what `stream` yields, each chunk also given to `sink`."""
    found = hashers(algorithms)
    size = 0
    for block in chunks(stream):
        for h in found.values():
            h.update(block)
        if sink is not None:
            sink(block)
        size += len(block)
    return size, {name: h.hexdigest() for name, h in found.items()}


def mismatched(found: dict[str, str], expect: dict[str, str] | None) -> dict[str, dict]:
    """The algorithms whose digest differs from the one expected."""
    return {name: {"expected": want, "found": found.get(name)}
            for name, want in (expect or {}).items() if found.get(name) != want}
