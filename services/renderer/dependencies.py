"""The renderer's own providers: the template registry (polling the templates folder), the
render worker processes that keep docxtpl off the eventlet hub, and the PDF converter (a configured
unoserver, or one started here with its own LibreOffice profile)."""
from __future__ import annotations

import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import eventlet
from eventlet.event import Event as GreenEvent
from eventlet.green import subprocess
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider

from services.renderer import library
from services.renderer.domain import Stamp
from services.renderer.pdf import (
    LocalUnoserver,
    PdfUnavailable,
    UnoserverClient,
    local_unavailable_reason,
)
from services.renderer.registry import Registry
from services.renderer.worker import read_frame, write_frame
from shared.errors import ConfigurationError

log = logging.getLogger(__name__)


class TemplateRegistry(DependencyProvider):
    """One Registry per container, loaded in start() (after the database migrated)."""

    def __init__(self, database_attr: str = "db") -> None:
        self.database_attr = database_attr
        self.registry: Registry | None = None

    def start(self) -> None:
        config = self.container.config
        root = Path(config.get("TEMPLATES_DIR") or library.default_root())
        db = next(ext.db for ext in self.container.dependencies
                  if getattr(ext, "attr_name", None) == self.database_attr)
        self.registry = Registry(db, root, float(config.get("TEMPLATES_POLL_SECONDS", 2)))
        self.registry.load()

    def get_dependency(self, worker_ctx: Any) -> Registry | None:
        return self.registry


def _job(sha256: str, template: bytes | None, data: dict[str, Any], stamp: Stamp) -> bytes:
    return pickle.dumps((sha256, template, data, stamp), protocol=pickle.HIGHEST_PROTOCOL)


class _Process:
    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [root, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, "-m", "services.renderer.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.sent: set[str] = set()  # template sha256s this worker was sent (it may drop some)

    def render(self, template: bytes, data: dict, stamp: Stamp) -> tuple:
        """The worker's reply; the template bytes go along only if this worker has not had
        them, or says it no longer has them."""
        sha = stamp.template_sha256
        if sha in self.sent:
            reply = self.call(_job(sha, None, data, stamp))
            if reply[0] != "missing":
                return reply
        self.sent.add(sha)
        return self.call(_job(sha, template, data, stamp))

    def call(self, job: bytes) -> tuple:
        write_frame(self.proc.stdin, job)
        frame = read_frame(self.proc.stdout)
        if frame is None:
            raise EOFError(f"render worker {self.proc.pid} exited ({self.proc.poll()})")
        return pickle.loads(frame)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # EOF: the worker returns
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Renderer:
    """docxtpl in worker processes (see services.renderer.worker): the hub only waits on a pipe,
    so it keeps answering heartbeats while a long document renders and the broker never takes
    the call back to deliver it again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: LightQueue = LightQueue()
        self._all: list[_Process] = []
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        p = _Process()
        self._all.append(p)
        self._idle.put(p)

    def render_docx(self, template: bytes, data: dict, stamp: Stamp) -> bytes:
        p = self._idle.get()
        try:
            reply = p.render(template, data, stamp)
        except BaseException:
            # a worker that died, or a call cut short mid-frame: never reuse it
            self._all.remove(p)
            eventlet.spawn_n(p.stop)
            self._add()
            raise
        self._idle.put(p)
        if reply[0] == "ok":
            return reply[1]
        # valid data, yet the template does not render: the template is at fault
        raise ConfigurationError(f"template {stamp.template_id}@{stamp.version} does not render "
                           f"this data: {reply[1]}: {reply[2]}",
                           details={"template_id": stamp.template_id,
                                    "version": str(stamp.version), "error": reply[2]},
                                 code="template_render_failed", message_zh="文书模板无法生成文书")

    def close(self) -> None:
        for p in self._all:
            p.stop()
        self._all = []


class RenderPool(DependencyProvider):
    def setup(self) -> None:
        self.size = int(self.container.config.get("RENDER_PROCESSES")
                        or min(os.cpu_count() or 1, 4))
        self.renderer: Renderer | None = None

    def start(self) -> None:
        self.renderer = Renderer(self.size)

    def stop(self) -> None:
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> Renderer | None:
        return self.renderer


class Pdf:
    """What a worker sees: convert(docx) → PDF bytes, or PdfUnavailable with the reason."""

    def __init__(self, provider: PdfConverter) -> None:
        self._p = provider

    def status(self) -> dict:
        return {"available": self._p.reason is None, "reason": self._p.reason}

    def convert(self, docx: bytes) -> bytes:
        p = self._p
        if p.reason:
            raise PdfUnavailable(p.reason)
        if p.ready is not None:
            with eventlet.Timeout(p.start_timeout, False):
                p.ready.wait()
            if not p.ready.ready():
                raise PdfUnavailable("the local LibreOffice converter is still starting")
            if p.reason:
                raise PdfUnavailable(p.reason)
        if p.client is None:  # set up with a reason, or started with a client
            raise PdfUnavailable("no PDF converter is configured")
        return p.client.convert(docx)


class PdfConverter(DependencyProvider):
    start_timeout = 120

    def setup(self) -> None:
        config = self.container.config
        self.reason: str | None = None
        self.client: UnoserverClient | None = None
        self.local: LocalUnoserver | None = None
        self.ready: GreenEvent | None = None
        host = config.get("UNOSERVER_HOST")
        if str(config.get("PDF", "on")).lower() in ("off", "false", "0"):
            self.reason = "PDF is switched off in this deployment (PDF: off); docx only"
        elif host:
            self.client = UnoserverClient(host, int(config.get("UNOSERVER_PORT") or 2003))
        else:
            self.reason = local_unavailable_reason()

    def start(self) -> None:
        if self.client is None and self.reason is None:
            local = self.local = LocalUnoserver().start()
            self.client = local.client
            ready = self.ready = GreenEvent()
            self.container.spawn_managed_thread(lambda: self._wait_ready(local, ready),
                                                identifier="pdf-converter")

    def _wait_ready(self, local: LocalUnoserver, ready: GreenEvent) -> None:
        try:
            local.wait_ready(self.start_timeout)
        except Exception as exc:  # a converter that cannot start must not stop the service
            log.error("PDF converter unavailable: %s", exc)
            self.reason = str(exc)
        ready.send(True)

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()
            self.local = None

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> Pdf:
        return Pdf(self)
