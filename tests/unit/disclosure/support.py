"""What the disclosure publisher's tests build with: the agencies under their shipped rule sets,
a use-case environment on SQLite or PostgreSQL with no broker (events stay in the outbox table),
the people who act, draft requests, and the record keeper's decision_issued.v1 as its outbox
signs it."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from contracts.disclosure import CONTRACT
from contracts.records import CONTRACT as RECORDS
from services.disclosure import models
from services.disclosure.domain.log import LogKeys
from shared.contracts.registry import dump, envelope, load
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor
from shared.trust.keys import SigningKey, key_id
from shared.trust.signatures import sign
from tests import agencies
from tests.agencies import AGENCIES

RULES = Rules.from_config({"AGENCIES": AGENCIES})


def event_key(service: str) -> SigningKey:
    """A fresh event key of `service` (no key folder: nothing here verifies against it)."""
    key = Ed25519PrivateKey.generate()
    return SigningKey(key, key_id(key.public_key()), service)


class Env:
    def __init__(self, db: Db, rules: Rules = RULES):
        self.db = db
        self.rules = rules
        self.outbox = OutboxWriter(models.outbox, CONTRACT, signer=event_key("disclosure"))
        self.log_keys = LogKeys.of(Ed25519PrivateKey.generate())
        self.now = datetime(2025, 10, 28, 1, 0, tzinfo=UTC)   # 09:00 CST, a Tuesday

    def deps(self) -> dict:
        return dict(db=self.db, outbox=self.outbox, rules=self.rules, log_keys=self.log_keys,
                    now=self.now)

    def call(self, fn: Callable[..., Any], method: str, payload: dict, who: Actor) -> Any:
        """Validate the payload with the contract (as the entrypoint does), run the use case,
        answer what the contract dumps."""
        spec = CONTRACT.rpc(method)
        request = load(spec.request, payload, what=method)
        return dump(spec.response, fn(request, actor=who, **self.deps()))

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)
                             .order_by(models.outbox.c.id)).all()
        return [json.loads(b) if isinstance(b, str) else b
                for t, b in rows if event_type in (None, t)]

    def log(self, action: str | None = None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.disclosure_log).order_by(models.disclosure_log.c.id)
                             ).mappings().all()
        return [dict(r) for r in rows if action in (None, r["action"])]

    def rows(self, table) -> list[dict]:
        with self.db.read() as s:
            return [dict(r) for r in s.execute(select(table)).mappings().all()]


def actor(role: str = "publisher", agency: str = agencies.QINYUAN,
          id: str | None = None) -> Actor:
    return Actor(id=id or f"{role}-1", role=role, agency=agency, name=role)


PUBLISHER = actor("publisher")
HEAD = actor("head")


def draft_request(**changes: Any) -> dict:
    """The contract's own example of create_draft (沁源, a penalty), changed as named."""
    request = copy.deepcopy(CONTRACT.rpc("create_draft").example_request)
    request.update(changes)
    return request


def issued(agency: str = agencies.QINYUAN, ruleset: str | None = None,
           **data_changes: Any) -> dict:
    """records' decision_issued.v1 (its own contract example), as its outbox signs it; the
    case's rule set is the agency's first unless `ruleset` names another."""
    data = copy.deepcopy(RECORDS.event("decision_issued.v1").example)
    data.update(data_changes)
    body = envelope(RECORDS, "decision_issued.v1", data, agency=agency,
                    actor={"id": "officer-qy-007", "role": "officer"},
                    ruleset=ruleset or f"{agency}@1")
    sign(body, event_key("records"))   # as records' outbox does; the handler verified it
    return body


def rpc(env: Env, fn: Callable[..., Any], method: str, payload: dict, who: Actor,
        key: str | None = None) -> Any:
    """The RPC's whole path as the service takes it (shared.service.entrypoint.handle, the
    use case's refusals recorded: usecases.common.recording) without a broker: the role checked
    against the contract, the payload validated, the use case run once per key, every refusal
    recorded in the disclosure log."""
    from services.disclosure import store
    from services.disclosure.usecases.common import recording
    from shared.persistence.idempotency import CallKeys
    from shared.service.entrypoint import handle

    def refused(a: Actor, m: str, request: dict, exc: Exception) -> None:
        store.record_refusal(env.db, a, m, request, exc, env.now)
    return handle(CONTRACT, method, payload, recording(method, fn, refused), actor=who,
                  keys=CallKeys(key, None), refused=refused, missing=store.missing,
                  **env.deps())
