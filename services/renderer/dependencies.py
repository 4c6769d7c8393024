"""The renderer's own providers: the template registry (polling the templates folder), the
render worker processes that keep docxtpl off the eventlet hub, the PDF converter (a configured
unoserver, or one started here with its own LibreOffice profile), and the archive vault every
rendered document is stored in where the deployment has one."""
from __future__ import annotations

import io
import logging
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import eventlet
from eventlet.event import Event as GreenEvent
from eventlet.green import subprocess
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider, Entrypoint

from services.renderer import library
from services.renderer.domain import Stamp, TemplateVersion
from services.renderer.pdf import (
    LocalUnoserver,
    PdfUnavailable,
    UnoserverClient,
    local_unavailable_reason,
)
from services.renderer.registry import Registry
from services.renderer.worker import read_frame, write_frame
from shared.errors import ConfigurationError, Unavailable
from shared.messaging.calls import AUTO, Peer

log = logging.getLogger(__name__)


class DocumentVault(Peer):
    """The archive vault, called as the renderer itself (vault.store_document, granted to
    "service:renderer"). Config DOCUMENT_VAULT: `required` — the vault is part of this
    deployment, so every document is stored there (a vault down for a moment refuses the
    render as unavailable, never hands the bytes back instead); `absent` — it is not, the
    bytes come back in the answer; `auto` — whether a vault consumes its RPC queue now."""

    def __init__(self) -> None:
        super().__init__("vault", as_service=True, presence="DOCUMENT_VAULT",
                         default_presence=AUTO, timeout=60.0, label="the archive vault",
                         label_zh="档案存储服务")


class Templates:
    """What a worker sees of the registry: its status at once (for `health`), and the registry
    itself once the template library is registered — a call arriving while it registers waits
    for it, at most the provider's `start_timeout`, then is refused as unavailable naming what
    is still pending (never template_not_found for a template that is being registered)."""

    def __init__(self, provider: TemplateRegistry) -> None:
        self._p = provider

    def status(self) -> dict[str, Any]:
        p = self._p
        if p.registry is None:
            return {"ready": False, "registered": 0,
                    "pending": f"registering the template library ({p.root})"}
        return {"ready": True, "registered": len(p.registry.all()), "pending": None}

    def registry(self) -> Registry:
        p = self._p
        if p.registry is None:
            with eventlet.Timeout(p.start_timeout, False):
                p.loaded.wait()
        if p.registry is None:
            pending = self.status()["pending"]
            raise Unavailable(f"the renderer is still {pending}; try again shortly",
                              details={"retry": True, "pending": ["templates"]},
                              message_zh="文书生成服务仍在登记文书模板库，请稍后重试")
        return p.registry

    def get(self, template_id: str, version: int | None = None) -> TemplateVersion:
        return self.registry().get(template_id, version)

    def all(self) -> list[TemplateVersion]:
        return self.registry().all()

    def refresh(self) -> None:
        """Pick up changed files; nothing to do while the first registration is under way."""
        if self._p.registry is not None:
            self._p.registry.refresh()


class TemplateRegistry(DependencyProvider):
    """One Registry per container, loaded in start() (after the database migrated in setup);
    published to callers only once every template of the folder is registered."""

    def __init__(self, database_attr: str = "db") -> None:
        self.database_attr = database_attr
        self.registry: Registry | None = None

    def setup(self) -> None:
        config = self.container.config
        self.root = Path(config.get("TEMPLATES_DIR") or library.default_root())
        self.start_timeout = float(config.get("TEMPLATES_START_TIMEOUT") or 60)
        self.loaded = GreenEvent()
        self.registry = None

    def start(self) -> None:
        db = next(ext.db for ext in self.container.dependencies
                  if getattr(ext, "attr_name", None) == self.database_attr)
        registry = Registry(db, self.root,
                            float(self.container.config.get("TEMPLATES_POLL_SECONDS", 2)))
        registry.load()
        self.registry = registry
        self.loaded.send(True)

    def get_dependency(self, worker_ctx: Any) -> Templates:
        return Templates(self)


class StopGrace(Entrypoint):
    """Stopping in seconds: nameko's stop waits for every call in progress before it stops the
    providers, and a long render or PDF would hold it for minutes. `grace` seconds
    (STOP_GRACE_SECONDS, default 3) after the container began to stop, every provider still
    busy is told to end its work (`end_busy_work(reason)`): the calls it served are refused
    unavailable and nothing is written, so the caller sends them again to a running instance.
    The method it decorates is never called; it documents the behaviour on the service."""

    def stop(self) -> None:
        grace = float(self.container.config.get("STOP_GRACE_SECONDS") or 3)
        self.container.spawn_managed_thread(lambda: self._after(grace), identifier="stop-grace")

    def _after(self, grace: float) -> None:
        eventlet.sleep(grace)
        reason = f"still busy {grace:g} s after the service began to stop"
        log.warning("renderer %s: ending the render workers and PDF converter", reason)
        for provider in self.container.dependencies:
            end = getattr(provider, "end_busy_work", None)
            if end is not None:
                end(reason)


stop_grace = StopGrace.decorator


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

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

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
        self._ended: str | None = None  # why the workers were ended (the container stopping)
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        p = _Process()
        self._all.append(p)
        self._idle.put(p)

    def render_docx(self, template: bytes, data: dict, stamp: Stamp) -> bytes:
        p = self._idle.get()
        if p is None:  # ended: pass the word on to the next caller waiting
            self._idle.put(None)
            raise _stopping(self._ended)
        try:
            reply = p.render(template, data, stamp)
        except BaseException:
            # a worker that died, or a call cut short mid-frame: never reuse it
            if p in self._all:
                self._all.remove(p)
            eventlet.spawn_n(p.stop)
            if self._ended:
                raise _stopping(self._ended) from None
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
                                 code="template_render_failed",
                                 message_zh=f"文书模板 {stamp.template_id}@{stamp.version} "
                                            f"无法用所给数据生成文书：{reply[1]}: {reply[2]}")

    def end(self, reason: str) -> None:
        """Kill every worker process now: a render in progress is refused unavailable
        (nothing written), as is every call still waiting for a worker."""
        self._ended = reason
        for p in self._all:
            p.kill()
        self._idle.put(None)

    def close(self) -> None:
        for p in self._all:
            p.stop()
        self._all = []


def _stopping(reason: str | None) -> Unavailable:
    return Unavailable(f"the renderer is stopping ({reason}); nothing was written, send the "
                       "request again", details={"retry": True},
                       message_zh=f"文书生成服务正在停止（{reason}）：未写入任何内容，请重新发送请求")


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

    def end_busy_work(self, reason: str) -> None:
        if self.renderer is not None:
            self.renderer.end(reason)

    def get_dependency(self, worker_ctx: Any) -> Renderer | None:
        return self.renderer


def _warmup_docx() -> bytes:
    """A one-line document in the official fonts: converting it loads Writer, the fonts and
    the PDF filter, which the first real document would otherwise wait for."""
    from docx import Document
    from docx.oxml.ns import qn
    doc = Document()
    doc.styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts().set(
        qn("w:eastAsia"), "仿宋_GB2312")
    doc.add_paragraph("文书生成预热 warm-up")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class Pdf:
    """What a worker sees: convert(docx) → PDF bytes, or PdfUnavailable with the reason."""

    def __init__(self, provider: PdfConverter) -> None:
        self._p = provider

    def status(self) -> dict:
        """available / reason; warm: the converter has made a PDF since this service started;
        first_pdf_seconds: how long the next PDF should take — measured at warm-up once warm,
        else what is left of the last cold start measured in this process (or of a typical
        one), with `basis` saying which."""
        p = self._p
        out: dict[str, Any] = {"available": p.reason is None, "reason": p.reason,
                               "warm": p.warm_seconds is not None, "first_pdf_seconds": None,
                               "basis": None}
        if p.reason is not None:
            return out
        if p.warm_seconds is not None:
            out.update(first_pdf_seconds=round(p.warm_seconds, 2), basis="measured at warm-up")
        elif p.local is not None:
            last = PdfConverter.last_cold_start
            cold = last if last is not None else PdfConverter.typical_cold_start
            left = max(cold - (time.monotonic() - p.started_at), 0.0)
            out.update(first_pdf_seconds=round(left + PdfConverter.typical_pdf, 2),
                       basis="last cold start" if last is not None else "typical cold start")
        return out

    def convert(self, docx: bytes) -> bytes:
        """The PDF; a conversion the stopping container ends is refused unavailable."""
        me = eventlet.getcurrent()
        self._p.converting.add(me)
        try:
            return self._convert(docx)
        except PdfUnavailable:
            if self._p.ended:
                raise _stopping(self._p.ended) from None
            raise
        finally:
            self._p.converting.discard(me)

    def _convert(self, docx: bytes) -> bytes:
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
    # seconds: a local LibreOffice from start to its first PDF, as measured by the last one
    # started in this process (None: none yet, the typical figure stands in) and typically
    # (unoserver on a 2-core host); one page through a warm converter, typically
    last_cold_start: float | None = None
    typical_cold_start = 12.0
    typical_pdf = 0.3

    def setup(self) -> None:
        config = self.container.config
        self.reason: str | None = None
        self.client: UnoserverClient | None = None
        self.local: LocalUnoserver | None = None
        self.ready: GreenEvent | None = None
        self.started_at = time.monotonic()
        self.warm_seconds: float | None = None  # the warm-up's second PDF, once made
        self.converting: set[Any] = set()  # the green threads waiting for a PDF
        self.ended: str | None = None
        host = config.get("UNOSERVER_HOST")
        if str(config.get("PDF", "on")).lower() in ("off", "false", "0"):
            self.reason = "PDF is switched off in this deployment (PDF: off); docx only"
        elif host:
            self.client = UnoserverClient(host, int(config.get("UNOSERVER_PORT") or 2003))
        else:
            self.reason = local_unavailable_reason()

    def start(self) -> None:
        self.started_at = time.monotonic()
        if self.client is None and self.reason is None:
            local = self.local = LocalUnoserver().start()
            self.client = local.client
            ready = self.ready = GreenEvent()
            self.container.spawn_managed_thread(lambda: self._wait_ready(local, ready),
                                                identifier="pdf-converter")
        elif self.client is not None:
            client = self.client
            self.container.spawn_managed_thread(lambda: self._warm_up(client),
                                                identifier="pdf-warm-up")

    def _wait_ready(self, local: LocalUnoserver, ready: GreenEvent) -> None:
        try:
            client = local.wait_ready(self.start_timeout)
        except Exception as exc:  # a converter that cannot start must not stop the service
            log.error("PDF converter unavailable: %s", exc)
            self.reason = str(exc)
            ready.send(True)
            return
        ready.send(True)
        if self._warm_up(client):
            cold = PdfConverter.last_cold_start = time.monotonic() - self.started_at
            log.info("PDF converter warm: first PDF %.1f s after start", cold)

    def _warm_up(self, client: UnoserverClient) -> bool:
        """Two PDFs of a one-line document: the first loads LibreOffice's Writer and fonts,
        the second is timed as what a document's first PDF now takes."""
        blob = _warmup_docx()
        try:
            client.convert(blob)
            started = time.monotonic()
            client.convert(blob)
        except PdfUnavailable as exc:  # said again, with its reason, by the first render
            log.warning("PDF converter warm-up failed: %s", exc)
            return False
        self.warm_seconds = time.monotonic() - started
        return True

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()
            self.local = None

    kill = stop

    def end_busy_work(self, reason: str) -> None:
        """Refuse the conversions still waiting (unavailable, nothing written) and end the
        local LibreOffice now: a remote converter finishes its document on its own."""
        self.ended = reason
        for waiting in list(self.converting):
            eventlet.hubs.get_hub().schedule_call_global(0, waiting.throw, _stopping(reason))
        if self.local is not None:
            self.local.kill()

    def get_dependency(self, worker_ctx: Any) -> Pdf:
        return Pdf(self)
