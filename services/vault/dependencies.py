"""The vault's own dependencies: its stores (services.vault.storage.config), opened once per
service container from its config, and what `health` says of them and of the retention rules
each agency's objects are kept under; the record keeper and the renderer, called as the vault
itself."""
from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.vault.storage.config import Stores, open_stores
from shared.messaging.calls import AUTO, REQUIRED, Peer, PeerClient
from shared.rulesets.provider import Rules


class VaultStores(DependencyProvider):
    def __init__(self) -> None:
        self.stores: Stores | None = None

    def setup(self) -> None:
        self.stores = open_stores(dict(self.container.config))

    def get_dependency(self, worker_ctx) -> Stores | None:
        return self.stores


# ---- the record keeper, as the case archive package calls it -----------------------------------

class RecordsClient:
    """services.vault.usecases.package.RecordKeeper: the record keeper called as the vault
    itself — a service token minted for each call, bound to the agency the call acts for
    (shared.messaging.calls); records' contract grants "service:vault" the methods the package
    needs. A write goes with its idempotency key; no answer within the timeout, or a record
    keeper not running, is Unavailable naming it and the method."""

    def __init__(self, peer: PeerClient) -> None:
        self.peer = peer

    def call(self, agency: str, method: str, *, key: str | None = None, **request: Any) -> Any:
        return self.peer.call(method, acting_for=agency, key=key, **request)


class RecordKeeper(Peer):
    """The record keeper is part of every deployment the vault is in (presence required)."""

    def __init__(self) -> None:
        super().__init__("records", as_service=True, default_presence=REQUIRED, timeout=30.0,
                         label="the record keeper", label_zh="记录保管服务")

    def get_dependency(self, worker_ctx: Any) -> RecordsClient:  # type: ignore[override]
        return RecordsClient(super().get_dependency(worker_ctx))


class DisclosurePublisher(Peer):
    """The disclosure publisher, whose tree heads the vault keeps and of which it asks a
    consistency proof between two heads handled out of order (consistency_proof grants
    "service:vault"); in a deployment without it no such head arrives."""

    def __init__(self) -> None:
        super().__init__("disclosure", as_service=True, default_presence=AUTO, timeout=30.0,
                         label="the disclosure publisher", label_zh="行政执法公示服务")

    def get_dependency(self, worker_ctx: Any) -> RecordsClient:  # type: ignore[override]
        return AgencyNamed(super().get_dependency(worker_ctx))


class AgencyNamed(RecordsClient):
    """A peer whose RPCs name the agency in their request as well (the disclosure
    publisher's consistency_proof): the agency the call acts for, put into the request."""

    def call(self, agency: str, method: str, *, key: str | None = None, **request: Any) -> Any:
        return self.peer.call(method, acting_for=agency, key=key, agency=agency, **request)


class IndexRenderer(Peer):
    """The renderer, which renders each case package's 卷内目录 (template case_file_index) for
    the vault calling it as itself (renderer.render grants "service:vault"). Config
    INDEX_RENDERER: `required` — it is part of this deployment, so a renderer down for a moment
    makes the package wait (the event retried), never archived without its rendered index;
    `absent` — it is not, the index is JSON and CSV and the report says so; `auto` — whether a
    renderer consumes its RPC queue now."""

    def __init__(self) -> None:
        super().__init__("renderer", as_service=True, presence="INDEX_RENDERER",
                         default_presence=AUTO, timeout=120.0, label="the document renderer",
                         label_zh="文书生成服务")

    def get_dependency(self, worker_ctx: Any) -> RecordsClient:  # type: ignore[override]
        return RecordsClient(super().get_dependency(worker_ctx))


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
