"""The vault's own dependency: its stores (services.vault.storage.config), opened once per
service container from its config, and what `health` says of them and of the retention rules
each agency's objects are kept under."""
from __future__ import annotations

from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, ServiceProxy

from services.vault.storage.config import Stores, open_stores
from shared.errors import ConfigurationError, Unavailable
from shared.rulesets.provider import Rules
from shared.trust.actor import CONTEXT_KEY


class VaultStores(DependencyProvider):
    def __init__(self) -> None:
        self.stores: Stores | None = None

    def setup(self) -> None:
        self.stores = open_stores(dict(self.container.config))

    def get_dependency(self, worker_ctx) -> Stores | None:
        return self.stores


# ---- the record keeper, as the case archive package calls it -----------------------------------

class _CallContext:
    """What a nameko method proxy reads of a worker: the container and the context data."""

    def __init__(self, container: Any, data: dict) -> None:
        self.container = container
        self.context_data = data


def records_tokens(config: dict) -> dict[str, str]:
    """VAULT_RECORDS_TOKENS: the vault's actor token per agency for the record keeper (role
    legal_unit, minted by `sanxiang token issue`) — a mapping, or `agency=token` pairs
    separated by spaces or commas."""
    raw = config.get("VAULT_RECORDS_TOKENS") or {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    pairs = [p for p in str(raw).replace(",", " ").split() if p]
    return dict(p.split("=", 1) for p in pairs if "=" in p)


class RecordsClient:
    """services.vault.usecases.package.RecordKeeper over nameko RPC: each call with the
    agency's token (and an idempotency key for a write), answered within `timeout` seconds or
    raised as Unavailable — as is a record keeper not deployed."""

    timeout = 30.0

    def __init__(self, container: Any, reply_listener: Any, options: dict,
                 tokens: dict[str, str]) -> None:
        self.container = container
        self.reply_listener = reply_listener
        self.options = options
        self.tokens = tokens

    def call(self, agency: str, method: str, *, key: str | None = None, **request: Any) -> Any:
        token = self.tokens.get(agency)
        if not token:
            raise ConfigurationError(f"no token of agency {agency!r} for the record keeper "
                                     "(VAULT_RECORDS_TOKENS)",
                                     message_zh=f"未配置机构{agency}调用记录保管服务的令牌"
                                                "（VAULT_RECORDS_TOKENS）")
        data = {CONTEXT_KEY: token, **({"idempotency_key": key} if key else {})}
        proxy = ServiceProxy(_CallContext(self.container, data), "records",
                             self.reply_listener, **self.options)
        try:
            reply = getattr(proxy, method).call_async(**request)
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except (eventlet.Timeout, UnknownService):
            raise Unavailable(f"the record keeper (service `records`) did not answer "
                              f"{method} within {self.timeout:g} s",
                              message_zh=f"记录保管服务（records）未在{self.timeout:g}秒内响应"
                                         f"{method}",
                              details={"service": "records", "method": method,
                                       "retry": True}) from None


class RecordKeeper(RpcProxy):
    def __init__(self) -> None:
        super().__init__("records")

    def get_dependency(self, worker_ctx: Any) -> RecordsClient:
        return RecordsClient(self.container, self.rpc_reply_listener, self.options,
                             records_tokens(dict(self.container.config)))


def health(stores: Stores, rules: Rules) -> dict[str, Any]:
    """The storage backend, its retention mode and replica, how often every object is checked,
    and per agency served the rule set its retention comes from (its classes, the archives
    term its case files take, the digests recorded) — no path, bucket or endpoint: `health` is
    open to any caller."""
    retention = {}
    for code, agency in sorted(rules.agencies.items()):
        section = agency.ruleset.section("retention")
        term = section.get("archives_term")
        digests = section.get("digests")
        retention[code] = {
            "ruleset": agency.ruleset.ref,
            "classes": [c["code"] for c in section.get("classes", [])],
            "archives_term": term["value"] if term else None,
            "digests": list(digests["value"]) if digests else ["sha256"]}
    return {"store": stores.primary.kind, "retention_mode": stores.mode,
            "replica": stores.replica.kind if stores.replica is not None else None,
            "fixity_cycle_days": stores.fixity_cycle_days, "retention": retention}
