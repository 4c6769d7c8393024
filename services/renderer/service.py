"""nameko entrypoints of the document renderer: each goes through shared.service.entrypoint.handle —
the actor authenticated, its role checked and the payload validated against the contract, one
use case run, the contract's response dumped, every refusal recorded in `refusals`."""
from __future__ import annotations

from typing import Any

from nameko.timer import timer

from contracts.renderer import CONTRACT
from services.renderer import queries, store, usecases
from services.renderer.dependencies import (
    DocumentVault,
    PdfConverter,
    RenderPool,
    TemplateRegistry,
    stop_grace,
)
from services.renderer.models import outbox as outbox_table
from shared.messaging.outbox import Outbox
from shared.messaging.retention import Retention
from shared.messaging.rpc import rpc
from shared.persistence.db import Database
from shared.service import Service

VERSION = "0.1.0"


class RendererService(Service):
    name = "renderer"
    metrics_port = 9464  # `sanxiang run`'s METRICS_ADDRESS 127.0.0.1:9464
    contract = CONTRACT
    version = VERSION
    peers_needed = ("vault",)
    store = store

    db = Database("services.renderer:migrations")
    outbox = Outbox(CONTRACT, outbox_table)
    retention = Retention(outbox_table)  # published rows pruned
    registry = TemplateRegistry()
    renderer = RenderPool()
    pdf = PdfConverter()
    vault = DocumentVault()

    @staticmethod
    def run_environment(running: list[str]) -> dict[str, str]:
        # whether the vault is part of what runs here: every document stored there, or none
        return {"DOCUMENT_VAULT": "required" if "vault" in running else "absent"}

    def _deps(self) -> dict[str, Any]:
        return dict(super()._deps(), registry=self.registry)

    def _health(self) -> dict[str, Any]:
        """ready once the template library is registered (pending names what is not yet);
        pdf: whether PDFs can be made, whether the converter is warm and how long the first
        PDF should take."""
        templates = self.registry.status()
        return {"ready": templates["ready"],
                "pending": [] if templates["ready"] else [f"templates: {templates['pending']}"],
                "pdf": self.pdf.status(), "templates": templates["registered"]}

    @rpc
    def render(self, **payload: Any) -> Any:
        return self._write("render", payload, usecases.render, renderer=self.renderer,
                           pdf=self.pdf, vault=self.vault)

    @rpc
    def list_templates(self, **payload: Any) -> Any:
        return self._run("list_templates", payload, queries.list_templates)

    @rpc
    def get_template(self, **payload: Any) -> Any:
        return self._run("get_template", payload, queries.get_template)

    @timer(interval=5)
    def watch_templates(self) -> None:
        """Pick up changed template files without a restart, even when nobody renders."""
        self.registry.refresh()

    @stop_grace
    def end_busy_work(self) -> None:
        """Not called: STOP_GRACE_SECONDS (3 s) after the service began to stop, the render
        workers and the PDF converter still busy are ended (dependencies.StopGrace), so a stop
        takes seconds rather than the longest render; the calls they served are refused
        unavailable with nothing written."""
