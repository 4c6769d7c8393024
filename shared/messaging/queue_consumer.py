"""The consumer every service's RPC and event entrypoints share: nameko 2.14's QueueConsumer,
made to outlive any number of broker outages.

Why: nameko's QueueConsumer reconnects after a lost connection (kombu's ConsumerMixin), but
two things around it are not built for an outage. Its ``ack_message``/``requeue_message``
ignore only py-amqp's own ``ConnectionError``: a worker that settles its message while the
socket is already broken (the broker went away between the message and its ack) raises
``ConnectionResetError`` or ``BrokenPipeError`` instead, and any error escaping a worker thread
makes nameko kill the container, which never comes back by itself. And it waits up to 30 s
between reconnection attempts (kombu's default back-off), so a service came back long after
its broker did. Here a message that cannot be settled is left to the broker (it redelivers
every unacknowledged message of a lost connection), reconnection is retried every second,
at most every five, and a container killed or stopped while its broker is away no longer
waits for it.

It also lets an entrypoint take the message undecoded (``handle_raw_message``): kombu's own
decoding acks a body it cannot decode and drops it without a word, where the RPC entrypoint
must answer the caller and dead-letter the request (shared.messaging.rpc).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import partial
from typing import Any

from amqp.exceptions import ConnectionError as AmqpConnectionError
from nameko import messaging

log = logging.getLogger(__name__)

# What settling a message on a broken connection raises: py-amqp's own errors and the socket's.
SETTLE_ERRORS = (AmqpConnectionError, OSError)

# kombu's ensure_connection back-off (seconds): first retry, step, longest wait.
RECONNECT_BACKOFF = (1, 1, 5)


class QueueConsumer(messaging.QueueConsumer):
    """nameko's QueueConsumer (module docstring)."""

    # nameko's and kombu's own attributes, typed for the code below
    should_stop: bool
    _pending_remove_providers: dict[Any, Any]
    _consumers: dict[Any, Any]

    def ack_message(self, message):
        self._settle(message, "ack")

    def requeue_message(self, message):
        self._settle(message, "requeue")

    def _settle(self, message, how: str) -> None:
        # a message whose channel is gone was already given back by the broker
        if not message.channel.connection:
            return
        try:
            getattr(message, how)()
        except SETTLE_ERRORS as exc:
            log.warning("could not %s message %s (%s): the broker redelivers it once the "
                        "connection is back", how, message.delivery_info.get("routing_key"),
                        exc)

    @contextmanager
    def establish_connection(self):
        start, step, longest = RECONNECT_BACKOFF
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=start, interval_step=step,
                                   interval_max=longest, callback=self._unless_killed)
            yield conn

    def _unless_killed(self):
        """Called every second while reconnecting: a container killed or stopped while its
        broker is away stops waiting for it (nameko's would wait forever)."""
        self._release_removed_providers()
        if self.should_stop:
            raise messaging.QueueConsumerStopped()

    def _release_removed_providers(self) -> None:
        """An entrypoint unregistering (the container stopping) waits until the consumer
        thread cancels its consumer, which nameko does only between messages — never while the
        thread is reconnecting, so a container stopped while its broker was away waited for the
        broker. With no connection the consumers are gone already: let the entrypoints go, and
        once none is left stop reconnecting."""
        pending, self._pending_remove_providers = self._pending_remove_providers, {}
        for provider, removed in pending.items():
            self._consumers.pop(provider, None)
            removed.send()
        if pending and not self._consumers:
            self.should_stop = True

    def get_consumers(self, consumer_cls, channel):
        """nameko's, except that a provider with ``handle_raw_message(message)`` gets the
        message undecoded, in a thread of its own."""
        consumers = super().get_consumers(consumer_cls, channel)
        for provider in self._providers:
            if hasattr(provider, "handle_raw_message"):
                consumer = self._consumers[provider]
                consumer.callbacks = []
                consumer.on_message = partial(self._handle_raw_message, provider)
        return consumers

    def _handle_raw_message(self, provider, message):
        ident = "{}.handle_raw_message[{}]".format(
            type(provider).__name__, message.delivery_info.get("routing_key"))
        self.container.spawn_managed_thread(
            partial(provider.handle_raw_message, message), identifier=ident)
