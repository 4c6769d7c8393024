"""The base class of every service: what each one does alike, written once.

A service class derives from `Service`, sets `name`, `contract`, `version`, `peers_needed`
(the peers whose absence `health` names), `store` (the module whose
`record_refusal(db, actor, method, request, exc, now)` records a refused call) and its own
dependencies (`db`, `outbox`, ...), and overrides `_missing` (the service's not_found for the
id a request names) and `_deps` (what every one of its use cases takes) where it needs to.
Its entrypoints are then one line each: `return self._run(method, payload, use_case)` for a
read, `self._write(...)` for a command. nameko finds the entrypoints and dependencies declared
here on the subclass as on any class (it inspects the class with its bases)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

from nameko.timer import timer

from shared.calendar.clock import now
from shared.contracts.registry import Contract
from shared.errors import NotFound
from shared.messaging.peers import Peers
from shared.messaging.rpc import rpc
from shared.observability.metrics import Metrics, Reading
from shared.persistence.idempotency import RequestKeys
from shared.rulesets.provider import RulesProvider
from shared.service.entrypoint import CALENDAR_WATCH_SECONDS, check_calendar, handle, health_payload
from shared.service.operations import operations_health
from shared.service.ports import RefusalLog
from shared.trust.actor import ActorProvider


class Service:
    name: ClassVar[str]
    contract: ClassVar[Contract]
    version: ClassVar[str] = "0.1.0"
    peers_needed: ClassVar[tuple[str, ...]] = ()
    # the loopback port of its metrics endpoint under `sanxiang run` (None: no default)
    metrics_port: ClassVar[int | None] = None
    store: RefusalLog  # a module (or object) with record_refusal

    rules = RulesProvider()
    actor = ActorProvider()
    keys = RequestKeys()
    peers = Peers()
    metrics = Metrics()  # METRICS_ADDRESS, shared.observability.metrics
    # each service declares its own: db = Database("services.<name>:migrations"), outbox = ...
    db: Any
    outbox: Any

    # --- one path for every RPC ---------------------------------------------------------------
    def _run(self, method: str, payload: dict, fn: Callable[..., Any], **deps: Any) -> Any:
        """The RPC `method` through shared.service.entrypoint.handle: the caller verified, its
        role checked against the contract, the payload validated, `fn` run with the service's
        own dependencies (`_deps`) and `deps`, every refusal recorded (`_refused`); counted,
        timed and logged with its error code (shared.observability.metrics)."""
        with self.metrics.call(method, self.actor) as actor:
            return handle(self.contract, method, payload, fn, actor=actor, keys=self.keys,
                          refused=self._refused, missing=self._missing,
                          **{**self._deps(), **deps})

    def _write(self, method: str, payload: dict, fn: Callable[..., Any], **deps: Any) -> Any:
        """A command: `_run` with the outbox and the rules."""
        return self._run(method, payload, fn, **{"outbox": self.outbox, "rules": self.rules,
                                                  **deps})

    def _deps(self) -> dict[str, Any]:
        """What every use case of the service is given: by default its database and the time."""
        return {"db": self.db, "now": now()}

    def _refused(self, actor: Any, method: str, request: dict, exc: Exception) -> None:
        self.store.record_refusal(self.db, actor, method, request, exc, now())

    def _missing(self, request: dict) -> NotFound | None:
        """The service's own not_found for the record `request` names: what a caller is told of
        a record of another agency, so it reads exactly like an id that does not exist."""
        return None

    # --- what every service answers alike -----------------------------------------------------
    @rpc
    def health(self) -> dict:
        """Open to any caller: the service, its rule sets, contracts, calendar, its peers (and
        the missing ones), its outbox backlog and dead letters (shared.service.operations)."""
        peers = {peer: self.peers.deployed(peer) for peer in self.peers_needed}
        missing = [peer for peer, deployed in peers.items() if not deployed]
        return dict(health_payload(self.name, self.version, self.contract, self.rules, missing),
                    **operations_health(self.name, peers, getattr(self, "db", None),
                                        getattr(self.outbox, "table", None)
                                        if hasattr(self, "outbox") else None,
                                        self.peers.amqp_uri),
                    **self._health())

    @staticmethod
    def _gauges(*, db: Any, rules: Any, config: dict, now: datetime) -> Iterable[Reading]:
        """What the service adds to its metrics' gauges, read from its database every
        METRICS_REFRESH_SECONDS (shared.observability.metrics)."""
        return ()

    def _health(self) -> dict:
        """What a service adds to its health answer."""
        return {}

    @timer(interval=CALENDAR_WATCH_SECONDS, eager=True)
    def watch_calendar(self) -> dict:
        """At start and daily: warn while the legal calendar is about to run out."""
        return check_calendar(self.name, self.rules.calendar, now())

