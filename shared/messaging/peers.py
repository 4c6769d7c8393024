"""Is a peer service deployed? A service is there when its RPC queue (``rpc-<name>``) exists
and has a consumer. Used so that a missing peer gives a clear error naming it, never a hang."""
from __future__ import annotations

import time

from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider


class PeerDirectory:
    ttl_seconds = 5.0

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self._seen: dict[str, float] = {}

    def deployed(self, service: str) -> bool:
        # Only a "yes" is remembered (briefly): a peer that was still starting a moment ago
        # must not be reported missing for seconds after it came up.
        seen = self._seen.get(service)
        if seen is not None and time.monotonic() - seen < self.ttl_seconds:
            return True
        answer = self._probe(service)
        if answer:
            self._seen[service] = time.monotonic()
        else:
            self._seen.pop(service, None)
        return answer

    def _probe(self, service: str) -> bool:
        with Connection(self.amqp_uri, connect_timeout=5) as conn:
            channel = conn.channel()
            try:
                _, _, consumers = channel.queue_declare(f"rpc-{service}", passive=True)
            except conn.channel_errors:  # 404: no such queue, the service never ran here
                return False
            finally:
                try:
                    channel.close()
                except conn.channel_errors + conn.connection_errors:
                    pass
            return consumers > 0


class Peers(DependencyProvider):
    def setup(self):
        self.directory = PeerDirectory(self.container.config[AMQP_URI_CONFIG_KEY])

    def get_dependency(self, worker_ctx):
        return self.directory
