"""The parts of every service's `health` answer an operator watches (shared.service.operations):
its peers, its outbox backlog and its dead letters — one definition the contracts' Health
schemas take, with an example."""
from __future__ import annotations

from marshmallow import fields

from shared.contracts.registry import StrictSchema

_ERROR = ("null, or why this part could not be read (the database or the broker not "
          "answering the service)")


class OutboxBacklog(StrictSchema):
    pending = fields.Integer(required=True, allow_none=True, metadata={
        "description": "events written but not yet confirmed by the broker"})
    unrouted = fields.Integer(required=True, allow_none=True, metadata={
        "description": "events no queue was bound for when relayed: kept, to be replayed"})
    oldest_pending_at = fields.String(required=True, allow_none=True, metadata={
        "description": "when the oldest pending event was written (UTC, ISO 8601)"})
    oldest_pending_seconds = fields.Float(required=True, allow_none=True, metadata={
        "description": "its age in seconds: a relay falling behind shows here first"})
    error = fields.String(required=True, allow_none=True, metadata={"description": _ERROR})


class DeadLetterCount(StrictSchema):
    queue = fields.String(required=True, metadata={
        "description": "the service's dead-letter queue, dlq.<service>"})
    count = fields.Integer(required=True, allow_none=True, metadata={
        "description": "dead letters waiting there (`sanxiang ops dead-letters list`)"})
    error = fields.String(required=True, allow_none=True, metadata={"description": _ERROR})


def peers_field():
    return fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True, metadata={
        "description": "each peer the service needs, and whether it is deployed (its RPC "
                       "queue has a consumer); missing_peers lists those that are not"})


def outbox_field():
    return fields.Nested(OutboxBacklog, required=True, metadata={
        "description": "the outbox relay's backlog"})


def dead_letters_field():
    return fields.Nested(DeadLetterCount, required=True, metadata={
        "description": "the service's dead letters"})


def example(service: str, peers: dict[str, bool] | None = None) -> dict:
    """The operator's part of a health example of `service`."""
    return {"peers": dict(peers or {}),
            "outbox": {"pending": 0, "unrouted": 0, "oldest_pending_at": None,
                       "oldest_pending_seconds": None, "error": None},
            "dead_letters": {"queue": f"dlq.{service}", "count": 0, "error": None}}
