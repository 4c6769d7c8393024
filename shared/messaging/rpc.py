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

The wire format is nameko's: `{"result": ..., "error": ...}` in JSON (the only content type a
request may have), `correlation_id` copied, an unserialisable result turned into
`UnserializableValueError`, the request acked after the reply is handed to the broker — with
two differences that callers in other languages need: a Sanxiang error's `exc_args[0]` keeps
its JSON types (`serialize_error`), and an unknown method is a `bad_request` error like any
request that cannot be run (below), not nameko's `MethodNotFound`. All `@rpc` methods of one
service must come from here: the queue `rpc-<service>` is consumed by one `RpcConsumer`,
shared by the class that declares it.

Two things nameko leaves to chance are settled here. A request that cannot be read — not
UTF-8 JSON, not `{"args": [...], "kwargs": {...}}`, without `reply_to` or `correlation_id`,
for a method the service does not have — is answered with a `bad_request` error whenever
`reply_to` allows, dead-lettered to `dlq.<service>` with the reason, and acked: never run,
never requeued (nameko raised KeyError on it in the reply path, which killed the container on
every redelivery, or kombu acked it unanswered). And a reply the broker cannot take (it went
away while the worker ran) is logged and the request left unacknowledged, so the broker
redelivers it once it is back, instead of the error killing the container.
"""
from __future__ import annotations

import inspect
import logging
import sys

import kombu.serialization
from kombu import Connection
from kombu.pools import producers
from nameko import rpc as nameko_rpc
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    PERSISTENT,
)
from nameko.exceptions import (
    IncorrectSignature,
    MethodNotFound,
    UnserializableValueError,
    serialize,
)

from shared.errors import CLIENT_ERRORS, BadRequest, SanxiangError, ValidationFailed
from shared.messaging.body import Unreadable, is_utf8, read_json
from shared.messaging.consumer import (
    DeadLetters,
    delivery_limit,
    past_delivery_limit,
)
from shared.messaging.queue_consumer import QueueConsumer
from shared.persistence.idempotency import REQUEST_ID_KEY

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"
# Deeper JSON than any contract has (a few levels) is refused before it reaches a schema:
# recursive validation and serialisation would exhaust the interpreter's stack on it.
MAX_DEPTH = 64


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
    retry policy; JSON, as every request is), but serialised once and through
    a producer pool keyed once per service instead of on every reply — half the CPU of
    nameko's, which builds a Publisher and a kombu Connection per reply."""

    def __init__(self, connection: Connection, exchange, message):
        self.connection = connection
        self.exchange = exchange
        self.message = message

    def send_response(self, result, exc_info):
        error = None if exc_info is None else serialize_error(exc_info[1])
        properties = self.message.properties
        # every reply is JSON, a refused request's too: the only type a request may have
        # (decode_request), whatever one claimed
        serializer = "json"
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


def decode_request(message) -> dict:
    """The request's body `{"args": [...], "kwargs": {...}}`, or BadRequest naming what is
    wrong with it: the properties a reply needs, the content type and encoding, UTF-8, JSON,
    nesting, the body's shape."""
    problems = _envelope_problems(message)
    if problems:
        raise _bad(problems)
    try:
        body = read_json(message.body, max_depth=MAX_DEPTH)
    except Unreadable as exc:
        raise _bad({"body": [_unreadable(exc)]}) from None
    if not isinstance(body, dict):
        raise _bad({"body": [('must be an object {"args": [...], "kwargs": {...}}',
                              '应为对象 {"args": [...], "kwargs": {...}}')]})
    problems = _shape_problems(body)
    if problems:
        raise _bad(problems)
    return body


# each rule a request broke, as (English, Chinese): details keep the English, message_zh the other
Problems = dict[str, list[tuple[str, str]]]


def _envelope_problems(message) -> Problems:
    """What the message's properties lack: the reply's address, JSON in UTF-8."""
    properties = message.properties
    problems: Problems = {}
    for name in ("reply_to", "correlation_id"):
        if not isinstance(properties.get(name), str) or not properties.get(name):
            problems[name] = [("missing: the reply is addressed by it", "缺失：回复依据它寻址")]
    content_type = message.content_type
    if content_type != CONTENT_TYPE:
        problems["content_type"] = [(f"must be {CONTENT_TYPE}, not {content_type!r}",
                                     f"应为 {CONTENT_TYPE}，而不是 {content_type!r}")]
    encoding = message.content_encoding
    if not is_utf8(encoding):
        problems["content_encoding"] = [(f"must be utf-8, not {encoding!r}",
                                         f"应为 utf-8，而不是 {encoding!r}")]
    return problems


def _unreadable(exc: Unreadable) -> tuple[str, str]:
    if exc.problem == "utf8" and isinstance(exc.cause, UnicodeDecodeError):
        return (f"is not valid UTF-8 (byte {exc.cause.start})",
                f"不是有效的 UTF-8（第 {exc.cause.start} 字节）")
    if exc.problem == "depth":
        return f"nests deeper than {MAX_DEPTH} levels", f"嵌套超过 {MAX_DEPTH} 层"
    return f"is not JSON: {exc.cause}", f"不是 JSON：{exc.cause}"


_UNKNOWN, _MISSING = ("unknown field", "未知字段"), ("missing", "缺失")


def _shape_problems(body: dict) -> Problems:
    problems: Problems = {key: [_UNKNOWN] for key in sorted(set(body) - {"args", "kwargs"})}
    if not isinstance(body.get("args"), list):
        problems["args"] = [("must be a list", "应为列表") if "args" in body else _MISSING]
    if not isinstance(body.get("kwargs"), dict):
        problems["kwargs"] = [("must be an object", "应为对象") if "kwargs" in body else _MISSING]
    return problems


def _bad(problems: Problems) -> BadRequest:
    summary = "; ".join(f"{key}: {', '.join(en for en, _ in rules)}"
                        for key, rules in problems.items())
    summary_zh = "；".join(f"{key}：{'，'.join(zh for _, zh in rules)}"
                          for key, rules in problems.items())
    return BadRequest(f"cannot read the request: {summary}",
                      message_zh=f"{BadRequest.message_zh}：{summary_zh}",
                      details={key: [en for en, _ in rules] for key, rules in problems.items()})


def reply_connection_name(service: str) -> str:
    """The name a service's reply connection gives the broker (its `connection_name`)."""
    return f"{service} rpc replies"


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's consumer of `rpc-<service>`, decoding requests itself (decode_request) and
    replying through `Responder` above."""

    queue_consumer = QueueConsumer()  # survives broker outages (shared.messaging.queue_consumer)
    connection: Connection | None = None

    def setup(self):
        super().setup()
        config = self.container.config
        # its own transport options: nameko's Publisher mutates its class-level dict
        # (`confirm_publish`), which every Publisher subclass shares. Named, so that an operator
        # (and a test) finds the replies' connection in the broker's management UI.
        self.connection = Connection(
            config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            transport_options=dict(
                DEFAULT_TRANSPORT_OPTIONS, confirm_publish=False,
                client_properties={"connection_name": reply_connection_name(
                    self.container.service_name)}))
        self.exchange = nameko_rpc.get_rpc_exchange(config)
        self.dead_letters = DeadLetters(config, self.container.service_name)
        self.delivery_limit = delivery_limit(config)

    def handle_raw_message(self, message):
        """Every request, undecoded (shared.messaging.queue_consumer), in a thread of its own: an
        error escaping it would kill the container. A request back more often than the delivery
        limit allows (it stopped the service each time) is refused without running again."""
        poisoned = past_delivery_limit(message, self.delivery_limit)
        if poisoned:
            self.refuse(message, poisoned)
            return
        try:
            body = decode_request(message)
        except BadRequest as exc:
            self.refuse(message, exc)
            return
        except Exception as exc:  # whatever a hostile message finds: refused all the same
            log.exception("could not decode a request")
            self.refuse(message, BadRequest(f"cannot read the request: {exc}",
                                            message_zh=f"请求无法解析：{exc}",
                                            details={"body": ["cannot be read"]}))
            return
        self.handle_message(body, message)

    def handle_message(self, body, message):
        try:
            self.get_provider_for_method(message.delivery_info["routing_key"])
        except MethodNotFound:
            method = str(message.delivery_info["routing_key"]).split(".", 1)[-1]
            self.refuse(message, BadRequest(
                f"{self.container.service_name} has no method {method!r}",
                message_zh=f"{self.container.service_name} 没有方法 {method!r}",
                details={"method": [f"unknown: {method!r}"]}))
            return
        super().handle_message(body, message)

    def refuse(self, message, exc: SanxiangError) -> None:
        """Dead-letter a request that cannot be run, answer it where `reply_to` allows, ack
        it. If even the dead letter cannot be published the broker is in trouble: the request
        is requeued once, to be refused again when the broker is back."""
        service = self.container.service_name
        try:
            self.dead_letters.send(message, reason=str(exc), error=type(exc).__name__,
                                   handler=f"{service}.rpc")
        except Exception:
            if not message.delivery_info.get("redelivered"):
                log.exception("could not dead-letter a bad request; requeueing it once")
                self.queue_consumer.requeue_message(message)
                return
            log.exception("could not dead-letter a bad request a second time; dropping it: "
                          "%s", exc)
        if message.properties.get("reply_to"):
            self._reply(message, None, (type(exc), exc, None))
        self.queue_consumer.ack_message(message)

    def handle_result(self, message, result, exc_info):
        sent, result, exc_info = self._reply(message, result, exc_info)
        if sent:
            self.queue_consumer.ack_message(message)
        elif message.channel.connection and not message.delivery_info.get("redelivered"):
            # the consumer's connection is fine, only the reply failed: once more
            self.queue_consumer.requeue_message(message)
        elif message.channel.connection:
            self.queue_consumer.ack_message(message)
        # else the broker went away: it redelivers the unacknowledged request when back
        return result, exc_info

    def _reply(self, message, result, exc_info):
        """(sent, result, exc_info): a reply the broker cannot take is logged, never raised —
        an error escaping a worker would kill the container."""
        try:
            assert self.connection is not None, "setup opens the connection"
            result, exc_info = Responder(self.connection, self.exchange, message).send_response(
                result, exc_info)
        except Exception as exc:
            log.error("could not reply to %s (correlation id %s): %s; the request is left to "
                      "the broker to redeliver", message.delivery_info.get("routing_key"),
                      message.properties.get("correlation_id"), exc)
            return False, result, exc_info
        return True, result, exc_info


class ExpectedErrorsAtInfo(logging.Filter):
    """nameko logs a worker's expected exception (the entrypoint's `expected_exceptions`) as
    a WARNING with its traceback; a caller's mistake — a validation failure, a refusal, an
    unknown id — is no fault of the service: one line at INFO, naming the error, no
    traceback. Everything else nameko logs passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "(expected) error handling worker %s: %s":
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.msg = "refused %s: %s"
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


EXPECTED_AT_INFO = ExpectedErrorsAtInfo()


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()

    def __init__(self, expected_exceptions=CLIENT_ERRORS, **kwargs):
        """Every method expects the caller's mistakes (shared.errors.CLIENT_ERRORS), which are
        logged at INFO without a traceback (ExpectedErrorsAtInfo)."""
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def setup(self):
        super().setup()
        # once per process: addFilter ignores a filter already there
        logging.getLogger("nameko.containers").addFilter(EXPECTED_AT_INFO)

    def unpack_message_headers(self, message):
        """nameko's context data, plus the request's own identity — its `correlation_id`,
        which a redelivery keeps — under REQUEST_ID_KEY: the idempotency key of a write
        whose caller sent none (shared.persistence.idempotency). Always this message's own, never a
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
        `kwargs` an object) and a method without a request schema (health) takes none. That
        `args` is a list and `kwargs` an object, decode_request has made sure already."""
        try:
            super().check_signature(args, kwargs)
        except IncorrectSignature:
            problems = _misfit(getattr(self.container.service_cls, self.method_name),
                               args, kwargs)
            raise ValidationFailed.from_messages(problems,
                                                 what=f"{self.method_name} call") from None


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
