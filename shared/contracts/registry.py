"""Contracts runtime: strict marshmallow schemas, the event envelope, and the registry that
describes each service's RPC methods and events (the source of the exported JSON Schema and
AsyncAPI documents in contracts/). Payloads are validated here before any domain code runs."""
from __future__ import annotations

import builtins
import functools
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from shared.contracts import bounds
from shared.errors import ValidationFailed

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*\.v[1-9][0-9]*$")
RULESET_REF = r"^[a-z0-9][a-z0-9-]*@[1-9][0-9]*$"
# the roles of people: what an actor token from the deployment's token issuer may name
ROLES = ("officer", "head", "legal_unit", "reviewer", "publisher", "supervisor", "party", "public")
# The role of a service calling another without a person behind the call, by a service token
# it mints itself (shared.trust.actor.ServiceIdentity). A contract grants a method to a
# service by name: "service:<name>" in the method's roles — never by the bare role.
SERVICE_ROLE = "service"
SERVICE_GRANT = re.compile(r"^service:([a-z][a-z0-9_-]{0,39})$")
# what an event's or a log's actor may be: a person's role, or a service
ACTOR_ROLES = ROLES + (SERVICE_ROLE,)


def service_grant(name: str) -> str:
    """The role entry that grants a method to the service `name`: "service:<name>"."""
    if not SERVICE_GRANT.match(f"service:{name}"):
        raise ValueError(f"{name!r} is not a service name")
    return f"service:{name}"


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped; every field is held to the
    kernel's bounds for its kind (shared.contracts.bounds: text without control characters,
    plausible moments, whole numbers a database stores, lists and objects of a sane size)."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        bounds.bind(field_obj)


class ActorRef(StrictSchema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.OneOf(ACTOR_ROLES), metadata={
        "description": "a person's role, or `service` for a service acting as itself (its "
                       "id is then the service's name)"})
    name = fields.String(load_default=None, allow_none=True)


class Envelope(StrictSchema):
    """What every event carries besides its data (DESIGN.md "Messages"), signed by its
    producer (shared.trust.signatures)."""
    contract = fields.String(required=True, metadata={"description": "contract (service) name"})
    event_type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE.pattern),
                               metadata={"description":
                                         "event name with major version, e.g. case_opened.v1"})
    schema_version = fields.String(required=True, validate=validate.Regexp(r"^\d+\.\d+$"),
                                   metadata={"description": "major.minor of the data schema"})
    message_id = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        metadata={"description": "idempotency key: consumers process each message id once"})
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    agency = fields.String(required=True)
    actor = fields.Nested(ActorRef, required=True)
    ruleset = fields.String(required=True, validate=validate.Regexp(RULESET_REF),
                            metadata={"description": "rule set id@version the fact was made under"})
    data = fields.Dict(required=True)
    key_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{16}$"), metadata={
        "description": "the producer's event key: public/events/<contract>/<key_id>.pem of the "
                       "deployment's key root (first 16 hex digits of the SHA-256 of the raw "
                       "Ed25519 public key)"})
    signature = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{86}$"),
                              metadata={"description": (
                                  "Ed25519 signature, base64url without padding, over the UTF-8 "
                                  "RFC 8785 (JCS) serialisation of this envelope without "
                                  "`signature`")})


class Deadline(StrictSchema):
    """A legal period with its derivation (shared.calendar.legal.Deadline.to_dict())."""
    start = fields.String(required=True)
    amount = fields.Integer(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(["workdays", "natural_days",
                                                                 "hours"]))
    rule = fields.String(required=True)
    basis = fields.String(required=True)
    agency = fields.String(allow_none=True)
    due = fields.String(required=True,
                        metadata={"description": "ISO date (day units) or date-time (hours)"})
    counted = fields.List(fields.String(), required=True)
    skipped = fields.List(fields.List(fields.String()), required=True,
                          metadata={"description": "[date, reason] pairs"})
    notes = fields.List(fields.List(fields.String()), required=True)
    paused = fields.List(fields.List(fields.String()), required=True)
    rolled_from = fields.String(allow_none=True)
    calendar_fingerprint = fields.String(required=True)


class CalendarCoverage(StrictSchema):
    """How far the service's legal calendar reaches (shared.calendar.legal.Coverage.to_dict())."""
    covered_from = fields.Date(required=True, metadata={
        "description": "first day a legal period can be computed on"})
    covered_until = fields.Date(required=True, metadata={
        "description": "last day covered by published calendars (chinesecalendar and the "
                       "loaded State Council notices); a period reaching past it fails with "
                       "calendar_not_covered"})
    days_left = fields.Integer(required=True, metadata={
        "description": "natural days from today (CST) to covered_until; negative once passed"})
    warn_days = fields.Integer(required=True, metadata={
        "description": "days_left at which the warning starts"})
    warning = fields.String(required=True, allow_none=True, metadata={
        "description": "null, or what to do: days_left <= warn_days"})
    fingerprint = fields.String(required=True, metadata={
        "description": "sha256 of the calendar data, as in every deadline's derivation"})


CALENDAR_COVERAGE_EXAMPLE = {
    "covered_from": "2004-01-01", "covered_until": "2026-12-31", "days_left": 27,
    "warn_days": 60,
    "fingerprint": "0afebc2336e2e4a0d30bae992e70f1651e6eca7fcfb21ad1ab50e5ea73dff57e",
    "warning": "the legal calendar covers working days until 2026-12-31 (27 days left): every "
               "legal period that reaches 2027 fails with calendar_not_covered; once it is "
               "published, load the State Council notice for 2027 (国务院办公厅关于2027年部分节假日"
               "安排的通知) with `sanxiang calendar load NOTICE --into FILE` (FILE: one of the "
               "service's CALENDAR_FILES) and restart the service"}


@dataclass(frozen=True)
class Rpc:
    name: str
    request: type[Schema]
    response: type[Schema] | None
    summary: str
    roles: tuple[str, ...]
    example_request: dict
    example_response: Any
    errors: tuple[str, ...] = ()
    many: bool = False  # response is a list of `response`
    # A method that writes runs once per idempotency key (shared.persistence.idempotency); a
    # method that only reads says so. The safe side is the default: a new method is a write
    # until declared a read.
    writes: bool = True

    def __post_init__(self) -> None:
        if not self.roles:
            raise ValueError(f"rpc {self.name}: declare its roles (or \"any\" for an open method)")
        unknown = [r for r in self.roles
                   if r != "any" and r not in ROLES and not SERVICE_GRANT.match(r)]
        if unknown:
            raise ValueError(f"rpc {self.name}: unknown role(s) {', '.join(map(repr, unknown))}; "
                             f"a role is one of {', '.join(ROLES)}, \"any\", or "
                             "\"service:<name>\" granting the method to that service")
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"rpc {self.name}: a role is named twice in {self.roles}")

    @property
    def services(self) -> tuple[str, ...]:
        """The services granted this method by name ("service:<name>" entries)."""
        return tuple(m.group(1) for m in map(SERVICE_GRANT.match, self.roles) if m)

    @property
    def people(self) -> tuple[str, ...]:
        """The roles of people the method admits ("any" included where it is open)."""
        return tuple(r for r in self.roles if not SERVICE_GRANT.match(r))

    def admit(self, caller: Any) -> Any:
        """The caller (a shared.trust.actor.Actor) as admitted to this method, or Forbidden:
        a person by role, a service where the method names it ("service:<name>"); "any"
        admits every verified caller. A service admitted by name is returned marked
        `granted`: the contract's grant is the whole of its permission for this call
        (Actor.require)."""
        return caller.admitted(self.roles)


@dataclass(frozen=True)
class Event:
    type: str
    schema: builtins.type[Schema]  # `type` above is the event's, in this class
    summary: str
    example: dict
    schema_version: str = "1.0"

    @property
    def name(self) -> str:
        return self.type.split(".")[0]

    @property
    def major(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])


@dataclass(frozen=True)
class Contract:
    service: str
    version: str
    title: str
    description: str
    rpcs: tuple[Rpc, ...] = ()
    events: tuple[Event, ...] = ()
    consumes: tuple[str, ...] = field(default=())  # "<source>.<event_type>" this service handles
    # Extra named schemas a request refers to by name (e.g. the content of each record type).
    components: tuple[tuple[str, type[Schema]], ...] = field(default=())

    def rpc(self, name: str) -> Rpc:
        for rpc in self.rpcs:
            if rpc.name == name:
                return rpc
        raise KeyError(name)

    def event(self, event_type: str) -> Event:
        for event in self.events:
            if event.type == event_type:
                return event
        raise KeyError(event_type)

    def versions(self) -> dict:
        return {"contract": self.version, "events": sorted(e.type for e in self.events)}


@functools.cache
def _instance(cls: type[Schema]) -> Schema:
    # Building a schema object costs more than loading a small payload; instances are
    # stateless between calls for our schemas (no context), so one per class serves all.
    return cls()


def load(schema: Schema | type[Schema], payload: Any, *, what: str = "payload",
         path: str = "") -> dict:
    """Validate and deserialise, or raise ValidationFailed naming each field (under `path`,
    for a payload nested in a request) and the rule it broke."""
    if isinstance(schema, type):
        schema = _instance(schema)
    if not isinstance(payload, dict):
        messages: Any = {"_schema": ["must be an object"]}
    else:
        try:
            return schema.load(payload)
        except ValidationError as exc:
            messages = exc.messages
    raise ValidationFailed.from_messages({path: messages} if path else messages, what=what)


def dump(schema: Schema | type[Schema] | None, obj: Any, *, many: bool = False) -> Any:
    """`obj` as `schema` emits it; a method declared without a response answers null."""
    if schema is None:
        return None
    if isinstance(schema, type):
        schema = _instance(schema)
    return schema.dump(obj, many=many)


def envelope(contract: Contract, event_type: str, data: dict, *, agency: str, actor: dict,
             ruleset: str, message_id: str | None = None,
             occurred_at: datetime | None = None) -> dict:
    """Build a validated, still unsigned event message (envelope + data dumped through the
    event schema); the outbox signs it (shared.trust.signatures.sign)."""
    event = contract.event(event_type)
    body = {
        "contract": contract.service,
        "event_type": event.type,
        "schema_version": event.schema_version,
        "message_id": message_id or str(uuid.uuid4()),
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "agency": agency,
        "actor": {"id": actor["id"], "role": actor["role"], "name": actor.get("name")},
        "ruleset": ruleset,
        # data arrives in its JSON form; load validates it, dump normalises it
        "data": dump(event.schema, load(event.schema, data, what=f"{event.type} data")),
    }
    return body
