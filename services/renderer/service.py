"""nameko entrypoints of the document renderer: each goes through shared.service.entrypoint.handle —
the actor authenticated, its role checked and the payload validated against the contract, one
use case run, the contract's response dumped, every refusal recorded in `refusals`."""
from __future__ import annotations

from nameko.timer import timer

from contracts.renderer import CONTRACT
from services.renderer import queries, store, usecases
from services.renderer.dependencies import PdfConverter, RenderPool, TemplateRegistry
from services.renderer.models import outbox as outbox_table
from shared.trust.actor import ActorProvider
from shared.calendar.clock import now
from shared.persistence.db import Database
from shared.persistence.idempotency import RequestKeys
from shared.messaging.outbox import Outbox
from shared.messaging.peers import Peers
from shared.messaging.rpc import rpc
from shared.rulesets.provider import RulesProvider
from shared.service.entrypoint import CALENDAR_WATCH_SECONDS, check_calendar, handle, health_payload

VERSION = "0.1.0"


class RendererService:
    name = "renderer"

    db = Database("services.renderer:migrations")
    outbox = Outbox(CONTRACT, outbox_table)
    rules = RulesProvider()
    actor = ActorProvider()
    keys = RequestKeys()
    registry = TemplateRegistry()
    renderer = RenderPool()
    pdf = PdfConverter()
    peers = Peers()

    def _run(self, method: str, payload: dict, fn, **deps):
        return handle(CONTRACT, method, payload, fn, actor=self.actor, keys=self.keys,
                      refused=self._refused, registry=self.registry, **deps)

    def _refused(self, actor, method, request, exc):
        store.record_refusal(self.db, actor, method, request, exc, now())

    @rpc
    def health(self):
        return dict(health_payload(self.name, VERSION, CONTRACT, self.rules,
                                   missing_peers=[] if self.peers.deployed("vault")
                                   else ["vault"]),
                    pdf=self.pdf.status(), templates=len(self.registry.all()))

    @rpc
    def render(self, **payload):
        return self._run("render", payload, usecases.render, db=self.db, renderer=self.renderer,
                         pdf=self.pdf, outbox=self.outbox, rules=self.rules, now=now())

    @rpc
    def list_templates(self, **payload):
        return self._run("list_templates", payload, queries.list_templates)

    @rpc
    def get_template(self, **payload):
        return self._run("get_template", payload, queries.get_template)

    @timer(interval=5)
    def watch_templates(self):
        """Pick up changed template files without a restart, even when nobody renders."""
        self.registry.refresh()

    @timer(interval=CALENDAR_WATCH_SECONDS, eager=True)
    def watch_calendar(self):
        """At start and daily: warn while the legal calendar is about to run out."""
        return check_calendar(self.name, self.rules.calendar, now())
