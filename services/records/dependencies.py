"""The record keeper's own provider: the Ed25519 key that signs chain checkpoints."""
from nameko.extensions import DependencyProvider

from shared.keys import KeyStore


class SigningKey(DependencyProvider):
    def setup(self):
        self.key = KeyStore.from_config(self.container.config).checkpoint_key(self.container.service_name).key

    def get_dependency(self, worker_ctx):
        return self.key
