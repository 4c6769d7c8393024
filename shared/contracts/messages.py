"""The JSON Schema and the example of every message a contract defines (RPC kwargs, RPC result,
event envelope), plus the nameko RPC reply/error shapes. Examples use fixed ids and times so
every export of an unchanged contract is byte-for-byte the same; example events are signed with
a published example key (Ed25519 signatures are deterministic), so an implementer can test a
verifier against them."""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import serialize

from shared.contracts.jsonschema import DRAFT, schema_to_json
from shared.contracts.registry import Contract, Envelope, Event, Rpc, envelope
from shared.errors import SanxiangError
from shared.trust.keys import SigningKey, key_id, public_key_pem
from shared.trust.signatures import sign

EXAMPLE_NAMESPACE = uuid.UUID("5a9c1f3e-6b1d-4c0e-9a57-3f1e2d7c8b40")
EXAMPLE_OCCURRED_AT = datetime(2025, 1, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))
EXAMPLE_AGENCY = "example-agency"
EXAMPLE_ACTOR = {"id": "officer-0001", "role": "officer", "name": "张三"}
EXAMPLE_RULESET = "example-agency@1"

# The key the example events are signed with. Its private half is public (derived from this
# text), so it proves nothing about who wrote an example: it exists only so that a verifier
# can be tested against the examples. Its public half is exported as EXAMPLE_EVENT_KEY_FILE.
_EXAMPLE_SEED = hashlib.sha256(b"sanxiang example event key - not a deployment key").digest()
_example_private = Ed25519PrivateKey.from_private_bytes(_EXAMPLE_SEED)
EXAMPLE_EVENT_KEY = SigningKey(_example_private, key_id(_example_private.public_key()), "example")
EXAMPLE_EVENT_KEY_PEM = public_key_pem(_example_private)
EXAMPLE_EVENT_KEY_FILE = f"examples/event-key.{EXAMPLE_EVENT_KEY.kid}.pem"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Same shape as shared.trust.actor.TokenIssuer.issue() (a JWT signed with EdDSA); the key id and the
# signature are placeholders.
EXAMPLE_ACTOR_TOKEN = ".".join(_b64(json.dumps(part, ensure_ascii=False, separators=(",", ":"))
                                    .encode()) for part in (
    {"alg": "EdDSA", "kid": "0123456789abcdef", "typ": "JWT"},
    {"iss": "sanxiang", "sub": "officer-0001", "role": "officer", "agency": "example-agency",
     "name": "张三", "iat": 1736127000, "exp": 1736155800})) + "." + _b64(bytes(64))


def example_id(*parts: str) -> str:
    return str(uuid.uuid5(EXAMPLE_NAMESPACE, "/".join(parts)))


def request_schema(contract: Contract, rpc: Rpc) -> dict:
    """What goes in the request body's ``kwargs``."""
    body = schema_to_json(rpc.request, mode="load")
    return _top(body, f"{contract.service}.{rpc.name} request (kwargs)", rpc.summary)


def response_schema(contract: Contract, rpc: Rpc) -> dict:
    """What comes back in the reply's ``result``."""
    if rpc.response is None:
        body: dict = {"type": "null"}
    else:
        # The service produces results with dump(), so describe what dump() emits.
        body = schema_to_json(rpc.response, mode="dump")
        if rpc.many:
            body = {"type": "array", "items": body}
    return _top(body, f"{contract.service}.{rpc.name} response (result)", rpc.summary)


def event_schema(contract: Contract, event: Event) -> dict:
    """The whole event message: the envelope with ``data`` narrowed to this event's schema."""
    body = schema_to_json(Envelope, mode="load")
    props = body["properties"]
    props["contract"] = {**props["contract"], "const": contract.service}
    props["event_type"] = {**props["event_type"], "const": event.type}
    props["data"] = schema_to_json(event.schema, mode="dump")
    return _top(body, f"{contract.service} event {event.type}", event.summary)


def component_schema(contract: Contract, name: str, schema) -> dict:
    """A named schema a request refers to by name (e.g. content.<record_type>)."""
    return _top(schema_to_json(schema, mode="load"), f"{contract.service} component {name}", None)


def _top(body: dict, title: str, description: str | None) -> dict:
    out = {"$schema": DRAFT, **body, "title": title}
    if description:
        out["description"] = description
    return out


def event_example(contract: Contract, event: Event) -> dict:
    body = envelope(contract, event.type, event.example, agency=EXAMPLE_AGENCY, actor=EXAMPLE_ACTOR,
                    ruleset=EXAMPLE_RULESET, message_id=example_id(contract.service, event.type),
                    occurred_at=EXAMPLE_OCCURRED_AT)
    return json.loads(sign(body, EXAMPLE_EVENT_KEY))  # what a consumer receives


def error_classes() -> dict[str, type[SanxiangError]]:
    """Every imported SanxiangError subclass by code and by class name."""
    found: dict[str, type[SanxiangError]] = {}
    pending = [SanxiangError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        found.setdefault(cls.__name__, cls)
        pending.extend(sorted(cls.__subclasses__(), key=lambda c: c.__qualname__))
    return found


def rpc_errors(rpc: Rpc) -> list[tuple[str, type[SanxiangError] | None]]:
    """(code, class) for each error the RPC declares; the class is None if none is imported."""
    known = error_classes()
    out = []
    for name in rpc.errors + _always(rpc):
        cls = known.get(name)
        out.append((cls.code if cls else name, cls))
    return out


def _always(rpc: Rpc) -> tuple[str, ...]:
    """What every entrypoint may answer, whatever the method declares: a request that
    cannot be read (shared.messaging.rpc: bad_request), arguments that are not the request schema's
    keywords (validation_failed), a passing fault to retry and a fault of the service
    (shared.service.faults); where it takes an actor token (shared.service.entrypoint.handle), a
    missing or bad token, a role or agency refused; and where it writes, a caller's idempotency key
    reused for another request (shared.persistence.idempotency)."""
    guarded = () if is_open(rpc) else ("unauthenticated", "forbidden")
    every = ("bad_request", "validation_failed", "unavailable", "internal_error")
    reused = ("idempotency_key_reused",) if rpc.writes and not is_open(rpc) else ()
    return tuple(code for code in guarded + reused + every if code not in rpc.errors)


def error_reply_example(code: str, cls: type[SanxiangError] | None) -> dict:
    """The exact reply body nameko sends when the method raises this error."""
    exc = (cls or SanxiangError)(f"example {code} error", code=code)
    return {"result": None, "error": serialize(exc)}


ERROR_PAYLOAD = {
    "type": "object",
    "title": "ErrorPayload",
    "description": "error.exc_args[0] of every Sanxiang error: branch on code, show message_zh to "
                   "people. It keeps its JSON types: numbers, booleans and null inside details "
                   "arrive as such",
    "properties": {
        "code": {"type": "string",
                 "description": "machine code, e.g. not_found, validation_failed"},
        "message": {"type": "string", "description": "English message"},
        "message_zh": {"type": ["string", "null"], "description": "Chinese message"},
        "details": {"description": "structured details; for validation_failed a map of field "
                                   "path to broken rules"},
    },
    "required": ["code", "details", "message", "message_zh"],
    "additionalProperties": False,
}

RPC_ERROR = {
    "type": "object",
    "title": "RpcError",
    "description": "nameko's serialised exception",
    "properties": {
        "exc_type": {"type": "string", "description": "exception class name, e.g. NotFound"},
        "exc_path": {"type": "string",
                     "description": "dotted path of the class, e.g. shared.errors.NotFound"},
        "exc_args": {
            "type": "array",
            "description": "exception arguments; for Sanxiang errors exactly one, the "
                           "ErrorPayload. nameko's own errors (MalformedRequest) carry a "
                           "string",
            "items": {"anyOf": [{"$ref": "#/components/schemas/ErrorPayload"}, {"type": "string"}]},
        },
        "value": {"type": "string",
                  "description": "str(exception): '<code>: <message>' for Sanxiang errors"},
    },
    "required": ["exc_args", "exc_path", "exc_type", "value"],
}


def reply_payload(result_ref: str) -> dict:
    """nameko's reply body: exactly one of result / error is meaningful."""
    return {"oneOf": [
        {"title": "success", "type": "object", "additionalProperties": False,
         "required": ["error", "result"],
         "properties": {"result": {"$ref": result_ref}, "error": {"type": "null"}}},
        {"title": "failure", "type": "object", "additionalProperties": False,
         "required": ["error", "result"],
         "properties": {"result": {"type": "null"},
                        "error": {"$ref": "#/components/schemas/RpcError"}}},
    ]}


def request_payload(kwargs_ref: str) -> dict:
    return {"type": "object", "additionalProperties": False, "required": ["args", "kwargs"],
            "properties": {
                "args": {"type": "array", "maxItems": 0,
                         "description": "always empty: methods take keyword arguments only"},
                "kwargs": {"$ref": kwargs_ref}}}


def _header(description: str, **schema) -> dict:
    return {**schema, "description": description}


CONTENT_TYPE = _header("AMQP property content_type", type="string", const="application/json")
CONTENT_ENCODING = _header("AMQP property content_encoding", type="string", const="utf-8")
CORRELATION_ID = _header("AMQP property correlation_id: a fresh unique string (a UUID) per call; "
                         "the reply carries the same value", type="string", minLength=1)
ACTOR_TOKEN = _header(
    "application header: the actor token, a JWT (RFC 7519, compact form) signed with EdDSA "
    "(Ed25519) by the deployment's token issuer (`sanxiang token issue`); header kid names the "
    "key; claims iss, sub, role, agency, name, iat, exp, and party + case for a party",
    type="string", pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
IDEMPOTENCY_KEY = _header(
    "application header, optional, read by the methods that write: your idempotency key for "
    "this request, 1 to 128 printable characters, kept when you retry it. A write runs once "
    "per key, caller (agency and actor id) and method: a repeated request gets the first "
    "call's result and writes nothing; the same key with a different request is refused "
    "(idempotency_key_reused). Without it the request's correlation_id is the key, which "
    "protects against redelivery but not against a retry sent as a new message",
    type="string", minLength=1, maxLength=128)
CALL_ID_STACK = _header("application header, optional: call ids of the calling chain, for tracing",
                        type="array", items={"type": "string"})

def _request_headers(title: str, description: str, required: list[str]) -> dict:
    return {
        "type": "object", "title": title, "description": description,
        "properties": {
            "content_type": CONTENT_TYPE, "content_encoding": CONTENT_ENCODING,
            "correlation_id": CORRELATION_ID,
            "reply_to": _header("AMQP property reply_to: the routing key your reply queue is bound "
                                "with on exchange nameko-rpc (simplest: the queue's own name)",
                                type="string", minLength=1),
            "nameko.actor_token": ACTOR_TOKEN, "nameko.call_id_stack": CALL_ID_STACK,
            "nameko.idempotency_key": IDEMPOTENCY_KEY,
        },
        "required": sorted(["content_type", "correlation_id", "reply_to", *required]),
    }


HEADERS = {
    "RpcRequestHeaders": _request_headers(
        "RpcRequestHeaders", "AMQP properties and nameko application headers of an RPC request; "
        "the actor token is required", ["nameko.actor_token"]),
    "OpenRpcRequestHeaders": _request_headers(
        "OpenRpcRequestHeaders", "AMQP properties and nameko application headers of a request to "
        "a method open to any caller: no actor token needed", []),
    "RpcReplyHeaders": {
        "type": "object", "title": "RpcReplyHeaders",
        "description": "AMQP properties of an RPC reply",
        "properties": {"content_type": CONTENT_TYPE, "content_encoding": CONTENT_ENCODING,
                       "correlation_id": CORRELATION_ID},
        "required": ["content_type", "correlation_id"],
    },
    # The outbox relay (shared/messaging/outbox.py) publishes, not a nameko worker: no nameko.*
    # headers.
    "EventHeaders": {
        "type": "object", "title": "EventHeaders",
        "description": "AMQP properties of an event",
        "properties": {
            "content_type": CONTENT_TYPE, "content_encoding": CONTENT_ENCODING,
            "message_id": _header("AMQP property message_id: the envelope's message_id",
                                  type="string", minLength=1)},
        "required": ["content_type", "message_id"],
    },
}


def is_open(rpc: Rpc) -> bool:
    """Methods whose roles include "any" take calls without an actor token."""
    return "any" in rpc.roles


def request_headers_example(contract: Contract, rpc: Rpc) -> dict:
    call = example_id(contract.service, rpc.name)
    headers = {"content_type": "application/json", "content_encoding": "utf-8",
               "correlation_id": call,
               "reply_to": f"rpc.reply-example-client-{example_id('reply')}",
               "nameko.call_id_stack": [f"example-client.call.{example_id('client', call)}"]}
    if not is_open(rpc):
        headers["nameko.actor_token"] = EXAMPLE_ACTOR_TOKEN
    if rpc.writes and not is_open(rpc):
        headers["nameko.idempotency_key"] = f"example-client-{example_id('key', call)}"
    return headers


def reply_headers_example(contract: Contract, rpc: Rpc) -> dict:
    return {"content_type": "application/json", "content_encoding": "utf-8",
            "correlation_id": example_id(contract.service, rpc.name)}


def event_headers_example(contract: Contract, event: Event) -> dict:
    return {"content_type": "application/json", "content_encoding": "utf-8",
            "message_id": example_id(contract.service, event.type)}
