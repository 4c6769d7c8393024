"""A render worker process: reads jobs from stdin and writes results to stdout, one at a time.
docxtpl spends long stretches in C (regular expressions and lxml over the whole document XML)
holding the GIL, which a thread (eventlet.tpool) would share with the service's eventlet hub
and its broker heartbeats; a separate process shares nothing and uses another core.

Frames are a 4-byte big-endian length and a pickle: in (template sha256, template bytes or None,
data, stamp), out ("ok", docx bytes), ("error", exception type, message) or ("missing",) when
the bytes were left out and this worker does not hold that sha256 (the parent then sends them).
The worker keeps the last TEMPLATES templates it was sent, by sha256 (checked on receipt), so a
template crosses the pipe once per worker rather than with every job. Only the parent writes
to stdin."""
from __future__ import annotations

import hashlib
import pickle
import struct
import sys
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
TEMPLATES = 32


def _read(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> bytes | None:
    """One frame's body, or None at end of stream."""
    head = _read(stream, HEADER.size)
    return None if head is None else _read(stream, HEADER.unpack(head)[0])


def write_frame(stream: BinaryIO, body: bytes) -> None:
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def main() -> int:
    from services.renderer.rendering import _Lru, render_docx
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the real stdout
    templates: _Lru[str, bytes] = _Lru(TEMPLATES)
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return 0
        sha256, template, data, stamp = pickle.loads(frame)
        reply: tuple[Any, ...]
        if template is None:
            template = templates.get(sha256)
        elif hashlib.sha256(template).hexdigest() == sha256:
            templates.put(sha256, template)
        else:  # never file bytes under another template's hash
            reply = ("error", "ValueError", f"template bytes do not match sha256 {sha256}")
            write_frame(stdout, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
            continue
        if template is None:
            reply = ("missing",)
        else:
            try:
                reply = ("ok", render_docx(template, data, stamp))
            except Exception as exc:  # the template's fault, reported to the caller
                reply = ("error", type(exc).__name__, str(exc))
        write_frame(stdout, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    sys.exit(main())
