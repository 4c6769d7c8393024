"""Broker users with least privilege: what each service's RabbitMQ user may configure, write
and read, derived in this one place from what nameko and the kernel declare, and applied
through the management API (compose's rabbitmq-init, `sanxiang broker`, the tests).

What a service ``S`` touches on the broker (nameko 2.14 and shared/):
- RPC: its queue ``rpc-S`` bound to the topic exchange ``nameko-rpc`` with key ``S.*``;
  reply queues ``rpc.reply-S-<uuid>`` bound with key ``<uuid>`` when it calls others;
  replies and calls are published to ``nameko-rpc``.
- Events it emits: the outbox declares and publishes to ``S.events``.
- Events it consumes (``<source>.<event_type>`` from its contract's ``consumes``): queues
  ``evt-<source>-<event_type>--S.<method>`` bound to ``<source>.events``.
- Dead letters (refused events, RPC requests it cannot read) go to the topic exchange
  ``sanxiang.dead-letters`` and the queue ``dlq.S``, routing key ``S``.
- Peers and health: passive declares of ``rpc-<peer>``, which need no permission.

RabbitMQ's rules: declaring or deleting needs *configure* on the name; publishing needs
*write* on the exchange; queue.bind needs *write* on the queue and *read* on the exchange,
and on a topic exchange the binding key must match the user's topic *read* permission (if it
has one for that exchange); consuming needs *read* on the queue.

So a service writes only its own events exchange, ``nameko-rpc`` and the dead-letter exchange,
and has no configure right on another service's events exchange (that would let it delete
it): the exchanges are declared up front by whoever creates the users
(:meth:`Management.declare_exchanges`), and services run with ``DECLARE_EVENT_EXCHANGES:
false`` so their handlers bind without redeclaring. Topic permissions close what plain
regexes leave open: on ``nameko-rpc`` a service may bind only ``S.*`` and reply keys (so it
cannot bind ``#`` and read every call and its actor token), and on a source's events
exchange only the event types it consumes.

Left to configure because nameko declares them on start, and therefore also deletable by
every service: ``nameko-rpc`` and ``sanxiang.dead-letters`` (a deletion is an outage until a
service restarts, never a forged or read message). The dead-letter exchange is a topic exchange
so that topic permissions hold there too: a service publishes and binds only its own name as
the routing key, so it can neither read another service's dead letters (which hold their
events' bodies) nor put one in another service's queue.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from shared.messaging.consumer import DEAD_LETTER_EXCHANGE, DELIVERY_LIMIT

RPC_EXCHANGE = "nameko-rpc"  # nameko's default (RPC_EXCHANGE_CONFIG_KEY is never set here)
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A name as a service, event type or caller: no regex metacharacters beyond what re.escape
# handles, and never anything a topic binding would read as a wildcard.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CALLER = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*\.v[0-9]+$")
# What an RPC request's routing key looks like: <service>.<method>.
RPC_REQUEST_KEY = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
NOTHING = "^$"


@dataclass(frozen=True)
class Grant:
    """One user's rights on one vhost: the three regexes, and topic permissions per exchange
    as (exchange, write, read) — write: routing keys it may publish with; read: binding keys."""
    configure: str
    write: str
    read: str
    topics: tuple[tuple[str, str, str], ...] = field(default=())

    def allows(self, what: str, name: str) -> bool:
        return re.search(getattr(self, what), name) is not None


def _any_of(names: Iterable[str]) -> str:
    return "^(" + "|".join(names) + ")$"


def events_exchange(service: str) -> str:
    return f"{service}.events"


def parse_consumed(consumes: Iterable[str]) -> list[tuple[str, str]]:
    """``"<source>.<event_type>"`` -> (source, event_type), checked."""
    out = []
    for item in consumes:
        source, _, event_type = item.partition(".")
        if not NAME.match(source) or not EVENT_TYPE.match(event_type):
            raise ValueError(f"consumes: {item!r} is not '<source>.<event_type>.v<N>'")
        out.append((source, event_type))
    return out


def service_grant(service: str, consumes: Iterable[str] = ()) -> Grant:
    """The rights of service ``service`` that handles the events ``consumes``."""
    if not NAME.match(service):
        raise ValueError(f"service: {service!r} must match {NAME.pattern}")
    s = re.escape(service)
    consumed = parse_consumed(consumes)
    queues = [f"rpc-{s}", rf"rpc\.reply-{s}-{UUID}"]
    exchanges = [re.escape(RPC_EXCHANGE), re.escape(events_exchange(service))]
    bind_from = [re.escape(RPC_EXCHANGE)]
    topics = [(RPC_EXCHANGE, ".*", _any_of([rf"{s}\.\*", UUID]))]
    # every service dead-letters: refused events, and RPC requests it cannot read
    queues.append(rf"dlq\.{s}")
    exchanges.append(re.escape(DEAD_LETTER_EXCHANGE))
    bind_from.append(re.escape(DEAD_LETTER_EXCHANGE))
    topics.append((DEAD_LETTER_EXCHANGE, f"^{s}$", f"^{s}$"))
    if consumed:
        queues += [rf"evt-{re.escape(src)}-{re.escape(et)}--{s}\.[a-z_][a-z0-9_]*"
                   for src, et in consumed]
        for src in sorted({src for src, _ in consumed}):
            bind_from.append(re.escape(events_exchange(src)))
            types = sorted(re.escape(et) for s2, et in consumed if s2 == src)
            # a service consuming its own events still publishes every event of its own
            topics.append((events_exchange(src), ".*" if src == service else NOTHING,
                           _any_of(types)))
    return Grant(configure=_any_of(exchanges + queues), write=_any_of(exchanges + queues),
                 read=_any_of(bind_from + queues), topics=tuple(topics))


def poison_policy(service: str, limit: int = DELIVERY_LIMIT) -> tuple[str, dict]:
    """(name, body) of the policy that bounds redeliveries on ``service``'s durable queues
    (``rpc-S`` and its event queues): on a quorum queue a message returned more than ``limit``
    times (its consumer died, or gave it back, before settling it each time) is dead-lettered
    by the broker to ``sanxiang.dead-letters`` with routing key ``S``, so into ``dlq.S``,
    instead of coming back for ever. The consumer settles such a message itself on its last
    delivery (shared.messaging.consumer.past_delivery_limit); the broker's bound is for a
    message that stops its consumer before it can."""
    if not NAME.match(service):
        raise ValueError(f"service: {service!r} must match {NAME.pattern}")
    if limit < 1:
        raise ValueError(f"delivery limit: {limit!r} must be at least 1")
    s = re.escape(service)
    return f"sanxiang-poison-{service}", {
        "pattern": rf"^(rpc-{s}|evt-.+--{s}\.[a-z_][a-z0-9_]*)$",
        "apply-to": "queues", "priority": 10,
        "definition": {"delivery-limit": limit, "dead-letter-exchange": DEAD_LETTER_EXCHANGE,
                       "dead-letter-routing-key": service}}


def caller_prefix(caller: str) -> str:
    """Reply queues of an outside caller are named ``<prefix><anything unique>``."""
    return f"rpc.reply-{caller}-"


def caller_grant(caller: str) -> Grant:
    """An outside system: publish RPC requests to ``nameko-rpc`` and read the replies on its own
    reply queues (``rpc.reply-<caller>-…``, bound with their own name as key) — nothing else:
    no ``rpc-*`` queue, no events exchange, no other caller's replies."""
    if not CALLER.match(caller):
        raise ValueError(f"caller: {caller!r} must match {CALLER.pattern}")
    reply = re.escape(caller_prefix(caller)) + "[A-Za-z0-9_-]+"
    rpc = re.escape(RPC_EXCHANGE)
    return Grant(configure=_any_of([reply]), write=_any_of([rpc, reply]),
                 read=_any_of([rpc, reply]),
                 topics=((RPC_EXCHANGE, RPC_REQUEST_KEY, _any_of([reply])),))


def contract_consumes(services: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """What each service consumes, from its contract (a service without a contract yet, such
    as a planned one, consumes nothing)."""
    from shared.contracts.export import discover

    contracts = discover()
    return {name: tuple(contracts[name].consumes) if name in contracts else ()
            for name in services}


def exchanges(services: Iterable[str]) -> list[tuple[str, str]]:
    """(name, type) of every exchange the services use, declared before they start."""
    out = [(RPC_EXCHANGE, "topic"), (DEAD_LETTER_EXCHANGE, "topic")]
    out += [(events_exchange(s), "topic") for s in services]
    return out


class BrokerSetupError(Exception):
    pass


class Management:
    """The RabbitMQ management HTTP API, as an administrator (``requests``, a nameko
    dependency)."""

    def __init__(self, api: str, user: str, password: str, timeout: float = 10):
        import requests

        self.api = api.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (user, password)
        self.timeout = timeout

    def call(self, method: str, path: str, **kwargs):
        resp = self.session.request(method, f"{self.api}/{path}", timeout=self.timeout, **kwargs)
        if resp.status_code >= 400 and not (method == "DELETE" and resp.status_code == 404):
            raise BrokerSetupError(f"{method} {path}: HTTP {resp.status_code} {resp.text[:300]}")
        return resp

    def wait(self, seconds: float = 120) -> None:
        import requests

        deadline = time.monotonic() + seconds
        while True:
            try:
                self.call("GET", "overview")
                return
            except (requests.RequestException, BrokerSetupError):
                if time.monotonic() > deadline:
                    raise BrokerSetupError(
                        f"management API at {self.api} did not answer") from None
                time.sleep(2)

    def ensure_vhost(self, vhost: str, default_queue_type: str = "quorum") -> None:
        """The vhost, with its default queue type (fixed at creation: an existing vhost of
        another type is an error, never silently kept)."""
        v = quote(vhost, safe="")
        # the management API reads the type as `defaultqueuetype` (3.10 to 3.13) and ignores
        # an unknown key, so a vhost put with `default_queue_type` alone stayed classic
        self.call("PUT", f"vhosts/{v}", json={"description": "Sanxiang services",
                                              "defaultqueuetype": default_queue_type,
                                              "default_queue_type": default_queue_type})
        info = self.call("GET", f"vhosts/{v}").json()
        have = info.get("default_queue_type") or info.get("metadata", {}).get(
            "default_queue_type")
        if have != default_queue_type:
            raise BrokerSetupError(
                f"vhost {vhost!r} exists with default queue type {have!r}, not "
                f"{default_queue_type!r}; it cannot be changed in place (recreate the vhost)")

    def declare_exchanges(self, vhost: str, services: Iterable[str]) -> None:
        v = quote(vhost, safe="")
        for name, kind in exchanges(services):
            self.call("PUT", f"exchanges/{v}/{quote(name, safe='')}",
                      json={"type": kind, "durable": True, "auto_delete": False,
                            "internal": False, "arguments": {}})

    def put_user(self, vhost: str, user: str, password: str, grant: Grant,
                 tags: str = "") -> None:
        """Create or update the user (PUT sets the password each time, so rotating it is a
        re-run) with exactly ``grant`` on ``vhost``: stale topic permissions are removed.
        `tags`: its management tags (an operator's: monitoring)."""
        v, u = quote(vhost, safe=""), quote(user, safe="")
        if not password:
            raise BrokerSetupError(f"user {user}: empty password")
        self.call("PUT", f"users/{u}", json={"password": password, "tags": tags})
        self.call("PUT", f"permissions/{v}/{u}", json={
            "configure": grant.configure, "write": grant.write, "read": grant.read})
        self.call("DELETE", f"topic-permissions/{v}/{u}")
        for exchange, write, read in grant.topics:
            self.call("PUT", f"topic-permissions/{v}/{u}",
                      json={"exchange": exchange, "write": write, "read": read})

    def declare_dead_letter_queue(self, vhost: str, service: str) -> None:
        """``dlq.S`` bound to the dead-letter exchange under key ``S``, declared up front so
        that what the broker dead-letters (poison_policy) has a queue to go to before the
        service has dead-lettered anything itself. Of the vhost's default queue type, named,
        so that the service's own declaration of it is equivalent."""
        v = quote(vhost, safe="")
        info = self.call("GET", f"vhosts/{v}").json()
        kind = info.get("default_queue_type") or info.get("metadata", {}).get(
            "default_queue_type")
        # a vhost without a default type takes the queue as the service declares it, with no
        # x-queue-type: naming one would make the service's own declaration inequivalent
        arguments = {"x-queue-type": kind} if kind and kind != "undefined" else {}
        name = quote(f"dlq.{service}", safe="")
        self.call("PUT", f"queues/{v}/{name}", json={
            "durable": True, "auto_delete": False, "arguments": arguments})
        self.call("POST", f"bindings/{v}/e/{quote(DEAD_LETTER_EXCHANGE, safe='')}/q/{name}",
                  json={"routing_key": service, "arguments": {}})

    def put_policy(self, vhost: str, name: str, body: dict) -> None:
        self.call("PUT", f"policies/{quote(vhost, safe='')}/{quote(name, safe='')}", json=body)

    def delete_user(self, user: str) -> None:
        self.call("DELETE", f"users/{quote(user, safe='')}")


def setup_services(mgmt: Management, vhost: str, users: Mapping[str, tuple[str, str]],
                   consumes: Mapping[str, Iterable[str]] | None = None, *,
                   delivery_limit: int = DELIVERY_LIMIT) -> None:
    """Declare the exchanges, bound each service's redeliveries (poison_policy) and give
    each service its user: ``users`` maps service -> (user name, password); ``consumes``
    defaults to the services' contracts."""
    if consumes is None:
        consumes = contract_consumes(users)
    sources = {src for items in consumes.values() for src, _ in parse_consumed(items)}
    mgmt.declare_exchanges(vhost, [*users, *sorted(sources - set(users))])
    for service in users:
        mgmt.declare_dead_letter_queue(vhost, service)
        mgmt.put_policy(vhost, *poison_policy(service, delivery_limit))
    for service, (user, password) in users.items():
        mgmt.put_user(vhost, user, password, service_grant(service, consumes.get(service, ())))


# nameko's standalone RPC proxy (what `sanxiang ops status` asks each service's health with)
# names its reply queues rpc.reply-standalone_rpc_proxy-<uuid>, bound with the uuid as key
STANDALONE_REPLY = "rpc.reply-standalone_rpc_proxy-"
OPERATOR_TAGS = "monitoring"  # the management API's queue figures, nothing to change there


def operator_grant(services: Iterable[str]) -> Grant:
    """An operator running `sanxiang ops` for ``services``: ask each service's `health` (publish
    ``<service>.health`` to ``nameko-rpc``, read the answer on its own reply queue), read every
    ``dlq.<service>`` (list, show), send a dead letter back or replay events (publish to
    ``<service>.events``, any event type), and keep a dropped dead letter in
    ``dlq.<service>.dropped`` (declare it, publish to it through the default exchange, read it).
    Nothing else: no RPC but health, no service's RPC or event queue, no events exchange to
    declare or delete (`sanxiang ops replay` declares it passively). Passive declares, which
    count a queue's messages and consumers, need no right."""
    names = sorted(services)
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"service: {name!r} must match {NAME.pattern}")
    any_service = "(" + "|".join(re.escape(n) for n in names) + ")"
    rpc = re.escape(RPC_EXCHANGE)
    reply = re.escape(STANDALONE_REPLY) + UUID
    dlq, dropped = rf"dlq\.{any_service}", rf"dlq\.{any_service}\.dropped"
    events = [re.escape(events_exchange(n)) for n in names]
    topics = [(RPC_EXCHANGE, rf"^{any_service}\.health$", f"^{UUID}$")]
    topics += [(events_exchange(n), ".*", NOTHING) for n in names]
    return Grant(configure=_any_of([rpc, reply, dropped]),
                 write=_any_of([rpc, reply, "amq\\.default", dropped, *events]),
                 read=_any_of([rpc, reply, dlq, dropped]), topics=tuple(topics))
