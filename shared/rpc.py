"""The `@rpc` entrypoint every service uses: nameko's, except that the reply is published
without waiting for the broker's publisher confirm.

Why: nameko's `Responder` builds a confirming `Publisher` for every reply and blocks the
worker until RabbitMQ acknowledges it — a third of the record keeper's CPU per append
(bench/README.md). The confirm protects nothing a caller can rely on: the reply goes to
the caller's own exclusive, non-durable reply queue, and the caller already has to cope
with a reply that never comes (its call times out) because the service may commit and die
before replying; a confirmed reply to a caller that has gone is dropped by the broker all
the same. What the request does is made durable by the service's own transaction (and its
events by the outbox, which still publishes under confirms), never by the reply.

Everything else is nameko's: the request is acked after the reply is handed to the
broker, an unserialisable result becomes `UnserializableValueError`, errors travel as
nameko serialises them. All `@rpc` methods of one service must come from here: the queue
`rpc-<service>` is consumed by one `RpcConsumer`, shared by the class that declares it.
"""
from __future__ import annotations

from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)


class ReplyPublisher(Publisher):
    use_confirms = False


class Responder(nameko_rpc.Responder):
    publisher_cls = ReplyPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's consumer of `rpc-<service>`, replying through `Responder` above."""

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = Responder(
            config[AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
