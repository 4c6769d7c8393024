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
        self._seen: dict[str, tuple[float, bool]] = {}

    def deployed(self, service: str) -> bool:
        hit = self._seen.get(service)
        if hit and time.monotonic() - hit[0] < self.ttl_seconds:
            return hit[1]
        answer = self._probe(service)
        self._seen[service] = (time.monotonic(), answer)
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
