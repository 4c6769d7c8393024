"""The renderer's own providers: the template registry (polling the templates folder), the
render pool that keeps docxtpl off the eventlet hub, and the PDF converter (a configured
unoserver, or one started here with its own LibreOffice profile)."""
from __future__ import annotations

import logging
from pathlib import Path

import eventlet
from eventlet import tpool
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider

from services.renderer import library
from services.renderer.pdf import (LocalUnoserver, PdfUnavailable, UnoserverClient,
                                   local_unavailable_reason)
from services.renderer.registry import Registry
from services.renderer.rendering import Stamp, render_docx

log = logging.getLogger(__name__)


class TemplateRegistry(DependencyProvider):
    """One Registry per container, loaded in start() (after the database migrated)."""

    def __init__(self, database_attr: str = "db"):
        self.database_attr = database_attr
        self.registry: Registry | None = None

    def start(self):
        config = self.container.config
        root = Path(config.get("TEMPLATES_DIR") or library.default_root())
        db = next(ext.db for ext in self.container.dependencies
                  if getattr(ext, "attr_name", None) == self.database_attr)
        self.registry = Registry(db, root, float(config.get("TEMPLATES_POLL_SECONDS", 2)))
        self.registry.load()

    def get_dependency(self, worker_ctx):
        return self.registry


class Renderer:
    """docxtpl in a native thread (eventlet.tpool): the hub keeps answering heartbeats while
    a long document renders, so the broker never takes the call back and redelivers it."""

    def render_docx(self, template: bytes, data: dict, stamp: Stamp) -> bytes:
        return tpool.execute(render_docx, template, data, stamp)


class RenderPool(DependencyProvider):
    def setup(self):
        self.renderer = Renderer()

    def get_dependency(self, worker_ctx):
        return self.renderer


class Pdf:
    """What a worker sees: convert(docx) → PDF bytes, or PdfUnavailable with the reason."""

    def __init__(self, provider: "PdfConverter"):
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
        return p.client.convert(docx)


class PdfConverter(DependencyProvider):
    start_timeout = 120

    def setup(self):
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

    def start(self):
        if self.client is None and self.reason is None:
            self.local = LocalUnoserver().start()
            self.client = self.local.client
            self.ready = GreenEvent()
            self.container.spawn_managed_thread(self._wait_ready, identifier="pdf-converter")

    def _wait_ready(self):
        try:
            self.local.wait_ready(self.start_timeout)
        except Exception as exc:  # a converter that cannot start must not stop the service
            log.error("PDF converter unavailable: %s", exc)
            self.reason = str(exc)
        self.ready.send(True)

    def stop(self):
        if self.local is not None:
            self.local.stop()
            self.local = None

    kill = stop

    def get_dependency(self, worker_ctx):
        return Pdf(self)
