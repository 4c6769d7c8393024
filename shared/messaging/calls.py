"""Calling a peer service's RPC from inside a service, one way for every service: `Peer(name)`
is the dependency, and a worker's `PeerClient` calls the peer

- as this service (`call(method, acting_for=agency, ...)`): with a service token minted for
  that one call and bound to that agency (shared.trust.actor.ServiceIdentity, the service's
  caller key) — for work no person asked for (an event handled, a timer) or that the service
  does on its own account; the peer's contract must grant the method to this service
  ("service:<name>" in its roles);
- as the current caller (`forward(method)`): with the caller's own actor token, so the peer
  judges the person the way it would judge them calling it directly.

A write carries its idempotency key (`key`); no header of the incoming call travels on by
itself (its idempotency key means nothing to another method). Every call is answered within
`timeout` seconds or raised as Unavailable naming the peer and the method (a passing fault:
a consumer retries it); a peer this deployment does not have is ServiceNotDeployed, naming
them too. Whether the peer is part of the deployment is its presence, from config
`<presence>`: `required` (it is, so a peer down for a moment is Unavailable, never taken as
absent), `absent` (it is not: no call is made), `auto` (whether an instance consumes its RPC
queue now, shared.messaging.peers.PeerDirectory).

The kernel names no service: each service declares the peers it calls."""
from __future__ import annotations

from typing import Any, Protocol

import eventlet
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import UnknownService
from nameko.rpc import ReplyListener as NamekoReplyListener
from nameko.rpc import RpcProxy, ServiceProxy

from shared.errors import ConfigurationError, ServiceNotDeployed, Unavailable
from shared.messaging.peers import PeerDirectory
from shared.messaging.queue_consumer import QueueConsumer
from shared.persistence.idempotency import CONTEXT_KEY as IDEMPOTENCY_KEY
from shared.trust.actor import CONTEXT_KEY as TOKEN_KEY
from shared.trust.actor import ServiceIdentity

REQUIRED, ABSENT, AUTO = "required", "absent", "auto"
PRESENCES = (REQUIRED, ABSENT, AUTO)


def presence(config: dict, key: str | None, default: str) -> str:
    """The peer's presence from config `key` (else `default`), checked."""
    mode = str((config.get(key) if key else None) or default).strip()
    if mode not in PRESENCES:
        raise ConfigurationError(f"{key}: {mode!r} is not one of {', '.join(PRESENCES)}",
                                 message_zh=f"{key} 设置为 {mode!r}，应为 {'、'.join(PRESENCES)}"
                                            "之一")
    return mode


class Directory(Protocol):
    """Which peers are deployed (PeerDirectory)."""

    def deployed(self, service: str) -> bool:
        ...


class _CallContext:
    """What nameko's method proxy reads of a worker: the container and the context data."""

    def __init__(self, container: Any, data: dict) -> None:
        self.container = container
        self.context_data = data


class PeerClient:
    """One peer as a worker calls it (module docstring)."""

    def __init__(self, peer: str, *, container: Any, reply_listener: Any, options: dict,
                 directory: Directory | None, mode: str, timeout: float,
                 identity: ServiceIdentity | None, caller_token: Any, label: str,
                 label_zh: str) -> None:
        self.peer = peer
        self.container = container
        self.reply_listener = reply_listener
        self.options = options
        self.directory = directory
        self.mode = mode
        self.timeout = timeout
        self.identity = identity
        self.caller_token = caller_token
        self.label = label
        self.label_zh = label_zh

    def deployed(self) -> bool:
        """Is the peer part of this deployment (its presence, module docstring)?"""
        if self.mode == REQUIRED:
            return True
        if self.mode == ABSENT or self.directory is None:
            return False
        return self.directory.deployed(self.peer)

    def call(self, method: str, *, acting_for: str, key: str | None = None,
             **request: Any) -> Any:
        """`method` of the peer as this service, acting for the agency `acting_for` (the
        request's own fields are `request`, an `agency` among them where the method takes one)."""
        if self.identity is None:
            raise ConfigurationError(
                f"{self._who()}: this service does not call it as itself (Peer(as_service=True))",
                message_zh=f"{self._who_zh()}：本服务未声明以自身身份调用该服务")
        token = self.identity.token(agency=acting_for, audience=self.peer)
        return self._send(token, method, key, request)

    def forward(self, method: str, *, key: str | None = None, **request: Any) -> Any:
        """`method` of the peer as the current caller, with the caller's own token."""
        return self._send(self.caller_token, method, key, request)

    def _send(self, token: Any, method: str, key: str | None, request: dict) -> Any:
        if not self.deployed():
            raise self._not_deployed(method)
        data = {TOKEN_KEY: token} if token else {}
        if key:
            data[IDEMPOTENCY_KEY] = key
        proxy = ServiceProxy(_CallContext(self.container, data), self.peer,
                             self.reply_listener, **self.options)
        try:
            reply = getattr(proxy, method).call_async(**request)
        except UnknownService:
            if self.mode == REQUIRED:
                raise self._unavailable(method, "is not consuming its RPC queue") from None
            raise self._not_deployed(method) from None
        try:
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except eventlet.Timeout:
            raise self._unavailable(method, f"did not answer within {self.timeout:g} s",
                                    f"未在{self.timeout:g}秒内响应") from None

    def _who(self) -> str:
        return f"{self.label} (service `{self.peer}`)"

    def _who_zh(self) -> str:
        return f"{self.label_zh}（{self.peer}）"

    def _unavailable(self, method: str, what: str, what_zh: str = "当前未运行") -> Unavailable:
        return Unavailable(f"{self._who()} {what}: {method} was not answered",
                           message_zh=f"{self._who_zh()}{what_zh}，{method} 未获答复",
                           details={"service": self.peer, "method": method, "retry": True})

    def _not_deployed(self, method: str) -> ServiceNotDeployed:
        return ServiceNotDeployed(
            f"{self._who()} is not deployed here: {method} cannot be called",
            message_zh=f"本部署未部署{self._who_zh()}，无法调用 {method}",
            details={"service": self.peer, "method": method, "presence": self.mode})


class ReplyListener(NamekoReplyListener):
    """nameko's listener for the replies to a service's own calls, on the consumer its
    entrypoints share (shared.messaging.queue_consumer): nameko's own would reconnect slowly
    after an outage and hold a stopping container until its broker came back."""
    queue_consumer = QueueConsumer()


class Peer(RpcProxy):
    """A peer service as a dependency (module docstring): `as_service` — this service calls it
    as itself (its caller key is loaded at start unless the peer is absent: a missing key stops
    the service, naming the file); `presence` — the config key of its presence, else
    `default_presence`; `label` — how an error names it to a person."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, service: str, *, as_service: bool = False, presence: str | None = None,
                 default_presence: str = AUTO, timeout: float = 30.0, label: str = "",
                 label_zh: str = "") -> None:
        super().__init__(service)
        self.as_service = as_service
        self.presence_key = presence
        self.default_presence = default_presence
        self.timeout = timeout
        self.label = label or f"service {service}"
        self.label_zh = label_zh or f"服务{service}"

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.mode = presence(config, self.presence_key, self.default_presence)
        self.directory = PeerDirectory(config[AMQP_URI_CONFIG_KEY])
        # a peer the deployment does not have is never called: no key needed for it
        self.identity = (ServiceIdentity.from_config(config, self.container.service_name)
                         if self.as_service and self.mode != ABSENT else None)

    def get_dependency(self, worker_ctx: Any) -> PeerClient:
        return PeerClient(self.target_service, container=self.container,
                          reply_listener=self.rpc_reply_listener, options=self.options,
                          directory=self.directory, mode=self.mode, timeout=self.timeout,
                          identity=self.identity,
                          caller_token=worker_ctx.data.get(TOKEN_KEY),
                          label=self.label, label_zh=self.label_zh)
