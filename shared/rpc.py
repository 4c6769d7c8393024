"""The `@rpc` entrypoint every service uses: nameko's, except for how the reply goes out —
without waiting for the broker's publisher confirm, serialised once, through a producer
pool the service keys once.

Why: nameko's `Responder` builds a confirming `Publisher` and a kombu `Connection` for
every reply and blocks the worker until RabbitMQ acknowledges it — a third of the record
keeper's CPU per append (bench/README.md). The confirm protects nothing a caller can rely
on: the reply goes to the caller's own reply queue, and the caller already has to cope with
a reply that never comes (its call times out) because the service may commit and die
before replying. What a request does is made durable by the service's own transaction (and
its events by the outbox, which still publishes under confirms), never by the reply.

The wire format is nameko's: `{"result": ..., "error": ...}` encoded as the request was,
`correlation_id` copied, an unserialisable result turned into `UnserializableValueError`,
the request acked after the reply is handed to the broker — with one difference that
callers in other languages need: a Sanxiang error's `exc_args[0]` keeps its JSON types
(`serialize_error`). All `@rpc` methods of one
service must come from here: the queue `rpc-<service>` is consumed by one `RpcConsumer`,
shared by the class that declares it.
"""
from __future__ import annotations

import inspect
import sys

import kombu.serialization
from kombu import Connection
from kombu.pools import producers
from nameko import rpc as nameko_rpc
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY, DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY, PERSISTENT,
)
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize

from shared.errors import SanxiangError, ValidationFailed
from shared.idempotency import REQUEST_ID_KEY


def serialize_error(exc: BaseException) -> dict:
    """nameko's error object (`exc_type`, `exc_path`, `exc_args`, `value`), except that a
    Sanxiang error's payload keeps its JSON types: nameko passes `exc_args` through `str()`
    for every value that is not a string, list or object, so a caller in another language
    would get `"None"`, `"3"` and `"True"` inside `details`."""
    error = serialize(exc)
    if isinstance(exc, SanxiangError):
        error["exc_args"] = [_json_value(exc.payload())]
    return error


def _json_value(value):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_value(item) for item in value]
    return str(value)  # dates, decimals…: their text, as nameko would


class Responder:
    """Publishes one reply, as nameko's Responder does (same body, properties, exchange,
    retry policy; the reply encoded as the request was), but serialised once and through
    a producer pool keyed once per service instead of on every reply — half the CPU of
    nameko's, which builds a Publisher and a kombu Connection per reply."""

    def __init__(self, connection: Connection, exchange, message):
        self.connection = connection
        self.exchange = exchange
        self.message = message

    def send_response(self, result, exc_info):
        error = None if exc_info is None else serialize_error(exc_info[1])
        properties = self.message.properties
        serializer = kombu.serialization.registry.type_to_name[properties["content_type"]]
        try:
            content_type, encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer)
        except Exception:
            # nameko's "disaster avoidance": an unserialisable result becomes an error
            # the caller can read, instead of a worker that cannot reply
            exc_info = sys.exc_info()
            error, result = serialize(UnserializableValueError(result)), None
            content_type, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer)
        with producers[self.connection].acquire(block=True) as producer:
            producer.publish(
                body, content_type=content_type, content_encoding=encoding,
                exchange=self.exchange, routing_key=properties["reply_to"],
                correlation_id=properties.get("correlation_id"), delivery_mode=PERSISTENT,
                retry=True, retry_policy=DEFAULT_RETRY_POLICY)
        return result, exc_info


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's consumer of `rpc-<service>`, replying through `Responder` above."""

    connection: Connection | None = None

    def setup(self):
        super().setup()
        config = self.container.config
        # its own transport options: nameko's Publisher mutates its class-level dict
        # (`confirm_publish`), which every Publisher subclass shares
        self.connection = Connection(
            config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            transport_options=dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=False))
        self.exchange = nameko_rpc.get_rpc_exchange(config)

    def handle_result(self, message, result, exc_info):
        result, exc_info = Responder(self.connection, self.exchange, message).send_response(
            result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()

    def unpack_message_headers(self, message):
        """nameko's context data, plus the request's own identity — its `correlation_id`,
        which a redelivery keeps — under REQUEST_ID_KEY: the idempotency key of a write
        whose caller sent none (shared.idempotency). Always this message's own, never a
        header's (a call made from a worker forwards its context)."""
        data = super().unpack_message_headers(message)
        data.pop(REQUEST_ID_KEY, None)
        request_id = message.properties.get("correlation_id")
        if request_id:
            data[REQUEST_ID_KEY] = request_id
        return data

    def check_signature(self, args, kwargs):
        """Arguments that do not fit the method are the caller's mistake, answered as
        validation_failed naming what was wrong — not nameko's IncorrectSignature, whose
        text is Python's. Our services' methods take keyword arguments only (`args` empty,
        `kwargs` an object) and a method without a request schema (health) takes none."""
        problems = {}
        if not isinstance(args, list):
            problems["args"] = ["must be a list"]
        if not isinstance(kwargs, dict):
            problems["kwargs"] = ["must be an object"]
        if not problems:
            try:
                super().check_signature(args, kwargs)
            except IncorrectSignature:
                problems = _misfit(getattr(self.container.service_cls, self.method_name),
                                   args, kwargs)
        if problems:
            raise ValidationFailed.from_messages(problems, what=f"{self.method_name} call")


def _misfit(fn, args: list, kwargs: dict) -> dict:
    """What of `args` and `kwargs` the method's parameters refuse, as field → rules."""
    params = list(inspect.signature(fn).parameters.values())[1:]  # without self
    kinds = {p.kind for p in params}
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    problems = {}
    if len(args) > len(positional) and inspect.Parameter.VAR_POSITIONAL not in kinds:
        problems["args"] = ["must be an empty list: methods take keyword arguments only"
                            if not positional else f"at most {len(positional)} items"]
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        problems.update({f"kwargs.{name}": ["Unknown field."]
                         for name in kwargs if name not in named})
    bound = {p.name for p in positional[:len(args)]} | set(kwargs)
    problems.update({f"kwargs.{p.name}": ["Missing data for required field."]
                     for p in params if p.default is p.empty
                     and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                     and p.name not in bound})
    return problems or {"args": ["do not fit the method's parameters"]}


rpc = Rpc.decorator
