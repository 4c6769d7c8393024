"""The review board's use cases against a real SQLite database and the shipped rule sets,
with no broker: events stay in the outbox table, where the tests read them back."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from contracts.records import DECISION, PARTY
from contracts.review import CONTRACT
from services.review import models
from shared.trust.actor import Actor
from shared.contracts.registry import load
from shared.persistence.db import make_engine, migrate, open_db
from shared.trust.keys import SigningKey, key_id
from shared.messaging.outbox import OutboxWriter
from shared.rulesets.provider import Rules

AGENCIES = {
    "lingchuan-emergency": {"name": "陵川县应急管理局", "ruleset": "lingchuan-emergency"},
    "qinyuan-energy": {"name": "沁源县能源局", "ruleset": "qinyuan-energy"},
    "anze-justice": {"name": "安泽县司法局", "ruleset": "anze-county"},
    "changzhi-energy": {"name": "长治市能源局", "ruleset": "changzhi-energy"},
    "zhoucun-district": {"name": "淄博市周村区人民政府", "ruleset": "zhoucun-district"},
}


def event_key(service: str) -> SigningKey:
    """A fresh event key of `service` (no key folder: nothing here verifies against it)."""
    key = Ed25519PrivateKey.generate()
    return SigningKey(key, key_id(key.public_key()), service)


class Env:
    def __init__(self, db, rules):
        self.db = db
        self.rules = rules
        self.outbox = OutboxWriter(models.outbox, CONTRACT, signer=event_key("review"))
        self.now = datetime(2025, 10, 20, 1, 0, tzinfo=timezone.utc)   # 09:00 CST, a Monday

    def deps(self):
        return dict(db=self.db, outbox=self.outbox, rules=self.rules, now=self.now)

    def call(self, fn, method: str, payload: dict, who: Actor) -> dict:
        """Validate the payload with the contract (as the entrypoint does), run the use case."""
        request = load(CONTRACT.rpc(method).request, payload, what=method)
        return fn(request, actor=who, **self.deps())

    def events(self, event_type=None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)
                             .order_by(models.outbox.c.id)).all()
        return [json.loads(b) if isinstance(b, str) else b
                for t, b in rows if event_type in (None, t)]


@pytest.fixture
def env(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    migrate(engine, "services.review:migrations")
    rules = Rules.from_config({"AGENCIES": AGENCIES})
    yield Env(open_db(engine), rules)
    engine.dispose()


def actor(role="officer", agency="qinyuan-energy", id=None) -> Actor:
    return Actor(id=id or f"{role}-1", role=role, agency=agency, name=role)


def request_payload(agency="qinyuan-energy", *, case_no="沁能立〔2025〕7号", seq=3,
                    materials=(), grounds=("public_interest",), hearing=False,
                    handlers=("officer-1", "officer-2"), participants=("head-1",),
                    requested_at="2025-10-20T09:00:00+08:00") -> dict:
    decision = copy.deepcopy(DECISION)
    decision.update(grounds=list(grounds), hearing_held=hearing)
    return {"agency": agency, "case_id": f"case-{case_no}", "case_no": case_no,
            "proposal_seq": seq, "decision": decision, "party": copy.deepcopy(PARTY),
            "handlers": list(handlers), "participants": list(participants),
            "requested_at": requested_at, "materials": [material(c) for c in materials],
            "applicable": []}


def material(code: str) -> dict:
    return {"code": code, "title": f"{code} 材料", "ref": None, "sha256": None, "note": None}


ALWAYS = ("proposal", "investigation_report", "draft_decision", "basis_and_evidence")
