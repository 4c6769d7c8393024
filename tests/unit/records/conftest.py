"""The record keeper's use cases against a real SQLite database and the shipped rule sets,
with no broker: events stay in the outbox table, where the tests read them back."""
from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from contracts.records import CONTRACT
from contracts.review import CONTRACT as REVIEW
from services.records import decisions, models, queries, usecases
from services.records.chain import CheckpointKeys
from shared.trust.actor import Actor
from shared.contracts.registry import envelope, load
from shared.persistence.db import make_engine, migrate, open_db
from shared.trust.keys import KeyStore, SigningKey, init_deployment, key_id
from shared.messaging.outbox import OutboxWriter
from shared.rulesets.provider import Rules
from shared.service.entrypoint import handle
from shared.trust.signatures import sign
from tests.builders import demo_plan, remember

AGENCIES = {
    "lingchuan-emergency": {"name": "陵川县应急管理局", "ruleset": "lingchuan-emergency"},
    "qinyuan-energy": {"name": "沁源县能源局", "ruleset": "qinyuan-energy"},
    "zhoucun-district": {"name": "淄博市周村区人民政府", "ruleset": "zhoucun-district"},
    "anze-county": {"name": "安泽县司法局", "ruleset": "anze-county"},
    "changzhi-energy": {"name": "长治市能源局", "ruleset": "changzhi-energy"},
}


class NoReviewBoard:
    """The peer directory of a deployment with only the record keeper."""

    def deployed(self, service: str) -> bool:
        return service == "records"


class NoBoard:
    """The review board as the record keeper sees it in a deployment without it."""

    def deployed(self) -> bool:
        return False


class Env:
    def __init__(self, db, rules, keys):
        self.db = db
        self.rules = rules
        self.outbox = OutboxWriter(models.outbox, CONTRACT,
                                   signer=keys.event_signing_key("records"))
        self.signing_key = CheckpointKeys.of(keys.checkpoint_key("records").key)
        self.peers = NoReviewBoard()
        self.board = NoBoard()
        self.now = datetime(2025, 10, 9, 8, 0, tzinfo=timezone.utc)

    def deps(self, **extra):
        return dict(db=self.db, outbox=self.outbox, rules=self.rules, now=self.now, **extra)

    def events(self, event_type=None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)
                             .order_by(models.outbox.c.id)).all()
        return [json.loads(b) for t, b in rows if event_type in (None, t)]


def _keys(tmp_path):
    root = tmp_path / "keys"
    init_deployment(root, ["records"], checkpoint_signers=["records"], issuer=False)
    return root


def _env(url: str, tmp_path):
    engine = make_engine(url)
    migrate(engine, "services.records:migrations")
    yield Env(open_db(engine), Rules.from_config({"AGENCIES": AGENCIES}),
              KeyStore(_keys(tmp_path)))
    engine.dispose()


@pytest.fixture
def env(tmp_path):
    yield from _env(f"sqlite:///{tmp_path / 'records.sqlite3'}", tmp_path)


@pytest.fixture
def env_db(db_url, tmp_path):
    """The use cases on SQLite and on PostgreSQL (the db_url fixture)."""
    yield from _env(db_url, tmp_path)


def actor(role="officer", agency="lingchuan-emergency", id=None, party_id=None,
          case_id=None) -> Actor:
    return Actor(id=id or f"{role}-1", role=role, agency=agency, name=role, party_id=party_id,
                 case_id=case_id)


DECISIONS = {"propose_decision", "enter_legal_review", "issue_decision"}
WRITES = {"open_case", "approve_emergency_start", "decide_source", "advance_stage",
          "append_record", "record_av", "propose_decision", "enter_legal_review",
          "issue_decision", "close_case", "archive_case", "correct_entry"}


def call(env, method, payload, who):
    """A use case as its RPC runs it: the request loaded by the contract first."""
    request = load(CONTRACT.rpc(method).request, payload, what=method)
    module = (decisions if method in DECISIONS else usecases if method in WRITES
              else queries)
    deps = env.deps() if method in WRITES else dict(db=env.db, now=env.now)
    if method == "issue_decision":
        deps["peers"] = env.peers
    if method == "enter_legal_review":
        deps["board"] = env.board
    return getattr(module, method)(request, actor=who, **deps)


def as_service(env, method: str, payload: dict, who, fn, **deps):
    """A use case through the entrypoint's shape (shared.service.entrypoint.handle): validated, and a
    refusal recorded as the service records it (`missing=queries.missing_case` answers as
    the service does)."""
    return handle(CONTRACT, method, payload, fn, actor=who,
                  refused=lambda a, m, request, exc: queries.record_refusal(
                      env.db, a, m, request.get("case_id"), exc, env.now),
                  db=env.db, now=env.now, **deps)


def access_log_rows(env, *columns: str) -> list[tuple]:
    """The access log's rows in order, as tuples of the named columns."""
    with env.db.read() as s:
        return [tuple(r) for r in s.execute(select(
            *(models.access_log.c[c] for c in columns)).order_by(models.access_log.c.id))]


def outbox_states(env) -> dict[tuple[str, str], set[str]]:
    """The outbox's states per (agency, event type)."""
    out: dict[tuple[str, str], set[str]] = {}
    with env.db.read() as s:
        for body, state in s.execute(select(models.outbox.c.body, models.outbox.c.state)):
            event = json.loads(body)
            out.setdefault((event["agency"], event["event_type"]), set()).add(state)
    return out


# The review board's event key in these tests: its opinions reach the record keeper's handler
# already verified (the handler's gate, shared.messaging.consumer), so any key of "review" will do.
_review_key = Ed25519PrivateKey.generate()
REVIEW_KEY = SigningKey(_review_key, key_id(_review_key.public_key()), "review")


def review_opinion(ctx: dict, **changes) -> dict:
    """review.opinion_issued.v1 on the proposal of `ctx`, signed as the board's outbox signs
    it; `changes` replace fields of the contract's example data."""
    data = dict(REVIEW.event("opinion_issued.v1").example, case_id=ctx["case_id"],
                proposal_seq=ctx["proposal_seq"], **changes)
    body = envelope(REVIEW, "opinion_issued.v1", data, agency="lingchuan-emergency",
                    actor={"id": "reviewer-lc-003", "role": "reviewer", "name": "李某"},
                    ruleset="lingchuan-emergency@1")
    sign(body, REVIEW_KEY)
    return body


def demo_until(env, until: str) -> str:
    """The demo case up to (not including) the first step calling `until`, the steps the
    demo expects refused left out; its case id."""
    ctx: dict = {"decision_no": "陵应急罚〔2025〕31号"}
    for step in demo_plan("陵应急立〔2025〕31号", with_review=False):
        if step.method == until:
            break
        if not step.expect_error:
            remember(ctx, step, call(env, step.method, step.payload(ctx),
                                     actor(step.role)))
    return ctx["case_id"]


@contextlib.contextmanager
def insider(env):
    """A transaction of someone who may switch the append-only triggers off."""
    with env.db.transaction() as s:
        if s.bind.dialect.name == "postgresql":
            for table in ("entries", "checkpoints"):
                s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            for table in ("entries", "checkpoints"):
                for action in ("update", "delete"):
                    s.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
        yield s
