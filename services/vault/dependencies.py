"""The vault's own dependency: its stores (services.vault.storage.config), opened once per
service container from its config."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.vault.storage.config import Stores, open_stores


class VaultStores(DependencyProvider):
    def __init__(self) -> None:
        self.stores: Stores | None = None

    def setup(self) -> None:
        self.stores = open_stores(dict(self.container.config))

    def get_dependency(self, worker_ctx) -> Stores | None:
        return self.stores
