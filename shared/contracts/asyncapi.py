"""One AsyncAPI 3.0.0 document per service contract: enough for a system in any language to
call every RPC (nameko request/reply over AMQP 0-9-1) and consume every event without reading
our Python. Schemas are embedded as components; examples are the exported ones."""
from __future__ import annotations

from typing import Any

from shared.contracts import bounds
from shared.contracts import messages as m
from shared.contracts.registry import Contract, Rpc

RPC_EXCHANGE = {"name": "nameko-rpc", "type": "topic", "durable": True, "autoDelete": False,
                "vhost": "/"}
AMQP = "0.3.0"


def _ref(*parts: str) -> dict:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _strip(schema: dict) -> dict:
    # Embedded in AsyncAPI the schema is an AsyncAPI Schema Object (draft-07 superset): no $schema.
    return {k: v for k, v in schema.items() if k != "$schema"}


def build(contract: Contract) -> dict:
    service = contract.service
    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    messages: dict[str, dict[str, Any]] = {}
    schemas = {"ErrorPayload": m.ERROR_PAYLOAD, "RpcError": m.RPC_ERROR, **m.HEADERS}
    correlation = {"location": "$message.header#/correlation_id",
                   "description": "AMQP correlation_id: the reply carries the request's value"}

    for rpc in sorted(contract.rpcs, key=lambda r: r.name):
        key = f"rpc.{rpc.name}"
        schemas[f"{key}.request"] = _strip(m.request_schema(contract, rpc))
        schemas[f"{key}.response"] = _strip(m.response_schema(contract, rpc))
        messages[f"{key}.request"] = {
            "name": f"{rpc.name}.request", "title": f"{service}.{rpc.name} request",
            "summary": rpc.summary, "contentType": "application/json",
            "headers": _ref("components", "schemas",
                            "OpenRpcRequestHeaders" if m.is_open(rpc) else "RpcRequestHeaders"),
            "payload": m.request_payload(f"#/components/schemas/{key}.request"),
            "correlationId": correlation,
            "examples": [{"name": "request", "headers": m.request_headers_example(contract, rpc),
                          "payload": {"args": [], "kwargs": rpc.example_request}}],
        }
        errors = m.rpc_errors(rpc)
        messages[f"{key}.reply"] = {
            "name": f"{rpc.name}.reply", "title": f"{service}.{rpc.name} reply",
            "summary": f"Reply to {service}.{rpc.name}: result, or an error",
            "description": _errors_text(errors), "contentType": "application/json",
            "headers": _ref("components", "schemas", "RpcReplyHeaders"),
            "payload": m.reply_payload(f"#/components/schemas/{key}.response"),
            "correlationId": correlation,
            "examples": [{"name": "success", "headers": m.reply_headers_example(contract, rpc),
                          "payload": {"result": rpc.example_response, "error": None}}]
            + [{"name": f"error.{code}", "headers": m.reply_headers_example(contract, rpc),
                "payload": m.error_reply_example(code, cls)} for code, cls in errors],
        }
        channels[key] = {
            "address": f"{service}.{rpc.name}", "title": f"{service}.{rpc.name}",
            "description": f"Publish the request to exchange `nameko-rpc` with routing key "
                           f"`{service}.{rpc.name}`.",
            "messages": {"request": _ref("components", "messages", f"{key}.request")},
            "bindings": {"amqp": {"is": "routingKey", "exchange": RPC_EXCHANGE,
                                  "bindingVersion": AMQP}},
        }
        operations[key] = {
            "action": "receive", "channel": _ref("channels", key),
            "title": f"{service}.{rpc.name}", "summary": rpc.summary,
            "description": _rpc_text(rpc, errors),
            "messages": [_ref("channels", key, "messages", "request")],
            "reply": {"address": {"location": "$message.header#/reply_to",
                                  "description": "the request's AMQP reply_to"},
                      "channel": _ref("channels", "rpc.reply"),
                      "messages": [_ref("channels", "rpc.reply", "messages", f"{rpc.name}.reply")]},
            "bindings": {"amqp": {"ack": True, "deliveryMode": 2, "mandatory": True,
                                  "bindingVersion": AMQP}},
        }
    if contract.rpcs:
        channels["rpc.reply"] = {
            "address": None, "title": "your reply queue",
            "description": "A queue you declare (exclusive or auto-delete) and bind to exchange "
                           "`nameko-rpc` with routing key = its own name; replies are published "
                           "to `nameko-rpc` with the request's `reply_to` as routing key.",
            "messages": {f"{r.name}.reply": _ref("components", "messages", f"rpc.{r.name}.reply")
                         for r in sorted(contract.rpcs, key=lambda r: r.name)},
            "bindings": {"amqp": {"is": "queue", "queue": {"durable": False, "exclusive": True,
                                                           "autoDelete": True, "vhost": "/"},
                                  "bindingVersion": AMQP}},
        }

    for name, schema in contract.components:
        if name in schemas:
            raise ValueError(f"component name {name!r} clashes with a generated schema")
        schemas[name] = _strip(m.component_schema(contract, name, schema))

    for event in sorted(contract.events, key=lambda e: e.type):
        key = f"event.{event.type}"
        schemas[key] = _strip(m.event_schema(contract, event))
        messages[key] = {
            "name": event.type, "title": f"{service} {event.type}", "summary": event.summary,
            "contentType": "application/json",
            "headers": _ref("components", "schemas", "EventHeaders"),
            "payload": _ref("components", "schemas", key),
            "correlationId": {"location": "$message.payload#/message_id",
                              "description": "idempotency key: process each message id once"},
            "examples": [{"name": event.type, "headers": m.event_headers_example(contract, event),
                          "payload": m.event_example(contract, event)}],
        }
        channels[key] = {
            "address": event.type, "title": f"{service}.events {event.type}",
            "description": f"Topic exchange `{service}.events`, routing key `{event.type}`. Bind "
                           f"a durable queue to it (nameko names it `evt-{service}-{event.type}--"
                           f"<service>.<method>`).",
            "messages": {"event": _ref("components", "messages", key)},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": f"{service}.events", "type": "topic", "durable": True, "autoDelete": False,
                "vhost": "/"}, "bindingVersion": AMQP}},
        }
        operations[key] = {
            "action": "send", "channel": _ref("channels", key),
            "title": f"{service} publishes {event.type}", "summary": event.summary,
            "messages": [_ref("channels", key, "messages", "event")],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP}},
        }

    return {
        "asyncapi": "3.0.0",
        "id": f"urn:sanxiang:{service}",
        "info": {"title": f"Sanxiang (三项) {service}: {contract.title}",
                 "version": contract.version,
                 "description": _info_text(contract),
                 "license": {"name": "Apache-2.0",
                             "url": "https://www.apache.org/licenses/LICENSE-2.0"}},
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {
            "host": "{host}:{port}", "protocol": "amqp", "protocolVersion": "0-9-1",
            "description": "The deployment's RabbitMQ broker (virtual host `/` unless told "
                           "otherwise).",
            "variables": {"host": {"default": "localhost", "description": "broker host name"},
                          "port": {"default": "5672", "description": "AMQP port (5671 with TLS)"}},
            "security": [_ref("components", "securitySchemes", "broker")]}},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": dict(sorted(messages.items())),
            "securitySchemes": {"broker": {
                "type": "userPassword",
                "description": "AMQP user name and password issued to your system by the "
                               "operator"}},
        },
    }


def _errors_text(errors: list) -> str:
    if not errors:
        return "Besides nameko's own errors, this method declares no error codes."
    rows = [f"| `{code}` | `{cls.__name__ if cls else '?'}` | {cls.message_zh if cls else ''} |"
            for code, cls in errors]
    head = "Error codes (`error.exc_args[0].code`):\n\n| code | exc_type | 说明 |\n|---|---|---|\n"
    return head + "\n".join(rows)


def _rpc_text(rpc: Rpc, errors: list) -> str:
    roles = ("any caller; no actor token needed" if m.is_open(rpc)
             else ", ".join(f"`{r}`" for r in rpc.people) or "none (services only)")
    if rpc.services:
        roles += ("; services calling as themselves (a service token, `iss` "
                  "\"service:<name>\", verified against public/caller/<name>/): "
                  + ", ".join(f"`service:{s}`" for s in rpc.services))
    shape = "a list of the response schema" if rpc.many else "the response schema"
    once = ("\n\nWrites, once per idempotency key (header `nameko.idempotency_key`, else the "
            "request's `correlation_id`): a repeated request gets the first result and writes "
            "nothing." if rpc.writes and not m.is_open(rpc) else
            "\n\nReads only: safe to repeat." if not m.is_open(rpc) else "")
    return (f"{rpc.summary}\n\nAllowed actor roles: {roles}.\n\nRequest body `{{\"args\": [], "
            f"\"kwargs\": {{...}}}}` with `kwargs` as in the request schema; the reply's "
            f"`result` is {shape}.{once}\n\n{_errors_text(errors)}")


def _info_text(contract: Contract) -> str:
    s, b = contract.service, bounds
    consumes = "".join(f"\n- `{c}`" for c in contract.consumes) or " none."
    sample = contract.events[0].type if contract.events else "<name>.v1"
    return f"""{contract.title} — {contract.description}

Service `{s}` of Sanxiang (三项). Everything here is plain AMQP 0-9-1 and UTF-8 JSON; no Python
or nameko library is needed on the calling side.

## Calling a method (nameko 2.14 RPC, request/reply)

1. Connect to the broker (server `rabbitmq`) with the user name and password issued to you.
2. Declare a reply queue (exclusive or auto-delete) and bind it to the topic exchange
   `nameko-rpc` (durable) with the queue's own name as routing key. Consume from it.
3. Publish the request to exchange `nameko-rpc` with routing key `{s}.<method>` (the channel
   address) and body `{{"args": [], "kwargs": {{...}}}}`: methods take keyword arguments only and
   `kwargs` must match the method's request schema; unknown fields are rejected.
4. Set the AMQP properties `content_type=application/json`, `content_encoding=utf-8`,
   `reply_to=<your reply queue's routing key>`, `correlation_id=<a fresh UUID>` and
   `delivery_mode=2`, and publish with `mandatory=true` and publisher confirms: a returned
   message means no instance of `{s}` is running.
5. Application headers: `nameko.actor_token` carries your actor token (who acts, in which
   role, for which agency): a JWT (RFC 7519) signed with EdDSA/Ed25519 by the deployment's
   token issuer, header `kid` naming the key, claims `iss`, `sub`, `role`, `agency`, `name`,
   `iat`, `exp` (and for a party `party` and `case`); `nameko.call_id_stack` (optional list of
   strings) links traces across systems; `nameko.idempotency_key` (optional, methods that write) is
   your key for this request (below). Every header `nameko.<key>` becomes context data of the call.
6. The reply arrives on your queue with the same `correlation_id`. Its body is
   `{{"result": <response>, "error": null}}` on success, or `{{"result": null, "error":
   {{"exc_type", "exc_path", "exc_args", "value"}}}}` on failure. For every Sanxiang error
   `error.exc_args[0]` is `{{"code", "message", "message_zh", "details"}}`: branch on `code`,
   show `message_zh` to people. Each operation lists the codes it may return. The payload
   keeps its JSON types (numbers, booleans and `null` inside `details` arrive as such); other
   errors of nameko's own, should one reach you, carry their arguments as strings. Every method
   may answer `validation_failed` (`details` maps each field to the rules it broke; positional
   arguments or unknown keywords are reported the same way), `unavailable` (a passing fault:
   nothing was written, send the same request again) and `internal_error` (a fault of the
   service: `details.incident` is the id it was logged under); neither of the last two
   carries the fault's own text. Besides each field's own rules, every request is held to
   the kernel's bounds, stated in its schema: text without NUL, other control characters
   (tab, line feed and carriage return allowed) or lone surrogates, at most {b.TEXT_MAX:,}
   characters unless stated; date-times and dates in {b.YEARS[0]}–{b.YEARS[1]}, offsets
   within ±14:00; integers within 32 bits unless stated; lists of at most {b.LIST_MAX:,}
   items; free-form objects of at most {b.DICT_BYTES // 2 ** 20} MiB as JSON and
   {b.DICT_DEPTH} levels deep, numbers finite.
   A request that cannot be read — a content type other than `application/json`, a body
   that is not UTF-8 JSON, not `{{"args": [...], "kwargs": {{...}}}}` or nested more than 64
   levels deep, no `correlation_id`, a method the service does not have — is answered with
   `bad_request` (`details` names each property or field and the rule), never run, and kept
   in the service's dead-letter queue `dlq.{s}` with the reason. Without `reply_to` it
   cannot be answered: it is only dead-lettered.
7. Apply your own timeout. Every method that writes runs once per idempotency key: the
   header `nameko.idempotency_key` (1 to 128 printable characters, yours to choose, e.g. a
   UUID per business action) or, without it, the request's `correlation_id`. A request
   delivered again (the service died, froze or lost the broker after its commit) or retried
   with the same key gets the first call's result and writes nothing; so after a timeout,
   send the same request again with the same key to learn the outcome. The key belongs to
   you (agency and actor id) and the method; the same key with a different request is
   refused with `idempotency_key_reused`. A call that failed stored nothing: its retry runs.
   Methods that only read are safe to repeat.

## Receiving events

Events are published to the topic exchange `{s}.events` (durable) with the event type as
routing key, e.g. `{sample}`, persistent, with publisher confirms and `mandatory`: an event
no queue is bound for yet is returned to the publisher and kept for replay, not lost. Bind
your own durable queue per event type you handle and ack after processing. Each body is an
envelope (contract, event_type, schema_version, message_id, occurred_at, agency, actor,
ruleset, data, key_id, signature) and the AMQP `message_id` property repeats the envelope's;
delivery is at least once, so process each `message_id` once. A breaking change publishes
`<name>.v(N+1)` beside `<name>.vN` under its own routing key: bind each version you read.

## Verifying an event before acting on it

Anyone who may publish to the broker can put a message on `{s}.events`; only `{s}` holds the
key its events are signed with. Act on an event only after all of these hold, in this order:

1. The body is a JSON object with string members `key_id` and `signature`.
2. `key_id` names one of `{s}`'s public event keys: the file
   `public/events/{s}/<key_id>.pem` (an Ed25519 public key, PEM / SubjectPublicKeyInfo) of the
   deployment's key root, given to you by the operator. Use `{s}`'s keys only, because the
   exchange is `{s}.events`; a valid signature made with another service's key is a forgery.
   `key_id` is the first 16 hex digits of the SHA-256 of the raw 32-byte public key.
3. `signature` (base64url, no padding: 64 bytes) is an Ed25519 signature (RFC 8032) that
   verifies with that key over the UTF-8 bytes of the RFC 8785 (JSON Canonicalization
   Scheme) serialisation of the body with the member `signature` removed (`key_id` stays).
   Envelopes hold strings, integers within ±(2^53 − 1), booleans, null, objects and arrays;
   canonicalise the parsed JSON, not the bytes you received.
4. `contract` is `{s}`, `event_type` is the routing key the message arrived under, the major
   version in `schema_version` is the `N` of `.vN`, and `agency` is one you serve.

The examples in this document are signed with an example key whose private half is public
(so it proves nothing; it lets you test your verifier): key id `{m.EXAMPLE_EVENT_KEY.kid}`,
public key exported beside the examples as `{m.EXAMPLE_EVENT_KEY_FILE}`:

```
{m.EXAMPLE_EVENT_KEY_PEM.strip()}
```

Sanxiang's own consumers refuse an event failing any check before any handling: it goes to
their dead-letter queue with the reason, and is never marked as processed.

This service handles events from other services:{consumes}
"""
