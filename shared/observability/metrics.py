"""Each service instance's metrics for Prometheus (prometheus_client), served at
http://METRICS_ADDRESS/metrics (host:port; empty or absent: no endpoint).

What is counted, and where (one place each):

- RPC calls, their latency and their refusals and failures by method and Sanxiang error code:
  around shared.service.entrypoint.handle, in Service._run (`CallMetrics.call`);
- events consumed and dead-lettered, by event type and reason (the error code, `transient` for
  a fault that outlasted the retries, `unexpected` for any other exception): as the event
  handler settles a message (shared.messaging.consumer);
- gauges read from the service's own database — outbox backlog, calendar coverage and what the
  service adds (`Service._gauges`: review clocks near due, publications overdue, fixity
  failures) — by a green thread every METRICS_REFRESH_SECONDS (default 30), never at scrape: a
  scrape reads numbers kept in memory and costs no query, however often it comes.

Each container has a registry of its own (`metrics_for`), not prometheus_client's global one:
a process may run several containers (the tests do, one after another), each counted apart,
its endpoint closed and its port freed as it stops.

A METRICS_ADDRESS that cannot be bound (a port in use) is logged as an error and the service
runs on without its endpoint: the scrape failing is what tells the operator (the alert
SanxiangServiceDown), and the service's work goes on."""
from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily

from shared import settings
from shared.errors import ConfigurationError
from shared.observability import logs

log = logging.getLogger(__name__)
access = logging.getLogger(logs.ACCESS_LOGGER)

ADDRESS_KEY = "METRICS_ADDRESS"
REFRESH_KEY = "METRICS_REFRESH_SECONDS"
DEFAULT_REFRESH_SECONDS = 30.0

# latency buckets (seconds): a read takes milliseconds, a command tens of them, a render seconds
RPC_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Reading(NamedTuple):
    """One gauge's value as last read: `labels` beside the `service` label every metric has."""
    name: str
    help: str
    labels: dict[str, str]
    value: float


class ServiceMetrics:
    """One container's metrics (module docstring) in a registry of its own."""

    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.rpc_calls = Counter("sanxiang_rpc_calls", "RPC calls answered, by method",
                                 ["service", "method"], registry=r)
        self.rpc_errors = Counter("sanxiang_rpc_errors", "RPC calls refused or failed, by "
                                  "method and Sanxiang error code", ["service", "method", "code"],
                                  registry=r)
        self.rpc_seconds = Histogram("sanxiang_rpc_duration_seconds", "RPC call duration, from "
                                     "the caller's check to the answer", ["service", "method"],
                                     buckets=RPC_BUCKETS, registry=r)
        self.events = Counter("sanxiang_events_consumed", "events settled by the service's "
                              "handlers, by event type and outcome (handled, dead_lettered)",
                              ["service", "event_type", "outcome"], registry=r)
        self.dead_letters = Counter("sanxiang_events_dead_lettered", "events sent to the "
                                    "service's dead-letter queue, by event type and reason",
                                    ["service", "event_type", "reason"], registry=r)
        self.refresh_failures = Counter("sanxiang_metrics_refresh_failures", "gauge refreshes "
                                        "that failed (the gauges keep their last values)",
                                        ["service"], registry=r)
        self.refreshed = Gauge("sanxiang_metrics_refreshed_timestamp_seconds", "when the gauges "
                               "read from the database were last refreshed", ["service"],
                               registry=r)
        self.info = Gauge("sanxiang_service_info", "the service and its version (always 1)",
                          ["service", "version"], registry=r)
        self._readings: list[Reading] = []
        self.registry.register(_ReadingsCollector(self))

    def set_readings(self, readings: list[Reading]) -> None:
        self._readings = readings  # replaced whole: a scrape sees one refresh or the next
        self.refreshed.labels(self.service).set(time.time())

    def readings(self) -> list[Reading]:
        return self._readings

    def rpc(self, method: str, code: str | None, seconds: float) -> None:
        self.rpc_calls.labels(self.service, method).inc()
        self.rpc_seconds.labels(self.service, method).observe(seconds)
        if code is not None:
            self.rpc_errors.labels(self.service, method, code).inc()

    def event(self, event_type: str, reason: str | None) -> None:
        """An event settled: handled (reason None) or dead-lettered for `reason`."""
        outcome = "handled" if reason is None else "dead_lettered"
        self.events.labels(self.service, event_type, outcome).inc()
        if reason is not None:
            self.dead_letters.labels(self.service, event_type, reason).inc()


class _ReadingsCollector:
    """The gauges read from the database, as last refreshed."""

    def __init__(self, metrics: ServiceMetrics):
        self.metrics = metrics

    def describe(self) -> list:
        return []  # families appear with their first reading

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        for reading in self.metrics.readings():
            names = ["service", *sorted(reading.labels)]
            family = families.get(reading.name)
            if family is None:
                family = families[reading.name] = GaugeMetricFamily(reading.name, reading.help,
                                                                    labels=names)
            family.add_metric([self.metrics.service,
                               *(str(reading.labels[k]) for k in names[1:])], reading.value)
        yield from families.values()


_ATTRIBUTE = "sanxiang_metrics"


def metrics_for(container: Any) -> ServiceMetrics:
    """The metrics of `container` (made on first use, kept on the container: an extension
    holds its container through a weak proxy, and they go when it goes)."""
    found = getattr(container, _ATTRIBUTE, None)
    if found is None:
        found = ServiceMetrics(container.service_name)
        setattr(container, _ATTRIBUTE, found)
    return found


def parse_address(raw: Any) -> tuple[str, int] | None:
    """METRICS_ADDRESS as (host, port); None when empty. A bad one is a ConfigurationError
    naming the key and the rule."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigurationError(f"{ADDRESS_KEY} must be host:port (a port of 0 to 65535) or "
                                 f"empty, not {text!r}",
                                 message_zh=f"{ADDRESS_KEY} 应为 host:port（端口 0 至 65535）"
                                            f"或留空，而不是 {text!r}")
    return host, int(port)


def _refresh_seconds(config: dict) -> float:
    value = settings.positive_number(config, REFRESH_KEY, DEFAULT_REFRESH_SECONDS,
                                     unit="seconds")
    assert value is not None
    return value


class ObservedToken:
    """The call's token as handle() uses it, noting the Actor it verifies to (its role and
    agency go to the call's log context and access line; its id never does)."""

    def __init__(self, token: Any):
        self._token = token
        self.role: str | None = None
        self.agency: str | None = None

    def __call__(self) -> Any:
        actor = self._token if not callable(self._token) else self._token()
        self.role, self.agency = getattr(actor, "role", None), getattr(actor, "agency", None)
        logs.bind(role=self.role, agency=self.agency)
        return actor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._token, name)


class CallMetrics:
    """What a worker is given as `self.metrics`: `call(method, token)` around one RPC."""

    def __init__(self, metrics: ServiceMetrics, call_id: str | None):
        self.metrics = metrics
        self.call_id = call_id

    @contextlib.contextmanager
    def call(self, method: str, token: Any) -> Iterator[Any]:
        """Time the call, count it with its error code, write its access line; yields the
        token to hand to handle() (ObservedToken)."""
        observed = token if isinstance(token, ObservedToken) else ObservedToken(token)
        if getattr(token, "role", None) is not None and not callable(token):  # an Actor
            observed()
        logs.bind(method=method)
        started = time.perf_counter()
        code = None
        try:
            yield observed
        except Exception as exc:
            code = str(getattr(exc, "code", None) or "internal_error")
            raise
        finally:
            seconds = time.perf_counter() - started
            self.metrics.rpc(method, code, seconds)
            access.info("rpc %s %s %.1f ms", method, code or "ok", seconds * 1000, extra={
                logs.FIELDS: {"kind": "rpc", "outcome": code or "ok",
                              "duration_ms": round(seconds * 1000, 3)}})


class Metrics(DependencyProvider):
    """The container's metrics, endpoint and gauge refresh (module docstring); every Service
    has it as `metrics`. A worker's log context (shared.observability.logs) is set here."""

    def __init__(self) -> None:
        self.metrics: ServiceMetrics | None = None
        self.address: tuple[str, int] | None = None
        self._socket: Any = None
        self._threads: list[Any] = []
        self.gauges: Callable[..., Iterable[Reading]] | None = None

    def setup(self) -> None:
        config = self.container.config
        self.metrics = metrics_for(self.container)
        logs.set_process_service(self.container.service_name)
        self.metrics.info.labels(self.container.service_name,
                                 str(getattr(self.container.service_cls, "version", ""))).set(1)
        self.refresh_seconds = _refresh_seconds(config)
        wanted = parse_address(config.get(ADDRESS_KEY))
        if wanted is not None:
            try:
                self._socket = eventlet.listen(wanted, family=socket.AF_INET6 if ":" in wanted[0]
                                               else socket.AF_INET)
            except OSError as exc:
                log.error("%s: the metrics endpoint %s:%d is not served: %s",
                          self.container.service_name, *wanted, exc)
            else:
                self.address = self._socket.getsockname()[:2]

    def start(self) -> None:
        assert self.metrics is not None
        if self._socket is not None:
            app = make_wsgi_app(self.metrics.registry)
            self._threads.append(eventlet.spawn(
                eventlet.wsgi.server, self._socket, app, log_output=False,
                max_size=16, socket_timeout=30))
        self._threads.append(eventlet.spawn(self._refresh_forever))

    def stop(self) -> None:
        for thread in self._threads:
            thread.kill()
        self._threads = []
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> CallMetrics:
        assert self.metrics is not None
        return CallMetrics(self.metrics, worker_ctx.call_id)

    def worker_setup(self, worker_ctx: Any) -> None:
        entry = worker_ctx.entrypoint
        logs.clear()
        logs.bind(service=self.container.service_name, call_id=worker_ctx.call_id,
                  method=entry.method_name if isinstance(entry, Rpc) else None,
                  handler=None if isinstance(entry, Rpc) else entry.method_name)

    def worker_teardown(self, worker_ctx: Any) -> None:
        logs.clear()

    # --- the gauges read from the database ----------------------------------------------
    def _refresh_forever(self) -> None:
        while True:
            self.refresh()
            eventlet.sleep(self.refresh_seconds)

    def refresh(self) -> None:
        assert self.metrics is not None
        try:
            self.metrics.set_readings(list(self._read()))
        except Exception:
            self.metrics.refresh_failures.labels(self.metrics.service).inc()
            log.warning("%s: the metrics' gauges were not refreshed", self.metrics.service,
                        exc_info=True)

    def _read(self) -> Iterator[Reading]:
        from shared.calendar.clock import local_date, now
        from shared.messaging.outbox import Outbox, backlog
        at = now()
        deps = {getattr(ext, "attr_name", None): ext for ext in self.container.dependencies}
        db = getattr(deps.get("db"), "db", None)
        rules = getattr(deps.get("rules"), "rules", None)
        if rules is not None:
            days = rules.calendar.coverage(local_date(at)).days_left
            yield Reading("sanxiang_calendar_days_left", "days left in the legal calendar's "
                          "covered range (negative: run out)", {}, days)
        if db is not None and any(isinstance(ext, Outbox) for ext in deps.values()):
            pending = backlog(db, at=at)
            yield Reading("sanxiang_outbox_pending", "outbox events not yet published", {},
                          pending["pending"])
            yield Reading("sanxiang_outbox_unrouted", "outbox events no queue was bound for", {},
                          pending["unrouted"])
            yield Reading("sanxiang_outbox_oldest_pending_age_seconds", "age of the oldest "
                          "outbox event not yet published (0: none)", {},
                          pending["oldest_pending_seconds"] or 0.0)
        gauges = getattr(self.container.service_cls, "_gauges", None)
        if gauges is not None and db is not None:
            yield from gauges(db=db, rules=rules, config=self.container.config, now=at)
