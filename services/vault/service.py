"""nameko entrypoints of the archive vault: each goes through shared.service's `_run` / `_write`
— the actor authenticated, its role checked and the payload validated against the contract,
one use case run, the contract's response dumped, every refusal recorded in the vault log."""
from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from nameko.timer import timer
from nameko.web.handlers import http

from contracts.vault import CONTRACT
from services.vault import gauges, queries, store, usecases
from services.vault import http as web
from services.vault.dependencies import (
    DisclosurePublisher,
    IndexRenderer,
    RecordKeeper,
    VaultStores,
)
from services.vault.dependencies import health as stores_health
from services.vault.models import inbox as inbox_table
from services.vault.models import outbox as outbox_table
from services.vault.usecases import anchors
from shared.calendar.clock import now
from shared.errors import NotFound
from shared.messaging.consumer import event_handler
from shared.messaging.outbox import Outbox
from shared.messaging.retention import Retention
from shared.messaging.rpc import rpc
from shared.persistence.db import Database
from shared.service import Service
from shared.trust.keys import KeyStore

VERSION = "0.1.0"
# the fixity audit's tick; each tick audits its share of the cycle (VAULT_FIXITY_CYCLE_DAYS)
FIXITY_TICK_SECONDS = 600


class VaultService(Service):
    name = "vault"
    metrics_port = 9465  # `sanxiang run`'s METRICS_ADDRESS 127.0.0.1:9465
    contract = CONTRACT
    version = VERSION
    store = store
    _gauges = staticmethod(gauges.gauges)  # its own metrics (gauges.py)

    db = Database("services.vault:migrations")
    outbox = Outbox(CONTRACT, outbox_table)
    retention = Retention(outbox_table, inbox_table)  # published and handled rows pruned
    stores = VaultStores()
    config = Config()
    records = RecordKeeper()
    renderer = IndexRenderer()
    disclosure = DisclosurePublisher()

    @staticmethod
    def run_environment(running: list[str]) -> dict[str, str]:
        # whether the renderer is part of what runs here: each package's 卷内目录 rendered
        return {"INDEX_RENDERER": "required" if "renderer" in running else "absent"}

    def _deps(self) -> dict[str, Any]:
        return {"db": self.db, "rules": self.rules, "stores": self.stores, "now": now()}

    def _missing(self, request: dict) -> NotFound | None:
        return store.missing(request)

    def _health(self) -> dict:
        """The storage backend, retention mode and replica, the audit's cycle, and per agency
        the rule set its retention comes from."""
        return stores_health(self.stores, self.rules)

    @rpc
    def begin_upload(self, **payload: Any) -> Any:
        return self._write("begin_upload", payload, usecases.begin_upload)

    @rpc
    def complete_upload(self, **payload: Any) -> Any:
        return self._write("complete_upload", payload, usecases.complete_upload)

    @rpc
    def get_object(self, **payload: Any) -> Any:
        return self._run("get_object", payload, queries.get_object)

    @rpc
    def read_document(self, **payload: Any) -> Any:
        return self._run("read_document", payload, queries.read_document)

    @rpc
    def set_legal_hold(self, **payload: Any) -> Any:
        return self._write("set_legal_hold", payload, usecases.set_legal_hold)

    @rpc
    def request_disposal(self, **payload: Any) -> Any:
        return self._write("request_disposal", payload, usecases.request_disposal)

    @rpc
    def approve_disposal(self, **payload: Any) -> Any:
        return self._write("approve_disposal", payload, usecases.approve_disposal)

    @rpc
    def audit_fixity(self, **payload: Any) -> Any:
        return self._write("audit_fixity", payload, usecases.audit_fixity)

    @rpc
    def store_document(self, **payload: Any) -> Any:
        return self._write("store_document", payload, usecases.store_document)

    @rpc
    def store_attachment(self, **payload: Any) -> Any:
        return self._write("store_attachment", payload, usecases.store_attachment)

    @rpc
    def verify_package(self, **payload: Any) -> Any:
        return self._write("verify_package", payload, usecases.verify_package,
                           checkpoint_keys=self._checkpoint_keys())

    @event_handler("records", "archive_due.v1")
    def on_archive_due(self, body: dict) -> None:
        """A closed case's archive package (services.vault.usecases.package)."""
        usecases.on_archive_due(body, db=self.db, rules=self.rules, stores=self.stores,
                                outbox=self.outbox, records=self.records,
                                checkpoint_keys=self._checkpoint_keys(),
                                av_mode=self.config.get("VAULT_PACKAGE_AV") or "reference",
                                now=now(), renderer=self.renderer)

    @rpc
    def latest_checkpoint(self, **payload: Any) -> Any:
        return self._run("latest_checkpoint", payload, queries.latest_checkpoint)

    @rpc
    def latest_tree_head(self, **payload: Any) -> Any:
        return self._run("latest_tree_head", payload, queries.latest_tree_head)

    @rpc
    def checkpoint_keys(self, **payload: Any) -> Any:
        return self._run("checkpoint_keys", payload, anchors.checkpoint_keys,
                         configured=self._checkpoint_keys())

    @event_handler("records", "checkpoint_signed.v1")
    def on_checkpoint_signed(self, body: dict) -> None:
        """A case checkpoint kept write-once (services.vault.usecases.anchors)."""
        anchors.on_checkpoint_signed(body, db=self.db, rules=self.rules, stores=self.stores,
                                     outbox=self.outbox, configured=self._checkpoint_keys(),
                                     now=now())

    @event_handler("records", "tree_head_signed.v1")
    def on_tree_head_signed(self, body: dict) -> None:
        """A tree head of an agency's log of checkpoints kept write-once."""
        anchors.on_tree_head_signed(body, db=self.db, stores=self.stores, outbox=self.outbox,
                                    records=self.records, configured=self._checkpoint_keys(),
                                    now=now())

    def _checkpoint_keys(self, signer: str = "records") -> dict:
        """The signer's checkpoint keys as published to this deployment (pinned): the record
        keeper's, or the disclosure publisher's log key."""
        return KeyStore.from_config(self.config).checkpoint_verification_keys(signer)

    @http("PUT", "/vault/uploads/<upload_id>")
    def upload(self, request: Any, upload_id: str) -> Any:
        """The local store's upload endpoint: the bytes of an open upload, streamed in."""
        return web.receive(request, upload_id, db=self.db, stores=self.stores, now=now())

    @timer(interval=FIXITY_TICK_SECONDS)
    def audit(self) -> dict:
        """The fixity audit's rolling cycle: each tick its share of every agency's objects."""
        return usecases.audit_tick(db=self.db, stores=self.stores, outbox=self.outbox,
                                   now=now(), tick_seconds=FIXITY_TICK_SECONDS)

    # ---- the disclosure publisher's tree heads (usecases.anchors, source disclosure) ----

    @event_handler("disclosure", "tree_head_signed.v1")
    def on_disclosure_tree_head_signed(self, body: dict) -> None:
        """A tree head of an agency's log of public acts kept write-once, as the record
        keeper's are."""
        anchors.on_tree_head_signed(body, db=self.db, stores=self.stores, outbox=self.outbox,
                                    records=self.disclosure,
                                    configured=self._checkpoint_keys("disclosure"), now=now(),
                                    source="disclosure")
