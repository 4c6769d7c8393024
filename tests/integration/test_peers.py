"""Is a peer deployed? Asked of the real broker: no queue, a queue nobody consumes, a consumer
that comes up after the first answer (which must not be remembered as missing)."""
from __future__ import annotations

from kombu import Connection, Consumer, Queue

from shared.messaging.peers import PeerDirectory


def test_a_peer_counts_as_deployed_only_while_it_consumes_its_rpc_queue(rabbit_config):
    peers = PeerDirectory(rabbit_config["AMQP_URI"])
    assert peers.deployed("review") is False                 # no rpc-review queue at all
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        queue = Queue("rpc-review", durable=True)
        queue(conn.default_channel).declare()
        assert peers.deployed("review") is False             # a queue, nobody consuming
        with Consumer(conn.channel(), queues=[queue], callbacks=[lambda body, msg: None]):
            assert peers.deployed("review") is True          # it came up: seen at once
            assert peers.deployed("review") is True          # and remembered briefly
